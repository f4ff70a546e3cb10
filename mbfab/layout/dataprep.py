"""Generic mask data preparation on a cell hierarchy: sizing, mirroring, grid snapping,
cleaning, fracturing, and the checks laser writers make (simple polygons, vertex limit).

Operations that allow it keep arrays as arrays: sizing, snapping and cleaning work on each
cell's own polygons and carry their repetitions along; mirroring wraps the hierarchy in one
reflecting reference. Functions named ``*_in_place`` change the cell they are given (callers
pass a private copy, e.g. from :func:`mbfab.layout.extract_layer`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import gdstk
import numpy as np
import shapely
from shapely.geometry import LineString
from shapely.geometry import Polygon as ShapelyPolygon
from shapely.ops import split

from mbfab.layout.boolean import clean
from mbfab.layout.grid import DBU_UM, snap, snap_value
from mbfab.layout.layers import Layer

__all__ = [
    "cells_below",
    "flatten_layer",
    "fracture_in_place",
    "mirror_x",
    "simple_in_place",
    "simple_pieces",
    "size_in_place",
    "snap_in_place",
    "writer_problems",
]


def cells_below(top: gdstk.Cell) -> list[gdstk.Cell]:
    """``top`` and every (non-raw) cell it references, each once."""
    return [top, *(c for c in top.dependencies(True) if isinstance(c, gdstk.Cell))]


def size_in_place(top: gdstk.Cell, layer: Layer, distance_um: float) -> None:
    """Move every edge of ``layer`` outward by ``distance_um`` (inward when negative).

    Sizing is done per cell: plain polygons are sized together (overlaps merge), polygons
    with a repetition are sized one by one and keep it. Instances that grow into each other
    stay separate polygons (the mask writer takes their union).
    """
    if distance_um == 0:
        return
    for cell in cells_below(top):
        mine = [p for p in cell.polygons if (p.layer, p.datatype) == layer.spec]
        if not mine:
            continue
        plain = [p for p in mine if p.repetition.size == 0]
        sized = _offset(plain, distance_um, layer)
        for poly in mine:
            if poly.repetition.size == 0:
                continue
            for piece in _offset([poly], distance_um, layer):
                piece.repetition = poly.repetition
                sized.append(piece)
        cell.remove(*mine)
        cell.add(*sized)


def _offset(polygons: list[gdstk.Polygon], distance: float, layer: Layer) -> list[gdstk.Polygon]:
    if not polygons:
        return []
    out = gdstk.offset(
        polygons,
        distance,
        join="miter",
        tolerance=2,
        precision=DBU_UM,
        use_union=True,
        layer=layer.layer,
        datatype=layer.datatype,
    )
    return clean(out, layer)


def mirror_x(top: gdstk.Cell, axis_x: float, data_name: str) -> gdstk.Cell:
    """Mirror about the vertical line ``x = axis_x`` (x -> 2*axis_x - x).

    A flat cell is mirrored point by point; a hierarchy is renamed ``data_name`` and placed
    once, reflected, in a new top cell keeping ``top``'s name (arrays stay arrays).
    """
    name = top.name
    if not top.references:
        mirrored = gdstk.Cell(name)
        for poly in top.polygons:
            points = np.array(poly.points, dtype=np.float64)
            points[:, 0] = 2.0 * axis_x - points[:, 0]
            new = gdstk.Polygon(
                points[::-1],  # type: ignore[arg-type]
                layer=poly.layer,
                datatype=poly.datatype,
            )
            if poly.repetition.size:
                new.repetition = _mirror_repetition(poly.repetition)
            mirrored.add(new)
        return mirrored
    top.name = data_name
    wrapper = gdstk.Cell(name)
    wrapper.add(gdstk.Reference(top, (2.0 * axis_x, 0.0), rotation=math.pi, x_reflection=True))
    return wrapper


def _mirror_repetition(rep: gdstk.Repetition) -> gdstk.Repetition:
    """The repetition of a polygon mirrored in x (offsets change sign in x)."""
    offsets = np.asarray(rep.get_offsets(), dtype=np.float64)
    offsets[:, 0] = -offsets[:, 0]
    return gdstk.Repetition(offsets=offsets)  # type: ignore[arg-type]


def snap_in_place(top: gdstk.Cell, grid_um: float) -> None:
    """Put every vertex, reference origin and array step of the hierarchy on ``grid_um``.

    Polygons are cleaned afterwards (repeated and collinear vertices, pieces smaller than a
    grid cell). References with a rotation other than a multiple of 90 degrees or a
    magnification are flattened first, since their vertices cannot stay on the grid.
    """
    for cell in cells_below(top):
        for ref in list(cell.references):
            if not _manhattan(ref):
                cell.remove(ref)
                cell.add(*ref.get_polygons())
        polygons = list(cell.polygons)
        cleaned = []
        for poly in polygons:
            points = snap(poly.points, grid_um)
            moved = gdstk.Polygon(points, poly.layer, poly.datatype)  # type: ignore[arg-type]
            for piece in clean([moved], None, grid_um=grid_um):
                if poly.repetition.size:
                    piece.repetition = _snap_repetition(poly.repetition, grid_um)
                cleaned.append(piece)
        cell.remove(*polygons)
        cell.add(*cleaned)
        for ref in cell.references:
            ref.origin = tuple(snap(ref.origin, grid_um))
            if ref.repetition.size:
                ref.repetition = _snap_repetition(ref.repetition, grid_um)


def _manhattan(ref: gdstk.Reference) -> bool:
    quarter = (ref.rotation or 0.0) / (math.pi / 2)
    return abs(quarter - round(quarter)) < 1e-9 and abs((ref.magnification or 1.0) - 1.0) < 1e-12


def _snap_repetition(rep: gdstk.Repetition, grid_um: float) -> gdstk.Repetition:
    if rep.spacing is not None:
        return gdstk.Repetition(rep.columns, rep.rows, spacing=tuple(snap(rep.spacing, grid_um)))
    if rep.v1 is not None and rep.v2 is not None:
        return gdstk.Repetition(
            rep.columns, rep.rows, v1=tuple(snap(rep.v1, grid_um)), v2=tuple(snap(rep.v2, grid_um))
        )
    if rep.x_offsets is not None:
        return gdstk.Repetition(x_offsets=[snap_value(x, grid_um) for x in rep.x_offsets])
    if rep.y_offsets is not None:
        return gdstk.Repetition(y_offsets=[snap_value(y, grid_um) for y in rep.y_offsets])
    return gdstk.Repetition(offsets=snap(rep.get_offsets(), grid_um))  # type: ignore[arg-type]


def fracture_in_place(top: gdstk.Cell, max_points: int, grid_um: float = DBU_UM) -> None:
    """Split every polygon above ``max_points`` vertices, through the hierarchy; the cuts
    fall on ``grid_um``."""
    for cell in cells_below(top):
        for poly in [p for p in cell.polygons if len(p.points) > max_points]:
            pieces = poly.fracture(max_points=max_points, precision=grid_um)
            for piece in pieces:
                piece.repetition = poly.repetition
            cell.remove(poly)
            cell.add(*pieces)


def flatten_layer(top: gdstk.Cell, layer: Layer, name: str) -> gdstk.Cell:
    """A flat cell ``name`` with every polygon of ``layer`` placed (repetitions applied)."""
    flat = gdstk.Cell(name)
    flat.add(*top.get_polygons(layer=layer.layer, datatype=layer.datatype))
    return flat


def simple_pieces(
    polygons: Iterable[gdstk.Polygon], layer: Layer, grid_um: float = DBU_UM
) -> tuple[list[gdstk.Polygon], list[str]]:
    """Replace every polygon that is not simple by simple pieces covering the same area.

    Self-crossing outlines are resolved (the filled area is kept, as shapely's make_valid
    reads it); polygons with holes, including the keyhole polygons that GDSII uses for
    holes, are cut by vertical lines through each hole. Returns the polygons and one message
    per polygon that was replaced.
    """
    result: list[gdstk.Polygon] = []
    messages: list[str] = []
    for index, poly in enumerate(polygons):
        shape = ShapelyPolygon(poly.points)
        if shape.is_valid and not shape.interiors:
            result.append(poly)
            continue
        reason = shapely.is_valid_reason(shape)
        fixed = shapely.make_valid(shape)
        pieces: list[gdstk.Polygon] = []
        parts: list[ShapelyPolygon] = []
        for part in _polygons(fixed):
            ready, rest = _cut_holes(part, grid_um)
            pieces += [gdstk.Polygon(p.points, layer.layer, layer.datatype) for p in ready]
            parts += rest
        pieces += clean(
            [gdstk.Polygon(list(p.exterior.coords)[:-1]) for p in parts],
            layer,
            grid_um=grid_um,
        )
        result.extend(pieces)
        x, y = shape.representative_point().coords[0] if not shape.is_empty else (0.0, 0.0)
        messages.append(
            f"polygon {index} near ({x:.3f}, {y:.3f}) um is not simple ({reason}); "
            f"replaced by {len(pieces)} simple piece(s)"
        )
    return result, messages


def simple_in_place(top: gdstk.Cell, layer: Layer, grid_um: float = DBU_UM) -> list[str]:
    """:func:`simple_pieces` on each cell's own polygons of ``layer``, through the
    hierarchy: a polygon with a repetition is replaced by pieces with the same repetition,
    so a tile with a hole arrayed a million times is cut once."""
    messages = []
    for cell in cells_below(top):
        mine = [p for p in cell.polygons if (p.layer, p.datatype) == layer.spec]
        for poly in mine:
            pieces, repaired = simple_pieces([poly], layer, grid_um)
            if not repaired:
                continue
            for piece in pieces:
                piece.repetition = poly.repetition
            cell.remove(poly)
            cell.add(*pieces)
            where = f" in cell {cell.name}" if cell is not top else ""
            copies = f" ({poly.repetition.size} copies)" if poly.repetition.size else ""
            messages += [m.replace("polygon 0", f"a polygon{where}{copies}", 1) for m in repaired]
    return messages


def _cut_holes(
    shape: ShapelyPolygon, grid_um: float
) -> tuple[list[gdstk.Polygon], list[ShapelyPolygon]]:
    """Cut ``shape`` by vertical lines through its holes so that no piece has a hole:
    pieces that came out simple (as gdstk polygons, on the grid) and pieces to clean.

    One cut per distinct hole column (a lattice of holes needs one per column), done by
    gdstk's slicer in one pass; a piece that still has a hole is split again. Each cut runs
    through the hole's vertex nearest its centre line: a round hole has a vertex straight
    below it, so the cut meets no slanted edge between vertices (which would round to the
    grid and leave slivers against the uncut area).
    """
    if not shape.interiors:
        return [], [shape]
    centres = {snap_value(_cut_x(hole), grid_um) for hole in shape.interiors}
    outer = gdstk.Polygon(list(shape.exterior.coords)[:-1])
    holes = [gdstk.Polygon(list(h.coords)[:-1]) for h in shape.interiors]
    keyholed = gdstk.boolean(outer, holes, "not", precision=grid_um)
    slabs = [
        poly
        for slab in gdstk.slice(keyholed, sorted(centres), "x", precision=grid_um)
        for poly in slab
    ]
    if not slabs:
        return [], []
    # Most slabs are simple already: checked all at once, only the others are repaired.
    counts = [len(p.points) for p in slabs]
    rings = shapely.linearrings(
        np.concatenate([p.points for p in slabs]), indices=np.repeat(np.arange(len(slabs)), counts)
    )
    candidates = shapely.polygons(rings)
    simple = shapely.is_valid(candidates) & (shapely.area(candidates) > 0)
    ready = [p for p, ok in zip(slabs, simple, strict=True) if ok]
    rest: list[ShapelyPolygon] = []
    for poly, ok in zip(slabs, simple, strict=True):
        if ok:
            continue
        for part in _polygons(shapely.make_valid(ShapelyPolygon(poly.points))):
            if part.area > 0:
                rest.extend(_split_at_holes(part, grid_um) if part.interiors else [part])
    return ready, rest


def _polygons(geometry: shapely.Geometry) -> list[ShapelyPolygon]:
    """Every polygon in ``geometry``, however nested (make_valid may return a collection
    holding a multipolygon: taking only its direct polygons would drop area)."""
    if isinstance(geometry, ShapelyPolygon):
        return [geometry]
    return [p for part in getattr(geometry, "geoms", []) for p in _polygons(part)]


def _cut_x(hole: shapely.LinearRing) -> float:
    """The x of the hole's vertex nearest the middle of its x extent."""
    xs = np.asarray(hole.coords)[:-1, 0]
    middle = (xs.min() + xs.max()) / 2.0
    return float(xs[np.argmin(np.abs(xs - middle))])


