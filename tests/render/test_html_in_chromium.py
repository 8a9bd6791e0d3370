"""The HTML postmortem as a browser shows it: real headless Chromium, nothing fetched."""

from __future__ import annotations

import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pytest

from afteraction.pipeline import draft_from_path
from afteraction.render import render_html

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"]


def _chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        pytest.fail("chromium is not installed: run scripts/test-browser (make test does)")
    return path


@pytest.fixture(scope="module")
def page(demo_bundle: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("html")
    path = folder / "postmortem.html"
    path.write_text(render_html(draft_from_path(demo_bundle)), encoding="utf-8")
    return path


def _run(args: list[str], tmp: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([_chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={tmp / 'profile'}",
                           *args], capture_output=True, text=True, timeout=120)


def test_dom_holds_charts_markers_and_sections(page: Path, tmp_path: Path) -> None:
    proc = _run(["--dump-dom", page.as_uri()], tmp_path)
    dom = proc.stdout
    assert proc.returncode == 0 and "<svg" in dom, proc.stderr[-500:]
    assert dom.count("<svg") == 5
    for label in ("impact", "detected", "mitigated", "recovered", "#1 inventory"):
        assert f">{label}</text>" in dom
    for heading in ("Timeline", "Suspect changes", "Response and decisions",
                    "Open questions for the author", "Provenance"):
        assert f">{heading}</h2>" in dom


def _png_pixels(path: Path) -> tuple[int, int, set[bytes]]:
    """Width, height and a sample of distinct (filtered) scanline byte triples: a blank page
    compresses to a handful of values, a drawn one to many."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, width, height, channels = 8, b"", 0, 0, 4
    while pos < len(data):
        length = struct.unpack(">I", data[pos:pos + 4])[0]
        kind = data[pos + 4:pos + 8]
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height = struct.unpack(">II", body[:8])
            channels = {2: 3, 6: 4}[body[9]]
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    raw = zlib.decompress(idat)
    stride = width * channels + 1
    colours = set()
    for row in range(0, height, 7):
        line = raw[row * stride + 1:(row + 1) * stride]
        for col in range(0, width * channels, channels * 11):
            colours.add(line[col:col + 3])
    return width, height, colours


def test_screenshot_renders_a_drawn_page(page: Path, tmp_path: Path) -> None:
    shot = tmp_path / "page.png"
    proc = _run([f"--screenshot={shot}", "--window-size=1100,1400", page.as_uri()], tmp_path)
    assert shot.is_file(), proc.stderr[-500:]
    width, height, colours = _png_pixels(shot)
    assert (width, height) == (1100, 1400)
    # text, chart lines, markers and the baseline band: a drawn page, not a blank one
    assert len(colours) > 40
