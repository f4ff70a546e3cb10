"""Placement transformations computed as KLayout computes them, to the last bit.

A placed polygon's vertices land on the grid only after rounding whenever a reference is
magnified or turned by an angle that is not a multiple of 90 degrees (a rectangle at 0.5x
lands on half database units). Where exactly a vertex lands then depends on the arithmetic,
and so does every width and space measured on it. These transformations follow KLayout's
(``db::ICplxTrans``) operation for operation:

* A reference with a magnification (other than 1) or an arbitrary angle is split into a
  rotation by a multiple of 90 degrees, the cosine of the remaining angle and the
  magnification; its sine and cosine are rebuilt from those (so 90, 180 and 270 degrees are
  exact even when magnified).
* Transformations of nested references are concatenated in double precision.
* A vertex is transformed in double precision and rounded to the grid, halves away from
  zero -- so the rounding of a half unit depends on the sign of the final coordinate, and a
  magnified cell placed at many offsets may land differently at each.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

__all__ = ["Linear", "reference_linear"]

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]
EPS = 1e-10  # KLayout's epsilon for transformation decisions
_QUARTERS = ((1.0, 0.0), (0.0, 1.0), (-1.0, 0.0), (0.0, -1.0))


@dataclass(frozen=True)
class Linear:
    """The linear part of a placement: ``p -> (cos x |m| - sin y m, sin x |m| + cos y m)``
    where a negative magnification ``m`` mirrors about the x axis first."""

    cos: float = 1.0
    sin: float = 0.0
    mag: float = 1.0

    def then(self, inner: Linear) -> Linear:
        """This transformation applied after ``inner`` (KLayout's ``concat``)."""
        s1 = -1.0 if self.mag < 0.0 else 1.0
        return Linear(
            self.cos * inner.cos - s1 * self.sin * inner.sin,
            self.sin * inner.cos + s1 * self.cos * inner.sin,
            self.mag * inner.mag,
        )

    def apply(self, points: F64 | I64) -> F64:
        """Transformed points or vectors, ``(n, 2)``, unrounded (columns, not a matmul: numpy's
        matmul with an inner size of 2 is slow on millions of rows)."""
        p = np.asarray(points, dtype=np.float64).reshape(-1, 2)
        if self.key == (1.0, 0.0, 1.0):  # the common identity: no copy of millions of rows
            return p
        x, y = p[:, 0], p[:, 1]
        m, am = self.mag, abs(self.mag)
        return np.stack(
            [self.cos * x * am - self.sin * y * m, self.sin * x * am + self.cos * y * m], axis=1
        )

    @property
    def key(self) -> tuple[float, float, float]:
        return (self.cos, self.sin, self.mag)


def _quarter(cos: float, sin: float) -> int:
    """KLayout's quadrant of a rotation (which multiple of 90 degrees it is nearest below)."""
    if cos > EPS and sin >= -EPS:
        return 0
    if cos <= EPS and sin > EPS:
        return 1
    if cos < -EPS and sin <= EPS:
        return 2
    return 3


def _residual_cos(cos: float, sin: float) -> float:
    """The cosine of the angle beyond the quadrant (KLayout's ``rcos``)."""
    quarter = _quarter(cos, sin)
    return (cos, sin, -cos, -sin)[quarter]


def reference_linear(rotation_rad: float, magnification: float, mirror: bool) -> Linear:
    """The linear part of a GDS reference as KLayout reads it.

    ``rotation_rad`` must be the angle as gdstk reads it (``pi / 180 * degrees``, the very
    product KLayout forms); magnifications within 1e-9 of 1 count as none.
    """
    degrees = math.degrees(rotation_rad)
    a = degrees / 90.0
    quarter = int(a - 0.5) if a < 0 else int(a + 0.5)
    arbitrary = abs(quarter - a) > 1e-9
    magnified = abs(magnification - 1.0) > 1e-9
    if not arbitrary and not magnified:
        cos, sin = _QUARTERS[quarter % 4]
        return Linear(cos, sin, -1.0 if mirror else 1.0)
    cos0, sin0 = math.cos(rotation_rad), math.sin(rotation_rad)
    mag = -magnification if mirror else magnification
    if abs(abs(mag) - 1.0) <= EPS and abs(sin0 * cos0) <= EPS:
        # Not complex after all: a plain quarter turn (KLayout keeps a simple transformation).
        cos, sin = _QUARTERS[_quarter(cos0, sin0)]
        return Linear(cos, sin, -1.0 if mirror else 1.0)
    acos = min(1.0, max(-1.0, _residual_cos(cos0, sin0)))
    tx, ty = _QUARTERS[_quarter(cos0, sin0)]
    asin = math.sqrt(1.0 - acos * acos)
    return Linear(tx * acos - ty * asin, tx * asin + ty * acos, mag)
