"""The condition evaluator: a value and the French explanation of why.

Conditions are small expression trees (see `model.Condition`). An unanswered question makes
every leaf on it false: the missing answer is reported by the questionnaire check, not guessed.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from sons.referential.model import (
    AllOf,
    Answered,
    AnswerValue,
    AnyOf,
    Condition,
    Contains,
    Equals,
    InValues,
    Not,
    Question,
)

Answers = Mapping[str, AnswerValue]


@dataclass(frozen=True, slots=True)
class Evaluation:
    value: bool
    explanation: str


def answer_label(question: Question | None, value: AnswerValue | None) -> str:
    """How an answer reads in French: Oui/Non for yes-no, the choice label, the text."""
    if value is None:
        return "non répondu"
    if isinstance(value, bool):
        return "Oui" if value else "Non"
    if question is not None and question.choices:
        for choice in question.choices:
            if choice.value == value:
                return choice.label
    return str(value)


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def _quote(questions: Mapping[str, Question], qid: str) -> str:
    question = questions.get(qid)
    label = question.label if question is not None else qid
    return f"« {label} » ({qid})"


def evaluate(
    condition: Condition, answers: Answers, questions: Mapping[str, Question]
) -> Evaluation:
    """Evaluate `condition` on `answers`, explaining the decisive part in French."""
    if isinstance(condition, Equals | InValues | Contains | Answered):
        return _evaluate_leaf(condition, answers, questions)
    if isinstance(condition, Not):
        inner = evaluate(condition.condition, answers, questions)
        return Evaluation(not inner.value, f"non ({inner.explanation})")
    parts = [evaluate(c, answers, questions) for c in condition.conditions]
    if isinstance(condition, AllOf):
        value = all(p.value for p in parts)
        # When true, every part counts; when false, the failing parts are the reason.
        shown = parts if value else [p for p in parts if not p.value]
        return Evaluation(value, " et ".join(p.explanation for p in shown))
    value = any(p.value for p in parts)
    shown = [p for p in parts if p.value] if value else parts
    return Evaluation(value, " ou ".join(p.explanation for p in shown))


def _evaluate_leaf(
    condition: Equals | InValues | Contains | Answered,
    answers: Answers,
    questions: Mapping[str, Question],
) -> Evaluation:
    qid = condition.question
    given = answers.get(qid)
    question = questions.get(qid)
    quoted = _quote(questions, qid)
    shown = answer_label(question, given)
    if isinstance(condition, Answered):
        return Evaluation(given is not None, f"réponse {quoted} = {shown}")
    if given is None:
        return Evaluation(False, f"réponse {quoted} non renseignée")
    if isinstance(condition, Equals):
        value = type(given) is type(condition.value) and given == condition.value
    elif isinstance(condition, InValues):
        value = any(type(given) is type(v) and given == v for v in condition.values)
    else:
        value = isinstance(given, str) and _fold(condition.text) in _fold(given)
    return Evaluation(value, f"réponse {quoted} = {shown}")


def questions_named(condition: Condition) -> Iterator[str]:
    """Every question id a condition reads, so the loader can check they exist."""
    if isinstance(condition, Equals | InValues | Contains | Answered):
        yield condition.question
    elif isinstance(condition, Not):
        yield from questions_named(condition.condition)
    else:
        for inner in condition.conditions:
            yield from questions_named(inner)


def leaves(condition: Condition) -> Iterator[Equals | InValues | Contains | Answered]:
    if isinstance(condition, Equals | InValues | Contains | Answered):
        yield condition
    elif isinstance(condition, Not):
        yield from leaves(condition.condition)
    else:
        for inner in condition.conditions:
            yield from leaves(inner)


def describe(condition: Condition, questions: Mapping[str, Question]) -> str:
    """The condition itself in French, for the annotated rulebook."""
    if isinstance(condition, Equals):
        question = questions.get(condition.question)
        return f"{_quote(questions, condition.question)} = " + answer_label(
            question, condition.value
        )
    if isinstance(condition, InValues):
        question = questions.get(condition.question)
        listed = ", ".join(answer_label(question, v) for v in condition.values)
        return f"{_quote(questions, condition.question)} parmi {listed}"
    if isinstance(condition, Contains):
        return f"{_quote(questions, condition.question)} contient « {condition.text} »"
    if isinstance(condition, Answered):
        return f"{_quote(questions, condition.question)} est renseignée"
    if isinstance(condition, Not):
        return f"non ({describe(condition.condition, questions)})"
    joiner = " et " if isinstance(condition, AllOf) else " ou "
    return "(" + joiner.join(describe(c, questions) for c in condition.conditions) + ")"


__all__ = ["AnyOf", "Evaluation", "answer_label", "describe", "evaluate", "questions_named"]
