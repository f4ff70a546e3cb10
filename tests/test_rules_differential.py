"""The rule checker against KLayout on random small layouts (tests/differential.py): width,
space, separation and enclosure under the three metrics and VALID, edge pairs compared to
the database unit. The same derandomised layouts every run (``make bench`` explores
thousands of new ones and prints the mismatch rate).

Issue 11 aims at no difference at all; a few rare ones are still open (space pairs at a
shared vertex and one-unit pieces at a contact, pairs missed at 45-degree magnified arrays:
6 of these 300 layouts, 3 kinds of layout), so the suite holds the count at
:data:`MAX_DIFFERING` and allows no crash; every differing layout is printed to replay.
"""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, Phase, given, settings

from differential import Layout, differences, layouts

#: Layouts per run: each is checked 13 times by both tools (about 0.3 s).
EXAMPLES = 300
#: Differing layouts allowed among them: what was measured when this was set (lower it as
#: the open differences are fixed).
MAX_DIFFERING = 6


def test_random_layouts_agree_with_klayout(tmp_path: Path) -> None:
    differing: list[tuple[Layout, list[str]]] = []

    @settings(
        max_examples=EXAMPLES,
        derandomize=True,  # a red run is a real regression, not a new random draw
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(layout=layouts())
    def compare(layout: Layout) -> None:
        found = differences(layout, tmp_path / "case.gds")  # a crash fails at once
        if found:
            differing.append((layout, found))

    compare()
    report = "\n".join(f"{layout!r}\n  {found}" for layout, found in differing)
    assert len(differing) <= MAX_DIFFERING, report
