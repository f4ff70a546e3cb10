"""The compile report: ``report.json`` (versioned) and a short terminal summary."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

from mbfab.estimate import headline
from mbfab.output.plates import Plate
from mbfab.output.records import PlateRecord

__all__ = ["REPORT_SCHEMA", "plate_entry", "rule_summary_line", "summary_lines", "write_json"]

#: Version of the report.json layout; bump on any incompatible change.
REPORT_SCHEMA: Final = "mbfab-report/1"


def plate_entry(plate: Plate, file_name: str) -> PlateRecord:
    """The report's record of one plate."""
    tone = plate.tone
    return {
        "layer": plate.layer.name,
        "gds": list(plate.layer.spec),
        "file": file_name,
        "top_cell": plate.cell.name,
        "drawn": {
            "polygons": plate.drawn.polygons,
            "area_um2": round(plate.drawn.area_um2, 6),
        },
        "written": {
            "polygons": plate.written.polygons,
            "area_um2": round(plate.written.area_um2, 6),
            "bbox_um": [list(plate.bbox[0]), list(plate.bbox[1])] if plate.bbox else None,
        },
        "field_um": [list(plate.field[0]), list(plate.field[1])],
        "tone": {
            "process": tone.process,
            "resist_polarity": tone.polarity,
            "resist_on_feature": tone.resist_on_feature,
            "chrome": tone.chrome,
            "field": tone.field,
            "data": tone.data,
            "inverted_by_mbfab": tone.inverted,
            "statement": f"{tone.polygons}; {tone.field} field; chrome on the "
            f"{'drawn features' if tone.chrome == 'feature' else 'complement of the features'}",
            "outside_data": plate.frame.outside if plate.frame else None,
        },
        "reduction": plate.frame.reduction if plate.frame else 1.0,
    }


def write_json(report: Mapping[str, Any], path: Path) -> None:
    """Write ``report`` with sorted keys so the file is deterministic."""
    path.write_text(json.dumps(report, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def summary_lines(report: dict[str, Any]) -> list[str]:
    """A few human lines for the terminal."""
    lines = [f"{report['name']}: {len(report['plates'])} plates -> {report['output_dir']}"]
    for entry in report["plates"]:
        tone = entry["tone"]
        lines.append(
            f"  {entry['layer']:<14} {entry['gds'][0]:>4}/{entry['gds'][1]:<3} "
            f"{entry['drawn']['polygons']:>9} polys {entry['drawn']['area_um2']:>14.1f} um2  "
            f"{tone['resist_polarity']:<8} {tone['field']} field, data = {tone['data']}"
        )
    drc = report.get("drc")
    if drc is not None:
        lines.append(rule_summary_line(drc))
    if report.get("estimates"):
        lines += headline(report["estimates"])
    return lines


def rule_summary_line(summary: dict[str, Any]) -> str:
    """``  rules: 47 checked, 0 errors, 3 warnings (3 violations); details in drc.json``."""

    def count(n: int, word: str) -> str:
        return f"{n} {word}{'' if n == 1 else 's'}"

    verdict = "clean" if summary["clean"] else "NOT CLEAN"
    return (
        f"  rules: {summary['rules']} checked, {count(summary['errors'], 'error')}, "
        f"{count(summary['warnings'], 'warning')} ({count(summary['violations'], 'violation')})"
        f" -> {verdict}; details in drc.json, markers in drc.lyrdb"
    )
