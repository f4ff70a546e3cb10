"""Layers as unique shapes placed at offsets, and who is near whom.

Hierarchical arrays arrive as one shape with many offsets; flat data is folded the same way
by normalising each polygon by translation and hashing it, so a million equal pillars
become one shape checked once. Neighbours are found on a uniform grid (sorted cell keys,
vectorised), and each unique (shape, shape, displacement) interaction is checked once.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from numpy.typing import NDArray

from mbfab.layout.polygons import Poly, box_pairs, come_close, normalized, self_contact
from mbfab.layout.regions import merge_polygons

__all__ = [
    "SNAP_REACH",
    "Shapes",
    "components",
    "from_flat",
    "from_placements",
    "merged_origins",
    "merged_shapes",
    "near_box_pairs",
    "near_pairs",
    "oriented",
]

I64 = NDArray[np.int64]


@dataclass
class Shapes:
    """A layer: ``protos[k]`` is a polygon (rings, dbu, relative); instance ``i`` places
    prototype ``proto[i]`` at ``offset[i]``."""

    protos: list[Poly]
    proto: I64
    offset: I64

    @cached_property
    def boxes(self) -> NDArray[np.float64]:
        """``(xmin, ymin, xmax, ymax)`` of every instance."""
        pb = self.proto_boxes
        return (pb[self.proto] + np.tile(self.offset, 2)).astype(np.float64)

    @cached_property
    def proto_boxes(self) -> I64:
        if not self.protos:
            return np.zeros((0, 4), dtype=np.int64)
        boxes = []
        for p in self.protos:
            if not p:  # a prototype no instance uses any more (merged away)
                boxes.append([0, 0, 0, 0])
                continue
            pts = np.concatenate(p) if len(p) > 1 else p[0]
            boxes.append([*pts.min(axis=0), *pts.max(axis=0)])
        return np.array(boxes, dtype=np.int64)

    def __len__(self) -> int:
        return len(self.proto)

    def polygon(self, i: int) -> Poly:
        """Instance ``i`` in absolute coordinates."""
        return [ring + self.offset[i] for ring in self.protos[int(self.proto[i])]]


def _hash_rows(rows: NDArray[np.int64]) -> NDArray[np.float64]:
    """A hash per row: a fixed pseudo-random projection (one BLAS product). Equal rows give
    equal hashes; unequal rows that collide are separated by the exact comparison after."""
    weights = np.random.default_rng(20240611).standard_normal(rows.shape[1])
    return np.asarray(rows, dtype=np.float64) @ weights


def from_flat(blocks: Iterable[NDArray[np.int32]], *, oriented: bool = True) -> Shapes:
    """Fold flat polygons into unique shapes, a block at a time.

    Each block is ``(m, 2n)`` integer rows (one polygon of ``n`` vertices per row). Rows
    are made relative to their first vertex; a block is first compared as a whole with the
    shape that dominated the previous block (one vectorised comparison: arrays of equal
    pillars cost little more than reading them), and the rest are hashed, looked up and
    then compared exactly, so a hash collision can never merge two different shapes.
    """
    folder = _Folder()
    for block in blocks:
        folder.add(block)
    shapes = folder.shapes()
    return _oriented(shapes) if oriented else shapes


class _Folder:
    """Running state of :func:`from_flat`: known shapes per row width, in first-seen order."""

    def __init__(self) -> None:
        self.rows: list[NDArray[np.int64]] = []  # relative row of each prototype
        self.lookup: dict[tuple[int, float], int] = {}  # (width, hash) -> prototype
        self.dominant: dict[int, int] = {}  # width -> prototype of the last block's majority
        self.proto: list[I64] = []
        self.offset: list[I64] = []

    def add(self, block: NDArray[np.int32]) -> None:
        if len(block) == 0:
            return
        width = block.shape[1]
        first = block[:, :2].astype(np.int64)
        rel = block.astype(np.int64)
        rel -= np.tile(first, width // 2)
        proto = np.full(len(block), -1, dtype=np.int64)
        known = self.dominant.get(width)
        if known is not None:
            proto[np.all(rel == self.rows[known], axis=1)] = known
        rest = np.flatnonzero(proto < 0)
        if len(rest):
            proto[rest] = self._classify(rel[rest], width)
            values, counts = np.unique(proto, return_counts=True)
            self.dominant[width] = int(values[np.argmax(counts)])
        self.proto.append(proto)
        self.offset.append(first)

    def _classify(self, rel: NDArray[np.int64], width: int) -> I64:
        keys = _hash_rows(rel)
        uniq, first_row, inverse = np.unique(keys, return_index=True, return_inverse=True)
        ids = np.empty(len(uniq), dtype=np.int64)
        for g, (h, r) in enumerate(zip(uniq.tolist(), first_row.tolist(), strict=True)):
            found = self.lookup.get((width, h))
            if found is None:
                found = self._new(rel[r])
                self.lookup[(width, h)] = found
            ids[g] = found
        proto = ids[inverse.ravel()]
        reference = np.stack([self.rows[k] for k in ids])[inverse.ravel()]
        odd = np.flatnonzero(~np.all(rel == reference, axis=1))
        for r in odd.tolist():  # hash collisions (practically never): exact shapes apart
            proto[r] = self._new(rel[r])
        return proto

    def _new(self, row: NDArray[np.int64]) -> int:
        self.rows.append(row.copy())
        return len(self.rows) - 1

    def shapes(self) -> Shapes:
        protos: list[Poly] = [[row.reshape(-1, 2)] for row in self.rows]
        if not self.proto:
            return Shapes(protos, np.zeros(0, dtype=np.int64), np.zeros((0, 2), dtype=np.int64))
        return Shapes(protos, np.concatenate(self.proto), np.concatenate(self.offset))


def from_placements(
    shapes: Sequence[I64], offsets: Sequence[I64], *, oriented: bool = True
) -> Shapes:
    """Shapes from hierarchical placements (one shape, many offsets each)."""
    protos = [[np.asarray(s, dtype=np.int64)] for s in shapes]
    proto = np.concatenate(
        [np.full(len(o), k, dtype=np.int64) for k, o in enumerate(offsets)]
        or [np.zeros(0, dtype=np.int64)]
    )
    offset = (
        np.concatenate(list(offsets)).astype(np.int64)
        if offsets
        else np.zeros((0, 2), dtype=np.int64)
    )
    result = Shapes(protos, proto, offset)
    return _oriented(result) if oriented else result


def oriented(shapes: Shapes, compress_points: bool = True) -> Shapes:
    """Prototypes oriented KLayout's way (degenerate ones dropped); ``compress_points`` off
    keeps repeated and straight-run points (as KLayout reads polygons, to merge them)."""
    return _oriented(shapes, compress_points)


def _oriented(shapes: Shapes, compress_points: bool = True) -> Shapes:
    """Orient prototypes KLayout's way; drop degenerate ones (checked separately)."""
    keep = []
    protos: list[Poly] = []
    remap = np.full(len(shapes.protos), -1, dtype=np.int64)
    for k, poly in enumerate(shapes.protos):
        oriented = normalized(poly, compress_points)
        if oriented:
            remap[k] = len(protos)
            protos.append(oriented)
            keep.append(k)
    new = remap[shapes.proto]
    alive = new >= 0
    return Shapes(protos, new[alive], shapes.offset[alive])


