"""Arrays checked once: a lattice of identical cells as a few representative sites.

A site's width and space results depend only on what lies within the rule distance of it.
In a regular array that neighbourhood is the same for every site except near the array's
edges (where neighbours are missing) and near other shapes. Sites are therefore sorted into
classes by their clipped distance to each edge (at most ``(2K + 1)^2`` classes, ``K`` the
reach in lattice steps); each class is checked at one representative site with its real
neighbours around it, and its results count for every site of the class. Sites near other
shapes ("dirty") are checked one by one. Neighbours present only to complete a
representative's surroundings carry weight 0: their own results belong to their class.

This keeps the number of checked cases independent of the array size; the result is the
flattened check's result, instance for instance (tests compare with KLayout).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from mbfab.layout.placements import Lattice, Placement
from mbfab.layout.polygons import Poly, come_close, normalized, self_contact
from mbfab.rules.index import SNAP_REACH, Shapes, merged_origins

__all__ = ["Plain", "Tiled", "tile_layer"]

I64 = NDArray[np.int64]
F64 = NDArray[np.float64]
MIN_SITES = 256  # smaller arrays are simply expanded
EXACT_UNION_SITES = 4_000_000  # larger arrays judge their dirty sites by a bound only


class Plain:
    """Every instance stands for itself."""

    def __init__(self, shapes: Shapes) -> None:
        self.shapes = shapes

    def count(self, anchors: I64) -> int:
        return len(anchors)

    def offsets(self, anchors: I64, limit: int) -> I64:
        return self.shapes.offset[anchors[: max(0, limit)]]


@dataclass(frozen=True)
class _Unit:
    """Members (prototype, offset from the site origin) repeated on one lattice."""

    protos: tuple[int, ...]
    deltas: I64
    lattice: Lattice

    def site(self, i: int, j: int) -> I64:
        lat = self.lattice
        return lat.origin + i * lat.v1 + j * lat.v2


@dataclass(frozen=True)
class _Class:
    """Sites ``rows x cols`` of one unit, minus dirty ones, for one member prototype."""

    unit: _Unit
    rows: range
    cols: range
    dirty: frozenset[tuple[int, int]]
    delta: I64

    def offsets(self, limit: int) -> I64:
        out: list[I64] = []
        lat = self.unit.lattice
        for i in self.rows:
            if limit <= 0:
                break
            cols = [j for j in self.cols[: limit + len(self.dirty)] if (i, j) not in self.dirty]
            js: I64 = np.array(cols[:limit], dtype=np.int64)
            out.append(lat.origin + self.delta + i * lat.v1 + js[:, None] * lat.v2)
            limit -= len(js)
        return np.concatenate(out) if out else np.zeros((0, 2), dtype=np.int64)


class Tiled:
    """A layer with arrays compacted: explicit instances, each with a weight (how many
    placements it stands for) and, for class representatives, where those placements are."""

    def __init__(self, shapes: Shapes, weight: I64, classes: dict[int, _Class]) -> None:
        self.shapes = shapes
        self.weight = weight
        self.classes = classes

    def count(self, anchors: I64) -> int:
        return int(self.weight[anchors].sum())

    def offsets(self, anchors: I64, limit: int) -> I64:
        out: list[I64] = []
        for a in anchors.tolist():
            if limit <= 0:
                break
            if self.weight[a] == 0:
                continue
            got = self.classes[a].offsets(limit) if a in self.classes else self.shapes.offset[[a]]
            out.append(got)
            limit -= len(got)
        return np.concatenate(out) if out else np.zeros((0, 2), dtype=np.int64)


def _steps(lat: Lattice, extent: F64, reach: float) -> tuple[int, int] | None:
    """Lattice steps (a, b) that can bring two unit boxes within ``reach`` (None: singular).

    A site displacement ``p = a v1 + b v2`` has ``|a| = |p x v2| / |det| <= |p| |v2| / |det|``
    and ``|p| <= hypot(w + reach, h + reach)``.
    """
    v1, v2 = lat.v1.astype(np.float64), lat.v2.astype(np.float64)
    det = abs(v1[0] * v2[1] - v1[1] * v2[0])
    if det == 0:
        return None
    radius = math.hypot(extent[0] + reach, extent[1] + reach)
    return (
        math.ceil(radius * math.hypot(*v2) / det),
        math.ceil(radius * math.hypot(*v1) / det),
    )


def _units(lattices: Sequence[tuple[int, Lattice]]) -> list[_Unit]:
    """Group lattices with the same vectors and counts whose origins lie within one cell."""
    by_key: dict[bytes, list[tuple[int, Lattice]]] = {}
    for k, lat in lattices:
        key = np.array([*lat.v1, *lat.v2, lat.n1, lat.n2], dtype=np.int64).tobytes()
        by_key.setdefault(key, []).append((k, lat))
    units = []
    for members in by_key.values():
        lat0 = members[0][1]
        basis = np.array([lat0.v1, lat0.v2], dtype=np.float64).T
        singular = abs(np.linalg.det(basis)) == 0
        groups: list[list[tuple[int, Lattice]]] = []
        for k, lat in members:
            for group in groups:
                delta = (lat.origin - group[0][1].origin).astype(np.float64)
                if not singular and np.all(np.abs(np.linalg.solve(basis, delta)) < 1):
                    group.append((k, lat))
                    break
            else:
                groups.append([(k, lat)])
        for group in groups:
            base = group[0][1]
            deltas = np.array([lat.origin - base.origin for _, lat in group], dtype=np.int64)
            units.append(_Unit(tuple(k for k, _ in group), deltas, base))
    return units


def _unit_box(unit: _Unit, protos: Sequence[Poly]) -> I64:
    boxes = [
        [*(protos[k][0].min(axis=0) + d), *(protos[k][0].max(axis=0) + d)]
        for k, d in zip(unit.protos, unit.deltas, strict=True)
    ]
    b = np.array(boxes, dtype=np.int64)
    return np.array([*b[:, :2].min(axis=0), *b[:, 2:].max(axis=0)], dtype=np.int64)


def _compactable(unit: _Unit, protos: Sequence[Poly], box: I64, reach: float) -> bool:
    """Large, regular, valid, and no copy touches another (merging would join them)."""
    lat = unit.lattice
    if len(lat) < MIN_SITES or any(not protos[k] for k in unit.protos):
        return False
    steps = _steps(lat, (box[2:] - box[:2]).astype(np.float64), reach)
    touch = _steps(lat, (box[2:] - box[:2]).astype(np.float64), SNAP_REACH)
    if steps is None or touch is None:
        return False
    ka, kb = steps
    if lat.n1 <= 2 * ka + 2 or lat.n2 <= 2 * kb + 2:
        return False
    polys = [protos[k] for k in unit.protos]
    if any(self_contact(p) for p in polys):
        return False
    for a in range(-touch[0], touch[0] + 1):
        for b in range(-touch[1], touch[1] + 1):
            shift = a * lat.v1 + b * lat.v2
            for x, (p, dp) in enumerate(zip(polys, unit.deltas, strict=True)):
                for y, (q, dq) in enumerate(zip(polys, unit.deltas, strict=True)):
                    if (a, b, x) == (0, 0, y) or ((a, b) == (0, 0) and y < x):
                        continue
                    moved = [ring + (shift + dq - dp) for ring in q]
                    if come_close(p, moved, SNAP_REACH):
                        return False
    return True


def _axis_classes(n: int, k: int) -> list[range]:
    return (
        [range(i, i + 1) for i in range(k)]
        + [range(k, n - k)]
        + [range(i, i + 1) for i in range(n - k, n)]
    )


def _index_boxes(unit: _Unit, box: I64, foreign: F64, reach: float) -> I64:
    """For each foreign box, the ``[i0, j0, i1, j1]`` range of sites whose unit box comes
    within ``reach`` of it (clipped to the lattice; empty ranges have i0 > i1 or j0 > j1)."""
    lat = unit.lattice
    if not len(foreign):
        return np.zeros((0, 4), dtype=np.int64)
    inverse = np.linalg.inv(np.array([lat.v1, lat.v2], dtype=np.float64).T)
    lo = foreign[:, :2] - reach - box[2:] - lat.origin
    hi = foreign[:, 2:] + reach - box[:2] - lat.origin
    corners = np.stack(
        [lo, np.column_stack([hi[:, 0], lo[:, 1]]), np.column_stack([lo[:, 0], hi[:, 1]]), hi],
        axis=1,
    )  # (M, 4, 2)
    ab = corners @ inverse.T
    start = np.floor(ab.min(axis=1)).astype(np.int64) - 1
    stop = np.ceil(ab.max(axis=1)).astype(np.int64) + 1
    start = np.maximum(start, 0)
    stop = np.minimum(stop, [lat.n1 - 1, lat.n2 - 1])
    return np.column_stack([start, stop])


def _dirty_sites(ranges: I64, unit: _Unit) -> I64:
    """Sites (``(M, 2)`` lattice indices, row-major order) whose unit box comes within reach
    of a foreign box: the union of the index ranges (a superset of the truly affected)."""
    n1, n2 = unit.lattice.n1, unit.lattice.n2
    spans = np.clip(ranges[:, 2:] - ranges[:, :2] + 1, 0, None)
    live = ranges[np.all(spans > 0, axis=1)]
    if n1 * n2 > EXACT_UNION_SITES:
        found = {
            (i, j)
            for i0, j0, i1, j1 in live.tolist()
            for i in range(i0, i1 + 1)
            for j in range(j0, j1 + 1)
        }
        return np.array(sorted(found), dtype=np.int64).reshape(-1, 2)
    # Union of rectangles by a 2D difference array: +1/-1 at the corners, then prefix sums.
    cover = np.zeros((n1 + 1, n2 + 1), dtype=np.int32)
    np.add.at(cover, (live[:, 0], live[:, 1]), 1)
    np.add.at(cover, (live[:, 2] + 1, live[:, 1]), -1)
    np.add.at(cover, (live[:, 0], live[:, 3] + 1), -1)
    np.add.at(cover, (live[:, 2] + 1, live[:, 3] + 1), 1)
    return np.argwhere(cover.cumsum(axis=0).cumsum(axis=1)[:n1, :n2] > 0).astype(np.int64)


def _mostly_dirty(ranges: I64, unit: _Unit) -> bool:
    """True when foreign shapes come near more than half of the sites: compacting such an
    array saves nothing, e.g. a lattice drawn as row runs whose rows all neighbour each other.
    The sum of the ranges bounds their union; when the bound is inconclusive and the array
    is not huge, the union is counted exactly (a band of a lattice clipped to a disc has
    many small neighbours along its sides whose ranges overlap)."""
    n1, n2 = unit.lattice.n1, unit.lattice.n2
    spans = np.clip(ranges[:, 2:] - ranges[:, :2] + 1, 0, None)
    if int(np.prod(spans, axis=1).sum()) * 2 <= n1 * n2:
        return False
    if n1 * n2 > EXACT_UNION_SITES:
        return True
    return len(_dirty_sites(ranges, unit)) * 2 > n1 * n2


def _near(boxes: F64, target: I64, reach: float) -> F64:
    """The boxes that come within ``reach`` of ``target``."""
    keep = (
        (boxes[:, 0] <= target[2] + reach)
        & (boxes[:, 2] >= target[0] - reach)
        & (boxes[:, 1] <= target[3] + reach)
        & (boxes[:, 3] >= target[1] - reach)
    )
    return boxes[keep]


def tile_layer(placements: Sequence[Placement], reach: float) -> Tiled | None:
    """The layer of ``placements`` for width/space checks at ``reach`` (dbu), arrays
    compacted; None when there is no array worth compacting (check it flat)."""
    raw = [normalized([p.shape], compress_points=False) for p in placements]
    lattices = [(k, lat) for k, p in enumerate(placements) for lat in p.lattices]
    if not lattices:
        return None
    explicit: list[tuple[int, I64]] = [(k, p.offsets) for k, p in enumerate(placements)]
    units, boxes = [], []
    for unit in _units(lattices):
        box = _unit_box(unit, raw) if all(raw[k] for k in unit.protos) else None
        if box is not None and _compactable(unit, raw, box, reach):
            units.append(unit)
            boxes.append(box)
        else:
            for k, d in zip(unit.protos, unit.deltas, strict=True):
                explicit.append((k, unit.lattice.offsets() + d))
    if not units:
        return None
    alive = [k for k in range(len(raw)) if raw[k]]
    renumber = {k: n for n, k in enumerate(alive)}
    proto_box = {k: np.array([*raw[k][0].min(axis=0), *raw[k][0].max(axis=0)]) for k in alive}
    explicit = [(k, o.astype(np.int64).reshape(-1, 2)) for k, o in explicit if raw[k]]
    proto_parts = [np.full(len(o), renumber[k], dtype=np.int64) for k, o in explicit]
    offset_parts = [o for _, o in explicit]
    weight_parts = [np.ones(len(o), dtype=np.int64) for _, o in explicit]
    foreign_boxes = [
        np.concatenate([proto_box[k][:2] + o, proto_box[k][2:] + o], axis=1)
        for k, o in explicit
        if len(o)
    ]
    array_boxes = []
    for unit, box in zip(units, boxes, strict=True):
        ends = [(0, 0), (0, unit.lattice.n2 - 1), (unit.lattice.n1 - 1, 0)]
        ends.append((unit.lattice.n1 - 1, unit.lattice.n2 - 1))
        corners = np.array([unit.site(i, j) for i, j in ends])
        lo, hi = corners.min(axis=0) + box[:2], corners.max(axis=0) + box[2:]
        array_boxes.append(np.array([*lo, *hi], dtype=np.int64))
    pending: list[tuple[int, _Class]] = []
    count = sum(len(o) for o in offset_parts)
    explicit_boxes = (
        np.concatenate(foreign_boxes).astype(np.float64) if foreign_boxes else np.zeros((0, 4))
    )
    all_array_boxes = np.array(array_boxes, dtype=np.float64).reshape(-1, 4)
    for u, (unit, box) in enumerate(zip(units, boxes, strict=True)):
        margin = reach + float(np.hypot(*(box[2:] - box[:2]))) + 1
        others = np.delete(all_array_boxes, u, axis=0)
        foreign = np.concatenate([explicit_boxes, others])
        foreign = _near(foreign, array_boxes[u], margin)
        ranges = _index_boxes(unit, box, foreign, margin)
        if _mostly_dirty(ranges, unit):
            for k, delta in zip(unit.protos, unit.deltas, strict=True):
                offsets = unit.lattice.offsets() + delta
                proto_parts.append(np.full(len(offsets), renumber[k], dtype=np.int64))
                offset_parts.append(offsets.astype(np.int64).reshape(-1, 2))
                weight_parts.append(np.ones(len(offsets), dtype=np.int64))
                count += len(offsets)
            continue
        order, w, reps = _sites(unit, box, _dirty_sites(ranges, unit), reach)
        ij = np.array(order, dtype=np.int64).reshape(-1, 2)
        lat = unit.lattice
        where = lat.origin + ij[:, :1] * lat.v1 + ij[:, 1:] * lat.v2
        index = {s: n for n, s in enumerate(order)}
        for k, delta in zip(unit.protos, unit.deltas, strict=True):
            proto_parts.append(np.full(len(order), renumber[k], dtype=np.int64))
            offset_parts.append(where + delta)
            weight_parts.append(w)
            for rep, where_class in reps:
                pending.append((count + index[rep], _Class(unit, *where_class, delta)))
            count += len(order)
    shapes = Shapes(
        [raw[k] for k in alive], np.concatenate(proto_parts), np.concatenate(offset_parts)
    )
    weight = np.concatenate(weight_parts)
    merged, origin, absorbed = merged_origins(shapes)
    if np.any(weight[absorbed] != 1):  # a representative or neighbour merged: check flat
        return None
    new_weight = np.where(origin < 0, 1, weight[np.maximum(origin, 0)])
    classes: dict[int, _Class] = {}
    for old, cls in pending:
        (position,) = np.flatnonzero(origin == old)
        classes[int(position)] = cls
    return Tiled(merged, new_weight, classes)


_ClassSites = tuple[range, range, frozenset[tuple[int, int]]]


def _sites(
    unit: _Unit, box: I64, dirty: I64, reach: float
) -> tuple[list[tuple[int, int]], I64, list[tuple[tuple[int, int], _ClassSites]]]:
    """Sites to place explicitly (row-major), their weights, and each class representative;
    ``dirty`` sites (``(M, 2)`` indices of sites near other shapes) are placed one by one,
    and every explicit site's neighbours within reach complete its surroundings (weight 0)."""
    lat = unit.lattice
    extent = (box[2:] - box[:2]).astype(np.float64)
    steps = _steps(lat, extent, reach)
    assert steps is not None
    ka, kb = steps
    frozen = frozenset(map(tuple, dirty.tolist()))
    reps: list[tuple[tuple[int, int], _ClassSites]] = []
    rep_sites, rep_sizes = [], []
    for rows in _axis_classes(lat.n1, ka):
        in_rows = (dirty[:, 0] >= rows.start) & (dirty[:, 0] < rows.stop)
        for cols in _axis_classes(lat.n2, kb):
            inside = np.count_nonzero(
                in_rows & (dirty[:, 1] >= cols.start) & (dirty[:, 1] < cols.stop)
            )
            size = len(rows) * len(cols) - inside
            if size == 0:
                continue
            rep = next((i, j) for i in rows for j in cols if (i, j) not in frozen)
            rep_sites.append(rep)
            rep_sizes.append(size)
            reps.append((rep, (rows, cols, frozen)))
    n2 = lat.n2
    centres = np.concatenate([dirty, np.array(rep_sites, dtype=np.int64).reshape(-1, 2)])
    da, db = np.meshgrid(np.arange(-ka, ka + 1), np.arange(-kb, kb + 1), indexing="ij")
    around = (centres[:, None, :] + np.column_stack([da.ravel(), db.ravel()])[None]).reshape(-1, 2)
    inside_lattice = (
        (around[:, 0] >= 0) & (around[:, 0] < lat.n1) & (around[:, 1] >= 0) & (around[:, 1] < n2)
    )
    # Codes i * n2 + j sort row-major, as (i, j) tuples do.
    codes = np.unique(around[inside_lattice, 0] * n2 + around[inside_lattice, 1])
    weights = np.zeros(len(codes), dtype=np.int64)
    weights[np.searchsorted(codes, dirty[:, 0] * n2 + dirty[:, 1])] = 1
    if rep_sites:
        rep_codes = np.array([i * n2 + j for i, j in rep_sites], dtype=np.int64)
        weights[np.searchsorted(codes, rep_codes)] = rep_sizes
    order = list(zip((codes // n2).tolist(), (codes % n2).tolist(), strict=True))
    return order, weights, reps
