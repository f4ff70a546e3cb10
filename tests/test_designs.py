"""Every design kind: builds with defaults, closed forms, enclosures, nets apart, golden hash."""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path

import gdstk
import klayout.db as kdb
import numpy as np
import pytest
import shapely
from click.testing import CliRunner

from mbfab.cli import main
from mbfab.designs import DESIGNS, Device, RoleLayers
from mbfab.layout import Layer, layer_stats, write_gds
from mbfab.recipe.design_params import (
    HolesParams,
    InterdigitalParams,
    PillarsParams,
    StackedParams,
    SwissRollParams,
    TrenchesParams,
)
from mbfab.recipe.schema import ROLES

GOLDEN = Path(__file__).parent / "data" / "golden_designs.json"
LAYERS = {role: Layer(index + 1, 0, role) for index, role in enumerate(ROLES)}
ROLE_LAYERS = RoleLayers({role: [layer] for role, layer in LAYERS.items()})
#: The default of every kind, plus the options that add geometry.
CASES = {
    "interdigital": InterdigitalParams(),
    "interdigital-posts": InterdigitalParams.model_validate({"posts": {}}),
    "stacked": StackedParams(),
    "stacked-circle": StackedParams(shape="circle"),
    "pillars": PillarsParams(),
    "holes": HolesParams(),
    "trenches": TrenchesParams(),
    "swiss-roll": SwissRollParams(),
    "swiss-roll-twin": SwissRollParams(twin=True),
}


def build(name: str) -> Device:
    params = CASES[name]
    return DESIGNS[params.kind].build(params, ROLE_LAYERS)  # type: ignore[attr-defined]


def shapes(device: Device, role: str) -> shapely.Geometry:
    """Union of one role's polygons, flattened, as shapely geometry."""
    spec = LAYERS[role].spec
    polys = device.cell.get_polygons(layer=spec[0], datatype=spec[1])
    return shapely.unary_union([shapely.Polygon(p.points) for p in polys])


def region(device: Device, role: str) -> kdb.Region:
    """The same layer as a KLayout region (1 nm database unit), read from a written GDS."""
    spec = LAYERS[role].spec
    out = kdb.Region()
    for poly in device.cell.get_polygons(layer=spec[0], datatype=spec[1]):
        pts = [kdb.Point(round(x * 1000), round(y * 1000)) for x, y in poly.points]
        out.insert(kdb.Polygon(pts))
    return out.merged()


def geometry_hash(device: Device) -> dict[str, str]:
    """Per layer: merged polygons on the 1 nm grid, each from its lowest vertex, sorted."""
    result = {}
    for role, layer in sorted(device.layers.items()):
        polys = device.cell.get_polygons(layer=layer.layer, datatype=layer.datatype)
        merged = gdstk.boolean(polys, [], "or", precision=1e-3)
        keys = []
        for poly in merged:
            pts = np.round(poly.points * 1000).astype(np.int64)
            if poly.area() < 0:
                pts = pts[::-1]
            start = min(range(len(pts)), key=lambda i: (pts[i][0], pts[i][1]))
            keys.append(np.roll(pts, -start, axis=0).tobytes())
        digest = hashlib.sha256(b"".join(sorted(keys))).hexdigest()[:16]
        result[role] = digest
    return result


@pytest.mark.parametrize("name", sorted(CASES))
def test_golden_geometry(name: str, tmp_path: Path) -> None:
    device = build(name)
    golden = json.loads(GOLDEN.read_text())
    got = geometry_hash(device)
    if got != golden.get(name):
        debug = tmp_path / f"{name}_xor.gds"
        write_xor(device, GOLDEN.parent / "golden" / f"{name}.gds", debug)
        pytest.fail(f"{name}: geometry changed {got} != {golden.get(name)}; XOR in {debug}")


