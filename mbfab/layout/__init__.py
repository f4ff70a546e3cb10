"""The layout core: cells, layers, shapes, booleans, arrays and file I/O.

It knows nothing about batteries; it is the only place gdstk is used directly.
"""

from mbfab.layout.boolean import BooleanOp, boolean, clean, merge, offset, total_area
from mbfab.layout.cells import (
    BBox,
    LayerStats,
    bounding_box,
    cell_name,
    extract_layer,
    instance_count,
    layer_stats,
    layers_in,
    new_library,
    uses_hierarchy,
)
from mbfab.layout.gdsio import (
    FIXED_TIMESTAMP,
    GDS_MAX_POINTS,
    LayoutSummary,
    inspect_layout,
    read_layout,
    top_cell,
    top_cell_name,
    write_gds,
    write_oas,
)
from mbfab.layout.grid import DBU_UM, USER_UNIT_M, is_on_grid, snap, snap_value
from mbfab.layout.layers import Layer, LayerMap
from mbfab.layout.measure import (
    layer_bbox,
    layer_perimeter_um,
    perimeter_inside_um,
    union_area_um2,
)
from mbfab.layout.shapes import (
    DEFAULT_ARC_TOLERANCE_UM,
    circle,
    circle_vertex_count,
    polygon,
    rectangle,
    regular_polygon,
    rounded_rectangle,
)

__all__ = [
    "DBU_UM",
    "DEFAULT_ARC_TOLERANCE_UM",
    "FIXED_TIMESTAMP",
    "GDS_MAX_POINTS",
    "USER_UNIT_M",
    "BBox",
    "BooleanOp",
    "Layer",
    "LayerMap",
    "LayerStats",
    "LayoutSummary",
    "boolean",
    "bounding_box",
    "cell_name",
    "circle",
    "circle_vertex_count",
    "clean",
    "extract_layer",
    "inspect_layout",
    "instance_count",
    "is_on_grid",
    "layer_bbox",
    "layer_perimeter_um",
    "layer_stats",
    "layers_in",
    "merge",
    "new_library",
    "offset",
    "perimeter_inside_um",
    "polygon",
    "read_layout",
    "rectangle",
    "regular_polygon",
    "rounded_rectangle",
    "snap",
    "snap_value",
    "top_cell",
    "top_cell_name",
    "total_area",
    "union_area_um2",
    "uses_hierarchy",
    "write_gds",
    "write_oas",
]
