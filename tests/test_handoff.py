"""Hand-off: order sheet tone, written plates read by KLayout, maskless profile, options."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import gdstk
import klayout.db as kdb
import pytest
import yaml
from shapely.geometry import Point
from shapely.geometry import Polygon as ShapelyPolygon

from mbfab.compile import compile_recipe
from mbfab.errors import OutputError, RecipeError
from mbfab.layout import Layer, rectangle
from mbfab.output.handoff import order_entry, verify_plate
from mbfab.output.plates import Plate, PlateRequest, PrepSettings, make_plate
from mbfab.recipe import PROCESSES, load_recipe

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "recipes" / "interdigital.yaml"
L1 = Layer(1, 0, "one")
#: Processes after which the drawn feature is where the resist was *opened* (seed section 2:
#: the film goes into the openings, the plating/etch happens there, the mold is its negative).
OPENED = {"lift-off", "plating", "substrate-etch", "mold"}


def _recipe(tmp_path: Path, **output: Any) -> Path:
    data = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    data["output"] = {**data["output"], **output}
    path = tmp_path / "r.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


@pytest.mark.parametrize("process", PROCESSES)
@pytest.mark.parametrize("polarity", ["positive", "negative"])
@pytest.mark.parametrize("mode", ["auto", "declare"])
def test_order_tone_puts_chrome_where_the_resist_must_stay(
    process: str, polarity: str, mode: str
) -> None:
    """Check the order sheet and the written polygons against exposure physics."""
    device = gdstk.Cell("DEV")
    device.add(rectangle(0, 0, 10, 10, L1))
    field = ((-50.0, -50.0), (60.0, 60.0))
    plate = make_plate(device, PlateRequest(L1, process, polarity, "P"), field, mode)
    entry = order_entry(load_recipe(EXAMPLE).recipe, plate, "one.gds", "gds")
    # Positive resist dissolves where exposed (light passes where there is no chrome);
    # negative resist stays where exposed.
    resist_open_on_feature = process in OPENED
    exposed_on_feature = (
        resist_open_on_feature if polarity == "positive" else not (resist_open_on_feature)
    )
    chrome_on_feature = not exposed_on_feature
    written = [ShapelyPolygon(p.points) for p in plate.cell.get_polygons()]
    feature_covered = any(p.contains(Point(5, 5)) for p in written)
    field_covered = any(p.contains(Point(-40, -40)) for p in written)
    assert entry["polygon_tone"] in {"data = chrome", "data = clear"}
    data_is_chrome = entry["polygon_tone"] == "data = chrome"
    assert (feature_covered == data_is_chrome) == chrome_on_feature
    assert (field_covered == data_is_chrome) == (not chrome_on_feature)
    assert entry["field"] == ("clear" if chrome_on_feature else "dark")
    if mode == "declare":
        assert not plate.tone.inverted and feature_covered and not field_covered


def _klayout_area_um2(path: Path, spec: tuple[int, int]) -> tuple[float, int]:
    layout = kdb.Layout()
    layout.read(str(path))
    top = layout.top_cells()
    assert len(top) == 1
    index = layout.find_layer(spec[0], spec[1])
    assert index is not None
    region = kdb.Region(top[0].begin_shapes_rec(index))
    return region.area() * layout.dbu**2, layout.cells()


def test_a_bias_that_removes_every_feature_is_a_located_error(tmp_path: Path) -> None:
    """The cathode fingers are 90 um wide: -100 um of bias leaves nothing to write (the plate
    came out blank, dark field all over, with exit 0)."""
    path = _recipe(tmp_path, bias={"cathode": "-100 um"})
    with pytest.raises(RecipeError) as caught:
        compile_recipe(path, tmp_path / "out")
    (line,) = caught.value.lines()
    assert line.startswith(f"{path}:") and ": output.bias.cathode: " in line
    assert "removes every feature" in line
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_a_grid_coarser_than_half_the_critical_dimension_is_a_located_error(
    tmp_path: Path,
) -> None:
    """The example's narrowest feature is the 20 um collector gap: a 100 um grid would snap it
    shut or double it, so it is refused at output.grid; 10 um (half the gap) is accepted."""
    path = _recipe(tmp_path, grid="100 um")
    with pytest.raises(RecipeError) as caught:
        compile_recipe(path, tmp_path / "out")
    (line,) = caught.value.lines()
    assert ": output.grid: grid 100 um is coarser than half the critical dimension" in line
    assert "(20 um space) of layer collector" in line
    assert compile_recipe(_recipe(tmp_path, grid="10 um"), tmp_path / "ok").plates


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"mirror": True, "grid": "5 nm", "bias": {"cathode": "2 um", "collector": "-0.5 um"}},
        {"format": "oasis", "grid": "0.1 um"},
    ],
)
def test_klayout_reads_every_plate_with_our_area(tmp_path: Path, options: dict[str, Any]) -> None:
    result = compile_recipe(_recipe(tmp_path, **options), tmp_path / "out")
    order = json.loads((result.output_dir / "order.json").read_text(encoding="utf-8"))
    assert [e["layer"] for e in order["plates"]] == ["collector", "cathode", "anode", "electrolyte"]
    for entry, plate in zip(order["plates"], result.plates, strict=True):
        area, _ = _klayout_area_um2(result.output_dir / entry["file"], tuple(entry["gds_layer"]))
        assert area == pytest.approx(entry["area_um2"], rel=1e-9, abs=1e-3)
        assert entry["polygon_tone"] == f"data = {plate.tone.data}"
        assert entry["field"] == plate.tone.field
        assert entry["mirrored_by_mbfab"] == bool(options.get("mirror"))
    if options.get("bias"):
        # The cathode comb (drawn) grows by a 2 um CD bias: fingers 90 -> 92 um wide.
        cathode = order["plates"][1]
        assert cathode["cd_bias_um"] == 2.0
        assert cathode["critical_dimension"]["width_um"] == pytest.approx(92.0)
        plain = compile_recipe(_recipe(tmp_path), tmp_path / "plain").plates[1]
        # Dark field, data = chrome = complement: the chrome loses the grown area.
        assert result.plates[1].written.area_um2 < plain.written.area_um2
    text = (result.output_dir / "order.md").read_text(encoding="utf-8")
    assert "right-reading chrome-down" in text
    assert (result.output_dir / "traveler.md").is_file()
    assert (result.output_dir / "traveler.html").is_file()


def test_maskless_profile_files_are_flat_and_writer_safe(tmp_path: Path) -> None:
    result = compile_recipe(EXAMPLE, tmp_path / "out", target="maskless")
    order = json.loads((result.output_dir / "order.json").read_text(encoding="utf-8"))
    assert order["target"] == "maskless"
    for entry in order["plates"]:
        path = result.output_dir / entry["file"]
        area, cells = _klayout_area_um2(path, tuple(entry["gds_layer"]))
        assert cells == 1  # flat
        assert area == pytest.approx(entry["area_um2"], rel=1e-9)
        assert entry["polygon_tone"] == "data = exposed area"
        library = gdstk.read_gds(str(path))
        for poly in library.cells[0].polygons:
            assert ShapelyPolygon(poly.points).is_valid
    # nLOF (negative) lift-off: the writer exposes everything but the collector comb.
    collector = order["plates"][0]
    assert collector["tone_decision"]["exposed"] == "complement"
    assert any("replaced by" in m for m in collector["data_prep"])  # keyhole removed


def test_maskless_read_back_refuses_a_self_intersecting_polygon(tmp_path: Path) -> None:
    cell = gdstk.Cell("BAD")
    cell.add(gdstk.Polygon([(0, 0), (10, 10), (10, 0), (0, 10)], layer=1))
    good = gdstk.Cell("GOOD")
    good.add(rectangle(0, 0, 1, 1, L1))
    plate = make_plate(
        good,
        PlateRequest(L1, "lift-off", "positive", "BAD"),
        ((0, 0), (1, 1)),
        "auto",
        PrepSettings(maskless=True),
    )
    bad = Plate(**{**plate.__dict__, "cell": cell})
    bad.written = type(plate.written)(1, 0.0)  # the two lobes of a bow tie cancel
    path = tmp_path / "bad.gds"
    library = gdstk.Library()
    library.add(cell)
    library.write_gds(str(path))
    with pytest.raises(OutputError, match=r"maskless writer would refuse.*not simple"):
        verify_plate(path, bad)


def test_output_options_are_checked(tmp_path: Path) -> None:
    with pytest.raises(
        RecipeError,
        match=r"output\.bias\.cathod: unknown layer 'cathod' "
        r"\(did you mean 'cathode'\?\)",
    ):
        compile_recipe(_recipe(tmp_path, bias={"cathod": 1}), tmp_path / "out")
    with pytest.raises(RecipeError, match="needs no mirroring"):
        compile_recipe(
            _recipe(tmp_path, mirror=True, reading="right-reading-chrome-up"), tmp_path / "out"
        )
    with pytest.raises(RecipeError, match="whole number of 1 nm"):
        compile_recipe(_recipe(tmp_path, grid="0.5 nm"), tmp_path / "out")