def write_xor(device: Device, reference: Path, debug: Path) -> None:
    """Per layer XOR of the device against the stored golden layout, for a look in KLayout."""
    old = gdstk.read_gds(str(reference)).top_level()[0] if reference.exists() else gdstk.Cell("E")
    xor = gdstk.Cell("XOR")
    for layer in device.layers.values():
        ours = device.cell.get_polygons(layer=layer.layer, datatype=layer.datatype)
        theirs = old.get_polygons(layer=layer.layer, datatype=layer.datatype)
        xor.add(*gdstk.boolean(ours, theirs, "xor", precision=1e-3, layer=layer.layer))
    write_gds(xor, debug)


def test_every_kind_is_listed_by_the_cli() -> None:
    result = CliRunner().invoke(main, ["designs"])
    assert result.exit_code == 0
    for kind in ("interdigital", "stacked", "pillars", "holes", "trenches", "swiss-roll"):
        assert f"{kind}:" in result.output
    assert "rolled_length" in result.output and "2 mm" in result.output


def test_stacked_enclosures_and_areas() -> None:
    device = build("stacked")
    p = CASES["stacked"]
    assert isinstance(p, StackedParams)
    cathode, electrolyte = shapes(device, "cathode"), shapes(device, "electrolyte")
    anode = shapes(device, "anode")
    assert math.isclose(cathode.area, 1000 * 1000)  # 1 mm x 1 mm default
    # shapely: the electrolyte holds the cathode grown by its enclosure (mitred corners).
    grown = cathode.buffer(p.electrolyte_enclosure - 1e-3, join_style="mitre")
    assert electrolyte.contains(grown)
    assert not electrolyte.contains(cathode.buffer(p.electrolyte_enclosure + 1, join_style="mitre"))
    assert electrolyte.contains(anode.buffer(p.anode_inset - 1e-3, join_style="mitre"))
    assert anode.contains(cathode)  # the anode covers the whole cathode: active = cathode
    # KLayout agrees on the same enclosure (sized by the enclosure minus one database unit).
    e = round(p.electrolyte_enclosure * 1000) - 1
    assert (region(device, "cathode").sized(e) - region(device, "electrolyte")).is_empty()
    assert not (
        region(device, "cathode").sized(e + 1001) - region(device, "electrolyte")
    ).is_empty()


@pytest.mark.parametrize("name", ["stacked", "stacked-circle"])
def test_stacked_collectors_never_overlap(name: str) -> None:
    device = build(name)
    cc, ac = shapes(device, "cathode-collector"), shapes(device, "anode-collector")
    p = CASES[name]
    assert isinstance(p, StackedParams)
    assert cc.distance(ac) >= p.collector_gap - 1e-3
    assert (region(device, "cathode-collector") & region(device, "anode-collector")).is_empty()
    # Each collector ends in one pad, on opposite sides of the cell.
    assert cc.bounds[0] < shapes(device, "cathode").bounds[0]
    assert ac.bounds[2] > shapes(device, "electrolyte").bounds[2]


def test_interdigital_posts_only_inside_fingers() -> None:
    device = build("interdigital-posts")
    p = CASES["interdigital-posts"]
    assert isinstance(p, InterdigitalParams) and p.posts is not None
    posts = shapes(device, "etch-mask")
    electrodes = shapes(device, "cathode").union(shapes(device, "anode"))
    assert electrodes.buffer(-p.posts.clearance + 1e-3).contains(posts)
    assert (
        device.closed_form["post_count"]
        == layer_stats(device.cell, LAYERS["etch-mask"].spec).polygons
    )
    # Arrays, not copies: the device cell holds references, the unit cell one polygon.
    post_refs = [r for r in device.cell.references if r.cell.name.startswith("POST")]
    assert post_refs and len(post_refs[0].cell.polygons) == 1
    assert len(post_refs) <= 2 * p.fingers * 2  # a few arrayed references per finger at most


