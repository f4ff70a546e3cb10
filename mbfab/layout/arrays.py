"""Lattices of a unit cell inside a region, kept as arrays (arrayed references).

A *region* is a list of simple polygons (a rectangle, a circle, a polygon, or several
polygons such as the fingers of a comb), each given as an ``(N, 2)`` array in um.
Sites are chosen per polygon on a lattice centred in that polygon:

- ``square``: sites at ``(i*px, j*py)``;
- ``hex``: rows ``dy = px*sqrt(3)/2`` apart (snapped to the grid), odd rows shifted by ``px/2``.

Boundary choice: **whole features only**. A site is kept when the feature placed there lies
entirely inside its polygon shrunk by ``clearance`` (a Minkowski erosion by the feature's own
outline, so square and hexagonal features are judged by their true shape, not a circle);
features may touch the shrunk boundary within half a grid step. Features that would cross
the boundary are dropped rather than clipped: a clipped feature would need its own cell, and
a partial pillar or hole is a defect on the wafer anyway.

Hierarchy: the kept sites become arrayed references (``columns x rows``; hex: one per row
parity) through :func:`mbfab.layout.bands.lattice_blocks`: a rectangular field is a single
reference (two for hex); an irregular one (a disc) is split into bands of rows, each a large
2D array of the columns all its rows share plus small references for the ragged row ends.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import gdstk
import numpy as np
import shapely
from numpy.typing import ArrayLike, NDArray

from mbfab.layout.bands import lattice_blocks
from mbfab.layout.grid import DBU_UM, snap, snap_value
from mbfab.layout.layers import Layer
from mbfab.layout.shapes import circle_vertex_count, polygon

__all__ = [
    "FeatureArray",
    "Lattice",
    "LineArray",
    "Region",
    "Shape",
    "circle_region",
    "feature_array",
    "feature_outline",
    "lattice_references",
    "lattice_sites",
    "line_array",
    "polygon_region",
    "rectangle_region",
    "region_area",
]

Lattice = Literal["square", "hex"]
Shape = Literal["circle", "square", "hexagon"]
#: A region: simple polygons in um, each an ``(N, 2)`` array.
Region = list[NDArray[np.float64]]
Points = NDArray[np.float64]


def rectangle_region(x0: float, y0: float, x1: float, y1: float) -> Region:
    """A rectangular region between two corners."""
    xa, xb = sorted((x0, x1))
    ya, yb = sorted((y0, y1))
    return [np.array([(xa, ya), (xb, ya), (xb, yb), (xa, yb)], dtype=np.float64)]


def circle_region(center: tuple[float, float], radius: float, tolerance: float = 0.01) -> Region:
    """A circular region, faceted inside the true circle within ``tolerance``."""
    count = circle_vertex_count(radius, tolerance)
    angles = math.pi / count + 2 * np.pi * np.arange(count) / count
    points = np.column_stack(
        (center[0] + radius * np.cos(angles), center[1] + radius * np.sin(angles))
    )
    return [snap(points)]


def polygon_region(*polygons: ArrayLike) -> Region:
    """A region made of one or more simple polygons."""
    return [np.asarray(p, dtype=np.float64) for p in polygons]


def region_area(region: Region) -> float:
    """Total area of the region's polygons in um² (assumes they do not overlap)."""
    return float(sum(shapely.Polygon(p).area for p in region))


def feature_outline(
    shape: Shape, size: float, *, vertices: int | None = None, tolerance: float = 0.01
) -> Points:
    """Outline of one feature centred on the origin, on the grid.

    ``size`` is the circle's diameter (the polygon is inscribed in it), the square's side,
    or the hexagon's width across flats (flats at top and bottom).
    """
    if shape == "square":
        half = size / 2
        return snap([(-half, -half), (half, -half), (half, half), (-half, half)])
    if shape == "hexagon":
        radius, count, rotation = size / math.sqrt(3), 6, 0.0
    else:
        radius = size / 2
        count = vertices or circle_vertex_count(radius, tolerance)
        rotation = math.pi / count
    angles = rotation + 2 * np.pi * np.arange(count) / count
    return snap(np.column_stack((radius * np.cos(angles), radius * np.sin(angles))))


