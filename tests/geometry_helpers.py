"""Independent views of a written GDS: klayout.db regions and shapely geometry."""

from __future__ import annotations

from pathlib import Path

import gdstk
import klayout.db as kdb
import shapely
from shapely.geometry.base import BaseGeometry


def klayout_region(path: Path, layer: int, datatype: int) -> tuple[kdb.Region, float]:
    """The merged region of one layer (whole hierarchy) and the file's dbu in um."""
    layout = kdb.Layout()
    layout.read(str(path))
    top = layout.top_cell()
    index = layout.find_layer(layer, datatype)
    region = kdb.Region() if index is None else kdb.Region(top.begin_shapes_rec(index))
    return region.merged(), layout.dbu


def shapely_layer(cell: gdstk.Cell, layer: int, datatype: int) -> BaseGeometry:
    """Union of one layer's polygons (flattened) as a shapely geometry."""
    polygons = cell.get_polygons(layer=layer, datatype=datatype)
    return shapely.union_all([shapely.Polygon(p.points) for p in polygons])


Pair = tuple[tuple[int, ...], tuple[int, ...]]


def same_pairs(ours: list[Pair], theirs: list[Pair], tolerance: int = 1) -> bool:
    """The same edge pairs, end points equal to within ``tolerance`` dbu.

    The end of the part of an edge that lies within the rule distance is a computed point;
    its rounding to the grid can differ from KLayout's by one dbu (seen on 59 of 42657 pairs
    of the interleaved arrays, flat and hierarchical alike).
    """
    if len(ours) != len(theirs):
        return False
    unmatched = [t for o, t in zip(ours, theirs, strict=True) if o != t]
    if not unmatched:
        return True
    left = [o for o, t in zip(ours, theirs, strict=True) if o != t]

    def close(a: Pair, b: Pair) -> bool:
        return all(abs(x - y) <= tolerance for x, y in zip(a[0] + a[1], b[0] + b[1], strict=True))

    for pair in left:
        match = next((k for k, cand in enumerate(unmatched) if close(pair, cand)), None)
        if match is None:
            return False
        unmatched.pop(match)
    return not unmatched
