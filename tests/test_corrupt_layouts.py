"""Corrupted copies of real layouts never crash mbfab and never pass as whole.

Each copy is checked by ``mbfab check`` in a forked child process, so that a signal (gdstk
segfaulted on some of these) shows as the child's exit status instead of ending the test
run. Truncations must always be refused (exit 2); byte flips may leave a valid layout (a
flipped coordinate is still a coordinate) but must never crash, hang or end in an internal
error. A flipped data-type byte or a reference to a missing cell is always refused.
"""

from __future__ import annotations

import multiprocessing
import os
import random
from pathlib import Path

import gdstk
import pytest
from click.testing import CliRunner

from mbfab.cli import main
from mbfab.errors import GdsReadError
from mbfab.layout import read_layout

from conftest import SHARED_GDS

#: Real layouts with hierarchy (references, arrays) and text, GDSII and OASIS.
LAYOUTS = [
    "gdstk_tests/proof_lib.gds",
    "klayout_arrays/arefs.gds",
    "gdsfactory_tests/mzi2x2.gds",
    "sky130_fd_sc_hd/sky130_fd_sc_hd__nand2_1.gds",
    "gdstk_tests/min_length_path.oas",
]
CUTS = 6
#: Byte flips per file; an OASIS check costs a child process, so they get fewer.
FLIPS = {".gds": 6, ".oas": 2}


def _check_in_child(path: Path) -> int:
    """Exit status of ``mbfab check path`` run in a forked child (negative: a signal)."""

    def run() -> None:
        result = CliRunner().invoke(main, ["check", str(path)])
        os._exit(result.exit_code if result.exit_code in (0, 1, 2, 3) else 4)

    child = multiprocessing.get_context("fork").Process(target=run)
    child.start()
    child.join(120)
    if child.is_alive():
        child.kill()
        child.join()
        return -999  # a hang
    assert child.exitcode is not None
    return child.exitcode


def _oasis_of(gds: Path, folder: Path) -> Path:
    out = folder / f"{gds.stem}.oas"
    gdstk.read_gds(str(gds)).write_oas(str(out))
    return out


