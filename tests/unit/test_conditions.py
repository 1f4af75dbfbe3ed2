"""The condition evaluator: a value and the French explanation of the decisive part."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import TypeAdapter

from sons.referential.conditions import (
    answer_label,
    describe,
    evaluate,
    leaves,
    questions_named,
)
from sons.referential.model import Condition, Question

QUESTIONS = {
    q.id: q
    for q in (
        Question(id="dmp", label="Envoi au DMP ?", type="yes_no", strength="inferred"),
        Question(id="mss", label="Envoi par MSS ?", type="yes_no", strength="inferred"),
        Question(id="operator", label="Opérateur MSS", type="text", strength="inferred"),
        Question(
            id="kind",
            label="Type d'établissement",
            type="choice",
            choices=[
                {"value": "es", "label": "Établissement de santé"},
                {"value": "cabinet", "label": "Cabinet libéral"},
                {"value": "esms", "label": "Établissement médico-social"},
            ],
            strength="inferred",
        ),
        Question(id="beds", label="Nombre de lits", type="integer", strength="inferred"),
    )
}

_CONDITION: TypeAdapter[Any] = TypeAdapter(Condition)


def condition(raw: dict[str, Any]) -> Any:
    return _CONDITION.validate_python(raw)


def eq(question: str, value: Any) -> dict[str, Any]:
    return {"op": "equals", "question": question, "value": value}


DMP = "réponse « Envoi au DMP ? » (dmp)"
MSS = "réponse « Envoi par MSS ? » (mss)"


def test_equals_explains_the_answer_in_french() -> None:
    result = evaluate(condition(eq("dmp", True)), {"dmp": True}, QUESTIONS)
    assert (result.value, result.explanation) == (True, f"{DMP} = Oui")
    result = evaluate(condition(eq("dmp", True)), {"dmp": False}, QUESTIONS)
    assert (result.value, result.explanation) == (False, f"{DMP} = Non")


def test_equals_does_not_confuse_true_and_one() -> None:
    assert evaluate(condition(eq("beds", 1)), {"beds": True}, QUESTIONS).value is False
    assert evaluate(condition(eq("beds", 1)), {"beds": 1}, QUESTIONS).value is True


def test_an_unanswered_question_is_false_and_said_so() -> None:
    result = evaluate(condition(eq("dmp", False)), {}, QUESTIONS)
    assert result.value is False
    assert result.explanation == f"{DMP} non renseignée"


def test_in_reads_the_choice_label() -> None:
    cond = condition({"op": "in", "question": "kind", "values": ["es", "esms"]})
    result = evaluate(cond, {"kind": "esms"}, QUESTIONS)
    assert result.value is True
    assert result.explanation == (
        "réponse « Type d'établissement » (kind) = Établissement médico-social"
    )
    assert evaluate(cond, {"kind": "cabinet"}, QUESTIONS).value is False


@pytest.mark.parametrize(
    ("text", "answer", "expected"),
    [
        ("Mailiz", "  mailiz ", True),
        ("Mailiz", "MAILÏZ (Ordre des médecins)", True),
        ("opérateur régional", "Operateur REGIONAL Sud", True),
        ("Opérateur", "opèrateur", True),
        ("Mailiz", "Apicrypt", False),
        ("Mailiz", "", False),
    ],
)
def test_contains_ignores_case_and_accents(text: str, answer: str, expected: bool) -> None:
    cond = condition({"op": "contains", "question": "operator", "text": text})
    result = evaluate(cond, {"operator": answer}, QUESTIONS)
    assert result.value is expected
    assert result.explanation.startswith("réponse « Opérateur MSS » (operator) = ")


def test_contains_on_a_non_text_answer_is_false() -> None:
    cond = condition({"op": "contains", "question": "operator", "text": "1"})
    assert evaluate(cond, {"operator": 1}, QUESTIONS).value is False


def test_all_true_gives_every_reason() -> None:
    cond = condition({"op": "all", "conditions": [eq("dmp", True), eq("mss", True)]})
    result = evaluate(cond, {"dmp": True, "mss": True}, QUESTIONS)
    assert (result.value, result.explanation) == (True, f"{DMP} = Oui et {MSS} = Oui")


def test_all_false_gives_only_the_failing_parts() -> None:
    cond = condition({"op": "all", "conditions": [eq("dmp", True), eq("mss", True)]})
    result = evaluate(cond, {"dmp": True, "mss": False}, QUESTIONS)
    assert (result.value, result.explanation) == (False, f"{MSS} = Non")


def test_any_true_gives_only_the_parts_that_hold() -> None:
    cond = condition({"op": "any", "conditions": [eq("dmp", True), eq("mss", True)]})
    result = evaluate(cond, {"dmp": False, "mss": True}, QUESTIONS)
    assert (result.value, result.explanation) == (True, f"{MSS} = Oui")


def test_any_false_gives_every_part() -> None:
    cond = condition({"op": "any", "conditions": [eq("dmp", True), eq("mss", True)]})
    result = evaluate(cond, {"dmp": False, "mss": False}, QUESTIONS)
    assert (result.value, result.explanation) == (False, f"{DMP} = Non ou {MSS} = Non")


def test_not_inverts_and_says_so() -> None:
    cond = condition({"op": "not", "condition": eq("dmp", True)})
    result = evaluate(cond, {"dmp": False}, QUESTIONS)
    assert (result.value, result.explanation) == (True, f"non ({DMP} = Non)")
    assert evaluate(cond, {"dmp": True}, QUESTIONS).value is False


def test_answered() -> None:
    cond = condition({"op": "answered", "question": "operator"})
    assert evaluate(cond, {"operator": "Mailiz"}, QUESTIONS).value is True
    result = evaluate(cond, {}, QUESTIONS)
    assert (result.value, result.explanation) == (
        False,
        "réponse « Opérateur MSS » (operator) = non répondu",
    )


def test_nested_trees() -> None:
    cond = condition(
        {
            "op": "all",
            "conditions": [
                {"op": "any", "conditions": [eq("dmp", True), eq("mss", True)]},
                {"op": "not", "condition": {"op": "contains", "question": "operator", "text": "x"}},
            ],
        }
    )
    assert evaluate(cond, {"dmp": True, "mss": False, "operator": "Mailiz"}, QUESTIONS).value
    assert not evaluate(cond, {"dmp": True, "operator": "Xa"}, QUESTIONS).value
    assert list(questions_named(cond)) == ["dmp", "mss", "operator"]
    assert [leaf.op for leaf in leaves(cond)] == ["equals", "equals", "contains"]


def test_describe_writes_the_condition_in_french() -> None:
    cond = condition(
        {
            "op": "any",
            "conditions": [
                eq("dmp", True),
                {"op": "in", "question": "kind", "values": ["es", "cabinet"]},
                {
                    "op": "not",
                    "condition": {"op": "contains", "question": "operator", "text": "Mailiz"},
                },
                {"op": "answered", "question": "beds"},
            ],
        }
    )
    assert describe(cond, QUESTIONS) == (
        "(« Envoi au DMP ? » (dmp) = Oui"
        " ou « Type d'établissement » (kind) parmi Établissement de santé, Cabinet libéral"
        " ou non (« Opérateur MSS » (operator) contient « Mailiz »)"
        " ou « Nombre de lits » (beds) est renseignée)"
    )


def test_describe_an_unknown_question_falls_back_on_its_id() -> None:
    assert describe(condition(eq("ghost", False)), QUESTIONS) == "« ghost » (ghost) = Non"


def test_answer_label() -> None:
    assert answer_label(QUESTIONS["dmp"], True) == "Oui"
    assert answer_label(QUESTIONS["kind"], "es") == "Établissement de santé"
    assert answer_label(QUESTIONS["kind"], "autre") == "autre"
    assert answer_label(None, None) == "non répondu"
