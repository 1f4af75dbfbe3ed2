"""The timeless shape of a dispositif's blocks in a deposit file: scenario and indicators.

A JSON Schema has no date, so it types a scenario with every question the questionnaire has
ever had, and requires only the required questions in force at every date. `check_scenario`
and `check_indicators` are the hand-written equivalent of that schema block (so the checker
does not need `jsonschema`); the dated rules — which questions were asked on the order date —
come from `sons.referential.scenario.explain` in `rules.py`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from sons.findings import Finding, Severity
from sons.formats.deposit.mapping import member
from sons.referential.loader import Dispositif, cite
from sons.referential.model import Question, Source

_EXPECTED = {
    "yes_no": "Oui/Non (true ou false)",
    "text": "un texte",
    "choice": "un des choix proposés",
    "integer": "un nombre entier",
}


@dataclass(frozen=True)
class DispositifShape:
    code: str
    deposit_family: str
    questions: Mapping[str, Question]
    required: frozenset[str]
    indicators: Mapping[str, tuple[str, ...]]
    indicator_labels: Mapping[str, str]
    sources: Mapping[str, Source]
    # Scenario findings by answers: a national file repeats a few scenarios on many sites.
    _checked: dict[tuple[Any, ...], list[Finding]] = field(
        default_factory=dict, compare=False, repr=False
    )

    def question_schema(self, question: Question) -> dict[str, Any]:
        """The JSON Schema of one answer (null allowed when the question is optional)."""
        optional = question.id not in self.required
        schema: dict[str, Any]
        if question.type == "choice":
            values: list[Any] = [c.value for c in question.choices or ()]
            schema = {"enum": [*values, None] if optional else values}
        else:
            kind = {"yes_no": "boolean", "text": "string", "integer": "integer"}[question.type]
            schema = {"type": [kind, "null"] if optional else kind}
            if question.type == "text" and question.required:
                # Blank text is no answer (same rule as the referential's questionnaire check).
                schema["pattern"] = "\\S"
        schema["description"] = question.label
        return schema


def hashable(raw: Mapping[str, Any]) -> tuple[Any, ...] | None:
    """A cache key for a block of answers, or None when a value is not hashable (a list…).

    Types are part of the key: `True == 1`, but they are different answers.
    """
    values = tuple(raw.values())
    key = (tuple(raw), tuple(map(type, values)), values)
    try:
        hash(key)
    except TypeError:
        return None
    return key


def relocated(findings: Iterable[Finding], prefix: str) -> list[Finding]:
    """Findings computed on a block alone (paths relative to it), placed under `prefix`."""
    return [replace(f, path=member(prefix, f.path) if f.path else prefix) for f in findings]


def shape_of(dispositif: Dispositif, sources: Mapping[str, Source]) -> DispositifShape:
    questions = {q.id: q for q in dispositif.questionnaire.questions}
    required = frozenset(
        q.id
        for q in dispositif.questionnaire.questions
        if q.required and q.valid_from is None and q.valid_until is None
    )
    indicators: dict[str, tuple[str, ...]] = {}
    labels: dict[str, str] = {}
    for indicator in dispositif.balance.indicators:
        known = indicators.get(indicator.id, ())
        indicators[indicator.id] = known + tuple(v for v in indicator.values if v not in known)
        labels.setdefault(indicator.id, indicator.label)
    return DispositifShape(
        code=dispositif.code,
        deposit_family=dispositif.identity.deposit_family.value,
        questions=questions,
        required=required,
        indicators=indicators,
        indicator_labels=labels,
        sources=sources,
    )


def _answer_problem(question: Question, value: Any) -> str | None:
    given = f"reçu {value!r}"
    if question.type == "yes_no" and not isinstance(value, bool):
        return f"attendu Oui/Non (true ou false), {given}"
    if question.type in ("text", "choice") and not isinstance(value, str):
        return f"attendu un texte, {given}"
    if question.type == "text" and question.required and not value.strip():
        return "texte vide"
    if question.type == "integer" and (isinstance(value, bool) or not isinstance(value, int)):
        return f"attendu un nombre entier (sans décimales), {given}"
    if question.choices and value not in {c.value for c in question.choices}:
        listed = ", ".join(f"{c.value} ({c.label})" for c in question.choices)
        return f"attendu l'un de : {listed} ; {given}"
    return None


def check_scenario(shape: DispositifShape, raw: Mapping[str, Any], path: str) -> list[Finding]:
    """Every problem of a scenario block against the dispositif's questionnaire (any date)."""
    return relocated(scenario_problems(shape, raw), path)


