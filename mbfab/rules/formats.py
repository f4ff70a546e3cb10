"""Check results for people (a table) and for tools (JSON, JUnit XML, KLayout .lyrdb).

JSON schema ``mbfab-drc/1``::

    {"schema": "mbfab-drc/1", "layout": str, "summary": {"rules": int, "errors": int,
     "warnings": int, "violations": int, "clean": bool},
     "results": [{"id": str, "kind": str, "layers": [str], "value": float|null,
                  "unit": str, "severity": "error"|"warning", "description": str,
                  "metric": "euclidian"|"square"|"projection"|null (edge-pair kinds),
                  "source": str, "count": int, "worst": float|null, "message": str,
                  "seconds": float|null (null in files compile writes),
                  "clusters": [{"id": int, "count": int, "worst": float|null,
                                "box_um": [x0, y0, x1, y1]}],
                  "markers": [{"points_um": [[x, y], ...], "measured": float|null,
                               "shape": "edge-pair"|"polygon", "cluster": int}]}]}

``count`` is the number of violations (edge pairs for width/space/separation/enclosure, as
KLayout counts them); ``markers`` holds at most ``--max-markers`` of them, every edge pair
on its own as KLayout lists them (an edge pair's points: the first edge's two ends, then
the second edge's). ``clusters`` are the violation regions people look at: violations whose
markers touch or overlap, with their count and worst value; each marker names its region
(0: beyond the first 5 000 violations, which are counted but not placed in regions).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any, Final, Literal
from xml.etree import ElementTree as ET

from pydantic import ConfigDict, with_config
from typing_extensions import TypedDict

from mbfab.rules.model import METRIC_KINDS, Cluster, Finding, Marker

__all__ = [
    "DRC_SCHEMA",
    "DrcCluster",
    "DrcMarker",
    "DrcReport",
    "DrcResult",
    "DrcSummary",
    "exit_status",
    "region_order",
    "to_dict",
    "to_json",
    "to_junit",
    "to_lyrdb",
    "to_table",
]

DRC_SCHEMA: Final = "mbfab-drc/1"


def exit_status(findings: Sequence[Finding], strict: bool = False) -> int:
    """0 clean, 1 when an error rule (or, with ``strict``, any rule) has violations."""
    for f in findings:
        if f.failed and (f.rule.severity == "error" or strict):
            return 1
    return 0


@with_config(ConfigDict(extra="forbid"))
class DrcSummary(TypedDict):
    """drc.json ``summary`` (also report.json ``drc``)."""

    rules: int
    errors: int
    warnings: int
    violations: int
    clean: bool


@with_config(ConfigDict(extra="forbid"))
class DrcMarker(TypedDict):
    """An edge pair (the first edge's two ends, then the second's) or a polygon, in um, and
    the violation region it belongs to (0: none)."""

    points_um: list[list[float]]
    measured: float | None
    shape: Literal["edge-pair", "polygon"]
    cluster: int


@with_config(ConfigDict(extra="forbid"))
class DrcCluster(TypedDict):
    """A violation region: markers of one rule that touch or overlap."""

    id: int
    count: int
    worst: float | None
    box_um: list[float]


@with_config(ConfigDict(extra="forbid"))
class DrcResult(TypedDict):
    """drc.json ``results[]``: one rule and what it found."""

    id: str
    kind: str
    layers: list[str]
    value: float | None
    unit: str
    severity: Literal["error", "warning"]
    description: str
    metric: Literal["euclidian", "square", "projection"] | None
    source: str
    count: int
    worst: float | None
    message: str
    seconds: float | None
    clusters: list[DrcCluster]
    markers: list[DrcMarker]


@with_config(ConfigDict(extra="forbid"))
class DrcReport(TypedDict):
    """drc.json (``mbfab-drc/1``)."""

    schema: Literal["mbfab-drc/1"]
    layout: str
    summary: DrcSummary
    results: list[DrcResult]


def _summary(findings: Sequence[Finding]) -> DrcSummary:
    errors = sum(1 for f in findings if f.failed and f.rule.severity == "error")
    warnings = sum(1 for f in findings if f.failed and f.rule.severity == "warning")
    return {
        "rules": len(findings),
        "errors": errors,
        "warnings": warnings,
        "violations": sum(f.count for f in findings),
        "clean": errors == 0,
    }


def to_dict(findings: Sequence[Finding], layout: str, timings: bool = True) -> DrcReport:
    """The JSON report as a dict; ``timings=False`` drops run times (for reproducible files)."""
    results: list[DrcResult] = []
    for f in findings:
        r = f.rule
        results.append(
            {
                "id": r.id,
                "kind": r.kind,
                "layers": [str(layer) for layer in r.layers],
                "value": r.value,
                "unit": r.unit,
                "severity": r.severity,
                "description": r.description,
                "metric": r.metric if r.kind in METRIC_KINDS else None,
                "source": r.source,
                "count": f.count,
                "worst": f.worst,
                "message": f.message,
                "seconds": round(f.seconds, 4) if timings else None,
                "clusters": [
                    {"id": c.id, "count": c.count, "worst": c.worst, "box_um": list(c.box_um)}
                    for c in f.clusters
                ],
                "markers": [
                    {
                        "points_um": [list(p) for p in m.points],
                        "measured": m.measured,
                        "shape": m.shape,
                        "cluster": m.cluster,
                    }
                    for m in f.markers
                ],
            }
        )
    return {
        "schema": DRC_SCHEMA,
        "layout": layout,
        "summary": _summary(findings),
        "results": results,
    }


def to_json(findings: Sequence[Finding], layout: str, timings: bool = True) -> str:
    """The JSON report (schema above)."""
    return json.dumps(to_dict(findings, layout, timings), indent=1, sort_keys=False) + "\n"


def _fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    return f"{value:.4g} {unit}".strip()


def region_order(kind: str, worst: float | None, count: int, ident: int) -> tuple[Any, ...]:
    """Sort key of a violation region of a rule of ``kind``: worst first (the smallest
    measured value, the largest for vertices and overlap), then the most violations."""
    sign = -1.0 if kind in ("vertices", "overlap") else 1.0
    return (worst is None, sign * (worst or 0.0), -count, ident)


def _regions(f: Finding) -> list[Cluster]:
    """A finding's violation regions, worst first (then the most violations)."""
    return sorted(f.clusters, key=lambda c: region_order(f.rule.kind, c.worst, c.count, c.id))


