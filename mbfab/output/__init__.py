"""Output stage: tone, plates, GDS writing, report."""

from mbfab.output.atomic import inside, recover, staged_directory
from mbfab.output.plates import Plate, PlateRequest, make_plate, mask_field, plate_cell_name
from mbfab.output.report import REPORT_SCHEMA, plate_entry, summary_lines, write_json
from mbfab.output.tone import PlateTone, decide_tone

__all__ = [
    "REPORT_SCHEMA",
    "Plate",
    "PlateRequest",
    "PlateTone",
    "decide_tone",
    "inside",
    "make_plate",
    "mask_field",
    "plate_cell_name",
    "plate_entry",
    "recover",
    "staged_directory",
    "summary_lines",
    "write_json",
]
