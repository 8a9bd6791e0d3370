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


def metric_chart(metric: KeyMetric, markers: list[Marker]) -> str:
    points = [(t, v) for t, v in zip(metric.timestamps, metric.values, strict=True)
              if v is not None and math.isfinite(v)]
    if len(points) < 2:
        return ""
    t0, t1 = metric.timestamps[0], metric.timestamps[-1]
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
    for hour_t in range(int(t0 // 1800 + 1) * 1800, int(t1) + 1, 1800):
        label = datetime.fromtimestamp(hour_t, tz=UTC).strftime("%H:%M")
        parts.append(f'<text x="{x(hour_t):.1f}" y="{_H - 8}" class="axis" '
                     f'text-anchor="middle">{label}</text>')
    parts.append(f'<path d="{path}" class="line"/>')
    for row, (at, label, colour) in enumerate(markers):
        ts = at.timestamp()
        if not (t0 <= ts <= t1):
            continue
        xm = x(ts)
        parts.append(f'<line x1="{xm:.1f}" y1="{_PAD_T}" x2="{xm:.1f}" y2="{_PAD_T + plot_h}" '
                     f'stroke="{colour}" class="marker"><title>{escape(label)} '
                     f'{at:%H:%M:%S} UTC</title></line>')
        parts.append(f'<text x="{xm + 3:.1f}" y="{_PAD_T + 10 + (row % 5) * 11}" '
                     f'fill="{colour}" class="mlabel">{escape(label)}</text>')
    parts.append("</svg>")
    return "".join(parts)