def near_pairs(a: Shapes, b: Shapes | None, reach: float) -> tuple[I64, I64]:
    """Instance pairs whose boxes come within ``reach`` (``b`` None: within ``a``, i < j)."""
    return near_box_pairs(a.boxes, None if b is None else b.boxes, reach)


def near_box_pairs(
    box_a: NDArray[np.float64], box_b: NDArray[np.float64] | None, reach: float
) -> tuple[I64, I64]:
    """Pairs of boxes ``(xmin, ymin, xmax, ymax)`` that come within ``reach`` (``box_b``
    None: within ``box_a``, i < j), ordered by ``i`` then ``j``.

    Small boxes go on a uniform grid (cell = largest small box + reach, 3 x 3
    neighbourhood); the few large ones are swept against everything.
    """
    same = box_b is None
    box_a = np.asarray(box_a, dtype=np.float64)
    box_b = box_a if box_b is None else np.asarray(box_b, dtype=np.float64)
    if len(box_a) == 0 or len(box_b) == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty
    ext_a = np.maximum(box_a[:, 2] - box_a[:, 0], box_a[:, 3] - box_a[:, 1])
    ext_b = np.maximum(box_b[:, 2] - box_b[:, 0], box_b[:, 3] - box_b[:, 1])
    limit = float(np.percentile(np.concatenate([ext_a, ext_b]), 90))
    small_a, small_b = ext_a <= limit, ext_b <= limit
    cell = max(limit + max(reach, 0.0), 1.0)
    out_i, out_j = [], []
    gi, gj = _grid_pairs(box_a, box_b, small_a, small_b, cell, reach, same)
    out_i.append(gi)
    out_j.append(gj)
    big_a, big_b = np.flatnonzero(~small_a), np.flatnonzero(~small_b)
    if len(big_a):
        ia, jb = box_pairs(box_a[big_a], box_b, reach, same=False)
        out_i.append(big_a[ia])
        out_j.append(jb)
    if len(big_b):
        ia, jb = box_pairs(box_a, box_b[big_b], reach, same=False)
        keep = small_a[ia] if not same else np.ones(len(ia), dtype=bool)
        out_i.append(ia[keep])
        out_j.append(big_b[jb][keep])
    if len(out_i) > 1:  # pairs with a large box may be met twice
        big_i, big_j = np.concatenate(out_i[1:]), np.concatenate(out_j[1:])
        if same:
            big_i, big_j = np.minimum(big_i, big_j), np.maximum(big_i, big_j)
            keep = big_i != big_j
            big_i, big_j = big_i[keep], big_j[keep]
        key = np.unique(big_i * len(box_b) + big_j)
        out_i[1:], out_j[1:] = [key // len(box_b)], [key % len(box_b)]
    i, j = np.concatenate(out_i), np.concatenate(out_j)
    if same:  # the grid gives each pair once, in either order
        i, j = np.minimum(i, j), np.maximum(i, j)
    order = np.lexsort((j, i))
    return i[order], j[order]


def _grid_pairs(
    box_a: NDArray[np.float64],
    box_b: NDArray[np.float64],
    small_a: NDArray[np.bool_],
    small_b: NDArray[np.bool_],
    cell: float,
    reach: float,
    same: bool,
) -> tuple[I64, I64]:
    """Pairs among small boxes binned by lower-left corner into cells of ``cell``.

    Boxes within ``reach`` have corners at most one cell apart, so each box meets the 3 x 3
    cells around its own (with ``same``, half of them: each unordered pair is met once, so
    no de-duplication is needed). Cells are looked up in a dense table when it is not much
    larger than the number of boxes, else by binary search over sorted cell keys.
    """
    ia_all, jb_all = np.flatnonzero(small_a), np.flatnonzero(small_b)
    empty = np.zeros(0, dtype=np.int64)
    if len(ia_all) == 0 or len(jb_all) == 0:
        return empty, empty
    origin = np.minimum(box_a[:, :2].min(axis=0), box_b[:, :2].min(axis=0))
    ca = np.floor((box_a[ia_all, :2] - origin) / cell).astype(np.int64) + 1
    cb = np.floor((box_b[jb_all, :2] - origin) / cell).astype(np.int64) + 1
    span = int(max(ca[:, 1].max(), cb[:, 1].max())) + 2
    rows = int(max(ca[:, 0].max(), cb[:, 0].max())) + 2
    key_a = ca[:, 0] * span + ca[:, 1]
    key_b = cb[:, 0] * span + cb[:, 1]
    order = np.argsort(key_b, kind="stable")
    dense = rows * span <= 8 * (len(key_b) + len(key_a)) + 1024
    if dense:
        per_cell = np.bincount(key_b, minlength=rows * span)
        first = np.concatenate(([0], np.cumsum(per_cell)[:-1]))
    else:
        sorted_keys = key_b[order]
    if same:
        steps = [(0, 0), (0, 1), (1, -1), (1, 0), (1, 1)]
    else:
        steps = [(dx, dy) for dx in (-1, 0, 1) for dy in (-1, 0, 1)]
    out_i, out_j = [], []
    for dx, dy in steps:
        target = key_a + dx * span + dy
        if dense:
            lo, counts = first[target], per_cell[target]
        else:
            lo = np.searchsorted(sorted_keys, target, side="left")
            counts = np.searchsorted(sorted_keys, target, side="right") - lo
        total = int(counts.sum())
        if total == 0:
            continue
        ii = np.repeat(np.arange(len(ia_all)), counts)
        base = np.repeat(lo - (np.cumsum(counts) - counts), counts)
        jj = order[np.arange(total) + base]
        gi, gj = ia_all[ii], jb_all[jj]
        if same and dx == 0 and dy == 0:
            keep = gi < gj
            gi, gj = gi[keep], gj[keep]
        a, b = box_a[gi], box_b[gj]
        near = (
            (a[:, 0] <= b[:, 2] + reach)
            & (b[:, 0] <= a[:, 2] + reach)
            & (a[:, 1] <= b[:, 3] + reach)
            & (b[:, 1] <= a[:, 3] + reach)
        )
        out_i.append(gi[near])
        out_j.append(gj[near])
    if not out_i:
        return empty, empty
    return np.concatenate(out_i), np.concatenate(out_j)


#: Outlines that come this close (dbu) may change each other when merged: KLayout's merge
#: bends an edge through a vertex or a rounded crossing within half a unit of it.
SNAP_REACH = 2.0


def merged_shapes(shapes: Shapes) -> Shapes:
    """KLayout's merged semantics: instances that overlap or touch become one polygon.

    Only the clusters of instances that meet (or come within :data:`SNAP_REACH`) are merged
    (flat, locally); an outline that meets itself (a keyhole, a bow tie, a double loop) is
    merged once per prototype; every other instance keeps its prototype, so arrays stay
    arrays.
    """
    return merged_origins(shapes)[0]


def merged_origins(shapes: Shapes) -> tuple[Shapes, I64, I64]:
    """:func:`merged_shapes`, plus where each result instance came from (its input index,
    -1 for a merged cluster) and which input instances were absorbed into clusters."""
    none = np.zeros(0, dtype=np.int64)
    n = len(shapes)
    origin = np.arange(n, dtype=np.int64)
    if n == 0:
        return shapes, origin, none
    i, j = near_pairs(shapes, None, SNAP_REACH)
    if len(i):
        close = _close(shapes, i, j)
        i, j = i[close], j[close]
    label = components(n, i, j) if len(i) else origin
    members = np.flatnonzero(np.isin(label, label[i])) if len(i) else none
    keep = np.ones(n, dtype=bool)
    keep[members] = False
    alone = np.array([self_contact(p) for p in shapes.protos], dtype=bool)
    lone = keep & alone[shapes.proto]
    keep &= ~lone
    # What stays as it is is stored as KLayout stores merged polygons: compressed.
    protos = [normalized(p) for p in shapes.protos]
    keep &= np.array([bool(p) for p in protos], dtype=bool)[shapes.proto]
    new_proto, new_offset = [shapes.proto[keep]], [shapes.offset[keep]]
    new_origin = [origin[keep]]
    for k in np.unique(shapes.proto[lone]).tolist():
        placed = np.flatnonzero(lone & (shapes.proto == k))
        for part in merge_polygons([shapes.protos[k]]):
            protos.append(part)
            new_proto.append(np.full(len(placed), len(protos) - 1, dtype=np.int64))
            new_offset.append(shapes.offset[placed])
            new_origin.append(placed)
    for lab in np.unique(label[members]).tolist():
        cluster = members[label[members] == lab]
        for poly in merge_polygons([shapes.polygon(int(k)) for k in cluster]):
            first = poly[0][0].copy()
            protos.append([ring - first for ring in poly])
            new_proto.append(np.array([len(protos) - 1]))
            new_offset.append(first[None, :])
            new_origin.append(np.array([-1]))
    merged = Shapes(protos, np.concatenate(new_proto), np.concatenate(new_offset))
    return merged, np.concatenate(new_origin), members


def _close(shapes: Shapes, i: I64, j: I64) -> NDArray[np.bool_]:
    """Which candidate pairs really meet or come within :data:`SNAP_REACH` (checked once per
    unique relation, exactly)."""
    delta = shapes.offset[j] - shapes.offset[i]
    rows = np.stack([shapes.proto[i], shapes.proto[j], delta[:, 0], delta[:, 1]], axis=1)
    uniq, inverse = np.unique(rows, axis=0, return_inverse=True)
    verdict = np.zeros(len(uniq), dtype=bool)
    for k, (p, q, dx, dy) in enumerate(uniq.tolist()):
        moved = [ring + np.array([dx, dy]) for ring in shapes.protos[q]]
        verdict[k] = come_close(shapes.protos[p], moved, SNAP_REACH)
    return verdict[inverse.ravel()]


def components(n: int, i: I64, j: I64) -> I64:
    """Connected-component labels of the graph with edges (i, j) (min-label propagation)."""
    label = np.arange(n, dtype=np.int64)
    while True:
        low = np.minimum(label[i], label[j])
        before = label.copy()
        np.minimum.at(label, i, low)
        np.minimum.at(label, j, low)
        label = label[label]
        if np.array_equal(label, before):
            return label
