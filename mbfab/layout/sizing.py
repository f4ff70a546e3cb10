"""Does sizing a layer change its topology? Separate pieces that join, pieces that split or
vanish: what a CD bias must not do to a layout without being told.

Growing every edge by ``d`` closes each space narrower than ``2 d``; shrinking by ``d`` cuts
each line narrower than ``2 d``. The pieces of a layer are compared before and after sizing
(mitred, as the bias itself): plain polygons all together, arrays on a patch of neighbouring
sites around the middle of each lattice (an array is periodic, so a patch shows what every
site does), without expanding a million-site array.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import gdstk
import numpy as np
import shapely
from numpy.typing import NDArray

from mbfab.layout.grid import DBU_UM
from mbfab.layout.placements import Lattice, Placement, layer_placements

__all__ = ["SizingChange", "sizing_change"]

I64 = NDArray[np.int64]


@dataclass(frozen=True)
class SizingChange:
    """What sizing did: ``joins`` (a space closed), ``splits`` or ``removes``; where (um);
    the space or line width it closed or cut (um) and how many pieces before and after."""

    kind: str
    location: tuple[float, float]
    width_um: float
    before: int
    after: int


def sizing_change(
    top: gdstk.Cell, spec: tuple[int, int], distance_um: float
) -> SizingChange | None:
    """The first topology change that moving every edge of ``spec`` by ``distance_um``
    (outward when positive) makes below ``top``, or None when the pieces stay the same."""
    if distance_um == 0:
        return None
    placements = layer_placements(top, spec, keep_arrays=True)
    flat = [
        _polygon(p.shape, offset) for p in placements for offset in p.offsets
    ]  # plain placements: every one
    change = _compare(flat, distance_um)
    if change is not None:
        return change
    for lattice in [lattice for p in placements for lattice in p.lattices]:
        patch = _patch(placements, lattice)
        change = _compare(patch, distance_um)
        if change is not None:
            return change
    return None


def _polygon(shape: I64, offset: I64) -> shapely.Polygon:
    return shapely.Polygon((shape + offset) * DBU_UM)


def _pieces(polygons: list[shapely.Polygon]) -> list[shapely.Polygon]:
    union = shapely.unary_union([shapely.make_valid(p) for p in polygons])
    return [g for g in getattr(union, "geoms", [union]) if isinstance(g, shapely.Polygon)]


def _compare(polygons: list[shapely.Polygon], distance: float) -> SizingChange | None:
    if not polygons:
        return None
    before = _pieces(polygons)
    sized = [p.buffer(distance, join_style="mitre", mitre_limit=10.0) for p in before]
    after = _pieces([p for p in sized if not p.is_empty])
    if len(after) == len(before):
        return None
    if len(after) < len(before):
        if distance > 0:
            return _joined(before, after)
        kept = {i for piece in after for i in _touching(before, piece)}
        lost = next(p for i, p in enumerate(before) if i not in kept)
        return _change("removes", lost.representative_point(), lost, before, after, distance)
    cut = next(p for p in before if len(_touching(after, p)) > 1)
    return _change("splits", cut.representative_point(), cut, before, after, distance)


def _touching(parts: list[shapely.Polygon], piece: shapely.Polygon) -> list[int]:
    tree = shapely.STRtree(parts)
    return [int(i) for i in tree.query(piece, predicate="intersects")]


def _joined(before: list[shapely.Polygon], after: list[shapely.Polygon]) -> SizingChange:
    """Where two pieces that were apart now form one: the middle of their narrowest gap."""
    for piece in after:
        hits = _touching(before, piece)
        if len(hits) > 1:
            pairs = [(a, b) for a in hits for b in hits if a < b]
            a, b = min(pairs, key=lambda ab: before[ab[0]].distance(before[ab[1]]))
            line = shapely.shortest_line(before[a], before[b])
            gap = float(line.length)
            return SizingChange(
                "joins", _rounded(line.centroid), round(gap, 6), len(before), len(after)
            )
    raise AssertionError("fewer pieces after growing, yet none holds two")  # pragma: no cover


def _change(
    kind: str,
    where: shapely.Point,
    piece: shapely.Polygon,
    before: list[shapely.Polygon],
    after: list[shapely.Polygon],
    distance: float,
) -> SizingChange:
    # A line narrower than twice the shrink is cut; its width is at most that.
    width = min(2 * abs(distance), 2 * math.sqrt(piece.area / math.pi))
    return SizingChange(kind, _rounded(where), round(width, 6), len(before), len(after))


def _rounded(point: shapely.Point) -> tuple[float, float]:
    return (round(float(point.x), 3), round(float(point.y), 3))


def _patch(placements: list[Placement], lattice: Lattice) -> list[shapely.Polygon]:
    """Every placed polygon of the layer within two lattice steps of ``lattice``'s middle."""
    steps = [np.hypot(*lattice.v1), np.hypot(*lattice.v2)]
    centre = lattice.origin + (lattice.n1 // 2) * lattice.v1 + (lattice.n2 // 2) * lattice.v2
    extent = max(int(np.abs(p.shape).max(initial=0)) for p in placements)
    radius = 2.5 * max(steps) + 2 * extent
    found = []
    for placement in placements:
        sites = [placement.offsets] + [_near(other, radius) for other in placement.lattices]
        for offsets in sites:
            near = offsets[np.hypot(*(offsets - centre).T) <= radius] if len(offsets) else offsets
            found += [_polygon(placement.shape, offset) for offset in near]
    return found


def _near(lattice: Lattice, radius: float) -> I64:
    """Sites of ``lattice`` within ``radius`` steps' reach of its middle site (a window of
    indices; the caller keeps those near the patch centre)."""
    steps = [float(np.hypot(*v)) for v in (lattice.v1, lattice.v2)]
    reach = [
        min(n, 1 + math.ceil(radius / step)) if step > 0 else 0
        for n, step in zip((lattice.n1, lattice.n2), steps, strict=True)
    ]
    mid = (lattice.n1 // 2, lattice.n2 // 2)
    i = np.arange(max(0, mid[0] - reach[0]), min(lattice.n1, mid[0] + reach[0] + 1))
    j = np.arange(max(0, mid[1] - reach[1]), min(lattice.n2, mid[1] + reach[1] + 1))
    ii, jj = np.meshgrid(i, j, indexing="ij")
    return lattice.origin + ii.reshape(-1, 1) * lattice.v1 + jj.reshape(-1, 1) * lattice.v2
