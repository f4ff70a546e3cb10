"""Electrode nets: each one connected piece on its collector, and the two never touching."""

from __future__ import annotations

import shapely

from mbfab.layout import DBU_UM
from mbfab.rules.engine import LayoutData
from mbfab.rules.geom import to_shapely
from mbfab.rules.model import Finding, LayerRef, Marker, Rule

__all__ = ["net_finding", "short_finding"]


def _polygons(data: LayoutData, layer: LayerRef) -> list[shapely.Polygon]:
    sh = data.merged(layer.spec)
    return [to_shapely(sh.polygon(i)) for i in range(len(sh))]


def _marker(geometry: shapely.Geometry) -> Marker:
    hull = shapely.convex_hull(geometry)
    coords = hull.exterior.coords[:-1] if hasattr(hull, "exterior") else hull.coords
    return Marker(tuple((round(x * DBU_UM, 6), round(y * DBU_UM, 6)) for x, y in coords))


def net_finding(rule: Rule, data: LayoutData) -> Finding:
    """``rule.layers`` = (collector, electrode): the electrode sits on exactly one collector
    piece (which carries the pad); floating electrode pieces and split nets fail."""
    collector, electrode = rule.layers
    collectors = _polygons(data, collector)
    finding = Finding(rule)
    used: set[int] = set()
    for piece in _polygons(data, electrode):
        touching = [k for k, c in enumerate(collectors) if c.intersects(piece)]
        if not touching:
            finding.count += 1
            finding.markers.append(_marker(piece))
        used.update(touching)
    if len(used) > 1:
        finding.count += len(used) - 1
        finding.markers += [_marker(collectors[k]) for k in sorted(used)[1:]]
    if finding.count:
        finding.message = "electrode net is not one connected piece on its collector"
    return finding


def short_finding(rule: Rule, data: LayoutData) -> Finding:
    """``rule.layers`` = (collector, cathode, anode): a short is a cathode piece touching an
    anode piece, or one collector piece touching both."""
    collector, cathode, anode = rule.layers
    cathodes, anodes = _polygons(data, cathode), _polygons(data, anode)
    finding = Finding(rule)
    for c in cathodes:
        for a in anodes:
            if c.intersects(a):
                finding.count += 1
                finding.markers.append(_marker(c.intersection(a).buffer(0.5)))
    if collector.spec not in (cathode.spec, anode.spec):
        for piece in _polygons(data, collector):
            if any(piece.intersects(c) for c in cathodes) and any(
                piece.intersects(a) for a in anodes
            ):
                finding.count += 1
                finding.markers.append(_marker(piece))
    if finding.count:
        finding.message = "cathode and anode nets touch (short circuit)"
    return finding
