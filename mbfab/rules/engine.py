"""Run geometric rules on a layout (a file or a cell): the runner of the rule checker."""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from mbfab.layout import DBU_UM, layers_in, read_layout, top_cell
from mbfab.layout.placements import layer_placements, read_flat_polygons
from mbfab.rules.clusters import CLUSTER_LIMIT, place, place_markers
from mbfab.rules.index import Shapes, from_flat, from_placements, merged_shapes, oriented
from mbfab.rules.model import Finding, Marker, Rule
from mbfab.rules.polychecks import measure, off_grid
from mbfab.rules.regionchecks import outside_parts, overlap_finding, strange_finding
from mbfab.rules.relations import Group, edge_rule_groups
from mbfab.rules.tiling import Plain, Tiled, tile_layer

Places = Plain | Tiled

if TYPE_CHECKING:  # the layout core owns gdstk; rules only pass its cells along
    import gdstk

__all__ = ["LayoutData", "check_layout", "run_rule"]

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]


class LayoutData:
    """One layout's layers as :class:`Shapes`, raw and merged, computed on demand."""

    def __init__(self, *, path: Path | str | None = None, cell: gdstk.Cell | None = None) -> None:
        self._flat = None
        self._cell = cell
        if path is not None:
            if Path(path).suffix.lower() in {".gds", ".gds2", ".gdsii"} and Path(path).is_file():
                self._flat = read_flat_polygons(path)  # None when not plain/flat/regular
            if self._flat is None:
                self._cell = top_cell(read_layout(path))  # clear errors on bad files
        self._raw: dict[tuple[int, int], Shapes] = {}
        self._merged: dict[tuple[int, int], Shapes] = {}
        self._tiled: dict[tuple[tuple[int, int], float], Tiled | None] = {}

    def specs(self) -> list[tuple[int, int]]:
        """Every (layer, datatype) holding polygons, sorted."""
        if self._flat is not None:
            return self._flat.specs()
        assert self._cell is not None
        return sorted(layers_in(self._cell))

    def raw(self, spec: tuple[int, int]) -> Shapes:
        """Polygons as drawn (not oriented, not merged), folded into unique shapes."""
        if spec not in self._raw:
            if self._flat is not None:
                self._raw[spec] = from_flat(self._flat.blocks(spec), oriented=False)
            else:
                assert self._cell is not None
                placed = layer_placements(self._cell, spec)
                self._raw[spec] = from_placements(
                    [p.shape for p in placed], [p.offsets for p in placed], oriented=False
                )
        return self._raw[spec]

    def tiled(self, spec: tuple[int, int], reach_dbu: float) -> Tiled | None:
        """Arrays of ``spec`` compacted for a width/space check at ``reach_dbu`` (None: the
        layer has no array worth it; use :meth:`merged`)."""
        if self._cell is None:
            return None
        key = (spec, reach_dbu)
        if key not in self._tiled:
            placed = layer_placements(self._cell, spec, keep_arrays=True)
            self._tiled[key] = tile_layer(placed, reach_dbu)
        return self._tiled[key]

    def merged(self, spec: tuple[int, int]) -> Shapes:
        """KLayout's merged semantics, oriented hull clockwise / holes counter-clockwise."""
        if spec not in self._merged:
            self._merged[spec] = merged_shapes(oriented(self.raw(spec), compress_points=False))
        return self._merged[spec]


def _dbu(value_um: float) -> float:
    return round(value_um / DBU_UM)


def _um(points: F64) -> tuple[tuple[float, float], ...]:
    return tuple((round(float(x) * DBU_UM, 6), round(float(y) * DBU_UM, 6)) for x, y in points)


def _pair_distance(pairs: F64) -> F64:
    """Smallest distance between the two edges of each pair (dbu)."""
    a0, a1, b0, b1 = pairs[:, 0], pairs[:, 1], pairs[:, 2], pairs[:, 3]

    def point_seg(p: F64, s0: F64, s1: F64) -> F64:
        d = s1 - s0
        dd = np.maximum((d * d).sum(axis=1), 1e-30)
        t = np.clip(((p - s0) * d).sum(axis=1) / dd, 0.0, 1.0)
        return np.hypot(*(s0 + d * t[:, None] - p).T)

    return np.minimum.reduce(
        [point_seg(a0, b0, b1), point_seg(a1, b0, b1), point_seg(b0, a0, a1), point_seg(b1, a0, a1)]
    )


