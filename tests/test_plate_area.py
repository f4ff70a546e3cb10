"""The whole plate, measured on the written files with KLayout: the tone beyond the die's
field, a projection tool's reduction, step-and-repeat, and the settings that contradict."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import gdstk
import klayout.db as kdb
import pytest
import yaml

from mbfab.compile import CompileResult, compile_recipe
from mbfab.errors import RecipeError
from mbfab.layout import Layer

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "recipes" / "interdigital.yaml"
#: Usable side of a 5-inch plate: 127 mm less a 10 mm border on each side.
USABLE_5IN_UM = (127.0 - 2 * 10.0) * 1000.0


def _recipe(tmp_path: Path, source: Path = EXAMPLE, **changes: dict[str, Any]) -> Path:
    data = yaml.safe_load(source.read_text(encoding="utf-8"))
    for block, values in changes.items():
        data[block] = {**(data.get(block) or {}), **values}
    path = tmp_path / f"{source.stem}_changed.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def _order(out: Path) -> dict[str, dict[str, Any]]:
    order = json.loads((out / "order.json").read_text(encoding="utf-8"))
    return {entry["layer"]: entry for entry in order["plates"]}


#: Layouts stay alive while their regions are used (a region may still read its layout).
_LAYOUTS: dict[Path, kdb.Layout] = {}


def _region(path: Path, spec: list[int]) -> tuple[kdb.Region, kdb.Layout]:
    layout = _LAYOUTS.setdefault(path, kdb.Layout())
    if not layout.cells():
        layout.read(str(path))
    index = layout.find_layer(spec[0], spec[1])
    assert index is not None
    return kdb.Region(layout.top_cell().begin_shapes_rec(index)), layout


def _is_chrome(entry: dict[str, Any], out: Path, point_um: tuple[float, float]) -> bool:
    """Read the written plate at a point as a mask shop would: inside the written data the
    polygons are what the polygon tone says; beyond them the stated outside tone (unstated:
    the shop's convention, glass beyond chrome polygons and chrome beyond clear ones)."""
    region, layout = _region(out / entry["file"], entry["gds_layer"])
    x, y = (round(v / layout.dbu) for v in point_um)
    probe = kdb.Region(kdb.Box(x - 1, y - 1, x + 1, y + 1))
    in_polygon = (probe - region).is_empty()
    data_is_chrome = entry["polygon_tone"] == "data = chrome"
    (fx0, fy0), (fx1, fy1) = entry["field_um"]
    (ex0, ey0), (ex1, ey1) = (fx0, fy0), (fx1, fy1)
    extent_mm = (entry["plate"] or {}).get("data_extent_mm")
    if extent_mm:
        cx, cy = (fx0 + fx1) / 2, (fy0 + fy1) / 2
        hx, hy = extent_mm[0] * 500.0, extent_mm[1] * 500.0
        (ex0, ey0), (ex1, ey1) = (cx - hx, cy - hy), (cx + hx, cy + hy)
    if not (ex0 <= point_um[0] <= ex1 and ey0 <= point_um[1] <= ey1):
        outside = entry.get("outside_data", "clear" if data_is_chrome else "chrome")
        return bool(outside == "chrome")
    return in_polygon == data_is_chrome


def test_dark_field_plates_are_chrome_beyond_the_die_field(
    compiled_examples: dict[str, CompileResult],
) -> None:
    """On every example plate a point 5 mm and one 40 mm beyond the die's field reads chrome
    on a dark-field plate and glass on a clear-field one (a 4-inch wafer reaches 50 mm from
    the centre: all of it must be dark under a dark-field plate)."""
    checked, wrong, unstated = 0, [], []
    for name, result in compiled_examples.items():
        if result.recipe.recipe.wafer is not None:
            continue  # the field is the wafer itself
        for entry in _order(result.output_dir).values():
            (_, fy0), (fx1, fy1) = entry["field_um"]
            cy = (fy0 + fy1) / 2
            for beyond in (5_000.0, 40_000.0):
                chrome = _is_chrome(entry, result.output_dir, (fx1 + beyond, cy))
                if chrome != (entry["field"] == "dark"):
                    wrong.append((name, entry["layer"], entry["field"], beyond))
            if entry.get("outside_data") != ("chrome" if entry["field"] == "dark" else "clear"):
                unstated.append((name, entry["layer"]))
            checked += 1
    assert not wrong, f"plates of the wrong tone beyond the field: {wrong}"
    assert not unstated, f"tone beyond the data not stated: {unstated}"
    assert checked >= 20
    text = (compiled_examples["interdigital"].output_dir / "order.md").read_text("utf-8")
    assert "Outside the data (107.0 x 107.0 mm written): **chrome to the plate edge" in text


def test_the_complement_fills_the_usable_plate(
    compiled_examples: dict[str, CompileResult],
) -> None:
    """The dokko cathode (positive-resist lift-off: dark field, complement computed): chrome
    plus the drawn cathode make up exactly the 107 mm usable square of a 5-inch plate."""
    out = compiled_examples["interdigital"].output_dir
    entry = _order(out)["cathode"]
    plate, layout = _region(out / entry["file"], entry["gds_layer"])
    drawn, _ = _region(out / "dokko_lmo_lto.gds", entry["gds_layer"])
    dbu2 = layout.dbu**2
    assert (plate & drawn).is_empty()
    assert (plate.area() + drawn.area()) * dbu2 == pytest.approx(USABLE_5IN_UM**2)


def _projection(tmp_path: Path, **output: Any) -> CompileResult:
    tool = {"kind": "projection", "name": "i-line stepper", "reduction": 5, "na": 0.5}
    path = _recipe(tmp_path, tool=tool, output={"plate_size": "6in", **output})
    return compile_recipe(path, tmp_path / "out")


def test_projection_plates_are_five_times_the_drawn_size(tmp_path: Path) -> None:
    """A 5x stepper: every written plate is the drawn layer scaled 5x (bounding box 5x, area
    25x on the clear-field collector), the CD is 5x, and the order says 5x reticle."""
    result = _projection(tmp_path)
    out = result.output_dir
    orders = _order(out)
    collector = orders["collector"]
    plate, _ = _region(out / collector["file"], collector["gds_layer"])
    drawn, _ = _region(out / "dokko_lmo_lto.gds", collector["gds_layer"])
    assert plate.area() == pytest.approx(25 * drawn.area(), rel=1e-9)
    assert (plate ^ drawn.transformed(kdb.ICplxTrans(5.0, 0, False, 0, 0))).is_empty()
    box, drawn_box = plate.bbox(), drawn.bbox()
    assert (box.width(), box.height()) == (5 * drawn_box.width(), 5 * drawn_box.height())
    plain = _order(compile_recipe(EXAMPLE, tmp_path / "plain").output_dir)
    for name, entry in orders.items():
        assert entry["plate"]["kind"] == "5x reticle" and entry["reduction"] == 5
        cd, cd_plain = entry["critical_dimension"], plain[name]["critical_dimension"]
        assert cd["width_um"] == pytest.approx(5 * cd_plain["width_um"])
        marks = sorted(m["center_um"] for m in entry["alignment_marks"])
        plain_marks = sorted(m["center_um"] for m in plain[name]["alignment_marks"])
        assert marks == [[5 * x, 5 * y] for x, y in plain_marks]
    text = (out / "order.md").read_text(encoding="utf-8")
    assert "**5x reticle**" in text and "Reduction: **5x**" in text


def test_a_mirrored_reticle_read_back_to_the_wafer_is_the_drawn_layer(tmp_path: Path) -> None:
    """Mirrored by mbfab and scaled 5x: the dark-field cathode reticle, read back through
    mbfab's PlateFrame (x -> 2a - x, then / 5), is chrome exactly off the drawn cathode;
    KLayout reads the written file and transforms it back by itself to agree."""
    result = _projection(tmp_path, mirror=True)
    out = result.output_dir
    entry = _order(out)["cathode"]
    plate = next(p for p in result.plates if p.layer.name == "cathode")
    assert plate.frame is not None and entry["mirror_axis_x_um"] == plate.frame.mirror_axis_x
    drawn, layout = _region(out / "dokko_lmo_lto.gds", entry["gds_layer"])
    written, _ = _region(out / entry["file"], entry["gds_layer"])
    dbu = layout.dbu
    axis = round(entry["mirror_axis_x_um"] / dbu)
    # KLayout: back to the wafer (1/5, then x -> 2a - x: mirror y and turn 180 degrees).
    back = kdb.DCplxTrans(1.0, 180, True, 2 * axis, 0) * kdb.DCplxTrans(0.2, 0, False, 0, 0)
    on_wafer = written.transformed(back.to_itrans(1.0))
    (fx0, fy0), (fx1, fy1) = plate.field
    view = kdb.Region(kdb.Box(*(round(v / dbu) for v in (fx0, fy0, fx1, fy1))))
    assert ((on_wafer & view) ^ (view - drawn)).is_empty()
    # mbfab's reading of the same written file.
    from mbfab.layout.plateframe import chrome_region

    library = gdstk.read_gds(str(out / entry["file"]))
    polygons = library.top_level()[0].get_polygons()
    chrome = chrome_region(polygons, plate.frame, plate.field, Layer(9, 0, "chrome"))
    ours = kdb.Region()
    for poly in chrome:
        points = [kdb.Point(round(x / dbu), round(y / dbu)) for x, y in poly.points]
        ours.insert(kdb.Polygon(points))
    assert (ours ^ (view - drawn)).is_empty()


def test_arrays_stay_arrays_on_a_reticle(tmp_path: Path) -> None:
    """The Si-post array on a 5x reticle: still placed through references or repetitions, its
    area 25x the drawn one."""
    source = ROOT / "recipes" / "si_posts_dunn.yaml"
    tool = {"kind": "projection", "reduction": 5, "na": 0.5}
    result = compile_recipe(_recipe(tmp_path, source, tool=tool), tmp_path / "out")
    entry = _order(result.output_dir)["posts"]
    plate, _ = _region(result.output_dir / entry["file"], entry["gds_layer"])
    drawn, _ = _region(result.output_dir / "si_posts_dunn.gds", entry["gds_layer"])
    assert plate.area() == pytest.approx(25 * drawn.area(), rel=1e-9)
    library = gdstk.read_gds(str(result.output_dir / entry["file"]))
    top = library.top_level()[0]
    repeated = sum(
        r.repetition.size for c in [top, *top.dependencies(True)] for r in c.references
    ) + sum(p.repetition.size for c in [top, *top.dependencies(True)] for p in c.polygons)
    assert repeated > 1000


@pytest.mark.parametrize(
    "repetition",
    [
        gdstk.Repetition(3, 2, spacing=(10, 20)),
        gdstk.Repetition(3, 2, v1=(10, 1), v2=(-1, 20)),
        gdstk.Repetition(offsets=[(0, 0), (15, 5), (40, -3)]),
        gdstk.Repetition(x_offsets=[0, 12, 30]),
        gdstk.Repetition(y_offsets=[0, 12, 30]),
    ],
)
def test_scaling_keeps_every_kind_of_array(repetition: gdstk.Repetition) -> None:
    """A polygon array and a reference array, scaled 4x: still repetitions of the same kind,
    and each flattened placement is the original one times 4 (gdstk flattens both)."""
    from mbfab.layout.plateframe import scaled

    unit = gdstk.Cell("UNIT")
    unit.add(gdstk.rectangle((0, 0), (2, 3)))
    top = gdstk.Cell("TOP")
    dots = gdstk.rectangle((100, 100), (101, 101))
    dots.repetition = repetition
    ref = gdstk.Reference(unit, (-50, 7))
    ref.repetition = repetition
    top.add(dots, ref)
    big = scaled(top, 4.0)
    assert big.name == "TOP" and top.polygons[0].points[0].tolist() == [100, 100]

    def corners(cell: gdstk.Cell) -> list[list[float]]:
        return sorted([*map(float, p.bounding_box()[0])] for p in cell.get_polygons())

    assert corners(big) == [[4 * x, 4 * y] for x, y in corners(top)]
    assert big.polygons[0].repetition.size == repetition.size
    assert big.references[0].repetition.size == repetition.size


def test_step_and_repeat_places_the_die_as_one_array(tmp_path: Path) -> None:
    """3 x 2 dies at the default pitch (the die's field): the clear-field collector plate
    holds 6x the drawn chrome through one arrayed reference; on the dark-field cathode plate
    chrome and the six cathodes make up the usable square exactly."""
    path = _recipe(tmp_path, output={"repeat": {"count": [3, 2]}})
    out = compile_recipe(path, tmp_path / "out").output_dir
    orders = _order(out)
    collector = orders["collector"]
    plate, layout = _region(out / collector["file"], collector["gds_layer"])
    drawn, _ = _region(out / "dokko_lmo_lto.gds", collector["gds_layer"])
    assert plate.area() == pytest.approx(6 * drawn.area(), rel=1e-9)
    top = layout.top_cell()
    arrays = [inst for inst in top.each_inst() if inst.is_regular_array()]
    assert len(arrays) == 1 and (arrays[0].na, arrays[0].nb) in {(3, 2), (2, 3)}
    (fx0, fy0), (fx1, fy1) = collector["field_um"]
    assert collector["plate"]["repeat"]["pitch_on_wafer_um"] == [fx1 - fx0, fy1 - fy0]
    cathode = orders["cathode"]
    chrome, layout = _region(out / cathode["file"], cathode["gds_layer"])
    cathodes, _ = _region(out / "dokko_lmo_lto.gds", cathode["gds_layer"])
    assert (chrome.area() + 6 * cathodes.area()) * layout.dbu**2 == pytest.approx(USABLE_5IN_UM**2)
    # Between the dies and beyond the array the plate is dark.
    assert _is_chrome(cathode, out, (fx1 + 3 * (fx1 - fx0), (fy0 + fy1) / 2))
    text = (out / "order.md").read_text(encoding="utf-8")
    assert "Step-and-repeat: 3 x 2 dies (6)" in text


def test_step_and_repeat_fills_the_plate_by_default(tmp_path: Path) -> None:
    path = _recipe(tmp_path, output={"repeat": {"pitch": ["10 mm", "8 mm"]}})
    out = compile_recipe(path, tmp_path / "out").output_dir
    repeat = _order(out)["collector"]["plate"]["repeat"]
    # 107 mm usable: floor(107 / 10) = 10 columns, floor(107 / 8) = 13 rows.
    assert repeat["count"] == [10, 13] and repeat["dies"] == 130


@pytest.mark.parametrize(
    ("changes", "key", "message"),
    [
        ({"tool": {"reduction": 5}}, "tool.reduction", "needs a projection tool"),
        ({"output": {"repeat": {"pitch": ["1 mm", "1 mm"]}}}, "output.repeat.pitch", "overlap"),
        ({"output": {"repeat": {"count": [40, 1]}}}, "output.repeat.count", "do not fit"),
        (
            {"output": {"repeat": {}}, "wafer": {"diameter": "100 mm"}},
            "output.repeat",
            "wafer map already steps",
        ),
    ],
)
def test_plate_settings_that_cannot_be_made_are_located_errors(
    tmp_path: Path, changes: dict[str, dict[str, Any]], key: str, message: str
) -> None:
    path = _recipe(tmp_path, **changes)
    with pytest.raises(RecipeError) as caught:
        compile_recipe(path, tmp_path / "out")
    (line,) = caught.value.lines()
    assert line.startswith(f"{path}:") and f": {key}: " in line and message in line
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())
