"""Tone for every process x polarity pair, written out by hand from the physics.

Positive resist dissolves where light falls; chrome blocks light. So chrome goes where the
resist must stay. Lift-off, plating, substrate etch and molds need the resist *open* over the
feature; etch masks and permanent resists need it to *stay* on the feature.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mbfab.compile import compile_recipe
from mbfab.output.tone import decide_tone

from geometry_helpers import klayout_region

# process, polarity -> chrome on, field
TABLE = [
    ("lift-off", "positive", "complement", "dark"),
    ("lift-off", "negative", "feature", "clear"),
    ("plating", "positive", "complement", "dark"),
    ("plating", "negative", "feature", "clear"),
    ("substrate-etch", "positive", "complement", "dark"),
    ("substrate-etch", "negative", "feature", "clear"),
    ("mold", "positive", "complement", "dark"),
    ("mold", "negative", "feature", "clear"),
    ("etch", "positive", "feature", "clear"),
    ("etch", "negative", "complement", "dark"),
    ("permanent", "positive", "feature", "clear"),
    ("permanent", "negative", "complement", "dark"),
]


@pytest.mark.parametrize(("process", "polarity", "chrome", "field"), TABLE)
def test_tone_table(process: str, polarity: str, chrome: str, field: str) -> None:
    tone = decide_tone(process, polarity)  # type: ignore[arg-type]
    assert (tone.chrome, tone.field) == (chrome, field)
    # Default "auto": a needed complement is computed, so the polygons are chrome.
    assert tone.data == "chrome"
    assert tone.inverted == (chrome == "complement")


@pytest.mark.parametrize(("process", "polarity", "chrome", "field"), TABLE)
def test_arrays_keep_their_polygons_and_declare_the_tone(
    process: str, polarity: str, chrome: str, field: str
) -> None:
    tone = decide_tone(process, polarity, "auto", arrayed=True)  # type: ignore[arg-type]
    assert not tone.inverted
    assert tone.data == ("clear" if chrome == "complement" else "chrome")
    assert tone.field == field


def test_declare_and_complement_modes() -> None:
    assert decide_tone("lift-off", "positive", "declare").data == "clear"
    assert decide_tone("lift-off", "positive", "complement", arrayed=True).data == "chrome"
    with pytest.raises(ValueError, match="unknown process"):
        decide_tone("sputter", "positive")


def test_written_plates_hold_chrome_where_the_tone_says(
    minimal_recipe: Path, tmp_path: Path
) -> None:
    """cc: lift-off in negative nLOF -> chrome = feature; cat: lift-off in positive AZ 4562
    -> chrome = plate minus feature: the complement covers the usable area of the default
    5-inch plate (127 mm less a 10 mm border on each side: 107 mm square), centred on the
    field. KLayout reads both and the areas add up."""
    result = compile_recipe(minimal_recipe, tmp_path)
    out = result.output_dir
    combined = out / "tiny.gds"
    cc_drawn, dbu = klayout_region(combined, 1, 0)
    cc_plate, _ = klayout_region(out / "cc.gds", 1, 0)
    assert (cc_plate ^ cc_drawn).is_empty()
    cat_drawn, _ = klayout_region(combined, 2, 0)
    cat_plate, _ = klayout_region(out / "cat.gds", 2, 0)
    (x0, y0), (x1, y1) = result.plates[1].field
    usable_um = (127.0 - 2 * 10.0) * 1000.0
    assert (cat_plate & cat_drawn).is_empty()
    assert (cat_plate.area() + cat_drawn.area()) * dbu**2 == pytest.approx(usable_um**2)
    box = cat_plate.bbox()
    assert (box.width() * dbu, box.height() * dbu) == pytest.approx((usable_um, usable_um))
    assert (box.center().x * dbu, box.center().y * dbu) == pytest.approx(
        ((x0 + x1) / 2, (y0 + y1) / 2), abs=1e-3
    )
    entry = result.report["plates"][1]["tone"]
    assert (entry["resist_polarity"], entry["field"], entry["data"]) == (
        "positive",
        "dark",
        "chrome",
    )
