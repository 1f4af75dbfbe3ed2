"""The funding-request workflow table: who may do what, from where, with which motive."""

from __future__ import annotations

import pytest

from sons.domain.workflow import (
    STATUSES,
    TRANSITIONS,
    Audience,
    ReasonCode,
    RequestKind,
    Status,
    WorkflowError,
    allowed_actions,
    fire,
    status_label,
)


def test_every_status_has_both_labels_and_is_reachable() -> None:
    assert set(STATUSES) == set(Status)
    targets = {t.target for t in TRANSITIONS}
    assert set(Status) - targets == {Status.DRAFT}
    for info in STATUSES.values():
        assert info.vendor_label and info.operator_label


def test_final_statuses_have_no_way_out_but_recovery_after_payment() -> None:
    for status, info in STATUSES.items():
        outgoing = [t for t in TRANSITIONS if status in t.sources]
        if info.final and status is not Status.PAID:
            assert outgoing == []
    assert [t.action for t in TRANSITIONS if Status.PAID in t.sources] == ["recouvrer"]


def test_vendor_files_then_operator_reviews_validates_and_pays() -> None:
    status = Status.DRAFT
    for action, audience in [
        ("deposer", Audience.VENDOR),
        ("instruire", Audience.OPERATOR),
        ("valider", Audience.OPERATOR),
        ("payer", Audience.OPERATOR),
    ]:
        status = fire(status, action, audience, RequestKind.ADVANCE).target
    assert status is Status.PAID
    assert status_label(status, RequestKind.ADVANCE, Audience.VENDOR) == "Décidée et payée"
    assert status_label(status, RequestKind.AMENDMENT, Audience.OPERATOR) == "Décidé et payé"


def test_correction_needs_motive_and_reason_and_vendor_refiles() -> None:
    with pytest.raises(WorkflowError) as no_motive:
        fire(Status.UNDER_REVIEW, "demander-correction", Audience.OPERATOR, RequestKind.BALANCE)
    assert no_motive.value.code == "WORKFLOW_MOTIVE_REQUIRED"
    with pytest.raises(WorkflowError) as no_reason:
        fire(
            Status.UNDER_REVIEW,
            "demander-correction",
            Audience.OPERATOR,
            RequestKind.BALANCE,
            motive="VA non signée",
        )
    assert no_reason.value.code == "WORKFLOW_REASON_REQUIRED"
    step = fire(
        Status.UNDER_REVIEW,
        "demander-correction",
        Audience.OPERATOR,
        RequestKind.BALANCE,
        motive="VA non signée",
        reason=ReasonCode.INCOMPLETE,
    )
    assert step.target is Status.TO_AMEND
    assert status_label(step.target, RequestKind.BALANCE, Audience.VENDOR) == "A modifier"
    assert fire(Status.TO_AMEND, "deposer", Audience.VENDOR, RequestKind.BALANCE).target is (
        Status.FILED
    )


def test_vendor_cannot_fire_operator_actions_and_vice_versa() -> None:
    with pytest.raises(WorkflowError) as forbidden:
        fire(Status.VALIDATED, "payer", Audience.VENDOR, RequestKind.ADVANCE)
    assert forbidden.value.code == "WORKFLOW_FORBIDDEN"
    assert "opérateur" in forbidden.value.message
    with pytest.raises(WorkflowError):
        fire(Status.DRAFT, "deposer", Audience.OPERATOR, RequestKind.ADVANCE)


def test_invalid_transition_names_current_status_and_possible_actions() -> None:
    with pytest.raises(WorkflowError) as invalid:
        fire(Status.DRAFT, "payer", Audience.OPERATOR, RequestKind.ADVANCE)
    assert invalid.value.code == "WORKFLOW_TRANSITION_INVALID"
    assert "Brouillon" in invalid.value.message
    with pytest.raises(WorkflowError) as unknown:
        fire(Status.DRAFT, "envoyer", Audience.VENDOR, RequestKind.ADVANCE)
    assert unknown.value.code == "WORKFLOW_UNKNOWN_ACTION"


def test_recovery_after_payment_requires_motive() -> None:
    with pytest.raises(WorkflowError):
        fire(Status.PAID, "recouvrer", Audience.OPERATOR, RequestKind.ADVANCE)
    step = fire(
        Status.PAID,
        "recouvrer",
        Audience.OPERATOR,
        RequestKind.ADVANCE,
        motive="Le client a changé de fournisseur",
    )
    assert step.target is Status.RECOVERY


def test_allowed_actions_by_audience() -> None:
    vendor = {t.action for t in allowed_actions(Status.FILED, Audience.VENDOR)}
    operator = {t.action for t in allowed_actions(Status.FILED, Audience.OPERATOR)}
    assert vendor == {"retirer"}
    assert operator == {
        "declarer-incomplete",
        "instruire",
        "demander-correction",
        "rejeter",
        "annuler",
    }
