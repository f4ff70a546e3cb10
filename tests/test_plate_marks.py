"""Alignment through the plates, measured on the written plate files with KLayout.

For every example recipe, compiled: each reference cross is found in the drawn layout by its
shape alone (a 12-vertex plus sign), paired with the aligning layer that draws around or over
it, and looked at through the aligning layer's plate as written: none of it may lie under
chrome, or the aligner operator cannot see it. The reference plate itself, exposed and
processed by hand from the order sheet's tone decision, must leave the cross standing.
The order sheet must list the marks actually drawn, at the places where they are.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import klayout.db as kdb
import pytest
import yaml

from mbfab.compile import CompileResult

ROOT = Path(__file__).resolve().parents[1]
RECIPES = sorted((ROOT / "recipes").glob("*.yaml"))
#: Processes after which the drawn feature is where the resist was opened.
OPENED = {"lift-off", "plating", "substrate-etch", "mold"}


class Compiled:
    """One compiled example: its recipe text, order sheet and output folder."""

    def __init__(self, recipe: Path, out: Path) -> None:
        self.recipe = yaml.safe_load(recipe.read_text(encoding="utf-8"))
        self.out = out
        self.order = json.loads((self.out / "order.json").read_text(encoding="utf-8"))
        self.entries = {e["layer"]: e for e in self.order["plates"]}
        self.drawn = kdb.Layout()
        self.drawn.read(str(self.out / f"{self.recipe['name']}.gds"))
        self.plates: dict[str, kdb.Layout] = {}

    def pairs(self) -> list[tuple[str, str]]:
        """(aligning, reference) from the recipe's layers: align_to, else the first layer."""
        layers = self.recipe["layers"]
        first = layers[0]["name"]
        return [(spec["name"], spec.get("align_to") or first) for spec in layers[1:]]

    def drawn_region(self, layer: str, box: kdb.Box | None = None) -> kdb.Region:
        spec = self.entries[layer]["gds_layer"]
        index = self.drawn.find_layer(spec[0], spec[1])
        top = self.drawn.top_cell()
        if box is None:
            return kdb.Region(top.begin_shapes_rec(index))
        return kdb.Region(top.begin_shapes_rec_touching(index, box))

    def plate(self, layer: str) -> kdb.Layout:
        if layer not in self.plates:
            layout = kdb.Layout()
            layout.read(str(self.out / self.entries[layer]["file"]))
            self.plates[layer] = layout
        return self.plates[layer]

    def written(self, layer: str) -> kdb.ICplxTrans:
        """Wafer -> written plate coordinates (dbu), from the order sheet: mbfab's mirroring
        about x = axis, then the reduction."""
        entry = self.entries[layer]
        reduction = entry.get("reduction", 1.0)
        axis = entry.get("mirror_axis_x_um")
        if not entry["mirrored_by_mbfab"]:
            return kdb.ICplxTrans(reduction, 0, False, 0, 0)
        assert axis is not None, "a mirrored plate must state its axis"
        shift = round(2 * axis * reduction / self.drawn.dbu)
        # klayout mirrors y first, then turns 180 degrees: x -> -x overall.
        return kdb.ICplxTrans(reduction, 180, True, shift, 0)

    def chrome_over(self, layer: str, area: kdb.Region) -> kdb.Region:
        """The part of ``area`` (wafer coordinates) under chrome on ``layer``'s plate, in
        written coordinates."""
        target = area.transformed(self.written(layer))
        layout = self.plate(layer)
        spec = self.entries[layer]["gds_layer"]
        index = layout.find_layer(spec[0], spec[1])
        polys = kdb.Region()
        if index is not None:
            polys = kdb.Region(layout.top_cell().begin_shapes_rec_touching(index, target.bbox()))
        if self.entries[layer]["polygon_tone"] == "data = chrome":
            return target & polys
        return target - polys

    def material(self, layer: str, area: kdb.Region) -> kdb.Region:
        """What stands on the wafer inside ``area`` after exposing ``layer``'s plate and running
        its process (written coordinates): exposure physics from the order's tone decision."""
        target = area.transformed(self.written(layer))
        exposed = target - self.chrome_over(layer, area)
        decision = self.entries[layer]["tone_decision"]
        resist_open = exposed if decision["resist_polarity"] == "positive" else target - exposed
        return resist_open if decision["process"] in OPENED else target - resist_open


@pytest.fixture(scope="module")
def compiled(compiled_examples: dict[str, CompileResult]) -> dict[str, Compiled]:
    return {p.stem: Compiled(p, compiled_examples[p.stem].output_dir) for p in RECIPES}


