"""The rule checker against KLayout on random small layouts (tests/differential.py): width,
space, separation and enclosure under the three metrics and VALID, edge pairs compared to
the database unit. The same derandomised layouts every run (``make bench`` explores
thousands of new ones and prints the mismatch rate)."""

from __future__ import annotations

from pathlib import Path

from differential import Layout, differences, layouts
from hypothesis import HealthCheck, given, settings

#: Layouts per run: each is checked 13 times by both tools (about 0.3 s).
EXAMPLES = 300


@settings(
    max_examples=EXAMPLES,
    derandomize=True,  # a red run is a real regression, not a new random draw
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(layout=layouts())
def test_random_layouts_agree_with_klayout(layout: Layout, tmp_path: Path) -> None:
    assert differences(layout, tmp_path / "case.gds") == []
