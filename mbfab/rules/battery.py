"""Electrode nets: each one connected piece on its collector, and the two never touching."""

from __future__ import annotations

import numpy as np

from mbfab.layout import DBU_UM
from mbfab.layout.polygons import Poly, come_close
from mbfab.layout.regions import boolean_polygons
from mbfab.rules.clusters import place_markers
from mbfab.rules.engine import LayoutData
from mbfab.rules.model import Finding, LayerRef, Marker, Rule

__all__ = ["net_finding", "short_finding"]


def _polygons(data: LayoutData, layer: LayerRef) -> list[Poly]:
    sh = data.merged(layer.spec)
    return [sh.polygon(i) for i in range(len(sh))]


def _meet(a: Poly, b: Poly) -> bool:
    """The polygons overlap or touch (exact)."""
    return come_close(a, b, 0.0)


def _marker(polys: list[Poly]) -> Marker:
    """A box around ``polys`` (um)."""
    pts = np.concatenate([p[0] for p in polys])
    (x0, y0), (x1, y1) = pts.min(axis=0), pts.max(axis=0)
    corners = ((x0, y0), (x1, y0), (x1, y1), (x0, y1))
    return Marker(
        tuple((round(float(x) * DBU_UM, 6), round(float(y) * DBU_UM, 6)) for x, y in corners)
    )


def _contact(a: Poly, b: Poly) -> Marker:
    """Where ``a`` and ``b`` meet: their overlap, or (touching only) both."""
    return _marker(boolean_polygons([a], [b], "and") or [a, b])


def net_finding(rule: Rule, data: LayoutData) -> Finding:
    """``rule.layers`` = (collector, electrode): the electrode sits on exactly one collector
    piece (which carries the pad); floating electrode pieces and split nets fail."""
    collector, electrode = rule.layers
    collectors = _polygons(data, collector)
    finding = Finding(rule)
    used: set[int] = set()
    for piece in _polygons(data, electrode):
        touching = [k for k, c in enumerate(collectors) if _meet(c, piece)]
        if not touching:
            finding.count += 1
            finding.markers.append(_marker([piece]))
        used.update(touching)
    if len(used) > 1:
        finding.count += len(used) - 1
        finding.markers += [_marker([collectors[k]]) for k in sorted(used)[1:]]
    if finding.count:
        finding.message = "electrode net is not one connected piece on its collector"
    place_markers(finding)
    return finding


def short_finding(rule: Rule, data: LayoutData) -> Finding:
    """``rule.layers`` = (collector, cathode, anode): a short is a cathode piece touching an
    anode piece, or one collector piece touching both."""
    collector, cathode, anode = rule.layers
    cathodes, anodes = _polygons(data, cathode), _polygons(data, anode)
    finding = Finding(rule)
    for c in cathodes:
        for a in anodes:
            if _meet(c, a):
                finding.count += 1
                finding.markers.append(_contact(c, a))
    if collector.spec not in (cathode.spec, anode.spec):
        for piece in _polygons(data, collector):
            if any(_meet(piece, c) for c in cathodes) and any(_meet(piece, a) for a in anodes):
                finding.count += 1
                finding.markers.append(_marker([piece]))
    if finding.count:
        finding.message = "cathode and anode nets touch (short circuit)"
    place_markers(finding)
    return finding
