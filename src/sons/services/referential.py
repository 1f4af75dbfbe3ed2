"""Reading the referential and explaining a scenario, for the web pages and the API.

The CLI renders the same functions of `sons.referential` (presentation, scenario); this module
gathers what a screen needs in one call, so pages and API routes hold no rule.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sons.findings import Finding, Severity
from sons.referential import presentation
from sons.referential.conditions import answer_label, describe
from sons.referential.loader import DispositifAtDate, Referential
from sons.referential.model import FLOW_LABELS, ROUTE_LABELS, STRENGTH_LABELS, Source
from sons.referential.scenario import (
    INPUT_CODES,
    ScenarioExplanation,
    applicable_balance_conditions,
    explain,
    match_profiles,
)

# How a form names the answer to question `id`: « q.<id> », apart from the page's own fields.
ANSWER_FIELD_PREFIX = "q."
YES = "oui"
NO = "non"

# Parameters that are dates: the deadlines a dashboard shows.
DEADLINE_PARAMETERS = (
    "advance_opening",
    "order_deadline",
    "prestation_deadline",
    "balance_deadline",
)


def dispositif_list(referential: Referential) -> list[dict[str, Any]]:
    """Every dispositif's identity, sorted by wave, couloir and code (as `referential list`)."""
    rows = [presentation.identity(d) for d in referential.dispositifs.values()]
    return sorted(rows, key=lambda r: (r["wave"], r["couloir"], r["code"]))


def dispositif_at(referential: Referential, code: str, on: dt.date) -> dict[str, Any]:
    """One dispositif in force on `on`, JSON-ready; `UnknownDispositif` when there is none."""
    view = referential.at(code, on)
    data = presentation.dispositif_at(view)
    questions = view.questions_by_id
    profiles = {p.id: p.label for p in view.dispositif.profiles}
    for item, rule in zip(data["rules"], view.rules, strict=True):
        item["profile_label"] = profiles.get(rule.profile, rule.profile)
        item["when_text"] = describe(rule.when, questions)
        for exception, model in zip(item["exceptions"], rule.exceptions, strict=True):
            exception["when_text"] = describe(model.when, questions)
    data["sources_used"] = _sources_used(data, view.sources)
    data["strength_labels"] = {s.value: label for s, label in STRENGTH_LABELS.items()}
    return data


def _sources_used(data: Mapping[str, Any], sources: Mapping[str, Source]) -> dict[str, Any]:
    """Source id → {title, url} for each source the dispositif's items cite."""
    cited: set[str] = set()

    def collect(item: Any) -> None:
        if isinstance(item, dict):
            reference = item.get("reference")
            if isinstance(reference, dict) and isinstance(reference.get("source"), str):
                cited.add(reference["source"])
            for value in item.values():
                collect(value)
        elif isinstance(item, list):
            for value in item:
                collect(value)

    collect(dict(data))
    return {
        sid: {"title": sources[sid].title, "url": sources[sid].url}
        for sid in sorted(cited)
        if sid in sources
    }


