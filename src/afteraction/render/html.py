"""A self-contained HTML page: inline CSS and SVG, no scripts, nothing fetched."""

from __future__ import annotations

from jinja2 import Environment, PackageLoader, select_autoescape

from afteraction.model.postmortem import Postmortem
from afteraction.render.svg import Marker, metric_chart
from afteraction.render.text import duration, hms, score_text, source_label

__all__ = ["render_html"]

_ENV = Environment(loader=PackageLoader("afteraction.render", "templates"),
                   autoescape=select_autoescape(["html", "j2"]), trim_blocks=True,
                   lstrip_blocks=True)
_ENV.filters.update(hms=hms, duration=duration, source_label=source_label,
                    score_text=score_text)


def _markers(pm: Postmortem) -> list[Marker]:
    out: list[Marker] = []
    for at, label, colour in ((pm.impact_start, "impact", "#c0392b"),
                              (pm.detected_at, "detected", "#d35400"),
                              (pm.mitigated_at, "mitigated", "#2471a3"),
                              (pm.recovered_at, "recovered", "#1e8449")):
        if at is not None:
            out.append((at, label, colour))
    for rank, suspect in enumerate(pm.suspects[:3], start=1):
        out.append((suspect.at, f"#{rank} {suspect.service or suspect.kind}", "#7d3c98"))
    return out


def render_html(pm: Postmortem) -> str:
    markers = _markers(pm)
    focus = None
    if pm.impact_start is not None:
        stamps = [m[0].timestamp() for m in markers]
        end = max([*stamps, (pm.recovered_at or pm.impact_start).timestamp()])
        focus = (min(stamps) - 30 * 60, end + 45 * 60)
    charts = [(m, metric_chart(m, markers, focus)) for m in pm.key_metrics]
    return _ENV.get_template("postmortem.html.j2").render(pm=pm, charts=charts)