def _split_at_holes(shape: ShapelyPolygon, grid_um: float) -> list[ShapelyPolygon]:
    """Fallback: split by a vertical line through each remaining hole (few holes left)."""
    pieces = [shape]
    (_, y0, _, y1) = shape.bounds
    for hole in shape.interiors:
        hx0, _, hx1, _ = hole.bounds
        x = snap_value(_cut_x(hole), grid_um)
        if not hx0 < x < hx1:
            x = (hx0 + hx1) / 2.0
        line = LineString([(x, y0 - 1.0), (x, y1 + 1.0)])
        pieces = [g for piece in pieces for g in split(piece, line).geoms]
    return [p for p in pieces if isinstance(p, ShapelyPolygon) and p.area > 0]


def writer_problems(polygons: Iterable[gdstk.Polygon], max_points: int) -> list[str]:
    """What a laser writer would refuse: too many vertices, doubled vertices, self-crossing
    or self-touching outlines (keyholes), degenerate polygons."""
    problems = []
    for index, poly in enumerate(polygons):
        points = poly.points
        where = f"polygon {index} at ({points[0][0]:.3f}, {points[0][1]:.3f}) um"
        if len(points) > max_points:
            problems.append(f"{where}: {len(points)} vertices (limit {max_points})")
        if np.any(np.all(points == np.roll(points, 1, axis=0), axis=1)):
            problems.append(f"{where}: repeated vertex")
        shape = ShapelyPolygon(points)
        if not shape.is_valid:
            problems.append(f"{where}: not simple ({shapely.is_valid_reason(shape)})")
        elif shape.area <= 0:
            problems.append(f"{where}: zero area")
    return problems
