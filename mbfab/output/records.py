"""The shapes of report.json and order.json, as typed dictionaries.

The functions that build the files are annotated with these types, so mypy holds every key
they write to what is declared here; :mod:`mbfab.output.schemas` turns the same types into
the JSON Schemas shipped in ``mbfab/schemas``. Parts that vary by design kind (estimates,
design parameters) or that other stages own (plate sheets, mark rows) are open objects.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import ConfigDict, with_config
from typing_extensions import TypedDict

from mbfab.rules.formats import DrcSummary

__all__ = [
    "CriticalDimension",
    "DeviceRecord",
    "LayerStatsRecord",
    "OrderPlate",
    "OrderSheet",
    "PlateRecord",
    "RecipeRecord",
    "Report",
    "ToneDecision",
    "ToneRecord",
    "WrittenRecord",
]

#: Every record is closed: a key the code writes must be declared here.
_closed = with_config(ConfigDict(extra="forbid"))


@_closed
class LayerStatsRecord(TypedDict):
    polygons: int
    area_um2: float


@_closed
class WrittenRecord(LayerStatsRecord):
    bbox_um: list[list[float]] | None


@_closed
class ToneRecord(TypedDict):
    process: str
    resist_polarity: str
    resist_on_feature: str
    chrome: str
    field: str
    data: str
    inverted_by_mbfab: bool
    statement: str
    outside_data: str | None


@_closed
class PlateRecord(TypedDict):
    """report.json ``plates[]``: one plate as written."""

    layer: str
    gds: list[int]
    file: str
    top_cell: str
    drawn: LayerStatsRecord
    written: WrittenRecord
    field_um: list[list[float]]
    tone: ToneRecord
    reduction: float


@_closed
class RecipeRecord(TypedDict):
    file: str
    sha256: str
    warnings: list[str]


@_closed
class DeviceRecord(TypedDict):
    footprint_um: list[list[float]]
    footprint_area_um2: float
    closed_form: dict[str, float]
    info: dict[str, Any]


@_closed
class Report(TypedDict):
    """report.json (``mbfab-report/1``)."""

    schema: Literal["mbfab-report/1"]
    mbfab_version: str
    name: str
    description: str
    recipe: RecipeRecord
    design: dict[str, Any]
    device: DeviceRecord
    plates: list[PlateRecord]
    estimates: dict[str, Any]
    drc: DrcSummary


@_closed
class CriticalDimension(TypedDict):
    width_um: float
    kind: str
    location_um: list[float]


@_closed
class ToneDecision(TypedDict):
    process: str
    resist_polarity: str
    resist_on_feature: str
    chrome: str
    exposed: str
    inverted_by_mbfab: bool


@_closed
class OrderPlate(TypedDict):
    """order.json ``plates[]``: what the mask shop (or the writer) gets told of one file."""

    layer: str
    file: str
    format: Literal["GDSII", "OASIS"]
    top_cell: str
    gds_layer: list[int]
    target: Literal["mask", "maskless"]
    plate: dict[str, Any] | None
    polygon_tone: str
    field: str
    reading_sense: str
    mirrored_by_mbfab: bool
    mirror_axis_x_um: float | None
    instruction: str
    cd_bias_um: float
    grid_um: float
    max_vertices: int
    critical_dimension: CriticalDimension | None
    alignment_marks: list[dict[str, Any]]
    alignment_marks_note: str
    outside_data: str
    reduction: float
    polygons: int
    area_um2: float
    field_um: list[list[float]]
    field_mm: list[float]
    tone_decision: ToneDecision
    data_prep: list[str]
    warnings: list[str]


@_closed
class OrderSheet(TypedDict):
    """order.json (``mbfab-order/1``)."""

    schema: str
    name: str
    revision: str
    target: str
    plates: list[OrderPlate]