def _edge_finding(rule: Rule, groups: list[Group], places: Places, max_markers: int) -> Finding:
    """Count each group's pairs at every placement its anchors stand for; place them (up to
    :data:`CLUSTER_LIMIT`, or ``max_markers`` if more) in violation regions; mark the first
    ``max_markers``."""
    finding = Finding(rule)
    quads: list[I64] = []
    values: list[float | None] = []
    limit = max(max_markers, CLUSTER_LIMIT)
    for pairs, anchors in groups:
        times = places.count(anchors)
        if times == 0:
            continue
        finding.count += len(pairs) * times
        dist = _pair_distance(pairs) * DBU_UM
        worst = float(dist.min())
        finding.worst = worst if finding.worst is None else min(finding.worst, worst)
        room = max(0, limit - len(quads))
        for offset in places.offsets(anchors, -(-room // max(1, len(pairs)))):
            for pair, value in zip(pairs, dist, strict=True):
                if len(quads) >= limit:
                    break
                quads.append(np.rint(pair[[0, 1, 2, 3]] + offset).astype(np.int64))
                values.append(round(float(value), 6))
    place(finding, quads, values, "edge-pair", max_markers)
    return finding


def _shape_finding(
    rule: Rule, sh: Shapes, bad: dict[int, tuple[float | None, int]], max_markers: int
) -> Finding:
    """Violations of each failing prototype at each of its instances (marker: the polygon).

    For the grid rule the count is already per instance.
    """
    finding = Finding(rule)
    for k, (measured, n) in sorted(bad.items()):
        offsets = sh.offset[sh.proto == k]
        finding.count += n if rule.kind == "grid" else n * len(offsets)
        if measured is not None:
            finding.worst = (
                measured if finding.worst is None else _worse(rule, finding.worst, measured)
            )
        for offset in offsets[: max(0, max_markers - len(finding.markers))]:
            finding.markers.append(
                Marker(_um((sh.protos[k][0] + offset).astype(np.float64)), measured)
            )
    return finding


def _worse(rule: Rule, a: float, b: float) -> float:
    return max(a, b) if rule.kind == "vertices" else min(a, b)


def run_rule(data: LayoutData, rule: Rule, max_markers: int = 1000) -> Finding:
    """Run one geometric rule on ``data``.

    Nothing here is expected to raise (integer geometry throughout); should a bug still
    surface, the exception names the rule it happened in (shown on the internal-error line).
    """
    try:
        return _run_rule(data, rule, max_markers)
    except Exception as exc:
        exc.add_note(f"rule {rule.id}")
        raise


def _run_rule(data: LayoutData, rule: Rule, max_markers: int) -> Finding:
    started = time.perf_counter()
    specs = [layer.spec for layer in rule.layers]
    value = rule.value if rule.value is not None else 0.0
    kind = rule.kind
    if kind in ("width", "space"):
        tiled = data.tiled(specs[0], _dbu(value))
        if tiled is None:
            groups = edge_rule_groups(
                kind, data.merged(specs[0]), None, _dbu(value), metric=rule.metric
            )
            finding = _edge_finding(rule, groups, Plain(data.merged(specs[0])), max_markers)
        else:
            alive = tiled.weight > 0
            groups = edge_rule_groups(kind, tiled.shapes, None, _dbu(value), alive, rule.metric)
            finding = _edge_finding(rule, groups, tiled, max_markers)
    elif kind in ("separation", "enclosure"):
        first, second = data.merged(specs[0]), data.merged(specs[1])
        groups = edge_rule_groups(kind, first, second, _dbu(value), metric=rule.metric)
        finding = _edge_finding(rule, groups, Plain(first), max_markers)
        if kind == "enclosure":
            outside_parts(finding, first, second, max_markers)
    elif kind == "overlap":
        finding = overlap_finding(rule, data.merged(specs[0]), data.merged(specs[1]), max_markers)
    elif kind == "valid":
        finding = strange_finding(rule, data.raw(specs[0]), max_markers)
    else:
        sh = data.raw(specs[0]) if kind in ("vertices", "grid") else data.merged(specs[0])
        finding = _shape_finding(rule, sh, _per_shape(kind, sh, value), max_markers)
    place_markers(finding)
    finding.seconds = time.perf_counter() - started
    return finding


def check_layout(data: LayoutData, rules: Sequence[Rule], max_markers: int = 1000) -> list[Finding]:
    """Every rule in order."""
    return [run_rule(data, rule, max_markers) for rule in rules]


def _per_shape(kind: str, sh: Shapes, value: float) -> dict[int, tuple[float | None, int]]:
    """Failing prototypes of a per-polygon rule: measured value and violations per instance."""
    if kind == "grid":
        return off_grid(sh, _dbu(value))
    bad = {}
    for k, poly in enumerate(sh.protos):
        measured = measure(kind, poly, value)
        if measured is not None:
            bad[k] = measured
    return bad