@dataclass(frozen=True)
class _Grid:
    """One polygon's lattice: origin of site (0, 0), column step, row step, odd-row shift."""

    x0: float
    y0: float
    dx: float
    dy: float
    shift: float


def _lattice_steps(lattice: Lattice, pitch: float | tuple[float, float]) -> tuple[float, ...]:
    px, py = (pitch, pitch) if isinstance(pitch, int | float) else pitch
    if lattice == "hex":
        # Hex rows: one pitch along x, sqrt(3)/2 pitch between rows; odd rows shifted.
        return snap_value(px), snap_value(px * math.sqrt(3) / 2), snap_value(px / 2)
    return snap_value(px), snap_value(py), 0.0


def _eroded(poly: Points, feature: Points, clearance: float) -> shapely.Geometry:
    """Centres at which ``feature`` lies inside ``poly`` shrunk by ``clearance``."""
    region = shapely.Polygon(poly)
    if clearance > 0:
        region = region.buffer(-clearance, join_style="round")
    parts = [g for g in getattr(region, "geoms", [region]) if not g.is_empty]
    if not parts:
        return shapely.Polygon()
    # Sweep the reflected feature along every boundary edge: a centre outside the sweep
    # (and inside the region) carries a feature that touches no boundary, so fits whole.
    reflected = -np.asarray(feature, dtype=np.float64)
    hulls = []
    for part in parts:
        for ring in [part.exterior, *part.interiors]:
            coords = np.asarray(ring.coords)
            starts, ends = coords[:-1], coords[1:]
            pts = np.concatenate(
                (starts[:, None, :] + reflected[None], ends[:, None, :] + reflected[None]), axis=1
            )
            hulls.extend(shapely.convex_hull(shapely.multipoints(pts)))
    inside = shapely.unary_union(parts).difference(shapely.unary_union(hulls))
    # Features may touch the shrunk boundary within half a grid step.
    return inside.buffer(DBU_UM / 2, join_style="mitre")


def _grid_for(eroded: shapely.Geometry, dx: float, dy: float, shift: float) -> _Grid:
    """A lattice centred on the eroded region's bounding box."""
    x0, y0, x1, y1 = eroded.bounds
    cols = math.floor((x1 - x0) / dx + 1e-9)
    rows = math.floor((y1 - y0) / dy + 1e-9)
    return _Grid(
        snap_value(x0 + (x1 - x0 - cols * dx) / 2),
        snap_value(y0 + (y1 - y0 - rows * dy) / 2),
        dx,
        dy,
        shift,
    )


def _indices(eroded: shapely.Geometry, grid: _Grid) -> NDArray[np.int64]:
    """``(N, 2)`` lattice indices (column, row) of the sites inside ``eroded``, row-major.

    A scanline per row: the row's line cut by the region gives the x intervals whose sites
    are kept, so the work is per row and per kept site, not per point of the bounding box.
    """
    x0, _, x1, y1 = eroded.bounds
    rows = np.arange(math.floor((y1 - grid.y0) / grid.dy + 1e-9) + 1)
    ys = grid.y0 + rows * grid.dy
    ends = np.stack(
        (
            np.column_stack((np.full_like(ys, x0 - 1.0), ys)),
            np.column_stack((np.full_like(ys, x1 + 1.0), ys)),
        ),
        axis=1,
    )
    cuts = shapely.intersection(shapely.linestrings(ends), eroded)
    parts, row_of = shapely.get_parts(cuts, return_index=True)
    lines = shapely.get_type_id(parts) == 1  # LineStrings; a touching point keeps no site
    parts, row_of = parts[lines], rows[row_of[lines]]
    if not len(parts):
        return np.zeros((0, 2), dtype=np.int64)
    bounds = shapely.bounds(parts)
    base = grid.x0 + (row_of % 2) * grid.shift
    # Sites strictly inside each interval (the boundary is not inside, as for contains).
    first = np.maximum(np.floor((bounds[:, 0] - base) / grid.dx).astype(np.int64) + 1, 0)
    last = np.ceil((bounds[:, 2] - base) / grid.dx).astype(np.int64) - 1
    count = np.maximum(last - first + 1, 0)
    order = np.lexsort((first, row_of))
    first, count, row_of = first[order], count[order], row_of[order]
    starts = np.repeat(first - np.concatenate(([0], np.cumsum(count)[:-1])), count)
    columns = np.arange(int(count.sum()), dtype=np.int64) + starts
    return np.column_stack((columns, np.repeat(row_of, count)))


