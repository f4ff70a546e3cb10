"""Violation regions: one misplaced round pillar fails a space rule on dozens of facet
pairs (as KLayout counts them); people read one region with its count and worst value,
while JSON, JUnit and .lyrdb keep every edge pair, each naming its region."""

from __future__ import annotations

import json
import math
from pathlib import Path

import gdstk
import klayout.db as db
import klayout.rdb as rdb
import pytest
from click.testing import CliRunner

from mbfab.cli import main

PITCH, RADIUS, SPACE = 10.0, 2.5, 4.0  # um; gaps of 5 um pass a 4 um space rule

DECK = f"""mbfab-rules: 1
layers: {{pillars: [1, 0]}}
rules:
  - {{id: SPACE.P.1, kind: space, layers: [pillars], value: {SPACE} um}}
"""


def _field(path: Path, shifted: list[tuple[int, int]]) -> Path:
    """A 6 x 6 field of 64-gon pillars; each pillar in ``shifted`` moved 2 um to the right
    (3 um from its neighbour)."""
    lib = gdstk.Library(unit=1e-6, precision=1e-9)
    cell = lib.new_cell("TOP")
    for i in range(6):
        for j in range(6):
            dx = 2.0 if (i, j) in shifted else 0.0
            points = [
                (
                    i * PITCH + dx + RADIUS * math.cos(2 * math.pi * k / 64),
                    j * PITCH + RADIUS * math.sin(2 * math.pi * k / 64),
                )
                for k in range(64)
            ]
            cell.add(gdstk.Polygon(points, layer=1))
    lib.write_gds(str(path))
    return path


def _klayout_pairs(path: Path) -> list[db.EdgePair]:
    layout = db.Layout()
    layout.read(str(path))
    region = db.Region(layout.top_cell().begin_shapes_rec(layout.layer(1, 0)))
    return list(region.space_check(round(SPACE * 1000)).each())


def _check(path: Path, tmp_path: Path, *args: str) -> tuple[int, str]:
    deck = tmp_path / "deck.yaml"
    deck.write_text(DECK, encoding="utf-8")
    result = CliRunner().invoke(
        main, ["check", str(path), "--rules", str(deck), "--max-markers", "1000", *args]
    )
    return result.exit_code, result.output


@pytest.mark.parametrize("shifted", [[(2, 3)], [(1, 1), (4, 4)]])
def test_one_region_per_misplaced_pillar(shifted: list[tuple[int, int]], tmp_path: Path) -> None:
    path = _field(tmp_path / "field.gds", shifted)
    theirs = _klayout_pairs(path)
    assert len(theirs) > 10 * len(shifted)  # many facet pairs per misplaced pillar
    worst = min(e.distance() for e in theirs) / 1000

    code, out = _check(path, tmp_path, "--format", "json")
    assert code == 1
    (result,) = json.loads(out)["results"]
    assert result["count"] == len(theirs)
    assert len(result["markers"]) == len(theirs)  # every edge pair, as KLayout lists them
    assert len(result["clusters"]) == len(shifted)
    assert sorted(c["count"] for c in result["clusters"]) == sorted(
        sum(1 for e in theirs if _near(e, pillar)) for pillar in shifted
    )
    for cluster in result["clusters"]:
        members = [m for m in result["markers"] if m["cluster"] == cluster["id"]]
        assert len(members) == cluster["count"]
        assert cluster["worst"] == pytest.approx(min(m["measured"] for m in members))
    assert min(c["worst"] for c in result["clusters"]) == pytest.approx(worst, abs=1e-6)
    assert {m["shape"] for m in result["markers"]} == {"edge-pair"}

    code, table = _check(path, tmp_path)
    assert code == 1
    assert table.count("region ") == len(shifted)  # one line per region, not per pair
    assert f"{len(shifted)} region(s)" in table

    lyrdb = tmp_path / "out.lyrdb"
    _check(path, tmp_path, "--lyrdb", str(lyrdb))
    database = rdb.ReportDatabase("check")
    database.load(str(lyrdb))
    items = list(database.each_item())
    assert len(items) == len(theirs)
    regions = set()
    for item in items:
        values = list(item.each_value())
        assert values[0].is_edge_pair()
        regions |= {v.string() for v in values if v.is_string()}
    assert regions == {f"region {k}" for k in range(1, len(shifted) + 1)}

    code, junit = _check(path, tmp_path, "--format", "junit")
    assert junit.count("<failure") == len(theirs)
    assert all(f"(region {k})" in junit for k in range(1, len(shifted) + 1))


def _near(pair: db.EdgePair, pillar: tuple[int, int]) -> bool:
    """The edge pair lies at the misplaced ``pillar`` (between it and its right neighbour)."""
    x = (pillar[0] * PITCH + 2.0 + RADIUS) * 1000
    return abs(pair.bbox().center().x - x) < RADIUS * 1000


def test_html_report_lists_regions_under_the_rule() -> None:
    from mbfab.output.html_report import rule_rows

    drc = {
        "results": [
            {
                "id": "SPACE.P.1",
                "kind": "space",
                "layers": ["pillars"],
                "value": 4.0,
                "unit": "um",
                "severity": "error",
                "count": 3,
                "worst": 2.9,
                "message": "",
                "clusters": [
                    {"id": 1, "count": 1, "worst": 3.5, "box_um": [0, 0, 2, 2]},
                    {"id": 2, "count": 2, "worst": 2.9, "box_um": [10, 0, 12, 4]},
                ],
            },
            {
                "id": "WIDTH.P.1",
                "kind": "width",
                "layers": ["pillars"],
                "value": 3.0,
                "unit": "um",
                "severity": "error",
                "count": 0,
                "worst": None,
                "message": "",
                "clusters": [],
            },
        ]
    }
    rows = rule_rows(drc)  # type: ignore[arg-type]
    assert [r["id"] for r in rows] == ["SPACE.P.1", "region 2", "region 1", "WIDTH.P.1"]
    assert rows[1]["count"] == 2 and rows[1]["where"] == "(11.000, 2.000)"
    assert rows[1]["worst_shown"] == "2.9 um"
