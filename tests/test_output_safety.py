"""Outputs stay well-formed and inert whatever the recipe's text, and the output folder is
never lost: a control character in a rule description made drc.lyrdb and JUnit unreadable
XML, raw ``<script>`` reached order.md and traveler.md, killed runs left staging folders
that no later run removed, and a kill between the two renames of the swap left no output
folder at all.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
from click.testing import CliRunner

from mbfab import compile as compile_module
from mbfab.cli import main
from mbfab.compile import compile_recipe
from mbfab.output import atomic

from conftest import MINIMAL_RECIPE

HOSTILE = "bell\\a, escape \\e[31m, NUL-free <script>alert(1)</script> [x](javascript:y) &amp;"
MARKUP = re.compile(r"<[A-Za-z/!?]|\]\(|&#?\w+;")


@pytest.fixture
def hostile_recipe(tmp_path: Path) -> Path:
    """The minimal recipe with hostile text in its description and in a rule description
    (a YAML double-quoted string may hold control characters as escapes)."""
    text = MINIMAL_RECIPE.replace("units: um\n", f'units: um\ndescription: "{HOSTILE}"\n')
    text += f'rules:\n  - {{id: RES.CAT.1, value: 50 um, description: "{HOSTILE}"}}\n'
    path = tmp_path / "tiny.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_xml_outputs_are_well_formed_with_control_characters(
    hostile_recipe: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["compile", "-q", str(hostile_recipe), "-o", str(out)])
    assert result.exit_code == 1  # RES.CAT.1 at 50 um fails: its description is in every file
    lyrdb = out / "tiny" / "drc.lyrdb"
    root = ET.parse(lyrdb).getroot()  # raises on text XML cannot hold
    assert any("bell\\x07" in (e.text or "") for e in root.iter("description"))
    klayout_rdb = pytest.importorskip("klayout.rdb")
    database = klayout_rdb.ReportDatabase("check")
    database.load(str(lyrdb))  # KLayout reads the markers
    assert database.num_items() > 0
    junit = CliRunner().invoke(main, ["check", str(hostile_recipe), "--format", "junit"])
    suite = ET.fromstring(junit.stdout)
    messages = [f.get("message", "") for f in suite.iter("failure")]
    assert any("\\x1b[31m" in m and "<script>" in m for m in messages), messages


def test_markdown_outputs_hold_no_markup_from_recipe_text(
    hostile_recipe: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    CliRunner().invoke(main, ["compile", "-q", str(hostile_recipe), "-o", str(out)])
    for name in ("order.md", "traveler.md"):
        text = (out / "tiny" / name).read_text(encoding="utf-8")
        line = next(x for x in text.splitlines() if "NUL-free" in x)
        # every tag, link and entity the text carried is escaped: shown, never rendered
        assert not MARKUP.search(re.sub(r"\\[<&(]", "", line)), line
        assert "\\<script>alert(1)\\</script>" in line and "[x]\\(javascript:y)" in line
    traveler = CliRunner().invoke(main, ["traveler", str(hostile_recipe)])
    assert "\\<script>" in traveler.stdout
    assert not re.search(r"(?<!\\)<script", traveler.stdout)


def _dead_pid() -> int:
    child = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], check=True,
                           capture_output=True, text=True)  # fmt: skip
    return int(child.stdout)


def test_staging_folders_of_killed_runs_are_removed_by_the_next_run(
    minimal_recipe: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    compile_recipe(minimal_recipe, out)
    dead = _dead_pid()
    stale = [out / f".tiny.{dead}.abcd.tmp", out / ".tiny.k3j2.tmp"]  # old naming too
    for folder in stale:
        folder.mkdir()
        (folder / "half-written.gds").write_bytes(b"\0\6\0\2")
    live = out / f".tiny.{os.getpid()}.live.tmp"  # a run of this process: left alone
    live.mkdir()
    compile_recipe(minimal_recipe, out)
    assert sorted(p.name for p in out.iterdir()) == sorted(["tiny", live.name])


def test_a_run_killed_between_the_renames_gets_its_outputs_back(
    minimal_recipe: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Where the system has no atomic exchange, the swap is two renames with the old folder
    kept aside; a run killed between them leaves ``final`` missing: the next run puts the
    old folder back, even when that run fails."""
    out = tmp_path / "out"
    first = compile_recipe(minimal_recipe, out).output_dir
    report = (first / "report.json").read_bytes()
    aside = out / f".tiny.{_dead_pid()}.x1y2.old"
    os.rename(first, aside)  # the state a kill between the two renames leaves

    def fails(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the rule check broke")

    monkeypatch.setattr(compile_module, "check_device", fails)
    with pytest.raises(RuntimeError):
        compile_recipe(minimal_recipe, out)
    assert (first / "report.json").read_bytes() == report
    assert sorted(p.name for p in out.iterdir()) == ["tiny"]


def test_the_swap_without_an_atomic_exchange_replaces_the_folder_whole(
    minimal_recipe: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    first = compile_recipe(minimal_recipe, out).output_dir
    (first / "stale.txt").write_text("from an older run", encoding="utf-8")
    monkeypatch.setattr(atomic, "_exchange", lambda a, b: False)
    compile_recipe(minimal_recipe, out)
    assert not (first / "stale.txt").exists() and (first / "report.json").is_file()
    assert sorted(p.name for p in out.iterdir()) == ["tiny"]


def test_the_swap_is_one_atomic_exchange_where_the_system_has_it(tmp_path: Path) -> None:
    old, new = tmp_path / "old", tmp_path / "new"
    old.mkdir()
    new.mkdir()
    (old / "a").write_text("old", encoding="utf-8")
    (new / "b").write_text("new", encoding="utf-8")
    if not atomic._exchange(new, old):
        pytest.skip("no renameat2(RENAME_EXCHANGE) here")
    assert [p.name for p in old.iterdir()] == ["b"] and [p.name for p in new.iterdir()] == ["a"]