def lattice_sites(
    region: Region,
    feature: Points,
    lattice: Lattice,
    pitch: float | tuple[float, float],
    clearance: float = 0.0,
) -> Points:
    """Centres (um, on the grid) of every whole feature the region holds; see the module doc."""
    sites = [_sites_of(poly, feature, lattice, pitch, clearance) for poly in region]
    found = [s for s in sites if s[1].size]
    if not found:
        return np.zeros((0, 2))
    return np.vstack([_positions(grid, idx) for grid, idx in found])


def _sites_of(
    poly: Points, feature: Points, lattice: Lattice, pitch: float | tuple[float, float], c: float
) -> tuple[_Grid, NDArray[np.int64]]:
    dx, dy, shift = _lattice_steps(lattice, pitch)
    eroded = _eroded(poly, feature, c)
    grid = _Grid(0.0, 0.0, dx, dy, shift)
    if eroded.is_empty:
        return grid, np.zeros((0, 2), dtype=np.int64)
    grid = _grid_for(eroded, dx, dy, shift)
    return grid, _indices(eroded, grid)


def _positions(grid: _Grid, idx: NDArray[np.int64]) -> Points:
    xs = grid.x0 + idx[:, 0] * grid.dx + (idx[:, 1] % 2) * grid.shift
    ys = grid.y0 + idx[:, 1] * grid.dy
    return snap(np.column_stack((xs, ys)))


def _array_references(
    unit: gdstk.Cell, grid: _Grid, idx: NDArray[np.int64]
) -> list[gdstk.Reference]:
    """Arrayed references of ``unit`` covering exactly the lattice sites ``idx``."""
    step = 2 if grid.shift else 1  # hex: even and odd rows are two plain grids
    refs = []
    for block in lattice_blocks(idx, step):
        x = grid.x0 + block.col * grid.dx + (block.row % 2) * grid.shift
        y = grid.y0 + block.row * grid.dy
        spacing = (grid.dx, step * grid.dy)
        refs.append(_reference(unit, (x, y), block.columns, block.rows, spacing))
    return refs


def _reference(
    cell: gdstk.Cell,
    origin: tuple[float, float],
    columns: int,
    rows: int,
    spacing: tuple[float, float],
) -> gdstk.Reference:
    """A reference, arrayed when it stands for more than one placement."""
    at = (snap_value(origin[0]), snap_value(origin[1]))
    if columns == rows == 1:
        return gdstk.Reference(cell, at)
    return gdstk.Reference(cell, at, columns=columns, rows=rows, spacing=spacing)


def lattice_references(
    cell: gdstk.Cell,
    origin: tuple[float, float],
    spacing: tuple[float, float],
    indices: ArrayLike,
) -> list[gdstk.Reference]:
    """References of ``cell`` at ``origin + (i*dx, j*dy)`` for each ``(i, j)`` of a square
    lattice; row runs in regular rows merge into arrayed references."""
    idx = np.asarray(indices, dtype=np.int64).reshape(-1, 2)
    order = np.lexsort((idx[:, 0], idx[:, 1]))
    grid = _Grid(origin[0], origin[1], spacing[0], spacing[1], 0.0)
    return _array_references(cell, grid, idx[order])


@dataclass
class FeatureArray:
    """A lattice of one feature: the unit cell, its references and the site count."""

    unit: gdstk.Cell
    references: list[gdstk.Reference]
    count: int
    feature_area_um2: float

    @property
    def area_um2(self) -> float:
        return self.count * self.feature_area_um2