def to_table(findings: Sequence[Finding], max_markers: int = 10) -> list[str]:
    """Failed rules first: rule, layers, count, worst measured vs required, and where --
    one line per violation region (violations whose markers touch or overlap)."""
    lines = []
    lines.append(
        f"{'rule':<16} {'sev':<7} {'layers':<22} {'count':>7}  {'measured':>12}  "
        f"{'required':>12}  where (um)"
    )
    failed = [f for f in findings if f.failed]
    for f in failed:
        r = f.rule
        regions = _regions(f)
        where = ""
        if regions:
            x, y = regions[0].location
            where = f"({x:.3f}, {y:.3f})"
        lines.append(
            f"{r.id:<16} {r.severity:<7} {r.layer_names[:22]:<22} {f.count:>7}  "
            f"{_fmt(f.worst, r.unit):>12}  {_fmt(r.value, r.unit):>12}  {where}"
        )
        if f.message:
            lines.append(f"{'':<16} {f.message}")
        if len(regions) > 1 or (regions and regions[0].count > 1):
            placed = f" of the first {f.clustered}" if f.clustered < f.count else ""
            lines.append(f"{'':<16} {len(regions)} region(s){placed}:")
            for c in regions[:max_markers]:
                x, y = c.location
                lines.append(
                    f"{'':<16} region {c.id}: {c.count} violation(s), worst "
                    f"{_fmt(c.worst, r.unit)} at ({x:.3f}, {y:.3f})"
                )
            if len(regions) > max_markers:
                lines.append(f"{'':<16} ... {len(regions) - max_markers} more region(s)")
    s = _summary(findings)
    lines.append(
        f"{s['rules']} rules, {s['errors']} failing errors, {s['warnings']} warnings, "
        f"{s['violations']} violations"
    )
    return lines


