"""Examples that are also tests (OpenFisca style): a scenario in, the expected results out.

A domain expert adds a case to `tests/referential/cases/*.yaml` without writing Python; the
pytest plugin in `tests/conftest.py` collects each case as a test. Other kinds of case (orders,
deposits) plug into the same files with their own `kind`.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from sons.referential.loader import Referential
from sons.referential.scenario import explain


class CaseModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ScenarioExpectation(CaseModel):
    required_profiles: list[str] | None = Field(
        default=None, description="Identifiants des profils requis, liste exacte."
    )
    findings: list[str] = Field(
        default_factory=list, description="Codes des constats attendus, liste exacte."
    )
    declared_flows: list[str] | None = Field(
        default=None, description="Flux déclarés, « flux/voie », liste exacte."
    )


class ScenarioCase(CaseModel):
    name: str
    kind: Literal["scenario"] = "scenario"
    dispositif: str
    date: dt.date
    answers: dict[str, Any]
    profiles: list[str] | None = None
    expect: ScenarioExpectation


def _differs(what: str, expected: list[str], got: list[str]) -> list[str]:
    if Counter(expected) == Counter(got):
        return []
    return [f"{what} : attendu {sorted(expected)}, obtenu {sorted(got)}"]


def run_scenario_case(case: ScenarioCase, referential: Referential) -> list[str]:
    """Mismatches between the case's expectation and what the referential says (in French)."""
    view = referential.at(case.dispositif, case.date)
    result = explain(view, case.answers, case.profiles)
    problems: list[str] = []
    if case.expect.required_profiles is not None:
        got = [r.profile.id for r in result.required_profiles]
        problems += _differs("profils requis", case.expect.required_profiles, got)
    problems += _differs("constats", case.expect.findings, [f.code for f in result.findings])
    if case.expect.declared_flows is not None:
        flows = [f"{d.flow.value}/{d.route.value}" for d in result.declared_flows]
        problems += _differs("flux déclarés", case.expect.declared_flows, flows)
    if problems:
        problems += [f"  constat obtenu — {f.code} : {f.message}" for f in result.findings]
    return problems
