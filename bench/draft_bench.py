"""Draft a large generated incident and report wall time, peak memory and draft/parse ratio.

Run by hand:  .venv/bin/python bench/draft_bench.py [--messages 50000] [--series 300] ...

The bundle (50,000 Slack messages, 300 metric series of 6 h at 15 s, 2,000 changes, 1,000 Jira
tickets, a 2 h transcript) is generated and written first, untimed. Its chat is like a real busy
channel's: a fifth stock chatter ("ack", "+1"), the rest lines that almost never repeat, so
nothing is flattered by the same words coming back. Then, each in a fresh
process so the numbers are not flattered by warm caches of the other:
- "parse only": read every raw file of the bundle and ``json.loads`` it (VTT files are read);
- "full draft": read the bundle, parse every source, analyse, build the postmortem and render
  Markdown, JSON and HTML — what ``afteraction draft --bundle DIR --format all`` does.
Targets: full draft <= 5 s wall and <= 1 GiB peak RSS on a 2-core machine; draft/parse <= 3.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PARSE_ONLY = r"""
import json, resource, sys, time
from pathlib import Path
root = Path(sys.argv[1])
t = time.perf_counter()
for path in sorted(root.rglob("*")):
    if path.is_file():
        data = path.read_bytes()
        if path.suffix == ".json":
            json.loads(data)
print(json.dumps({"seconds": time.perf_counter() - t,
                  "rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""

FULL_DRAFT = r"""
import json, resource, sys, time
t = time.perf_counter()
from afteraction.pipeline import draft_from_path
from afteraction.render import render_html, render_json, render_markdown
imported = time.perf_counter() - t
t = time.perf_counter()
pm = draft_from_path(sys.argv[1])
drafted = time.perf_counter() - t
md, js, html = render_markdown(pm), render_json(pm), render_html(pm)
total = time.perf_counter() - t
print(json.dumps({"seconds": total, "draft_seconds": drafted, "import_seconds": imported,
                  "rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "top_suspect": pm.suspects[0].title if pm.suspects else None,
                  "score": pm.suspects[0].score if pm.suspects else None,
                  "timeline": len(pm.timeline), "events": sum(r.events for r in pm.sources.values()),
                  "series": sum(r.series for r in pm.sources.values())}))
"""


def _child(code: str, bundle: Path) -> dict[str, object]:
    proc = subprocess.run([sys.executable, "-c", code, str(bundle)], capture_output=True,
                          text=True, check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=50_000)
    parser.add_argument("--series", type=int, default=300)
    parser.add_argument("--changes", type=int, default=2_000)
    parser.add_argument("--tickets", type=int, default=1_000)
    parser.add_argument("--transcript-hours", type=float, default=2.0)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    from afteraction.generate.bundle import write_scenario_bundle
    from afteraction.generate.large import large_scenario

    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        scenario = large_scenario(messages=args.messages, series=args.series,
                                  changes=args.changes, tickets=args.tickets,
                                  transcript_hours=args.transcript_hours)
        bundle = write_scenario_bundle(scenario, Path(tmp) / "bundle")
        files = [p for p in bundle.rglob("*") if p.is_file()]
        size = sum(p.stat().st_size for p in files) / 2**20
        print(f"bundle: {len(files)} files, {size:.1f} MiB, generated in "
              f"{time.perf_counter() - t:.1f} s")
        parse = min((_child(PARSE_ONLY, bundle) for _ in range(args.repeat)),
                    key=lambda r: r["seconds"])  # type: ignore[arg-type, return-value]
        full = min((_child(FULL_DRAFT, bundle) for _ in range(args.repeat)),
                   key=lambda r: r["seconds"])  # type: ignore[arg-type, return-value]
    ratio = float(full["seconds"]) / float(parse["seconds"])  # type: ignore[arg-type]
    print(f"parse only (json.loads of every file): {parse['seconds']:.2f} s")
    print(f"full draft (parse, analyse, render md/json/html): {full['seconds']:.2f} s "
          f"(draft {full['draft_seconds']:.2f} s; imports {full['import_seconds']:.2f} s, "
          "not counted)")
    print(f"peak RSS of the draft process: {full['rss_mib']:.0f} MiB")
    print(f"draft / parse ratio: {ratio:.2f}")
    print(f"answer: {full['top_suspect']} (score {full['score']}), {full['events']} events, "
          f"{full['series']} series, {full['timeline']} timeline lines")
    ok = float(full["seconds"]) <= 5 and float(full["rss_mib"]) <= 1024 and ratio <= 3
    print("targets (<= 5 s, <= 1 GiB, ratio <= 3):", "met" if ok else "NOT met")


if __name__ == "__main__":
    main()
