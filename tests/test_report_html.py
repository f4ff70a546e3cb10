"""report.html: well-formed, self-contained, escaped, and rendered by a real browser."""

from __future__ import annotations

import json
import re
import shutil
import struct
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import gdstk
import pytest

from mbfab.compile import CompileResult, compile_recipe
from mbfab.layout.preview import preview
from mbfab.output.html_report import render_report_html

RECIPE = Path(__file__).resolve().parents[1] / "recipes" / "interdigital.yaml"
VOID = {"meta", "link", "br", "img", "input", "hr", "col", "source", "wbr"}


class StrictChecker(HTMLParser):
    """Balanced tags, unique ids, no scripts and no external resources."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.ids: set[str] = set()
        self.counts: dict[str, int] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.counts[tag] = self.counts.get(tag, 0) + 1
        values = dict(attrs)
        if tag == "script" or "src" in values or tag == "link":
            self.errors.append(f"external or active content: <{tag}>")
        if (ident := values.get("id")) is not None:
            if ident in self.ids:
                self.errors.append(f"duplicate id {ident}")
            self.ids.add(ident)
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.counts[tag] = self.counts.get(tag, 0) + 1  # <path .../> in SVG

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes <{self.stack[-1] if self.stack else None}>")
            return
        self.stack.pop()


@pytest.fixture(scope="module")
def compiled(tmp_path_factory: pytest.TempPathFactory) -> CompileResult:
    return compile_recipe(RECIPE, tmp_path_factory.mktemp("out"))


def test_report_html_is_well_formed_and_complete(compiled: CompileResult) -> None:
    text = (compiled.output_dir / "report.html").read_text(encoding="utf-8")
    checker = StrictChecker()
    checker.feed(text)
    checker.close()
    assert checker.errors == [] and checker.stack == []
    # one stack picture + one picture per plate, each with a title
    assert checker.counts["svg"] == 1 + len(compiled.plates) == 5
    for needle in ("Tone table", "Rule check", "Application fit", "LiMn2O4", "2.44 V"):
        assert needle in text
    # the headline capacity printed is the report's (1.182 uAh for the Dokko recipe)
    assert "1.182 &micro;Ah" in text or "1.182 µAh" in text


def test_report_html_escapes_recipe_text(compiled: CompileResult) -> None:
    report = dict(compiled.report, description="<script>alert(1)</script> & co")
    html = render_report_html(report, compiled.device.cell, compiled.recipe.recipe, compiled.plates)
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co" in html


def test_rule_section_of_a_real_compile_lists_every_rule_of_drc_json(
    compiled: CompileResult,
) -> None:
    """The page a compile writes shows drc.json's results: each rule once, failing ones
    marked by severity, the summary counted the same (it once said "No rule results")."""
    text = (compiled.output_dir / "report.html").read_text(encoding="utf-8")
    drc = json.loads((compiled.output_dir / "drc.json").read_text(encoding="utf-8"))
    assert "No rule results" not in text
    rows = re.findall(r'<tr class="(fail|warn|pass)"><td>([A-Z0-9.]+)</td>', text)
    assert sorted(rule for _, rule in rows) == sorted(r["id"] for r in drc["results"])
    expected = {
        r["id"]: ("pass" if not r["count"] else "fail" if r["severity"] == "error" else "warn")
        for r in drc["results"]
    }
    assert dict((rule, status) for status, rule in rows) == expected
    assert "warn" in expected.values()  # the Dokko recipe has lift-off profile warnings
    s = drc["summary"]
    assert f"{s['rules']} rules: {s['errors']} failing errors, {s['warnings']} failing " in text


def test_preview_cuts_arrays_down_and_outlines_them() -> None:
    unit = gdstk.Cell("PILLAR")
    unit.add(gdstk.regular_polygon((0, 0), 1.0, 6, layer=7))
    top = gdstk.Cell("FIELD")
    top.add(gdstk.Reference(unit, columns=1000, rows=1000, spacing=(4, 4)))
    shot = preview(top, [(7, 0)], keep=3)
    assert len(shot.polygons[(7, 0)]) == 9
    assert (shot.placements_total, shot.placements_drawn) == (1_000_000, 9)
    (outline,) = shot.outlines
    # array of hexagons (circumradius 1, flat top/bottom at +-0.866) spans x -1..3997
    assert outline[:, 0].min() == pytest.approx(-1.0) and outline[:, 0].max() == pytest.approx(3997)


@pytest.mark.skipif(shutil.which("chromium") is None, reason="chromium is not installed")
def test_report_renders_in_headless_chromium(compiled: CompileResult, tmp_path: Path) -> None:
    shot = tmp_path / "report.png"
    run = subprocess.run(
        [
            "chromium",
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            "--enable-logging=stderr",
            "--window-size=1280,2000",
            f"--screenshot={shot}",
            (compiled.output_dir / "report.html").as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert "CONSOLE" not in run.stderr and "Uncaught" not in run.stderr
    header = shot.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", header[16:24])
    assert (width, height) == (1280, 2000)
    assert shot.stat().st_size > 50_000  # a real page, not a blank one