def feature_array(
    name: str,
    feature: Points,
    layer: Layer,
    region: Region,
    lattice: Lattice,
    pitch: float | tuple[float, float],
    clearance: float = 0.0,
) -> FeatureArray:
    """One unit cell named ``name`` holding ``feature``, arrayed over every fitting site."""
    unit = gdstk.Cell(name)
    unit.add(polygon(feature, layer))
    refs: list[gdstk.Reference] = []
    count = 0
    for poly in region:
        grid, idx = _sites_of(poly, feature, lattice, pitch, clearance)
        refs.extend(_array_references(unit, grid, idx))
        count += len(idx)
    return FeatureArray(unit, refs, count, float(shapely.Polygon(feature).area))


@dataclass
class LineArray:
    """Parallel lines clipped to a region; identical lines share one cell."""

    cells: list[gdstk.Cell]
    references: list[gdstk.Reference]
    count: int
    area_um2: float


def line_array(
    name: str,
    layer: Layer,
    region: Region,
    width: float,
    pitch: float,
    clearance: float = 0.0,
    direction: Literal["x", "y"] = "y",
) -> LineArray:
    """Lines of ``width`` at ``pitch`` running along ``direction``, clipped to the region.

    Lines are centred in each polygon's extent across them and cut to the polygon shrunk by
    ``clearance``; lines narrower than ``width`` at the region edge are dropped (whole lines).
    Pieces of equal shape share one cell, stepped by an arrayed reference where regular.
    """
    flip = direction == "x"  # work with lines along y, then transpose
    cells: dict[bytes, gdstk.Cell] = {}
    placements: dict[bytes, list[tuple[float, float]]] = {}
    area = 0.0
    for poly in region:
        pts = poly[:, ::-1] if flip else poly
        shrunk = shapely.Polygon(pts)
        if clearance > 0:
            shrunk = shrunk.buffer(-clearance, join_style="mitre")
        if shrunk.is_empty:
            continue
        x0, y0, x1, y1 = shrunk.bounds
        count = math.floor((x1 - x0 - width) / pitch + 1e-9) + 1
        if count <= 0:
            continue
        start = snap_value(x0 + (x1 - x0 - width - (count - 1) * pitch) / 2)
        for k in range(count):
            xa = snap_value(start + k * pitch)
            strip = shapely.box(xa, y0 - 1, xa + width, y1 + 1)
            piece = shrunk.intersection(strip)
            for part in getattr(piece, "geoms", [piece]):
                if part.is_empty or part.geom_type != "Polygon":
                    continue
                local = snap(np.asarray(part.exterior.coords)[:-1] - (xa, 0.0))
                if (local[:, 0].max() - local[:, 0].min()) < width - DBU_UM:
                    continue
                key = np.round(local / DBU_UM).astype(np.int64).tobytes()
                if key not in cells:
                    cell = gdstk.Cell(f"{name}_{len(cells)}")
                    cell.add(polygon(local[:, ::-1] if flip else local, layer))
                    cells[key] = cell
                placements.setdefault(key, []).append((xa, 0.0))
                area += part.area
    refs = []
    for key, spots in placements.items():
        refs.extend(_line_references(cells[key], sorted(spots), pitch, flip))
    total = sum(len(s) for s in placements.values())
    return LineArray(list(cells.values()), refs, total, area)


def _line_references(
    cell: gdstk.Cell, spots: Sequence[tuple[float, float]], pitch: float, flip: bool
) -> list[gdstk.Reference]:
    """References for line placements along x, runs at ``pitch`` merged into one array."""
    refs = []
    start = 0
    for k in range(1, len(spots) + 1):
        if k == len(spots) or abs(spots[k][0] - spots[k - 1][0] - pitch) > DBU_UM:
            x, y = spots[start]
            n = k - start
            origin = (y, x) if flip else (x, y)
            if flip:
                refs.append(_reference(cell, origin, 1, n, (0.0, pitch)))
            else:
                refs.append(_reference(cell, origin, n, 1, (pitch, 0.0)))
            start = k
    return refs
