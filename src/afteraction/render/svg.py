"""Inline SVG charts of the key metrics, marked with the incident's milestones and suspects.

Hand-written SVG keeps the HTML page self-contained: no scripts, no network, prints fine.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from html import escape

from afteraction.model.postmortem import KeyMetric

__all__ = ["Marker", "metric_chart"]

Marker = tuple[datetime, str, str]  # (time, label, css colour)

_W, _H, _PAD_L, _PAD_R, _PAD_T, _PAD_B = 760, 190, 58, 12, 14, 26


def _fmt(value: float, unit: str) -> str:
    if unit == "ratio":
        return f"{value * 100:.1f}%"
    if unit == "seconds":
        return f"{value * 1000:.0f}ms" if value < 1 else f"{value:.2f}s"
    return f"{value:.3g}"


def metric_chart(metric: KeyMetric, markers: list[Marker],
                 focus: tuple[float, float] | None = None) -> str:
    """``focus`` narrows the time axis to the incident (with margins) when given."""
    t0, t1 = metric.timestamps[0], metric.timestamps[-1]
    if focus is not None:
        t0, t1 = max(t0, focus[0]), min(t1, focus[1])
    points = [(t, v) for t, v in zip(metric.timestamps, metric.values, strict=True)
              if v is not None and math.isfinite(v) and t0 <= t <= t1]
    if len(points) < 2:
        return ""
    vmax = max(v for _, v in points)
    if metric.band_high is not None:
        vmax = max(vmax, metric.band_high)
    vmax = vmax * 1.08 or 1.0
    plot_w, plot_h = _W - _PAD_L - _PAD_R, _H - _PAD_T - _PAD_B

    def x(t: float) -> float:
        return _PAD_L + (t - t0) / (t1 - t0) * plot_w if t1 > t0 else _PAD_L

    def y(v: float) -> float:
        return _PAD_T + plot_h - (v / vmax) * plot_h

    # Thin the line to about one point per pixel column.
    stride = max(1, len(points) // plot_w)
    path = " ".join(f"{'M' if i == 0 else 'L'}{x(t):.1f},{y(v):.1f}"
                    for i, (t, v) in enumerate(points[::stride]))
    parts = [f'<svg viewBox="0 0 {_W} {_H}" role="img" class="chart" '
             f'aria-label="{escape(metric.service)} {escape(metric.signal)}">']
    if metric.band_high is not None:
        top = y(metric.band_high)
        parts.append(f'<rect x="{_PAD_L}" y="{top:.1f}" width="{plot_w}" '
                     f'height="{_PAD_T + plot_h - top:.1f}" class="band"/>')
    for frac in (0.0, 0.5, 1.0):
        value = vmax / 1.08 * frac
        parts.append(f'<text x="{_PAD_L - 6}" y="{y(value) + 4:.1f}" class="axis" '
                     f'text-anchor="end">{escape(_fmt(value, metric.unit))}</text>')
    parts.append(f'<line x1="{_PAD_L}" y1="{_PAD_T + plot_h}" x2="{_W - _PAD_R}" '
                 f'y2="{_PAD_T + plot_h}" class="axisline"/>')
    tick = 900 if t1 - t0 <= 4 * 3600 else 1800
    for hour_t in range(int(t0 // tick + 1) * tick, int(t1) + 1, tick):
        label = datetime.fromtimestamp(hour_t, tz=UTC).strftime("%H:%M")
        parts.append(f'<text x="{x(hour_t):.1f}" y="{_H - 8}" class="axis" '
                     f'text-anchor="middle">{label}</text>')
    parts.append(f'<path d="{path}" class="line"/>')
    shown = sorted((m for m in markers if t0 <= m[0].timestamp() <= t1), key=lambda m: m[0])
    for row, (at, label, colour) in enumerate(shown):
        ts = at.timestamp()
        xm = x(ts)
        parts.append(f'<line x1="{xm:.1f}" y1="{_PAD_T}" x2="{xm:.1f}" y2="{_PAD_T + plot_h}" '
                     f'stroke="{colour}" class="marker"><title>{escape(label)} '
                     f'{at:%H:%M:%S} UTC</title></line>')
        anchor = "end" if xm > _W - 120 else "start"
        dx = -3 if anchor == "end" else 3
        parts.append(f'<text x="{xm + dx:.1f}" y="{_PAD_T + 10 + (row % 7) * 11}" '
                     f'fill="{colour}" text-anchor="{anchor}" class="mlabel">'
                     f'{escape(label)}</text>')
    parts.append("</svg>")
    return "".join(parts)