def scenario_problems(shape: DispositifShape, raw: Mapping[str, Any]) -> list[Finding]:
    """`check_scenario` with paths relative to the block, remembered by answers."""
    key = hashable(raw)
    if key is None:
        return _scenario_findings(shape, raw)
    found = shape._checked.get(key)
    if found is None:
        found = shape._checked[key] = _scenario_findings(shape, raw)
    return found


def _scenario_findings(shape: DispositifShape, raw: Mapping[str, Any]) -> list[Finding]:
    """The findings of one scenario, paths relative to the block (question ids)."""
    findings: list[Finding] = []
    for qid, value in raw.items():
        question = shape.questions.get(qid)
        where = qid
        if question is None:
            findings.append(
                Finding(
                    "SCENARIO_ANSWER_UNKNOWN",
                    Severity.ERROR,
                    f"La question « {qid} » n'existe pas dans le questionnaire de {shape.code}. "
                    f"Questions possibles : {', '.join(shape.questions)}.",
                    where,
                    "questionnaire",
                )
            )
            continue
        if value is None:
            if qid in shape.required:
                findings.append(
                    Finding(
                        "SCENARIO_ANSWER_MISSING",
                        Severity.ERROR,
                        f"Réponse vide (null) à la question « {question.label} » ({qid}) ; "
                        f"attendu : {_EXPECTED[question.type]}.",
                        where,
                        "questionnaire",
                        cite(question, shape.sources),
                    )
                )
            continue
        problem = _answer_problem(question, value)
        if problem:
            findings.append(
                Finding(
                    "SCENARIO_ANSWER_INVALID",
                    Severity.ERROR,
                    f"Réponse invalide à « {question.label} » ({qid}) : {problem}.",
                    where,
                    "questionnaire",
                    cite(question, shape.sources),
                )
            )
    for qid in shape.required:
        if qid not in raw:
            question = shape.questions[qid]
            findings.append(
                Finding(
                    "SCENARIO_ANSWER_MISSING",
                    Severity.ERROR,
                    f"Réponse manquante à la question « {question.label} » ({qid}) ; "
                    f"attendu : {_EXPECTED[question.type]}.",
                    qid,
                    "questionnaire",
                    cite(question, shape.sources),
                )
            )
    return findings


def check_indicators(shape: DispositifShape, raw: Mapping[str, Any], path: str) -> list[Finding]:
    findings: list[Finding] = []
    for key, value in raw.items():
        where = member(path, key)
        allowed = shape.indicators.get(key)
        if allowed is None:
            known = ", ".join(shape.indicators) or "aucun"
            findings.append(
                Finding(
                    "DEPOSIT_INDICATOR_UNKNOWN",
                    Severity.ERROR,
                    f"Indicateur « {key} » inconnu pour {shape.code} ; indicateurs du "
                    f"référentiel : {known}.",
                    where,
                    "indicateurs du référentiel",
                )
            )
        elif not isinstance(value, str) or value not in allowed:
            listed = ", ".join(f"« {v} »" for v in allowed)
            findings.append(
                Finding(
                    "DEPOSIT_INDICATOR_INVALID",
                    Severity.ERROR,
                    f"Indicateur « {shape.indicator_labels[key]} » ({key}) : valeur {value!r} "
                    f"non permise ; attendu l'une de : {listed}.",
                    where,
                    "indicateurs du référentiel",
                )
            )
    return findings
