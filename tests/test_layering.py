"""Imports point down only: cli -> compile -> stages -> recipe/layout -> units/errors."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "mbfab"

# Rank of each top-level part of the package; a module may import only parts of lower rank
# (or its own part). Stages of the pipeline may import stages to their left in the data flow.
RANK = {
    "errors": 0,
    "files": 0.5,
    "units": 1,
    "data": 1,
    "layout": 2,
    "recipe": 3,
    "designs": 4,
    "rules": 5,
    "estimate": 6,
    "output": 7,
    "compile": 8,
    "sweep": 8.5,
    "cli": 9,
    "__main__": 10,
    "__init__": 0,
}


def _part(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] != "mbfab":
        return None
    if len(parts) == 1:
        return "__init__"
    is_module = (PACKAGE / parts[1]).is_dir() or (PACKAGE / f"{parts[1]}.py").is_file()
    return parts[1] if is_module else "__init__"  # e.g. `from mbfab import __version__`


def _imports(path: Path) -> list[tuple[str, int]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "mbfab":
                found += [(f"mbfab.{alias.name}", node.lineno) for alias in node.names]
            else:
                found.append((node.module, node.lineno))
    return found


def test_imports_point_down_only() -> None:
    wrong = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE.parent).with_suffix("")
        own = _part(".".join(relative.parts))
        assert own in RANK, f"{relative}: add its part to RANK in tests/test_layering.py"
        for module, line in _imports(path):
            target = _part(module)
            if target is None or target == own or target == "__init__":
                continue
            if RANK[target] >= RANK[own]:
                wrong.append(f"{relative}:{line} imports {module}")
    assert not wrong, "imports against the pipeline:\n" + "\n".join(wrong)


def test_layout_core_knows_no_batteries() -> None:
    words = ("cathode", "anode", "electrolyte", "battery")
    offenders = [
        str(path.relative_to(PACKAGE))
        for path in (PACKAGE / "layout").rglob("*.py")
        if any(word in path.read_text(encoding="utf-8").lower() for word in words)
    ]
    assert not offenders, f"layout core mentions batteries: {offenders}"