#: Characters XML 1.0 cannot hold, even escaped (C0 controls but tab, LF, CR; U+FFFE/F;
#: lone surrogates).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def _xml_safe(text: str) -> str:
    """``text`` with each character XML cannot hold written as ``\\xNN`` / ``\\uNNNN``."""
    return _NOT_XML.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


def _xml(root: ET.Element) -> str:
    """Serialise ``root`` as well-formed XML whatever its text holds (rule descriptions and
    layout names are user text)."""
    for element in root.iter():
        if element.text:
            element.text = _xml_safe(element.text)
        if element.tail:
            element.tail = _xml_safe(element.tail)
        for key, value in element.attrib.items():
            element.attrib[key] = _xml_safe(value)
    return ET.tostring(root, encoding="unicode") + "\n"


def to_junit(findings: Sequence[Finding], layout: str) -> str:
    """One test case per rule; one failure element per violation marker (count in message)."""
    s = _summary(findings)
    suite = ET.Element(
        "testsuite",
        name=f"mbfab-drc {layout}",
        tests=str(len(findings)),
        failures=str(s["errors"]),
        skipped=str(s["warnings"]),
    )
    for f in findings:
        case = ET.SubElement(
            suite, "testcase", classname=f.rule.kind, name=f.rule.id, time=f"{f.seconds:.4f}"
        )
        if not f.failed:
            continue
        if f.rule.severity == "warning":
            ET.SubElement(case, "skipped", message=f"warning: {f.count} violation(s) {f.message}")
            continue
        markers: list[Marker | None] = list(f.markers) or [None]
        for m in markers:
            where = f" at {m.location}" if m is not None else ""
            if m is not None and m.cluster:
                where += f" (region {m.cluster})"
            failure = ET.SubElement(
                case,
                "failure",
                type=f.rule.kind,
                message=f"{f.rule.description}: {f.count} violation(s){where} {f.message}".strip(),
            )
            failure.text = f"required {_fmt(f.rule.value, f.rule.unit)}"
    return _xml(suite)


def to_lyrdb(findings: Sequence[Finding], layout: str, top_cell: str = "TOP") -> str:
    """A KLayout report database: one category per rule, one polygon item per marker."""
    db = ET.Element("report-database")
    ET.SubElement(db, "description").text = f"mbfab DRC of {layout}"
    ET.SubElement(db, "original-file").text = layout
    ET.SubElement(db, "generator").text = "mbfab"
    ET.SubElement(db, "top-cell").text = top_cell
    tags = ET.SubElement(db, "tags")
    tags.text = ""
    cats = ET.SubElement(db, "categories")
    for f in findings:
        cat = ET.SubElement(cats, "category")
        ET.SubElement(cat, "name").text = f.rule.id
        ET.SubElement(
            cat, "description"
        ).text = f"{f.rule.description} ({_fmt(f.rule.value, f.rule.unit)}) [{f.rule.severity}]"
        ET.SubElement(cat, "categories")
    cells = ET.SubElement(db, "cells")
    cell = ET.SubElement(cells, "cell")
    ET.SubElement(cell, "name").text = top_cell
    ET.SubElement(cell, "variant")
    ET.SubElement(cell, "references")
    items = ET.SubElement(db, "items")
    for f in findings:
        for m in f.markers:
            item = ET.SubElement(items, "item")
            ET.SubElement(item, "tags")
            ET.SubElement(item, "category").text = f"'{f.rule.id}'"
            ET.SubElement(item, "cell").text = top_cell
            ET.SubElement(item, "visited").text = "false"
            ET.SubElement(item, "multiplicity").text = "1"
            values = ET.SubElement(item, "values")
            pts = [f"{x:.12g},{y:.12g}" for x, y in m.points]
            if m.shape == "edge-pair":
                value = f"edge-pair: ({pts[0]};{pts[1]})/({pts[2]};{pts[3]})"
            else:
                value = f"polygon: ({';'.join(pts)})"
            ET.SubElement(values, "value").text = value
            if m.measured is not None:
                ET.SubElement(values, "value").text = f"float: {m.measured:.6g}"
            if m.cluster:
                ET.SubElement(values, "value").text = f"text: 'region {m.cluster}'"
    return _xml(db)
