"""A base rule and its exceptions (Catala's lesson): an exception decides instead of the base,
with its own explanation; two exceptions that apply together and disagree are a conflict."""

from __future__ import annotations

import datetime as dt

import pytest
from tiny_referential import CODE, write_tiny_referential

from sons.referential.loader import DispositifAtDate, load
from sons.referential.scenario import explain, required_profiles

ON = dt.date(2022, 5, 1)


@pytest.fixture(scope="module")
def view(tmp_path_factory: pytest.TempPathFactory) -> DispositifAtDate:
    data = write_tiny_referential(tmp_path_factory.mktemp("tiny"))
    return load(data).at(CODE, ON)


def answers(base: bool = False, off: bool = False, on: bool = False) -> dict[str, bool]:
    return {"q_base": base, "q_off": off, "q_on": on}


def required_ids(view: DispositifAtDate, given: dict[str, bool]) -> list[str]:
    required, _ = required_profiles(view, given)
    return [r.profile.id for r in required]


def test_the_base_rule_alone(view: DispositifAtDate) -> None:
    required, findings = required_profiles(view, answers(base=True))
    assert [r.profile.id for r in required] == ["general", "extra"]
    extra = required[1]
    assert extra.because == ("réponse « La règle de base s'applique-t-elle ? » (q_base) = Oui",)
    assert extra.rules == ("base_requires_extra",)
    assert findings == []
    assert required_ids(view, answers()) == ["general"]


def test_an_exception_lifts_the_base_rule(view: DispositifAtDate) -> None:
    required, findings = required_profiles(view, answers(base=True, off=True))
    assert [r.profile.id for r in required] == ["general"]
    assert findings == []


def test_an_exception_imposes_the_profile_with_its_own_explanation(
    view: DispositifAtDate,
) -> None:
    required, findings = required_profiles(view, answers(on=True))
    assert [r.profile.id for r in required] == ["general", "extra"]
    assert required[1].because == (
        "exception « obligation » : réponse « Obligation ? » (q_on) = Oui "
        "(obligation prévue par l'AF)",
    )
    assert findings == []


@pytest.mark.parametrize("base", [True, False])
def test_two_exceptions_that_disagree_are_a_conflict(view: DispositifAtDate, base: bool) -> None:
    required, findings = required_profiles(view, answers(base=base, off=True, on=True))
    assert [f.code for f in findings] == ["REFERENTIAL_RULE_CONFLICT"]
    conflict = findings[0]
    assert conflict.rule == "base_requires_extra"
    assert "dispense" in conflict.message and "obligation" in conflict.message
    assert "Appel à financement d'essai" in conflict.source
    # Prudence: the profile stays required, with both exceptions as the reason.
    extra = next(r for r in required if r.profile.id == "extra")
    assert "(q_off) = Oui" in extra.because[0] and "(q_on) = Oui" in extra.because[0]


def test_the_conflict_reaches_the_scenario_findings(view: DispositifAtDate) -> None:
    result = explain(view, answers(off=True, on=True), ["Général"])
    codes = sorted(f.code for f in result.findings)
    assert codes == ["REFERENTIAL_RULE_CONFLICT", "SCENARIO_PROFILE_MISSING"]
