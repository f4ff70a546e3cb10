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
