"""The referential as plain data for JSON output, screens and documents (no framework)."""

from __future__ import annotations

from typing import Any

from sons.referential.loader import Dispositif, DispositifAtDate, ParameterValue
from sons.referential.model import (
    CEILING_STRATEGIES,
    FLOW_LABELS,
    ROUTE_LABELS,
    STRENGTH_LABELS,
    BalanceCondition,
    Reference,
)


def identity(dispositif: Dispositif) -> dict[str, Any]:
    ident = dispositif.identity
    return {
        "code": ident.code,
        "label": ident.label,
        "couloir": ident.couloir.value,
        "software_type": ident.software_type,
        "wave": ident.wave,
        "deposit_family": ident.deposit_family.value,
        "code_strength": ident.code_strength.value,
    }


def reference(ref: Reference | None) -> dict[str, Any] | None:
    return None if ref is None else ref.model_dump(exclude_none=True)


def parameter(value: ParameterValue) -> dict[str, Any]:
    shown: Any = value.value
    if value.name == "ceiling_strategy" and isinstance(shown, str):
        shown = {"value": shown, "label": CEILING_STRATEGIES.get(shown, shown)}
    elif hasattr(shown, "isoformat"):
        shown = shown.isoformat()
    return {
        "name": value.name,
        "label": value.label,
        "value": shown,
        "known": value.known,
        "strength": value.strength.value,
        "since": value.since.isoformat() if value.since else None,
        "reference": reference(value.reference),
        "warning": value.warning,
    }


def balance_condition(condition: BalanceCondition) -> dict[str, Any]:
    return {
        "id": condition.id,
        "flow": condition.flow.value,
        "flow_label": FLOW_LABELS[condition.flow],
        "route": condition.route.value,
        "route_label": ROUTE_LABELS[condition.route],
        "scenario_group": condition.scenario_group,
        "scenario_label": condition.scenario_label,
        "condition": condition.condition,
        "threshold": condition.threshold,
        "ins_qualified": condition.ins_qualified,
        "document_type": condition.document_type,
        "recipient": condition.recipient,
        "evidence": condition.evidence.value,
        "evidence_label": condition.evidence_label,
        "controls": [c.model_dump(exclude_none=True) for c in condition.controls],
        "strength": condition.strength.value,
        "field_strengths": {k: v.value for k, v in condition.field_strengths.items()},
        "reference": reference(condition.reference),
    }


def dispositif_at(view: DispositifAtDate) -> dict[str, Any]:
    """Everything in force for one dispositif on one date, as JSON-ready data."""
    ident = view.identity
    return {
        **identity(view.dispositif),
        "date": view.on.isoformat(),
        "strength": ident.strength.value,
        "strength_label": STRENGTH_LABELS[ident.strength],
        "sources": [s.model_dump(mode="json", exclude_none=True) for s in ident.sources],
        "profiles": [
            {
                "id": p.id,
                "label": p.label,
                "mandatory": p.mandatory,
                "trigger": p.trigger,
                "strength": p.strength.value,
                "reference": reference(p.reference),
            }
            for p in view.profiles
        ],
        "questions": [
            {
                "id": q.id,
                "label": q.label,
                "type": q.type,
                "required": q.required,
                "choices": [c.model_dump() for c in q.choices] if q.choices else None,
                "declares": q.declares.model_dump(mode="json") if q.declares else None,
                "strength": q.strength.value,
                "reference": reference(q.reference),
            }
            for q in view.questions
        ],
        "alternatives": [
            {"id": a.id, "label": a.label, "questions": a.questions, "strength": a.strength.value}
            for a in view.alternatives
        ],
        "rules": [
            {
                "id": r.id,
                "profile": r.profile,
                "when": r.when.model_dump(mode="json"),
                "exceptions": [e.model_dump(mode="json", exclude_none=True) for e in r.exceptions],
                "strength": r.strength.value,
                "reference": reference(r.reference),
            }
            for r in view.rules
        ],
        "balance_conditions": [balance_condition(c) for c in view.balance_conditions],
        "balance_requirements": [
            {"id": b.id, "label": b.label, "strength": b.strength.value}
            for b in view.balance_requirements
        ],
        "indicators": [
            {
                "id": i.id,
                "label": i.label,
                "kinds": i.kinds,
                "values": i.values,
                "strength": i.strength.value,
            }
            for i in view.indicators
        ],
        "parameters": [parameter(p) for p in view.parameters],
        "warnings": view.warnings,
    }
