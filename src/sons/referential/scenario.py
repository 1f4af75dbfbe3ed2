"""Explain a scenario: which profiles its answers require, and why; what is wrong with it.

The same function serves `sons referential explain`, the order checks and the deposit checker,
so a finding reads the same everywhere.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sons.findings import Finding, Severity
from sons.referential.conditions import answer_label, evaluate
from sons.referential.loader import Dispositif, DispositifAtDate
from sons.referential.model import (
    AnswerValue,
    BalanceCondition,
    FlowRoute,
    Profile,
    Question,
    Strength,
)

# Findings about the answers themselves: the scenario cannot be read as given.
INPUT_CODES = frozenset({"SCENARIO_ANSWER_UNKNOWN", "SCENARIO_ANSWER_INVALID", "PROFILE_UNKNOWN"})

_TYPE_EXPECTED = {
    "yes_no": "Oui/Non (true ou false)",
    "text": "un texte",
    "choice": "un des choix proposés",
    "integer": "un nombre entier",
}


@dataclass(frozen=True, slots=True)
class RequiredProfile:
    profile: Profile
    because: tuple[str, ...]
    rules: tuple[str, ...]
    citations: tuple[str, ...] = ()
    # True when every reason comes from a rule we deduced ourselves (strength « inferred »):
    # a missing profile is then a warning to confirm, not an error.
    inferred_only: bool = False

    @property
    def label(self) -> str:
        return self.profile.label


@dataclass(frozen=True, slots=True)
class ScenarioExplanation:
    answers: Mapping[str, AnswerValue]
    required_profiles: tuple[RequiredProfile, ...]
    declared_flows: tuple[FlowRoute, ...]
    findings: tuple[Finding, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "required_profiles": [
                {"id": r.profile.id, "label": r.label, "because": list(r.because)}
                for r in self.required_profiles
            ],
            "declared_flows": [
                {"flow": f.flow.value, "route": f.route.value} for f in self.declared_flows
            ],
            "findings": [f.as_dict() for f in self.findings],
        }


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.strip())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def _path(prefix: str, qid: str) -> str:
    return f"{prefix}.{qid}" if prefix else qid


def check_answers(
    view: DispositifAtDate, raw: Mapping[str, Any], prefix: str = "$"
) -> tuple[dict[str, AnswerValue], list[Finding]]:
    """Keep the well-typed answers; report unknown, ill-typed and missing ones."""
    questions = view.questions_by_id
    answers: dict[str, AnswerValue] = {}
    findings: list[Finding] = []
    for qid, value in raw.items():
        question = questions.get(qid)
        if question is None:
            known = ", ".join(questions)
            findings.append(
                Finding(
                    "SCENARIO_ANSWER_UNKNOWN",
                    Severity.ERROR,
                    f"La question « {qid} » n'existe pas dans le questionnaire de {view.code} "
                    f"au {view.on.isoformat()}. Questions attendues : {known}.",
                    _path(prefix, qid),
                    "questionnaire",
                )
            )
            continue
        if value is None:
            continue
        problem = _type_problem(question, value)
        if problem:
            findings.append(
                Finding(
                    "SCENARIO_ANSWER_INVALID",
                    Severity.ERROR,
                    f"Réponse invalide à « {question.label} » ({qid}) : {problem}.",
                    _path(prefix, qid),
                    "questionnaire",
                    view.cite(question),
                )
            )
            continue
        answers[qid] = value.strip() if isinstance(value, str) else value
    for question in view.questions:
        if question.required and question.id not in answers and question.id not in raw:
            findings.append(
                Finding(
                    "SCENARIO_ANSWER_MISSING",
                    Severity.ERROR,
                    f"Réponse manquante à la question « {question.label} » ({question.id}) ; "
                    f"attendu : {_TYPE_EXPECTED[question.type]}.",
                    _path(prefix, question.id),
                    "questionnaire",
                    view.cite(question),
                )
            )
        elif question.required and raw.get(question.id) is None and question.id in raw:
            findings.append(
                Finding(
                    "SCENARIO_ANSWER_MISSING",
                    Severity.ERROR,
                    f"Réponse vide à la question « {question.label} » ({question.id}) ; "
                    f"attendu : {_TYPE_EXPECTED[question.type]}.",
                    _path(prefix, question.id),
                    "questionnaire",
                    view.cite(question),
                )
            )
    return answers, findings


def _type_problem(question: Question, value: Any) -> str | None:
    given = f"reçu {value!r}"
    if question.type == "yes_no" and not isinstance(value, bool):
        return f"attendu Oui/Non (true ou false), {given}"
    if question.type in ("text", "choice") and not isinstance(value, str):
        return f"attendu un texte, {given}"
    if question.type == "text" and question.required and not value.strip():
        return "texte vide"
    if question.type == "integer" and (isinstance(value, bool) or not isinstance(value, int)):
        return f"attendu un nombre entier, {given}"
    if question.choices and value not in {c.value for c in question.choices}:
        listed = ", ".join(f"{c.value} ({c.label})" for c in question.choices)
        return f"attendu l'un de : {listed} ; {given}"
    return None


@lru_cache(maxsize=64)
def _profile_index(dispositif: Dispositif) -> dict[str, str]:
    # Folding every label is most of the cost of matching; a dispositif's profiles never change.
    index: dict[str, str] = {}
    for profile in dispositif.profiles:
        index[_fold(profile.label)] = profile.id
        index[_fold(profile.id)] = profile.id
    return index


def match_profiles(
    view: DispositifAtDate, names: Iterable[str], prefix: str = "profiles"
) -> tuple[set[str], list[Finding]]:
    """Profile labels or ids (any case, any accents) → profile ids; unknown names reported."""
    index = _profile_index(view.dispositif)
    ids: set[str] = set()
    findings: list[Finding] = []
    for position, name in enumerate(names):
        if not name.strip():
            continue
        found = index.get(_fold(name))
        if found is None:
            listed = " ; ".join(p.label for p in view.profiles)
            findings.append(
                Finding(
                    "PROFILE_UNKNOWN",
                    Severity.ERROR,
                    f"Profil « {name} » inconnu pour {view.code}. Profils possibles : {listed}.",
                    f"{prefix}[{position}]",
                    "profils",
                )
            )
        else:
            ids.add(found)
    return ids, findings


def required_profiles(
    view: DispositifAtDate, answers: Mapping[str, AnswerValue], prefix: str = "$"
) -> tuple[list[RequiredProfile], list[Finding]]:
    """Mandatory profiles, then every rule whose condition holds, exceptions applied."""
    questions = view.questions_by_id
    reasons: dict[str, list[str]] = {}
    rule_ids: dict[str, list[str]] = {}
    citations: dict[str, list[str]] = {}
    strengths: dict[str, list[Strength]] = {}
    findings: list[Finding] = []
    for profile in view.profiles:
        if profile.mandatory:
            reasons.setdefault(profile.id, []).append("profil obligatoire pour tout référencement")
            rule_ids.setdefault(profile.id, []).append("profil obligatoire")
            citations.setdefault(profile.id, []).append(view.cite(profile))
            strengths.setdefault(profile.id, []).append(profile.strength)
    for rule in view.rules:
        base = evaluate(rule.when, answers, questions)
        required, because = base.value, base.explanation
        applying = [
            (exception, evaluation)
            for exception in rule.exceptions
            if (evaluation := evaluate(exception.when, answers, questions)).value
        ]
        outcomes = {exception.required for exception, _ in applying}
        if len(outcomes) > 1:
            names = ", ".join(e.id for e, _ in applying)
            findings.append(
                Finding(
                    "REFERENTIAL_RULE_CONFLICT",
                    Severity.ERROR,
                    f"Règle « {rule.id} » : les exceptions {names} s'appliquent ensemble et se "
                    "contredisent ; le référentiel doit être corrigé. Par prudence, le profil est "
                    "considéré comme requis.",
                    prefix,
                    rule.id,
                    view.cite(rule),
                )
            )
            required = True
            because = "; ".join(e.explanation for _, e in applying)
        elif applying:
            exception, evaluation = applying[0]
            required = exception.required
            because = f"exception « {exception.id} » : {evaluation.explanation}"
            if exception.because:
                because += f" ({exception.because})"
        if required:
            reasons.setdefault(rule.profile, []).append(because)
            rule_ids.setdefault(rule.profile, []).append(rule.id)
            citations.setdefault(rule.profile, []).append(view.cite(rule))
            strengths.setdefault(rule.profile, []).append(rule.strength)
    result = [
        RequiredProfile(
            profile,
            tuple(reasons[profile.id]),
            tuple(rule_ids[profile.id]),
            tuple(citations[profile.id]),
            all(s is Strength.INFERRED for s in strengths[profile.id]),
        )
        for profile in view.profiles
        if profile.id in reasons
    ]
    return result, findings


def alternatives_findings(
    view: DispositifAtDate, answers: Mapping[str, AnswerValue], prefix: str = "$"
) -> list[Finding]:
    questions = view.questions_by_id
    findings: list[Finding] = []
    for alternative in view.alternatives:
        chosen = [qid for qid in alternative.questions if answers.get(qid) is True]
        if len(chosen) > 1:
            listed = " et ".join(f"« {questions[q].label} » ({q})" for q in chosen)
            findings.append(
                Finding(
                    "SCENARIO_ALTERNATIVES_CONFLICT",
                    Severity.ERROR,
                    f"{alternative.label} : les réponses {listed} sont toutes à Oui alors qu'elles "
                    "sont des alternatives pour un même canal ; une seule peut être à Oui.",
                    _path(prefix, chosen[1]),
                    alternative.id,
                    view.cite(alternative),
                )
            )
    return findings


def declared_flows(view: DispositifAtDate, answers: Mapping[str, AnswerValue]) -> list[FlowRoute]:
    return [
        q.declares for q in view.questions if q.declares is not None and answers.get(q.id) is True
    ]


def applicable_balance_conditions(
    view: DispositifAtDate, answers: Mapping[str, AnswerValue]
) -> list[BalanceCondition]:
    """The balance conditions the scenario triggers (all of them when unconditional)."""
    questions = view.questions_by_id
    return [
        c
        for c in view.balance_conditions
        if c.applies_when is None or evaluate(c.applies_when, answers, questions).value
    ]


def explain(
    view: DispositifAtDate,
    raw_answers: Mapping[str, Any],
    obtained_profiles: Iterable[str] | None = None,
    prefix: str = "$",
) -> ScenarioExplanation:
    """Everything the referential says about one scenario, each result explained."""
    answers, findings = check_answers(view, raw_answers, prefix)
    findings += alternatives_findings(view, answers, prefix)
    required, rule_findings = required_profiles(view, answers, prefix)
    findings += rule_findings
    if obtained_profiles is not None:
        obtained, profile_findings = match_profiles(view, obtained_profiles)
        findings += profile_findings
        labels = [p.label for p in view.profiles if p.id in obtained]
        held = " ; ".join(labels) if labels else "aucun"
        for item in required:
            if item.profile.id in obtained:
                continue
            findings.append(
                Finding(
                    "SCENARIO_PROFILE_MISSING",
                    Severity.ERROR,
                    f"Le profil « {item.label} » est requis car {'; '.join(item.because)}, mais la "
                    f"solution ne l'a pas obtenu (profils obtenus : {held}).",
                    prefix,
                    item.rules[0],
                    view.cite(item.profile),
                )
            )
    return ScenarioExplanation(
        answers=answers,
        required_profiles=tuple(required),
        declared_flows=tuple(declared_flows(view, answers)),
        findings=tuple(findings),
    )


__all__ = ["answer_label", "explain"]
