"""Critical dimension of a layer: its narrowest line and narrowest space, and where they are.

Found by morphology with mitred corners (shapely): a line narrower than ``d`` vanishes in an
opening by ``d`` (shrink by d/2, grow by d/2), a space narrower than ``d`` fills in a closing.
Mitred offsets leave straight-sided shapes unchanged, so only genuinely narrow parts count;
a lost or filled piece must exceed ``d²/100`` to count, which ignores numerical slivers.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import gdstk
import shapely
from shapely.geometry import Polygon as ShapelyPolygon
from shapely.geometry.base import BaseGeometry

from mbfab.layout.grid import DBU_UM

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
    if len(convex) < len(parts):
        x0, y0, x1, y1 = union.bounds
        upper = min([max(x1 - x0, y1 - y0), *(n.width_um for n in found)])
        if below_um is not None:
            upper = min(upper, below_um)
        bumpy = shapely.unary_union([g for g in parts if not _is_convex(g)])
        line = _search(bumpy, upper, resolution_um, lambda d: _opened_loss(bumpy, d))
        if line is not None:
            found.append(Narrowest(line[0], "line", line[1]))
            upper = min(upper, line[0])
        window = shapely.box(x0, y0, x1, y1)
        space = _search(union, upper, resolution_um, lambda d: _closed_gain(union, window, d))
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


def _nearest_parts(parts: list[ShapelyPolygon]) -> Narrowest | None:
    """The smallest distance between two separate parts, and its midpoint."""
    if len(parts) < 2:
        return None
    tree = shapely.STRtree(parts)
    (sources, targets), distances = tree.query_nearest(
        parts, exclusive=True, return_distance=True, all_matches=False
    )
    k = int(distances.argmin())
    a, b = parts[sources[k]], parts[targets[k]]
    width = float(distances[k])
    # Where: the middle of the gap that a closing just wider than it fills.
    pair = shapely.union(a, b)
    filled = _mitre(_mitre(pair, 0.51 * width + DBU_UM), -0.51 * width - DBU_UM).difference(pair)
    if filled.is_empty:
        (ax, ay), (bx, by) = shapely.shortest_line(a, b).coords
        where = ((ax + bx) / 2, (ay + by) / 2)
    else:
        where = max(getattr(filled, "geoms", [filled]), key=lambda g: g.area).centroid.coords[0]
    return Narrowest(round(width, 6), "space", (round(where[0], 3), round(where[1], 3)))


def _mitre(geometry: BaseGeometry, distance: float) -> BaseGeometry:
    return geometry.buffer(distance, join_style="mitre", mitre_limit=10.0)


def _opened_loss(union: BaseGeometry, d: float) -> BaseGeometry:
    return union.difference(_mitre(_mitre(union, -d / 2.0), d / 2.0))


def _closed_gain(union: BaseGeometry, window: BaseGeometry, d: float) -> BaseGeometry:
    return _mitre(_mitre(union, d / 2.0), -d / 2.0).intersection(window).difference(union)


def _significant(change: BaseGeometry, d: float) -> tuple[float, float] | None:
    pieces = [g for g in getattr(change, "geoms", [change]) if g.area > d * d / 100.0]
    if not pieces:
        return None
    biggest = max(pieces, key=lambda g: g.area)
    x, y = biggest.representative_point().coords[0]
    return (round(x, 3), round(y, 3))


def _search(
    union: BaseGeometry, upper: float, resolution: float, change_at: object
) -> tuple[float, tuple[float, float]] | None:
    """Smallest ``d`` (to ``resolution``) at which a significant piece changes."""
    assert callable(change_at)
    at_upper = _significant(change_at(upper), upper)
    if at_upper is None:
        return None
    lo, hi, where = resolution, upper, at_upper
    while hi - lo > resolution:
        mid = (lo + hi) / 2.0
        hit = _significant(change_at(mid), mid)
        if hit is None:
            lo = mid
        else:
            hi, where = mid, hit
    # The width lies in (lo, hi], hi - lo <= resolution: report the grid value in there.
    return (round(math.ceil(lo / resolution - 1e-9) * resolution, 6), where)