def test_interdigital_nets_do_not_touch() -> None:
    device = build("interdigital")
    cathode, anode = shapes(device, "cathode"), shapes(device, "anode")
    p = CASES["interdigital"]
    assert isinstance(p, InterdigitalParams)
    assert cathode.distance(anode) >= p.gap + 2 * p.inset - 1e-3


@pytest.mark.parametrize("name", ["pillars", "holes"])
def test_lattice_closed_form_matches_drawing(name: str) -> None:
    device = build(name)
    stats = layer_stats(device.cell, LAYERS["etch-mask"].spec)
    cf = device.closed_form
    assert stats.polygons == cf["feature_count"]
    assert math.isclose(stats.area_um2, cf["features_area_um2"], rel_tol=1e-9)
    # Default: 5 um circles, hex pitch 10 um in 500 x 500 um. Near the hex packing density
    # pi d^2 / (4 * sqrt(3)/2 p^2) = 0.2267 of the region, less the rim of dropped features.
    density = stats.area_um2 / 250_000
    assert 0.2 < density < math.pi * 25 / (4 * math.sqrt(3) / 2 * 100)
    assert cf["mask_on_features"] == (1.0 if name == "pillars" else 0.0)


def test_trench_closed_form() -> None:
    device = build("trenches")
    # Default: 5 um trenches at 10 um pitch in 500 x 500 um: (500-5)//10+1 = 50 lines.
    assert device.closed_form["trench_count"] == 50
    assert math.isclose(device.closed_form["trench_area_um2"], 50 * 5 * 500)
    assert math.isclose(device.closed_form["sidewall_area_um2"], 2 * 50 * 500 * 50)


@pytest.mark.parametrize("name", ["swiss-roll", "swiss-roll-twin"])
def test_swiss_roll_stack_enclosures(name: str) -> None:
    device = build(name)
    p = CASES[name]
    assert isinstance(p, SwissRollParams)
    sacrificial, swelling = shapes(device, "sacrificial"), shapes(device, "swelling")
    stiff, separator = shapes(device, "stiff"), shapes(device, "separator")
    cathode, anode = shapes(device, "cathode"), shapes(device, "anode")
    assert swelling.contains(stiff.buffer(p.stiff_inset - 1e-3, join_style="mitre"))
    released = swelling.intersection(sacrificial)
    # The anchor stays on the substrate: part of the swelling layer has no sacrificial below.
    anchor = swelling.difference(sacrificial)
    assert math.isclose(anchor.area, device.closed_form["roll_count"] * p.anchor_length * p.width)
    assert math.isclose(released.area, device.closed_form["roll_count"] * p.rolled_length * p.width)
    assert cathode.distance(anode) > 0
    for electrode in (cathode, anode):
        assert stiff.contains(electrode)
        assert math.isclose(electrode.area, device.closed_form["electrode_area_um2"])
    if not p.twin:
        electrodes = cathode.union(anode)
        assert separator.contains(
            electrodes.buffer(p.separator_enclosure - 1e-3, join_style="mitre")
        )
        # Sacrificial: from the anchor edge to release_margin beyond the free end and sides.
        a, length, m, w = p.anchor_length, p.rolled_length, p.release_margin, p.width
        assert sacrificial.bounds == (a, -m, a + length + m, w + m)
    collectors = shapes(device, "collector")
    assert len(getattr(collectors, "geoms", [collectors])) == 2  # two separate nets


def test_xor_debug_layout_shows_only_changes(tmp_path: Path) -> None:
    golden = GOLDEN.parent / "golden"
    write_xor(build("stacked"), golden / "stacked.gds", tmp_path / "same.gds")
    assert not gdstk.read_gds(str(tmp_path / "same.gds")).cells[0].polygons
    write_xor(build("stacked-circle"), golden / "stacked.gds", tmp_path / "diff.gds")
    assert gdstk.read_gds(str(tmp_path / "diff.gds")).cells[0].polygons
