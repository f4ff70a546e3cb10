"""Lattice sites as a few large 2D blocks plus small leftovers (for arrayed references).

The input is the set of kept sites of one lattice as ``(column, row)`` indices. A square
lattice is one plain grid (``step = 1``); a hex lattice is two interleaved plain grids, its
even and odd rows (``step = 2``), each taken as a *member* of a super-row ``k`` (rows
``2k`` and ``2k + 1``). A block is a ``columns x rows`` rectangle of one member grid.

Why blocks: a field clipped to a disc has rows of different lengths. Covering it with one
block per group of identical rows (the fewest blocks: a partition into rectangles cannot do
better when the two ends of a row change together) gives one-row blocks everywhere but the
equator, and a rule checker can only take a large 2D array as "checked once". So rows are
split into *bands*: per band the columns common to every row (of every member) form one
``columns x rows`` core block per member, and what sticks out on either side is left over.
Leftovers and rows outside any band ("plain" rows) are grouped as before (identical row
runs in consecutive rows of a member become one block).

Band heights come from a dynamic programme over super-rows that minimises

    blocks + (sites not in a core + sites along each core's top and bottom edge) / SITES_PER_BLOCK

i.e. one more block is worth it when it takes ``SITES_PER_BLOCK`` sites out of a flat
check. The edge term stands for the strip a checker re-examines where a core meets its
neighbours; it keeps bands from getting thin. The counts in the cost are estimates (changes
of a row's first and last column); the blocks themselves always cover exactly the input.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

__all__ = ["SITES_PER_BLOCK", "Block", "lattice_blocks"]

I64 = NDArray[np.int64]

#: One extra block (a reference in the file, ~60 bytes) is worth this many sites kept out of
#: a flat check (measured on a 10^6 hex disc: 256 gives +75 % file for no faster check).
SITES_PER_BLOCK = 512
#: The smallest core per member: a rule checker expands smaller arrays anyway.
MIN_CORE_SITES = 256
#: Rows along each long edge of a core that a checker still looks at one by one (a few
#: pitches: the rule distance plus the size of the unit).
EDGE_ROWS = 4
#: The thinnest core (rows and columns per member): thinner ones are not checked as arrays.
MIN_CORE = 8


@dataclass(frozen=True, order=True)
class Block:
    """Sites ``(col + i, row + step * j)`` for ``i < columns``, ``j < rows``."""

    row: int
    col: int
    columns: int
    rows: int


def lattice_blocks(idx: I64, step: int) -> list[Block]:
    """Blocks covering exactly the sites ``idx`` (``(N, 2)`` column, row; unique), sorted.

    ``step`` is 1 for a plain grid and 2 for two member grids (even and odd rows).
    """
    idx = np.asarray(idx, dtype=np.int64).reshape(-1, 2)
    if len(idx) == 0:
        return []
    dr, dc = np.diff(idx[:, 1]), np.diff(idx[:, 0])
    if not np.all((dr > 0) | ((dr == 0) & (dc > 0))):  # not yet row-major
        idx = idx[np.lexsort((idx[:, 0], idx[:, 1]))]
    plain = _row_blocks(idx, step)
    if len(plain) <= step and len({(b.col, b.columns, b.rows) for b in plain}) == 1:
        return sorted(plain)  # one rectangle per member, twins: nothing to gain
    rows = _row_table(idx)
    lo = np.zeros(rows.count, dtype=np.int64)
    hi = np.zeros(rows.count, dtype=np.int64)
    cores = []
    for k0, k1, c0, c1 in _choose_bands(rows, step):
        for m in range(step):
            cores.append(Block(rows.first + step * k0 + m, c0, c1 - c0, k1 - k0))
            lo[step * k0 + m : step * k1 : step] = c0
            hi[step * k0 + m : step * k1 : step] = c1
    if not cores:
        return sorted(plain)
    r = idx[:, 1] - rows.first
    in_core = (idx[:, 0] >= lo[r]) & (idx[:, 0] < hi[r])
    return sorted(cores + _row_blocks(idx[~in_core], step))


@dataclass(frozen=True)
class _Rows:
    """Per row from ``first`` (``count`` rows): sites, first and last+1 column, widest run."""

    first: int
    count: int
    sites: I64
    start: I64
    end: I64
    run_lo: I64
    run_hi: I64


def _runs(idx: I64) -> I64:
    """Row runs ``(row, first column, length)`` of row-major lattice indices."""
    breaks = np.flatnonzero((np.diff(idx[:, 1]) != 0) | (np.diff(idx[:, 0]) != 1)) + 1
    starts = np.concatenate(([0], breaks))
    lengths = np.diff(np.concatenate((starts, [len(idx)])))
    return np.column_stack((idx[starts, 1], idx[starts, 0], lengths))


def _row_table(idx: I64) -> _Rows:
    first = int(idx[0, 1])
    count = int(idx[-1, 1]) - first + 1
    r = idx[:, 1] - first
    sites = np.bincount(r, minlength=count).astype(np.int64)
    start = np.zeros(count, dtype=np.int64)
    end = np.zeros(count, dtype=np.int64)
    start[r[::-1]] = idx[::-1, 0]  # the first site of each row wins
    end[r] = idx[:, 0] + 1  # the last one wins
    runs = _runs(idx)
    order = np.lexsort((runs[:, 1], -runs[:, 2], runs[:, 0]))  # per row: longest, leftmost
    best = runs[order]
    keep = np.concatenate(([True], best[1:, 0] != best[:-1, 0]))
    best = best[keep]
    run_lo = np.zeros(count, dtype=np.int64)
    run_hi = np.zeros(count, dtype=np.int64)
    run_lo[best[:, 0] - first] = best[:, 1]
    run_hi[best[:, 0] - first] = best[:, 1] + best[:, 2]
    return _Rows(first, count, sites, start, end, run_lo, run_hi)


def _changes(values: I64, step: int) -> I64:
    """Prefix counts: ``out[k]`` = super-rows ``1..k-1`` whose value differs from the one
    before, summed over members (``values`` is per super-row and member)."""
    diff = np.zeros(len(values), dtype=np.int64)
    diff[1:] = (values[1:] != values[:-1]).sum(axis=1)
    return np.concatenate(([0], np.cumsum(diff)))


def _choose_bands(rows: _Rows, step: int) -> list[tuple[int, int, int, int]]:
    """Bands ``(k0, k1, c0, c1)``: super-rows ``k0 <= k < k1`` share columns ``c0 <= c < c1``
    in every member row (super-row ``k`` holds rows ``first + step*k + m``, relative)."""
    n = -(-rows.count // step)

    def per_member(a: I64, fill: int) -> I64:
        padded = np.full(n * step, fill, dtype=np.int64)
        padded[: rows.count] = a
        return padded.reshape(n, step)

    # The widest run of each super-row common to all its members (empty: lo >= hi).
    lo = per_member(rows.run_lo, 0).max(axis=1)
    hi = per_member(rows.run_hi, 0).min(axis=1)
    sites = np.concatenate(([0], np.cumsum(per_member(rows.sites, 0).sum(axis=1))))
    starts, ends = per_member(rows.start, -1), per_member(rows.end, -1)
    left, right = _changes(starts, step), _changes(ends, step)
    either = np.zeros(n, dtype=np.int64)
    either[1:] = ((starts[1:] != starts[:-1]) | (ends[1:] != ends[:-1])).sum(axis=1)
    either = np.concatenate(([0], np.cumsum(either)))
    best = np.full(n + 1, np.inf)
    best[0] = 0.0
    came = np.zeros(n + 1, dtype=np.int64)  # where the last segment starts
    is_band = np.zeros(n + 1, dtype=bool)
    for i in range(n):
        stop = np.arange(i + 1, n + 1)
        # Plain super-rows: a new block per member and per change of a row's ends.
        cost = best[i] + step + either[stop] - either[i + 1]
        cost += (sites[stop] - sites[i]) / SITES_PER_BLOCK
        wins = cost < best[stop]
        best[stop[wins]], came[stop[wins]], is_band[stop[wins]] = cost[wins], i, False
        if n - i < MIN_CORE:
            continue
        c0 = np.maximum.accumulate(lo[i:])
        c1 = np.minimum.accumulate(hi[i:])
        width = c1 - c0
        height = stop - i
        core = step * width * height
        leftover = sites[stop] - sites[i] - core
        edge = step * width * np.minimum(2 * EDGE_ROWS, height)
        blocks = step + (left[stop] - left[i + 1]) + (right[stop] - right[i + 1])
        cost = best[i] + blocks + (leftover + edge) / SITES_PER_BLOCK
        ok = (width >= MIN_CORE) & (height >= MIN_CORE) & (core >= step * MIN_CORE_SITES)
        cost = np.where(ok, cost, np.inf)
        wins = cost < best[stop]
        best[stop[wins]], came[stop[wins]], is_band[stop[wins]] = cost[wins], i, True
    bands: list[tuple[int, int, int, int]] = []
    j = n
    while j > 0:
        i = int(came[j])
        if is_band[j]:
            bands.append((i, j, int(lo[i:j].max()), int(hi[i:j].min())))
        j = i
    return bands[::-1]


def _row_blocks(idx: I64, step: int) -> list[Block]:
    """Blocks from row runs: identical runs in consecutive rows of a member merge."""
    if len(idx) == 0:
        return []
    groups: dict[tuple[int, int, int], list[int]] = {}
    for row, col, length in _runs(idx).tolist():
        groups.setdefault((col, length, row % step), []).append(row)
    blocks = []
    for (col, length, _), members in groups.items():
        start = 0
        for k in range(1, len(members) + 1):
            if k == len(members) or members[k] - members[k - 1] != step:
                blocks.append(Block(members[start], col, length, k - start))
                start = k
    return blocks
