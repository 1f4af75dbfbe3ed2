"""Wave-1 balance data beyond the seed's wording: dated changes, which rows a scenario
triggers, and the values the referential must refuse to guess."""

from __future__ import annotations

import datetime as dt

import pytest

from sons.referential.loader import ValueUnknown, default_referential
from sons.referential.model import Strength
from sons.referential.scenario import applicable_balance_conditions, declared_flows

WAVE1 = dt.date(2022, 6, 1)


def test_sgl_test_report_is_required_until_the_amending_order_only() -> None:
    referential = default_referential()
    before = referential.at("BIO-SGL-Va1", dt.date(2023, 4, 6))
    after = referential.at("BIO-SGL-Va1", dt.date(2023, 4, 7))
    assert [r.id for r in before.balance_requirements] == ["test_biology_report"]
    assert after.balance_requirements == []
    (requirement,) = before.balance_requirements
    assert "7 avril 2023" in before.cite(requirement)


def test_sgl_each_declared_flow_triggers_exactly_its_balance_row() -> None:
    view = default_referential().at("BIO-SGL-Va1", WAVE1)
    flow_questions = [q for q in view.questions if q.declares is not None]
    assert len(flow_questions) == 6
    base = {q.id: False for q in view.questions if q.type == "yes_no"}
    for question in flow_questions:
        answers = {**base, question.id: True}
        rows = applicable_balance_conditions(view, answers)
        assert [(r.flow, r.route) for r in rows] == [
            (d.flow, d.route) for d in declared_flows(view, answers)
        ], question.id


@pytest.mark.parametrize("flow", ["dmp", "mss_pro", "mss_patient"])
@pytest.mark.parametrize(("independent", "route"), [(True, "third_party"), (False, "direct")])
def test_dpi_rows_follow_who_carries_the_pfi_function(
    flow: str, independent: bool, route: str
) -> None:
    view = default_referential().at("HOP-DPI-Va1", WAVE1)
    answers = {q.id: not independent for q in view.questions}
    answers[f"pfi_{flow}_independent"] = independent
    rows = [r for r in applicable_balance_conditions(view, answers) if r.flow.value == flow]
    assert [r.route.value for r in rows] == [route]
    (row,) = rows
    # Inferred rows keep their unknowns explicit instead of borrowing another table's figures.
    assert row.strength is Strength.INFERRED
    assert row.threshold is None
    assert row.field_strengths["threshold"] is Strength.UNKNOWN


def test_pfi_rows_apply_whatever_the_answers() -> None:
    view = default_referential().at("HOP-PFI-Va1", WAVE1)
    rows = applicable_balance_conditions(view, {})
    assert [r.flow.value for r in rows] == ["dpi_inbound", "dmp", "mss_pro", "mss_patient"]


@pytest.mark.parametrize(
    "code", ["BIO-SGL-Va1", "BIO-LOINC-Va1", "HOP-DPI-Va1", "HOP-PFI-Va1", "HOP-RI-Va1"]
)
def test_wave1_ceiling_strategy_is_unknown_and_refused(code: str) -> None:
    view = default_referential().at(code, WAVE1)
    assert view.parameter("advance_rate").require() == 30
    ceiling = view.parameter("ceiling_strategy")
    assert not ceiling.known
    with pytest.raises(ValueUnknown, match="non renseigné"):
        ceiling.require()
