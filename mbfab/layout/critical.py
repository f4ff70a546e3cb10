"""Critical dimension of a layer: its narrowest line and narrowest space, and where they are.

Found by morphology with mitred corners (shapely): a line narrower than ``d`` vanishes in an
opening by ``d`` (shrink by d/2, grow by d/2), a space narrower than ``d`` fills in a closing.
Mitred offsets leave straight-sided shapes unchanged, so only genuinely narrow parts count;
a lost or filled piece must exceed ``d²/100`` to count, which ignores numerical slivers.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import gdstk
import numpy as np
import shapely
from numpy.typing import NDArray
from shapely.geometry import Polygon as ShapelyPolygon
from shapely.geometry.base import BaseGeometry

from mbfab.layout.grid import DBU_UM

Parts = NDArray[np.object_]

__all__ = ["Narrowest", "narrowest"]


@dataclass(frozen=True)
class Narrowest:
    """The smallest line or space: its width (um), kind, and a point inside it."""

    width_um: float
    kind: str  # "line" | "space"
    location: tuple[float, float]


def narrowest(
    polygons: Iterable[gdstk.Polygon],
    resolution_um: float = DBU_UM,
    below_um: float | None = None,
) -> Narrowest | None:
    """Narrowest line or space of ``polygons`` to within ``resolution_um`` (None if empty).

    With ``below_um``, only lines and spaces narrower than it are looked for (None when
    there are none): a caller that already knows a narrower feature elsewhere skips the
    costly search over big, wide shapes.
    """
    shapes = [shapely.make_valid(ShapelyPolygon(p.points)) for p in polygons]
    if not shapes:
        return None
    union = shapely.unary_union(shapes)
    if union.is_empty:
        return None
    parts = [g for g in getattr(union, "geoms", [union]) if isinstance(g, ShapelyPolygon)]
    convex = [g for g in parts if _is_convex(g)]
    # Convex parts have exact answers (inscribed circle; nearest neighbour); only parts with
    # notches or holes need the morphological search, bounded by what was already found.
    found = [_convex_line(g, resolution_um) for g in convex]
    gap = _nearest_parts(parts)
    if gap is not None:
        found.append(gap)
    if below_um is not None:
        found = [n for n in found if n.width_um < below_um]
    bumpy = np.array([g for g in parts if not _is_convex(g)], dtype=object)
    if len(bumpy):
        x0, y0, x1, y1 = union.bounds
        upper = min([max(x1 - x0, y1 - y0), *(n.width_um for n in found)])
        if below_um is not None:
            upper = min(upper, below_um)
        # No line is wider than the widest inscribed circle (an opening by more removes the
        # part whole), whose area bounds it: pi D^2 / 4 <= area.
        widest = float(np.sqrt(4 * shapely.area(bumpy).max() / np.pi)) + resolution_um
        guesses = _candidates(bumpy, resolution_um)
        # Spaces between parts are the exact gap above; lines and notches are found part by
        # part (one vectorised call per step: morphology of the whole union is quadratic
        # where the dilated parts interleave, as two combs do).
        if widest <= upper:  # an opening by `widest` removes the largest part whole
            big = bumpy[int(np.argmax(shapely.area(bumpy)))]
            x, y = big.representative_point().coords[0]
            known: tuple[float, float] | None = (round(x, 3), round(y, 3))
        else:
            known, widest = None, upper
        line = _search(widest, resolution_um, lambda d: _opened_loss(bumpy, d), guesses, known)
        if line is not None:
            found.append(Narrowest(line[0], "line", line[1]))
            upper = min(upper, line[0])
        others = shapely.STRtree(parts)
        window = shapely.box(x0, y0, x1, y1)
        space = _search(
            upper, resolution_um, lambda d: _closed_gain(bumpy, others, window, d), guesses
        )
        if space is not None:
            found.append(Narrowest(space[0], "space", space[1]))
    return min(found, key=lambda n: n.width_um) if found else None


def _is_convex(shape: ShapelyPolygon) -> bool:
    """Convex up to the grid: vertices snapped to the grid may dent a circle by a grid step."""
    dent = shape.convex_hull.area - shape.area
    return not shape.interiors and dent <= DBU_UM * shape.length


def _convex_line(shape: ShapelyPolygon, resolution: float) -> Narrowest:
    """A convex shape's line width: the diameter of its largest inscribed circle, which is
    where a mitred opening makes it vanish."""
    radius_line = shapely.maximum_inscribed_circle(shape, tolerance=resolution / 10)
    (cx, cy), _ = radius_line.coords
    width = 2.0 * radius_line.length  # within resolution / 5 of the true diameter
    snapped = round(round(width / resolution) * resolution, 6)
    return Narrowest(snapped, "line", (round(cx, 3), round(cy, 3)))


#: Parts with more vertices than this are measured edge by edge (GEOS compares every vertex
#: of one polygon with every edge of the other: quadratic for two interleaved combs).
_SMALL_PART = 256


def _nearest_parts(parts: list[ShapelyPolygon]) -> Narrowest | None:
    """The smallest distance between two separate parts, and its midpoint."""
    if len(parts) < 2:
        return None
    if max(len(p.exterior.coords) for p in parts) <= _SMALL_PART:
        tree = shapely.STRtree(parts)
        (sources, targets), distances = tree.query_nearest(
            parts, exclusive=True, return_distance=True, all_matches=False
        )
        k = int(distances.argmin())
        a, b, width = parts[sources[k]], parts[targets[k]], float(distances[k])
        near = shapely.union(a, b)
    else:
        a, b, width = _nearest_edges(parts)
        # The gap between the two edges, with whatever of both parts lies around it.
        around = shapely.box(*shapely.union(a, b).buffer(2 * width + DBU_UM).bounds)
        near = shapely.union_all(shapely.intersection(np.array(parts, dtype=object), around))
    # Where: the middle of the gap that a closing just wider than it fills.
    grow = 0.51 * width + DBU_UM
    filled = _mitre(_mitre(near, grow), -grow).difference(near)
    if filled.is_empty:
        (ax, ay), (bx, by) = shapely.shortest_line(a, b).coords
        where = ((ax + bx) / 2, (ay + by) / 2)
    else:
        pieces = [g for g in getattr(filled, "geoms", [filled]) if g.intersects(a.envelope)]
        where = max(pieces or [filled], key=lambda g: g.area).centroid.coords[0]
    return Narrowest(round(width, 6), "space", (round(where[0], 3), round(where[1], 3)))


def _nearest_edges(parts: list[ShapelyPolygon]) -> tuple[BaseGeometry, BaseGeometry, float]:
    """The closest two boundary edges of different parts and their distance: an index of
    edges searched within a reach that grows until two parts meet (near-linear)."""
    rings, part = shapely.get_rings(np.array(parts, dtype=object), return_index=True)
    points, ring = shapely.get_coordinates(rings, return_index=True)
    same = ring[1:] == ring[:-1]
    edges = shapely.linestrings(np.stack((points[:-1][same], points[1:][same]), axis=1))
    owner = part[ring[:-1][same]]
    tree = shapely.STRtree(edges)
    x0, y0, x1, y1 = shapely.total_bounds(edges)
    reach = max(DBU_UM, float(np.median(shapely.length(edges))) / 4)
    while True:
        i, j = tree.query(edges, predicate="dwithin", distance=reach)
        cross = owner[i] < owner[j]
        if cross.any() or reach > (x1 - x0) + (y1 - y0):
            break
        reach *= 4
    i, j = i[cross], j[cross]
    distances = shapely.distance(edges[i], edges[j])
    k = int(np.argmin(distances))
    return edges[i[k]], edges[j[k]], float(distances[k])


def _mitre(geometry: Any, distance: float) -> Any:
    return shapely.buffer(geometry, distance, join_style="mitre", mitre_limit=10.0)


def _opened_loss(parts: Parts, d: float) -> list[BaseGeometry]:
    """What an opening by ``d`` removes from each part (parts that lose less area than one
    significant piece are not cut up: most probes of a search find nothing)."""
    opened = _mitre(_mitre(parts, -d / 2), d / 2)
    some = shapely.area(parts) - shapely.area(opened) > d * d / 100.0
    return list(shapely.get_parts(shapely.difference(parts[some], opened[some])))


def _closed_gain(
    parts: Parts, others: shapely.STRtree, window: BaseGeometry, d: float
) -> list[BaseGeometry]:
    """What a closing by ``d`` adds to each part inside ``window``, less any other part."""
    closed = shapely.intersection(_mitre(_mitre(parts, d / 2), -d / 2), window)
    some = shapely.area(closed) - shapely.area(parts) > d * d / 100.0
    pieces = shapely.get_parts(shapely.difference(closed[some], parts[some]))
    pieces = pieces[shapely.area(pieces) > d * d / 100.0]
    if not len(pieces):
        return []
    # A notch may hold another part: only the empty space in it counts.
    where, hit = others.query(pieces)
    for k in np.unique(where):
        pieces[k] = pieces[k].difference(shapely.union_all(others.geometries[hit[where == k]]))
    return list(shapely.get_parts(pieces))


def _significant(change: list[BaseGeometry], d: float) -> tuple[float, float] | None:
    pieces = [g for g in change if g.area > d * d / 100.0]
    if not pieces:
        return None
    biggest = max(pieces, key=lambda g: g.area)
    x, y = biggest.representative_point().coords[0]
    return (round(x, 3), round(y, 3))


def _candidates(parts: Parts, resolution: float) -> NDArray[np.float64]:
    """Likely widths: distances between nearby parallel axis-aligned edges (sorted, on the
    resolution grid). The search tries them first; any other width is still found."""
    rings = shapely.get_rings(parts)
    points, ring = shapely.get_coordinates(rings, return_index=True)
    same = ring[1:] == ring[:-1]
    start, end = points[:-1][same], points[1:][same]
    found = []
    for axis in (0, 1):  # vertical edges share x; horizontal ones share y
        values = np.unique(np.round(start[start[:, axis] == end[:, axis], axis] / resolution))
        for order in (1, 2, 3):
            found.append(values[order:] - values[:-order])
    steps = np.unique(np.concatenate(found)) if found else np.zeros(0)
    return steps[steps > 0] * resolution


def _search(
    upper: float,
    resolution: float,
    change_at: Callable[[float], list[BaseGeometry]],
    guesses: NDArray[np.float64],
    known: tuple[float, float] | None = None,
) -> tuple[float, tuple[float, float]] | None:
    """Smallest ``d`` (to ``resolution``) at which a significant piece changes.

    ``guesses`` are tried first: a width among them is bracketed in a few steps instead of
    one step per halving of ``upper`` down to ``resolution``. ``known``: where the change
    at ``upper`` is, when the caller knows there is one.
    """
    at_upper = known if known is not None else _significant(change_at(upper), upper)
    if at_upper is None:
        return None
    lo, hi, where = resolution, upper, at_upper

    def probe(d: float) -> bool:
        nonlocal lo, hi, where
        hit = _significant(change_at(d), d)
        if hit is None:
            lo = d
        else:
            hi, where = d, hit
        return hit is not None

    def inside(values: NDArray[np.float64]) -> NDArray[np.float64]:
        return values[(values + half > lo) & (values + half < hi)]

    half = resolution / 2.0
    # Small guesses first, at growing strides (narrow probes are cheap, and the narrowest
    # width is usually among the first), then bisection over those left in the bracket.
    tries, k, stride = inside(guesses), 0, 1
    while k < len(tries) and not probe(float(tries[k]) + half):
        k, stride = k + stride, 2 * stride
    tries = inside(tries)
    while len(tries):
        probe(float(tries[len(tries) // 2]) + half)
        tries = inside(tries)
    closed = resolution * (1 + 1e-9)
    if hi - lo > closed and hi - resolution > lo:
        probe(hi - resolution)  # a width on a guess: one step closes the bracket
    while hi - lo > closed:
        probe((lo + hi) / 2.0)
    # The width lies in (lo, hi], hi - lo <= resolution: report the grid value in there.
    return (round(math.ceil(lo / resolution - 1e-9) * resolution, 6), where)
