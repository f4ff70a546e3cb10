"""The complement of a layer inside a field, keeping a lattice as arrays.

``field - features`` over a lattice is periodic: every lattice cell (a *tile*) whose
neighbours are all present holds the same tile minus the same features. So the complement
is built as

- the lattice: the sites of the layer's most arrayed feature, taken as cells of steps
  ``(px, py)`` with a small basis (one site per cell for a square lattice, the even and
  odd rows for a hex one), whether they come from arrays or from flat copies;
- one *tile cell* (the cell minus the features that reach into it), arrayed (through
  :func:`mbfab.layout.bands.lattice_blocks`) over the *interior*: the cells whose
  neighbourhood is whole and free of other features;
- a *border band*: the field minus the interior minus every feature not inside it (lattice
  edges, ragged row ends, marks, other shapes), computed flat with gdstk booleans in
  windows whose edges run between features.

Work is O(border + unit cell), not O(features): 10^6 pillars in a square field become one
tile cell, one array and a band of a few thousand pillars. Tile edges run between the
features (one box per basis site), so no slanted edge is cut and the result is exactly
``Region(field) - Region(features)`` in KLayout; tiles and windows abut (a mask writer
takes the union). A tile may hold a polygon with a hole (a keyhole polygon): fine for a
mask plate; a maskless writer's flat data is cut into simple pieces and streamed (see
:mod:`mbfab.layout.flatstream`).

The same function serves the data prep (tone complement, maskless exposure) and any stage
that needs the open area of a plate over a lattice (exposing a plate, etching through it).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import gdstk
import numpy as np
from numpy.typing import NDArray

from mbfab.layout.bands import lattice_blocks
from mbfab.layout.boolean import clean
from mbfab.layout.cells import BBox
from mbfab.layout.grid import DBU_UM
from mbfab.layout.layers import Layer
from mbfab.layout.placements import layer_placements

__all__ = ["WINDOW_FEATURES", "complement"]

I64 = NDArray[np.int64]
Bools = NDArray[np.bool_]
#: Features per window of the flat border band (small booleans: gdstk joins the holes of a
#: polygon into keyholes, which costs more than linear in the holes of one polygon).
WINDOW_FEATURES = 250
#: A basis site must hold at least this share of the lattice's sites (others are loose).
_BASIS_SHARE = 0.1
#: Flat copies of one shape read as a lattice from this many on.
_MIN_FLAT = 64
#: A lattice whose cell grid would be this much larger than its sites is not used.
_SPARSE = 8


@dataclass(frozen=True)
class _Lattice:
    """Cells ``ref + (i*px, j*py)`` for ``i < nx``, ``j < ny`` (dbu); each full cell holds
    the basis feature ``shapes[b] + firsts[b]`` (relative to the cell) for every ``b``."""

    ref: I64
    pitch: tuple[int, int]
    nx: int
    ny: int
    firsts: I64
    shape: I64
    full: Bools  # (nx, ny)


def complement(top: gdstk.Cell, layer: Layer, field: BBox, name: str) -> gdstk.Cell:
    """``field`` minus every polygon of ``layer`` below ``top``, as a new cell ``name``:
    a tile cell arrayed over the lattice interior plus flat border polygons (see the
    module doc). ``field`` is ``((x0, y0), (x1, y1))`` in um."""
    (fx0, fy0), (fx1, fy1) = field
    field_dbu = np.rint(np.array([fx0, fy0, fx1, fy1]) / DBU_UM).astype(np.int64)
    loose: list[tuple[I64, I64]] = []  # (shape, first-vertex positions), dbu
    pitch: tuple[int, int] | None = None
    biggest = 0
    main = -1
    for index, placement in enumerate(layer_placements(top, layer.spec, keep_arrays=True)):
        at = [placement.offsets, *(lat.offsets() for lat in placement.lattices)]
        loose.append((placement.shape, np.concatenate(at)))
        for lat in placement.lattices:
            square = lat.v1[1] == 0 and lat.v2[0] == 0 and lat.v1[0] > 0 and lat.v2[1] > 0
            if square and len(lat) > biggest:
                biggest, main, pitch = len(lat), index, (int(lat.v1[0]), int(lat.v2[1]))
    if pitch is None and loose:  # flat copies only: read the steps off the sites
        main = max(range(len(loose)), key=lambda k: len(loose[k][1]))
        pitch = _inferred_pitch(loose[main][1])
    out = gdstk.Cell(name)
    bars = cores = np.zeros((0, 4), dtype=np.int64)
    if pitch is not None:
        shape, sites = loose.pop(main)
        lattice, rest = _lattice(shape, sites, pitch)
        loose.append((shape, rest))
        if lattice is not None:
            references, inner, bars, cores = _tiled(lattice, loose, layer, name)
            loose.append((shape, inner))
            out.add(*references)
    out.add(*_border(field_dbu, bars, cores, loose, layer))
    return out


def _inferred_pitch(sites: I64) -> tuple[int, int] | None:
    """Steps of the lattice that flat copies sit on: the usual spacing within a row, and
    the row spacing times the period of the rows' phase (1 for square, 2 for hex rows)."""
    if len(sites) < _MIN_FLAT:
        return None
    rows, row_of = np.unique(sites[:, 1], return_inverse=True)
    if len(rows) < 2:
        return None
    order = np.lexsort((sites[:, 0], row_of.ravel()))
    x, row = sites[order, 0], row_of.ravel()[order]
    steps = np.diff(x)[np.diff(row) == 0]
    gaps = np.diff(rows)
    if not len(steps) or steps.min() <= 0:
        return None
    px, dy = int(np.median(steps)), int(np.median(gaps))
    first = x[np.concatenate(([True], np.diff(row) != 0))]
    phase = np.mod(first, px)
    for period in (1, 2, 3, 4):
        if np.mean(phase[period:] == phase[:-period]) > 0.9:
            return px, dy * period
    return None


