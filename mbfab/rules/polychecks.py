"""Per-polygon checks: area, holes, acute angles, vertex count, grid."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from mbfab.layout import DBU_UM
from mbfab.layout.polygons import Poly
from mbfab.rules.index import Shapes

__all__ = ["interior_angles_deg", "measure", "off_grid", "ring_area_dbu2"]

UM2 = DBU_UM * DBU_UM


def ring_area_dbu2(ring: NDArray[np.int64]) -> float:
    """Unsigned shoelace area of a ring."""
    x, y = ring[:, 0].astype(np.float64), ring[:, 1].astype(np.float64)
    return abs(float(np.dot(x, np.roll(y, -1)) - np.dot(np.roll(x, -1), y))) / 2


def interior_angles_deg(ring: NDArray[np.int64]) -> NDArray[np.float64]:
    """Interior angle at each vertex of a hull ring (clockwise, KLayout orientation)."""
    pts = ring.astype(np.float64)
    a = pts - np.roll(pts, 1, axis=0)
    b = np.roll(pts, -1, axis=0) - pts
    turn = np.degrees(np.arctan2(a[:, 0] * b[:, 1] - a[:, 1] * b[:, 0], (a * b).sum(axis=1)))
    # Clockwise ring: a right turn (negative) is a convex corner of 180 + turn degrees.
    return 180.0 + turn


def measure(kind: str, poly: Poly, value: float) -> tuple[float | None, int] | None:
    """``(measured, violations)`` when ``poly`` breaks a per-polygon rule, else None."""
    if kind == "vertices":
        n = len(poly[0]) if poly else 0
        return (float(n), 1) if n > value else None
    if kind == "area":
        area = (ring_area_dbu2(poly[0]) - sum(ring_area_dbu2(h) for h in poly[1:])) * UM2
        return (round(area, 6), 1) if area < value else None
    if kind == "hole":
        small = [ring_area_dbu2(h) * UM2 for h in poly[1:] if ring_area_dbu2(h) * UM2 < value]
        return (round(min(small), 6), len(small)) if small else None
    if kind == "angle":
        angles = np.concatenate(
            [interior_angles_deg(poly[0])] + [360.0 - interior_angles_deg(h) for h in poly[1:]]
        )
        acute = angles[angles < value - 1e-9]
        return (round(float(acute.min()), 3), len(acute)) if len(acute) else None
    raise ValueError(f"unknown per-polygon rule kind {kind!r}")


def off_grid(sh: Shapes, grid_dbu: float) -> dict[int, tuple[float | None, int]]:
    """Prototypes with a vertex off ``grid_dbu`` for at least one of their offsets.

    Counts are per instance; each distinct (prototype, offset residue) is checked once.
    """
    g = max(round(grid_dbu), 1)
    bad: dict[int, tuple[float | None, int]] = {}
    if g == 1 or len(sh) == 0:
        return bad
    residue = np.mod(sh.offset, g)
    rows = np.stack([sh.proto, residue[:, 0], residue[:, 1]], axis=1)
    uniq, counts = np.unique(rows, axis=0, return_counts=True)
    for (k, rx, ry), n in zip(uniq, counts, strict=True):
        pts = np.concatenate(sh.protos[int(k)]) + np.array([rx, ry])
        if np.any(np.mod(pts, g) != 0):
            previous = bad.get(int(k), (None, 0))[1]
            bad[int(k)] = (None, previous + int(n))
    return bad