def crosses(region: kdb.Region) -> list[kdb.Polygon]:
    """Polygons that are plus signs: 12 vertices, a square bounding box, and equal to the
    plus built from that box with the arm width their area implies."""
    found = []
    for poly in region.each():
        box = poly.bbox()
        if poly.num_points() != 12 or poly.holes() or box.width() != box.height():
            continue
        side = box.width()
        arm = round(side - math.sqrt(side * side - poly.area()))
        c = box.center()
        plus = kdb.Region(kdb.Box(c.x - arm // 2, box.bottom, c.x + arm // 2, box.top))
        plus += kdb.Region(kdb.Box(box.left, c.y - arm // 2, box.right, c.y + arm // 2))
        if (plus.merged() ^ kdb.Region(poly)).is_empty():
            found.append(poly)
    return found


def paired_crosses(c: Compiled, aligning: str, reference: str) -> list[kdb.Polygon]:
    """Crosses of ``reference`` around or over which ``aligning`` draws (its box or window
    reaches to 20 % of the cross length beyond the cross: clearance plus frame)."""
    mine = []
    for cross in crosses(c.drawn_region(reference)):
        grown = cross.bbox().enlarged(cross.bbox().width() // 5, cross.bbox().width() // 5)
        near = c.drawn_region(aligning, grown) & kdb.Region(grown)
        if not near.is_empty():
            mine.append(cross)
    return mine


@pytest.mark.parametrize("name", [p.stem for p in RECIPES])
def test_reference_cross_is_seen_through_the_aligning_plate(
    compiled: dict[str, Compiled], name: str
) -> None:
    c = compiled[name]
    for aligning, reference in c.pairs():
        found = paired_crosses(c, aligning, reference)
        # Coarse and fine cross-in-box at two corners (of every die on a wafer map).
        assert len(found) >= 4 and len(found) % 4 == 0, (aligning, reference, len(found))
        for cross in found:
            area = kdb.Region(cross)
            hidden = c.chrome_over(aligning, area)
            assert hidden.is_empty(), (
                f"{name}: {aligning} hides {hidden.area() * c.drawn.dbu**2:g} um2 of the "
                f"{reference} cross at {cross.bbox().center()} under chrome"
            )
            # The cross stands on the wafer after the reference layer's own plate and process.
            grown = kdb.Region(cross.bbox().enlarged(cross.bbox().width() // 5))
            standing = c.material(reference, grown)
            assert (standing ^ area.transformed(c.written(reference))).is_empty(), (
                name,
                reference,
                cross.bbox().center(),
            )


def _marks(entry: dict[str, Any]) -> list[dict[str, Any]]:
    marks = entry["alignment_marks"]
    assert marks and all(isinstance(m, dict) for m in marks), (entry["layer"], marks)
    return marks


@pytest.mark.parametrize("name", [p.stem for p in RECIPES])
def test_order_lists_the_marks_on_each_plate(compiled: dict[str, Compiled], name: str) -> None:
    """Every plate lists its marks with their role; the reference and aligning plates list
    the same places; each listed cross stands on the reference layer where it is listed."""
    c = compiled[name]
    dbu = c.drawn.dbu
    for aligning, reference in c.pairs():
        pair = f"{aligning}>{reference}"
        ref_rows = [m for m in _marks(c.entries[reference]) if m["pair"] == pair]
        ali_rows = [m for m in _marks(c.entries[aligning]) if m["pair"] == pair]
        kinds = {"coarse cross-in-box", "fine cross-in-box", "vernier x", "vernier y"}
        assert {m["kind"] for m in ref_rows} == {m["kind"] for m in ali_rows} == kinds
        assert sorted(m["center_um"] for m in ref_rows) == sorted(m["center_um"] for m in ali_rows)
        assert {m["role"] for m in ref_rows} == {"reference cross", "reference scale"}
        field = c.entries[aligning]["field"]
        box_role = "aligning window" if field == "dark" else "aligning box"
        assert box_role in {m["role"] for m in ali_rows}, (aligning, field)
        centres = {
            (round(p.bbox().center().x * dbu, 3), round(p.bbox().center().y * dbu, 3))
            for p in paired_crosses(c, aligning, reference)
        }
        to_wafer = c.written(reference).inverted()
        for row in ref_rows:
            if "cross" not in row["kind"]:
                continue
            x, y = (round(v / dbu) for v in row["center_um"])
            point = to_wafer * kdb.Point(x, y)
            assert (round(point.x * dbu, 3), round(point.y * dbu, 3)) in centres, row


@pytest.mark.parametrize("name", [p.stem for p in RECIPES])
def test_vernier_reference_scale_is_seen_through_the_aligning_plate(
    compiled: dict[str, Compiled], name: str
) -> None:
    c = compiled[name]
    for aligning, reference in c.pairs():
        rows = [
            m
            for m in _marks(c.entries[aligning])
            if m["kind"].startswith("vernier") and m["pair"] == f"{aligning}>{reference}"
        ]
        assert len(rows) >= 4, (name, aligning)
        to_wafer = c.written(aligning).inverted()
        for row in rows:
            (x0, y0), (x1, y1) = ([round(v / c.drawn.dbu) for v in p] for p in row["extent_um"])
            box = kdb.Box(x0, y0, x1, y1).transformed(to_wafer)
            bars = c.drawn_region(row["reference"], box) & kdb.Region(box)
            assert bars.count() == 11, (name, row)  # 2 x 5 + 1 reference bars
            hidden = c.chrome_over(aligning, bars)
            assert hidden.is_empty(), (name, row["pair"], row["kind"], row["center_um"])


def test_order_md_lists_marks_and_no_die_cells(compiled: dict[str, Compiled]) -> None:
    text = (compiled["interdigital"].out / "order.md").read_text(encoding="utf-8")
    assert "none found in the data" not in text
    assert "cathode>collector, fine cross-in-box, aligning window at (" in text
    assert "cathode>collector, fine cross-in-box, reference cross at (" in text
    wafer = (compiled["cmems_posts"].out / "order.md").read_text(encoding="utf-8")
    assert "DIE_V0" not in wafer and "every die carries them" in wafer