def _lattice(shape: I64, sites: I64, pitch: tuple[int, int]) -> tuple[_Lattice | None, I64]:
    """The cells of ``pitch`` that ``sites`` (first-vertex positions of ``shape``) fill, and
    the sites off the lattice's basis."""
    step = np.array(pitch, dtype=np.int64)
    ref = sites.min(axis=0)
    cell, residue = np.divmod(sites - ref, step)
    code = residue[:, 0] * step[1] + residue[:, 1]  # one integer per residue: a fast unique
    codes, member, counts = np.unique(code, return_inverse=True, return_counts=True)
    kinds = np.column_stack(np.divmod(codes, step[1]))
    basis = np.flatnonzero(counts >= _BASIS_SHARE * counts.max())
    nx, ny = (int(v) + 1 for v in cell.max(axis=0))
    on = np.isin(member, basis)
    if not on.any() or nx * ny > _SPARSE * len(sites):
        return None, sites
    full = np.ones((nx, ny), dtype=bool)
    for b in basis:
        present = np.zeros((nx, ny), dtype=bool)
        mine = member == b
        present[cell[mine, 0], cell[mine, 1]] = True
        full &= present
    # Sites of a partly filled cell stay loose, like sites off the basis.
    rest = ~on | ~full[cell[:, 0], cell[:, 1]]
    lattice = _Lattice(ref, pitch, nx, ny, kinds[basis], shape, full)
    return lattice, sites[rest]


def _tiled(
    lattice: _Lattice, loose: list[tuple[I64, I64]], layer: Layer, name: str
) -> tuple[list[gdstk.Reference], I64, I64, I64]:
    """References of the tile cell over the interior; the lattice sites whose features
    reach outside it (first-vertex positions, all basis members); the interior as bars
    and as core rectangles (dbu)."""
    px, py = lattice.pitch
    features = [lattice.shape + first for first in lattice.firsts]  # relative to cell (0, 0)
    boxes = _site_boxes(features, px, py)
    kx, ky = _reach(features, boxes, px, py)
    usable = lattice.full & ~_blocked(lattice, boxes, loose)
    interior = _eroded(usable, kx, ky)
    # Sites whose features stay inside the interior: their whole neighbourhood is interior.
    inside = _eroded(interior, kx, ky)
    edge = lattice.full & ~inside
    ii, jj = np.nonzero(edge)
    cells = np.column_stack((ii, jj)) * np.array([px, py]) + lattice.ref
    edge_sites = (cells[:, None, :] + lattice.firsts[None]).reshape(-1, 2)
    ii, jj = np.nonzero(interior.T)  # row-major (row, column)
    if not len(ii):
        return [], edge_sites, np.zeros((0, 4), dtype=np.int64), np.zeros((0, 4), dtype=np.int64)
    tile = _tile_cell(f"{name}_TILE", features, boxes, (px, py), (kx, ky), layer)
    references, bars, cores = [], [], []
    for block in lattice_blocks(np.column_stack((jj, ii)), 1):
        origin = lattice.ref + np.array([block.col * px, block.row * py])
        at = (float(origin[0] * DBU_UM), float(origin[1] * DBU_UM))
        if block.columns == block.rows == 1:
            references.append(gdstk.Reference(tile, at))
        else:
            spacing = (px * DBU_UM, py * DBU_UM)
            references.append(
                gdstk.Reference(tile, at, columns=block.columns, rows=block.rows, spacing=spacing)
            )
        span = np.array([0, 0, (block.columns - 1) * px, 0])
        rows = np.arange(block.rows)[:, None, None] * np.array([0, py, 0, py])
        placed = boxes[None] + rows + np.concatenate([origin, origin])
        bars.append((placed + span).reshape(-1, 4) if len(boxes) > 1 else _hull(placed + span))
        corner = placed.reshape(-1, 4)
        cores.append(
            [
                corner[:, 0].max(),
                corner[:, 1].min(),
                corner[:, 2].min() + span[2],
                corner[:, 3].max(),
            ]
        )
    return references, edge_sites, np.concatenate(bars), np.array(cores, dtype=np.int64)


