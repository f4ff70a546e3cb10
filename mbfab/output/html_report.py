"""report.html: one self-contained page (inline CSS and SVG, no scripts) from report.json's data."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import gdstk
from markupsafe import Markup

from mbfab.estimate.run import ratio_label
from mbfab.layout import BBox, Layer
from mbfab.layout.preview import preview
from mbfab.output.platearea import written_view
from mbfab.output.plates import Plate
from mbfab.output.render import render_template
from mbfab.output.svg import ROLE_COLOURS, SvgLayer, svg_picture
from mbfab.recipe import Recipe
from mbfab.rules.formats import DrcReport, DrcResult, region_order

__all__ = ["RULE_COLUMNS", "LayerInfo", "layer_infos", "render_report_html", "rule_rows"]

_GREYS = ("#95a5a6", "#6c7a89", "#bdc3c7", "#7b8a8b")
GLASS, CHROME = "#eef3f7", "#2c3136"
_COVERS = ("electrolyte", "separator", "seal", "passivation")


@dataclass(frozen=True)
class LayerInfo:
    """What the page says about one recipe layer."""

    layer: Layer
    role: str
    material: str
    thickness_um: float
    process: str
    resist: str


def _grow(box: BBox, fraction: float = 0.03) -> BBox:
    (x0, y0), (x1, y1) = box
    m = fraction * max(x1 - x0, y1 - y0)
    return ((x0 - m, y0 - m), (x1 + m, y1 + m))


def _colour(role: str, index: int) -> str:
    return ROLE_COLOURS.get(role, _GREYS[index % len(_GREYS)])


def _stack_svg(device: gdstk.Cell, layers: Sequence[LayerInfo], view: BBox) -> tuple[str, str]:
    shot = preview(device, [info.layer.spec for info in layers])
    # Covering layers (electrolyte, seal, ...) go underneath, faint, so electrodes stay legible.
    order = sorted(enumerate(layers), key=lambda item: item[1].role not in _COVERS)
    drawn = [
        SvgLayer(
            info.layer.name,
            shot.polygons[info.layer.spec],
            _colour(info.role, i),
            0.3 if info.role in _COVERS else 0.85,
        )
        for i, info in order
    ]
    note = ""
    if shot.placements_drawn < shot.placements_total:
        note = (
            f"arrays drawn in part: {shot.placements_drawn} of {shot.placements_total} "
            "placements; dashed outlines show the full arrays"
        )
    svg = svg_picture(drawn, view, outlines=shot.outlines, title="layer stack")
    return svg, note


def _plate_svg(plate: Plate, data_tone: str) -> str:
    shot = preview(plate.cell, [plate.layer.spec])
    polygons = shot.polygons[plate.layer.spec]
    chrome_data = data_tone == "chrome"
    layer = SvgLayer(plate.layer.name, polygons, CHROME if chrome_data else GLASS, 1.0)
    return svg_picture(
        [layer],
        written_view(plate.frame, plate.field) if plate.frame else plate.field,
        background=GLASS if chrome_data else CHROME,
        outlines=shot.outlines,
        width_px=260,
        title=f"plate {plate.layer.name}",
    )


#: Columns of the rule table: heading and the drc.json result key (or a derived one).
RULE_COLUMNS = (
    ("rule", "id"),
    ("severity", "severity"),
    ("kind", "kind"),
    ("layers", "layers"),
    ("required", "required"),
    ("worst", "worst_shown"),
    ("violations", "count"),
    ("result", "status"),
    ("where (um)", "where"),
    ("note", "message"),
)

#: Violation regions listed under a failing rule (the rest are counted in a last row).
MAX_REGIONS = 20


def _amount(value: float | None, unit: str) -> str:
    return "-" if value is None else f"{value:.4g} {unit}".strip()


def _region_rows(result: DrcResult) -> list[dict[str, Any]]:
    """One row per violation region of a rule (worst first): its count, worst value and
    centre -- the markers of one region touch or overlap, so people read a place, not a
    list of edge pairs."""
    regions = sorted(
        result["clusters"],
        key=lambda c: region_order(result["kind"], c["worst"], c["count"], c["id"]),
    )
    rows: list[dict[str, Any]] = []
    for c in regions[:MAX_REGIONS]:
        x0, y0, x1, y1 = c["box_um"]
        rows.append(
            {
                "row_class": "region",
                "id": f"region {c['id']}",
                "count": c["count"],
                "worst_shown": _amount(c["worst"], result["unit"]),
                "where": f"({(x0 + x1) / 2:.3f}, {(y0 + y1) / 2:.3f})",
            }
        )
    if len(regions) > MAX_REGIONS:
        rows.append({"row_class": "region", "id": f"{len(regions) - MAX_REGIONS} more regions"})
    return rows


def rule_rows(drc: DrcReport) -> list[dict[str, Any]]:
    """drc.json's results as table rows, failing rules first (errors, then warnings), each
    failing rule followed by its violation regions."""
    order = {"fail": 0, "warn": 1, "pass": 2}
    groups = []
    for result in drc["results"]:
        failed = result["count"] > 0
        status = ("fail" if result["severity"] == "error" else "warn") if failed else "pass"
        row = dict(result) | {
            "layers": ", ".join(result["layers"]),
            "required": _amount(result["value"], result["unit"]),
            "worst_shown": _amount(result["worst"], result["unit"]),
            "status": status,
            "row_class": status,
            "where": "",
        }
        groups.append((order[status], [row, *(_region_rows(result) if failed else [])]))
    groups.sort(key=lambda group: group[0])
    return [row for _, rows in groups for row in rows]


def layer_infos(recipe: Recipe) -> list[LayerInfo]:
    """The recipe's layers as the page lists them."""
    return [
        LayerInfo(
            Layer(s.gds[0], s.gds[1], s.name), s.role, s.material, s.thickness, s.process, s.resist
        )
        for s in recipe.layers
    ]


def render_report_html(
    report: Mapping[str, Any],
    device: gdstk.Cell,
    recipe: Recipe,
    plates: Sequence[Plate],
    drc: DrcReport | None = None,
) -> str:
    """The whole page. ``report`` is the report.json dictionary, ``drc`` the drc.json one
    (None: the page says there are no rule results)."""
    layers = layer_infos(recipe)
    view = _grow(tuple(map(tuple, device.bounding_box())))  # type: ignore[arg-type]
    stack_svg, stack_note = _stack_svg(device, layers, view)
    entries = {entry["layer"]: entry for entry in report["plates"]}
    plate_cards = [
        {
            "entry": entries[plate.layer.name],
            "svg": Markup(_plate_svg(plate, entries[plate.layer.name]["tone"]["data"])),
        }
        for plate in plates
    ]
    legend = [{"info": info, "colour": _colour(info.role, i)} for i, info in enumerate(layers)]
    return render_template(
        "report.html",
        report=report,
        est=report.get("estimates"),
        stack_svg=Markup(stack_svg),
        stack_note=stack_note,
        legend=legend,
        plates=plate_cards,
        drc=drc,
        rule_rows=rule_rows(drc) if drc is not None else [],
        rule_columns=RULE_COLUMNS,
        ratio_label=ratio_label,
    )
