"""A real Prometheus for tests: backfill series with promtool, serve them on a free loopback port.

The series are written as OpenMetrics text, turned into TSDB blocks by
``promtool tsdb create-blocks-from openmetrics`` and read by a ``prometheus`` process started
with that storage directory and no scrape targets.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterable
from pathlib import Path
from typing import Self

__all__ = ["RealPrometheus", "binaries", "openmetrics"]

Sample = tuple[float, float]
Series = tuple[str, str, dict[str, str], Iterable[Sample]]  # family, type, labels, samples


def binaries() -> tuple[str, str] | None:
    """(prometheus, promtool) from PATH or /usr/bin, or None when not installed."""
    found = [shutil.which(n) or (f"/usr/bin/{n}" if Path(f"/usr/bin/{n}").exists() else None)
             for n in ("prometheus", "promtool")]
    return (found[0], found[1]) if found[0] and found[1] else None


def openmetrics(series: Iterable[Series]) -> str:
    """OpenMetrics exposition text; counters get their ``_total`` sample name."""
    families: dict[str, tuple[str, list[str]]] = {}
    for family, kind, labels, samples in series:
        name = f"{family}_total" if kind == "counter" else family
        label_text = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
        lines = families.setdefault(family, (kind, []))[1]
        lines.extend(f"{name}{{{label_text}}} {value:g} {ts:.3f}" for ts, value in samples)
    out: list[str] = []
    for family, (kind, lines) in families.items():
        out.append(f"# TYPE {family} {kind}")
        out.extend(lines)
    out.append("# EOF")
    return "\n".join(out) + "\n"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class RealPrometheus:
    """``with RealPrometheus(workdir, text) as prom: prom.url``."""

    def __init__(self, workdir: Path, metrics_text: str) -> None:
        found = binaries()
        if found is None:
            raise RuntimeError("prometheus/promtool not installed (scripts/test-services)")
        self.prometheus, self.promtool = found
        self.workdir = workdir
        self.text = metrics_text
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Self:
        data = self.workdir / "data"
        data.mkdir(parents=True, exist_ok=True)
        source = self.workdir / "series.om"
        source.write_text(self.text, encoding="utf-8")
        subprocess.run([self.promtool, "tsdb", "create-blocks-from", "openmetrics",
                        str(source), str(data)], check=True, capture_output=True, timeout=120)
        config = self.workdir / "prometheus.yml"
        config.write_text("global:\n  scrape_interval: 1m\nscrape_configs: []\n",
                          encoding="utf-8")
        log = (self.workdir / "prometheus.log").open("wb")
        self._process = subprocess.Popen(
            [self.prometheus, f"--config.file={config}", f"--storage.tsdb.path={data}",
             f"--web.listen-address=127.0.0.1:{self.port}",
             "--storage.tsdb.retention.time=100y", "--query.lookback-delta=5m"],
            stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"prometheus exited: see {self.workdir / 'prometheus.log'}")
            try:
                with urllib.request.urlopen(f"{self.url}/-/ready", timeout=1) as answer:
                    if answer.status == 200:
                        return self
            except OSError:
                time.sleep(0.2)
        self.__exit__()
        raise RuntimeError("prometheus did not become ready within 60s")

    def __exit__(self, *exc: object) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