@pytest.fixture(scope="module")
def layouts(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    if not SHARED_GDS.is_dir():
        pytest.skip("../shared/gds is not here")
    folder = tmp_path_factory.mktemp("oasis")
    found = [SHARED_GDS / name for name in LAYOUTS]
    # OASIS with references and arrays too (the shared set has one small OASIS file).
    found.append(_oasis_of(SHARED_GDS / "klayout_arrays/arefs.gds", folder))
    found.append(_oasis_of(SHARED_GDS / "gdstk_tests/proof_lib.gds", folder))
    return found


def test_truncated_layouts_are_refused_without_a_crash(layouts: list[Path], tmp_path: Path) -> None:
    rng = random.Random(12)
    seen = []
    for original in layouts:
        data = original.read_bytes()
        for k in range(CUTS):
            cut = tmp_path / f"{original.stem}-cut{k}{original.suffix}"
            cut.write_bytes(data[: rng.randrange(1, len(data) - 1)])
            seen.append((cut.name, _check_in_child(cut)))
    assert [name for name, code in seen if code != 2] == [], seen


def test_byte_flips_never_crash_hang_or_fail_inside(layouts: list[Path], tmp_path: Path) -> None:
    rng = random.Random(7)
    seen = []
    for original in layouts:
        data = bytearray(original.read_bytes())
        for k in range(FLIPS[original.suffix]):
            flipped = bytearray(data)
            flipped[rng.randrange(len(flipped))] ^= rng.choice([1, 4, 16, 64, 128, 255])
            path = tmp_path / f"{original.stem}-flip{k}{original.suffix}"
            path.write_bytes(flipped)
            seen.append((path.name, _check_in_child(path)))
    assert [name for name, code in seen if code not in (0, 1, 2)] == [], seen


def _records(data: bytes) -> list[int]:
    """Byte offsets of the GDSII records up to ENDLIB."""
    found, position = [], 0
    while position < len(data):
        found.append(position)
        if data[position + 2] == 0x04:
            break
        position += int.from_bytes(data[position : position + 2], "big")
    return found


def test_a_flipped_data_type_byte_is_always_refused(tmp_path: Path) -> None:
    if not SHARED_GDS.is_dir():
        pytest.skip("../shared/gds is not here")
    data = (SHARED_GDS / "klayout_arrays/arefs.gds").read_bytes()
    first_of_each_type = {data[p + 2]: p for p in reversed(_records(data))}
    for position in sorted(first_of_each_type.values()):
        for bit in (0x01, 0x02, 0x04):
            flipped = bytearray(data)
            flipped[position + 3] ^= bit
            path = tmp_path / "flip.gds"
            path.write_bytes(flipped)
            with pytest.raises(GdsReadError, match="GDSII file"):
                read_layout(path)


def test_a_reference_to_a_missing_cell_is_refused(tmp_path: Path) -> None:
    """gdstk reads such a file and keeps the reference by name: checked in part, once."""
    unit = gdstk.Cell("UNIT")
    unit.add(gdstk.rectangle((0, 0), (1, 1)))
    top = gdstk.Cell("TOP")
    top.add(gdstk.Reference(unit, columns=3, rows=3, spacing=(2, 2)))
    top.add(gdstk.rectangle((0, 0), (10, 10), layer=2))
    library = gdstk.Library()
    library.add(top)  # UNIT left out: the file names a cell it does not hold
    path = tmp_path / "missing.gds"
    library.write_gds(str(path))
    with pytest.warns(RuntimeWarning, match="Missing reference"):  # gdstk reads on
        assert isinstance(gdstk.read_gds(str(path)).cells[0].references[0].cell, str)
    with pytest.raises(GdsReadError, match="reference to cell 'UNIT', which the file lacks"):
        read_layout(path)
    result = CliRunner().invoke(main, ["check", str(path)])
    assert result.exit_code == 2 and result.stderr.count("\n") == 1


def test_an_unknown_record_is_refused(tmp_path: Path) -> None:
    library = gdstk.Library()
    cell = library.new_cell("TOP")
    cell.add(gdstk.rectangle((0, 0), (1, 1)))
    data = bytearray()
    path = tmp_path / "plain.gds"
    library.write_gds(str(path))
    data = bytearray(path.read_bytes())
    endstr = next(p for p in _records(bytes(data)) if data[p + 2] == 0x07)
    data[endstr:endstr] = bytes([0, 6, 0x44, 2, 0, 1])  # record type 0x44 does not exist
    path.write_bytes(data)
    with pytest.raises(GdsReadError, match="unknown record type 0x44"):
        read_layout(path)


def test_a_cell_that_contains_itself_is_refused(tmp_path: Path) -> None:
    a, b = gdstk.Cell("AAAA"), gdstk.Cell("BBBB")
    a.add(gdstk.rectangle((0, 0), (1, 1)), gdstk.Reference(b))
    b.add(gdstk.Reference("CCCC"))  # renamed to AAAA below: B refers back to A
    library = gdstk.Library()
    library.add(a, b)
    path = tmp_path / "cycle.gds"
    library.write_gds(str(path))
    path.write_bytes(path.read_bytes().replace(b"CCCC", b"AAAA"))
    with pytest.raises(GdsReadError, match="contains itself"):
        read_layout(path)


def test_an_oasis_flip_that_crashed_the_checker_is_an_error(tmp_path: Path) -> None:
    """Byte 29 of this file flipped made ``mbfab check`` die of a segmentation fault in
    gdstk's OASIS reader (exit -11), after the old child-process probe had passed."""
    if not SHARED_GDS.is_dir():
        pytest.skip("../shared/gds is not here")
    data = bytearray((SHARED_GDS / "gdstk_tests/min_length_path.oas").read_bytes())
    data[29] ^= 0x80
    path = tmp_path / "flipped.oas"
    path.write_bytes(data)
    assert _check_in_child(path) == 2


def test_an_array_of_a_billion_copies_is_refused_before_it_is_read(tmp_path: Path) -> None:
    """A flipped COLROW can ask for 32000 x 32000 copies: the check expanded them (16 GB of
    offsets; a segmentation fault where memory ran out). It is refused from the record walk."""
    unit = gdstk.Cell("UNIT")
    unit.add(gdstk.rectangle((0, 0), (1, 1)))
    top = gdstk.Cell("TOP")
    top.add(gdstk.Reference(unit, columns=32000, rows=32000, spacing=(2, 2)))
    library = gdstk.Library()
    library.add(top, unit)
    path = tmp_path / "huge.gds"
    library.write_gds(str(path))
    result = CliRunner().invoke(main, ["check", str(path)])
    assert result.exit_code == 2
    assert "places 1,024,000,000 shapes (every array copy counted), more than --max-shapes" in (
        result.stderr
    )


@pytest.mark.parametrize("name", ["fifo.gds", "fifo.oas"])
def test_a_fifo_as_layout_is_refused_by_its_type(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    os.mkfifo(path)
    with pytest.raises(GdsReadError, match="is a FIFO"):
        read_layout(path)
