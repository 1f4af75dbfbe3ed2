"""The demo's walk through the referential, as data (the CLI only renders it)."""

from __future__ import annotations

from pathlib import Path

from sons.services.demo import DEMO_CODE, run_demo


def test_the_walk_shows_a_missing_profile_and_writes_the_rulebook(tmp_path: Path) -> None:
    report = run_demo(tmp_path / "demo-output")
    tour = report.referential
    assert DEMO_CODE in [row["code"] for row in tour.dispositifs]
    assert tour.shown["code"] == DEMO_CODE and tour.shown["date"] == "2022-05-01"
    findings = tour.scenario.explanation.findings
    assert [f.code for f in findings] == ["SCENARIO_PROFILE_MISSING"]
    assert "Référentiel d'identités" in findings[0].message
    assert all(path.is_file() and path.parent == report.output_dir for path in tour.rulebooks)
    assert {path.suffix for path in tour.rulebooks} == {".md", ".html"}
    assert tour.scenario.answers_file.is_file()