def read_form_answers(view: DispositifAtDate, fields: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """Answers typed by the questionnaire from form fields « q.<id> » (strings).

    Empty means unanswered. A value that does not fit its question is kept as given, so the
    scenario check reports it (SCENARIO_ANSWER_INVALID) instead of it being silently dropped.
    """
    questions = view.questions_by_id
    answers: dict[str, Any] = {}
    for name, raw in fields:
        if not name.startswith(ANSWER_FIELD_PREFIX):
            continue
        qid = name[len(ANSWER_FIELD_PREFIX) :]
        text = raw.strip()
        if not text:
            continue
        question = questions.get(qid)
        if question is not None and question.type == "yes_no" and text.lower() in (YES, NO):
            answers[qid] = text.lower() == YES
        elif question is not None and question.type == "integer" and _is_integer(text):
            answers[qid] = int(text)
        else:
            answers[qid] = text
    return answers


def _is_integer(text: str) -> bool:
    return text.lstrip("-").isdigit() and len(text) < 19


def form_value(value: Any) -> str:
    """An answer as a form field shows it (the inverse of `read_form_answers`)."""
    if isinstance(value, bool):
        return YES if value else NO
    return "" if value is None else str(value)


@dataclass(frozen=True)
class ScenarioResult:
    """A scenario explained, with what a screen or a script shows of it."""

    view: DispositifAtDate
    obtained_profiles: tuple[str, ...] | None
    explanation: ScenarioExplanation

    @property
    def findings(self) -> tuple[Finding, ...]:
        return self.explanation.findings

    @property
    def obtained_ids(self) -> frozenset[str]:
        """The ids of the profiles the solution holds (labels or ids matched as the check does)."""
        if self.obtained_profiles is None:
            return frozenset()
        ids, _ = match_profiles(self.view, self.obtained_profiles)
        return frozenset(ids)

    @property
    def input_invalid(self) -> bool:
        """The answers cannot be read as given (the CLI exits 2 in this case)."""
        return any(f.code in INPUT_CODES for f in self.findings)

    @property
    def errors(self) -> int:
        return sum(1 for f in self.findings if f.severity is Severity.ERROR)

    @property
    def warnings(self) -> int:
        return sum(1 for f in self.findings if f.severity is Severity.WARNING)

    def answers_read(self) -> list[tuple[str, str, str]]:
        """(question id, question label, answer as read) in questionnaire order."""
        answers = self.explanation.answers
        return [
            (q.id, q.label, answer_label(q, answers.get(q.id)))
            for q in self.view.questions
            if q.id in answers
        ]

    def declared_flows(self) -> list[str]:
        return [
            f"{FLOW_LABELS[f.flow]} ({ROUTE_LABELS[f.route]})"
            for f in self.explanation.declared_flows
        ]

    def balance_conditions(self) -> list[dict[str, Any]]:
        answers = self.explanation.answers
        return [
            presentation.balance_condition(c)
            for c in applicable_balance_conditions(self.view, answers)
        ]

    def as_dict(self) -> dict[str, Any]:
        data = self.explanation.as_dict()
        for item, required in zip(
            data["required_profiles"], self.explanation.required_profiles, strict=True
        ):
            item["rules"] = list(required.rules)
            item["citations"] = list(required.citations)
            item["inferred_only"] = required.inferred_only
        return {
            "code": self.view.code,
            "date": self.view.on.isoformat(),
            "obtained_profiles": (
                None if self.obtained_profiles is None else list(self.obtained_profiles)
            ),
            **data,
            "balance_conditions": self.balance_conditions(),
        }


def explain_scenario(
    referential: Referential,
    code: str,
    on: dt.date,
    answers: Mapping[str, Any],
    obtained_profiles: Iterable[str] | None = None,
) -> ScenarioResult:
    """Required profiles and why, findings; `UnknownDispositif` when the code is unknown."""
    view = referential.at(code, on)
    obtained = None if obtained_profiles is None else tuple(obtained_profiles)
    return ScenarioResult(view, obtained, explain(view, answers, obtained))


@dataclass(frozen=True, slots=True)
class Deadline:
    code: str
    dispositif_label: str
    name: str
    label: str
    on: dt.date
    days_left: int
    strength: str


def upcoming_deadlines(
    referential: Referential, today: dt.date, codes: Iterable[str] | None = None
) -> tuple[list[Deadline], int]:
    """The deadlines still to come (known ones, soonest first) and how many are unknown."""
    wanted = None if codes is None else {c.upper() for c in codes}
    found: list[Deadline] = []
    unknown = 0
    for dispositif in referential.dispositifs.values():
        if wanted is not None and dispositif.code.upper() not in wanted:
            continue
        view = referential.at(dispositif.code, today)
        for name in DEADLINE_PARAMETERS:
            value = view.parameter(name)
            if not value.known:
                unknown += 1
                continue
            if isinstance(value.value, dt.date) and value.value >= today:
                found.append(
                    Deadline(
                        dispositif.code,
                        dispositif.identity.label,
                        name,
                        value.label,
                        value.value,
                        (value.value - today).days,
                        value.strength.value,
                    )
                )
    found.sort(key=lambda d: (d.on, d.code, d.name))
    return found, unknown


class ScenarioInputError(ValueError):
    """Input that cannot be read at all (a date, an answers file); `str()` is French."""


def read_date(text: str | None, default: dt.date, field: str = "date") -> dt.date:
    """An ISO date typed by a user, or `default` when empty."""
    if text is None or not text.strip():
        return default
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise ScenarioInputError(
            f"{field} : « {text} » n'est pas une date au format AAAA-MM-JJ."
        ) from None


def answers_from_json(text: str, name: str) -> dict[str, Any]:
    """An answers file (question id → answer, as for `sons referential explain --answers`)."""
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ScenarioInputError(
            f"{name}, ligne {exc.lineno}, colonne {exc.colno} : JSON illisible ({exc.msg})."
        ) from None
    if not isinstance(raw, dict):
        raise ScenarioInputError(
            f"{name} : un objet JSON est attendu, qui associe chaque identifiant de question "
            'à sa réponse (ex. {"dmp_direct": true}).'
        )
    return raw
