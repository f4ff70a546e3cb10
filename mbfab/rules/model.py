"""Rules, layers, findings: plain data the engine, the deck loader and the reports share."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

__all__ = [
    "GEOMETRIC_KINDS",
    "KIND_UNITS",
    "METRICS",
    "METRIC_KINDS",
    "Cluster",
    "Finding",
    "LayerRef",
    "Marker",
    "Metric",
    "Rule",
    "Severity",
]

Severity = Literal["error", "warning"]
#: How edge-pair rules measure distance, as KLayout's ``metrics`` (``db.Metrics``):
#: ``euclidian`` (KLayout's default) -- to the nearest point of the other edge;
#: ``projection`` -- perpendicular, only where the two edges face each other (a faceted
#: round post is measured across its diameter); ``square`` -- a box around each edge.
Metric = Literal["euclidian", "square", "projection"]
METRICS: tuple[Metric, ...] = ("euclidian", "square", "projection")
#: Rule kinds that measure edge pairs, so take a metric.
METRIC_KINDS = ("width", "space", "separation", "enclosure")

#: Unit of each rule kind's value (lengths in um inside; areas um2; angles deg).
KIND_UNITS: dict[str, str] = {
    "width": "um",
    "space": "um",
    "separation": "um",
    "enclosure": "um",
    "overlap": "",
    "area": "um2",
    "hole": "um2",
    "angle": "deg",
    "grid": "um",
    "vertices": "",
    "valid": "",
}
#: Kinds the geometric engine runs on any layout; how many layers each takes.
GEOMETRIC_KINDS: dict[str, int] = {
    "width": 1,
    "space": 1,
    "separation": 2,
    "enclosure": 2,
    "overlap": 2,
    "area": 1,
    "hole": 1,
    "angle": 1,
    "grid": 1,
    "vertices": 1,
    "valid": 1,
}


@dataclass(frozen=True, order=True)
class LayerRef:
    """A layer as a rule names it: a name and its GDS (layer, datatype)."""

    name: str
    layer: int
    datatype: int

    @property
    def spec(self) -> tuple[int, int]:
        return (self.layer, self.datatype)

    def __str__(self) -> str:
        if self.name == f"{self.layer}/{self.datatype}":
            return self.name
        return f"{self.name} ({self.layer}/{self.datatype})"


@dataclass(frozen=True)
class Rule:
    """One rule with a stable ID; ``value`` is in :data:`KIND_UNITS` of its kind.

    ``metric`` applies to :data:`METRIC_KINDS` only (others ignore it).
    """

    id: str
    kind: str
    layers: tuple[LayerRef, ...]
    value: float | None
    description: str
    source: str = ""
    severity: Severity = "error"
    metric: Metric = "euclidian"

    @property
    def unit(self) -> str:
        return KIND_UNITS.get(self.kind, "")

    @property
    def layer_names(self) -> str:
        return ", ".join(layer.name for layer in self.layers)


MarkerShape = Literal["edge-pair", "polygon"]


@dataclass(frozen=True)
class Marker:
    """Where a violation is, in um: an edge pair (``points`` = first edge's two ends, then the
    second edge's) or a polygon; the measured value is in the rule's unit; ``cluster`` the
    id of the violation region it belongs to (0: not placed in one)."""

    points: tuple[tuple[float, float], ...]
    measured: float | None = None
    shape: MarkerShape = "polygon"
    cluster: int = 0

    @property
    def location(self) -> tuple[float, float]:
        xs = [p[0] for p in self.points]
        ys = [p[1] for p in self.points]
        return ((min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2)


@dataclass(frozen=True)
class Cluster:
    """A violation region: violations of one rule whose markers touch or overlap -- its id
    (from 1), how many violations it holds, the worst measured value among them and its
    bounding box ``(x0, y0, x1, y1)`` in um."""

    id: int
    count: int
    worst: float | None
    box_um: tuple[float, float, float, float]

    @property
    def location(self) -> tuple[float, float]:
        x0, y0, x1, y1 = self.box_um
        return ((x0 + x1) / 2, (y0 + y1) / 2)


@dataclass
class Finding:
    """A rule's result: how many violations, the worst measured value, some markers and the
    regions they form (covering ``clustered`` of the violations)."""

    rule: Rule
    count: int = 0
    worst: float | None = None
    markers: list[Marker] = field(default_factory=list)
    message: str = ""
    seconds: float = 0.0
    clusters: list[Cluster] = field(default_factory=list)
    clustered: int = 0

    @property
    def failed(self) -> bool:
        return self.count > 0