def _hull(boxes: I64) -> I64:
    """The one rectangle covering boxes that stack into it (one basis box per row)."""
    flat = boxes.reshape(-1, 4)
    return np.concatenate([flat[:, :2].min(0), flat[:, 2:].max(0)])[None]


def _reach(features: list[I64], boxes: I64, px: int, py: int) -> tuple[int, int]:
    """How many cells away (in x, in y) a feature still meets a tile's bounding box."""
    tile = np.concatenate([boxes[:, :2].min(0), boxes[:, 2:].max(0)])
    own = np.array([np.concatenate([f.min(0), f.max(0)]) for f in features])
    kx = ky = 0
    far = 1 + int(max((own[:, 2:] - own[:, :2]).max() // min(px, py), 1))
    for di in range(-far, far + 1):
        for dj in range(-far, far + 1):
            shifted = own + np.array([di * px, dj * py, di * px, dj * py])
            if _overlapping(tile, shifted).any():
                kx, ky = max(kx, abs(di)), max(ky, abs(dj))
    return kx, ky


def _blocked(lattice: _Lattice, boxes: I64, loose: list[tuple[I64, I64]]) -> Bools:
    """Cells whose tile meets a loose feature (another shape, a mark, a stray site)."""
    px, py = lattice.pitch
    tile = np.concatenate([boxes[:, :2].min(0), boxes[:, 2:].max(0)])
    blocked = np.zeros((lattice.nx, lattice.ny), dtype=bool)
    for shape, at in loose:
        if not len(at):
            continue
        lo = shape.min(0) + at - lattice.ref
        hi = shape.max(0) + at - lattice.ref
        # Cells c with tile + c*pitch overlapping [lo, hi]: tile.lo + c*p < hi, lo < tile.hi + c*p
        first = np.floor_divide(lo - tile[2:], [px, py]) + 1
        last = -np.floor_divide(-(hi - tile[:2]), [px, py]) - 1
        for di in range(int((last - first)[:, 0].max(initial=-1)) + 1):
            for dj in range(int((last - first)[:, 1].max(initial=-1)) + 1):
                c = first + np.array((di, dj))
                ok = (c <= last).all(1) & (c >= 0).all(1) & (c < (lattice.nx, lattice.ny)).all(1)
                blocked[c[ok, 0], c[ok, 1]] = True
    return blocked


def _eroded(mask: Bools, kx: int, ky: int) -> Bools:
    """Cells whose whole ``(2kx+1) x (2ky+1)`` neighbourhood is set (outside counts unset)."""
    out = mask.copy()
    for axis, k in ((0, kx), (1, ky)):
        if k == 0:
            continue
        padded = np.pad(out, [(k, k) if a == axis else (0, 0) for a in (0, 1)])
        total = np.cumsum(padded, axis=axis, dtype=np.int64)
        total = np.concatenate([np.zeros_like(total.take([0], axis=axis)), total], axis=axis)
        n = out.shape[axis]
        upper = total.take(np.arange(2 * k + 1, 2 * k + 1 + n), axis=axis)
        lower = total.take(np.arange(n), axis=axis)
        out = (upper - lower) == 2 * k + 1
    return out


def _site_boxes(features: list[I64], px: int, py: int) -> I64:
    """One box per basis feature (``px`` wide, an equal share of ``py`` high, centred on the
    feature), so that the boxes tile the plane under the lattice steps: tile edges then run
    between features and never cut a slanted edge (a cut would round to the grid). When
    the features do not sit in evenly spaced rows, one ``px`` x ``py`` box around them all."""
    centres = np.array([(f.min(0) + f.max(0)) // 2 for f in features])
    m = len(features)
    rows = np.sort(centres[:, 1])
    if py % m == 0 and np.all(np.diff(rows) == py // m):
        corner = centres - np.array([px // 2, py // m // 2])
        return np.concatenate([corner, corner + np.array([px, py // m])], axis=1)
    lo = np.min([f.min(0) for f in features], axis=0)
    hi = np.max([f.max(0) for f in features], axis=0)
    corner = (lo + hi) // 2 - np.array([px // 2, py // 2])
    return np.concatenate([corner, corner + np.array([px, py])])[None]


def _tile_cell(
    name: str,
    features: list[I64],
    boxes: I64,
    pitch: tuple[int, int],
    reach: tuple[int, int],
    layer: Layer,
) -> gdstk.Cell:
    """The tile of cell (0, 0) minus the features of its own and neighbouring cells."""
    (px, py), (kx, ky) = pitch, reach
    shifted = [
        gdstk.Polygon((f + np.array([di * px, dj * py])) * DBU_UM)
        for di in range(-kx, kx + 1)
        for dj in range(-ky, ky + 1)
        for f in features
    ]
    cell = gdstk.Cell(name)
    cell.add(*_difference([_box(box) for box in boxes], shifted, layer))
    return cell


def _overlapping(box: I64, boxes: I64) -> NDArray[np.bool_]:
    """Which ``boxes`` share area with ``box`` (touching is not overlapping)."""
    return (
        (boxes[:, 0] < box[2])
        & (box[0] < boxes[:, 2])
        & (boxes[:, 1] < box[3])
        & (box[1] < boxes[:, 3])
    )


def _difference(
    keep: list[gdstk.Polygon], holes: list[gdstk.Polygon], layer: Layer
) -> list[gdstk.Polygon]:
    out = gdstk.boolean(
        keep, holes, "not", precision=DBU_UM, layer=layer.layer, datatype=layer.datatype
    )
    return clean(out, layer)


def _border(
    field: I64, bars: I64, cores: I64, loose: list[tuple[I64, I64]], layer: Layer
) -> list[gdstk.Polygon]:
    """``field`` minus the arrayed interiors minus the loose features, window by window
    (windows of about :data:`WINDOW_FEATURES` features; the pieces abut at window edges)."""
    loose = [(shape, at) for shape, at in loose if len(at)]
    shapes = [shape for shape, _ in loose]
    which = np.repeat(np.arange(len(loose), dtype=np.int64), [len(at) for _, at in loose])
    firsts = np.concatenate([at for _, at in loose] or [np.zeros((0, 2), dtype=np.int64)])
    lows = np.array([s.min(0) for s in shapes]).reshape(-1, 2)
    highs = np.array([s.max(0) for s in shapes]).reshape(-1, 2)
    boxes = np.concatenate([lows[which] + firsts, highs[which] + firsts], axis=1)
    out: list[gdstk.Polygon] = []
    for window, near in _windows(field, boxes, np.arange(len(boxes))):
        inside = (cores[:, :2] <= window[:2]).all(1) & (cores[:, 2:] >= window[2:]).all(1)
        if inside.any():
            continue  # the tiles cover the whole window
        holes = [gdstk.Polygon((shapes[which[k]] + firsts[k]) * DBU_UM) for k in near]
        holes += [_box(bar) for bar in bars[_overlapping(window, bars)]]
        out.extend(_difference([_box(window)], holes, layer))
    return out


def _windows(window: I64, boxes: I64, near: I64) -> Iterator[tuple[I64, I64]]:
    """Split ``window`` until each part meets at most :data:`WINDOW_FEATURES` of ``boxes``
    (``near``: those meeting it), along lines that cross no feature: a cut through a
    slanted edge would put a rounded vertex on it, and the result would differ from the
    uncut boolean by slivers."""
    if len(near) <= WINDOW_FEATURES:
        yield window, near
        return
    sizes = window[2:] - window[:2]
    for axis in (0, 1) if sizes[0] >= sizes[1] else (1, 0):
        cut = _free_cut(boxes[near], axis, window)
        if cut is None:
            continue
        low, high = window.copy(), window.copy()
        low[2 + axis], high[axis] = cut, cut
        yield from _windows(low, boxes, near[boxes[near, axis] < cut])
        yield from _windows(high, boxes, near[boxes[near, 2 + axis] > cut])
        return
    yield window, near  # no free line: one large boolean


def _free_cut(boxes: I64, axis: int, window: I64) -> int | None:
    """A coordinate along ``axis`` inside ``window`` that no box spans, nearest the median
    box, or None."""
    order = np.argsort(boxes[:, axis], kind="stable")
    lo, hi = boxes[order, axis], np.maximum.accumulate(boxes[order, 2 + axis])
    gaps = np.flatnonzero(hi[:-1] <= lo[1:])  # a line at hi[k] touches, never crosses
    cuts = hi[gaps]
    cuts = cuts[(cuts > window[axis]) & (cuts < window[2 + axis])]
    if not len(cuts):
        return None
    middle = lo[len(lo) // 2]
    return int(cuts[np.argmin(np.abs(cuts - middle))])


def _box(box: I64) -> gdstk.Polygon:
    x0, y0, x1, y1 = (float(v) * DBU_UM for v in box)
    return gdstk.rectangle((x0, y0), (x1, y1))
