"""The operator instructs what it took in, on SQLite and PostgreSQL: decisions with their
motive, correction requests answered by a new deposit, payments within the amount requested,
cancellation and recovery orders; every refusal leaves the store as it was."""

from __future__ import annotations

import copy
import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from operator_fixtures import (
    INTAKE_DAY,
    SPECIMEN_VENDOR,
    deposit_data,
    seed_operator,
    snapshot,
    write_deposit,
)
from sons.domain.money import format_euros
from sons.domain.workflow import ReasonCode, Status, WorkflowError
from sons.formats.deposit.mapping import file_name
from sons.services.accounts import Caller, OrganisationKind, Role
from sons.services.instruction import (
    CancelOutcome,
    InstructionInputError,
    PaymentOutcome,
    cancel,
    decide,
    fire,
    pay,
    request_correction,
    show,
)
from sons.services.intake import Reception, intake_deposit
from sons.services.requests import RequestInputError, parse_reason
from sons.store.unit_of_work import UnitOfWork

ACTOR = "asp:instructeur"
PAID_ON = dt.date(2022, 12, 20)


@pytest.fixture
def received(engine: Engine, clock: Any, tmp_path: Path) -> tuple[Any, dict[str, Any], Any]:
    """Three advances taken in: (intake result, the file's content, its zip entries)."""
    seed_operator(engine, clock)
    data, documents = deposit_data()
    json_file, zip_file = write_deposit(tmp_path / "depot", data, documents)
    result = intake_deposit(
        engine, json_file, zip_file, actor="asp:reception", today=INTAKE_DAY, clock=clock
    )
    return result, data, documents


def _ids(result: Any) -> list[str]:
    return [str(line.request.id) for line in result.lines]


def test_validate_and_pay_with_motive_and_amount_checked(
    engine: Engine, clock: Any, received: Any
) -> None:
    first = _ids(received[0])[0]
    decide(engine, first, "instruire", motive=None, actor=ACTOR, clock=clock)
    before = snapshot(engine)
    with pytest.raises(WorkflowError) as no_motive:
        decide(engine, first, "valider", motive="  ", actor=ACTOR, clock=clock)
    assert no_motive.value.code == "WORKFLOW_MOTIVE_REQUIRED"
    assert "« Valider » exige un motif" in no_motive.value.message
    assert snapshot(engine) == before

    validated = decide(
        engine, first, "valider", motive="Pièces conformes.", actor=ACTOR, clock=clock
    )
    assert validated.after.status is Status.VALIDATED
    requested = validated.after.amount_ttc_cents
    assert requested is not None and requested > 0
    before = snapshot(engine)
    with pytest.raises(InstructionInputError) as too_much:
        pay(engine, first, amount_cents=requested + 1, paid_on=PAID_ON, actor=ACTOR, clock=clock)
    message = str(too_much.value)
    assert format_euros(requested + 1) in message and format_euros(requested) in message
    assert "dépasse le montant demandé" in message and "rien n'a été enregistré" in message
    assert snapshot(engine) == before

    paid = pay(engine, first, amount_cents=requested, paid_on=PAID_ON, actor=ACTOR, clock=clock)
    assert paid.transition.after.status is Status.PAID
    seen = show(engine, first)
    assert [(p.amount_cents, p.paid_on, p.recorded_by) for p in seen.payments] == [
        (requested, PAID_ON, ACTOR)
    ]
    assert [h.action for h in seen.view.history] == ["importer", "instruire", "valider", "payer"]
    assert seen.view.history[2].motive == "Pièces conformes."
    with UnitOfWork(engine, "lecture", read_only=True) as uow:
        (entry,) = uow.journal.history("payment", str(paid.payment.id))
    assert entry.after["amount_cents"] == requested and entry.actor == ACTOR


def test_reject_needs_a_motive_and_the_table_decides_what_may_be_done(
    engine: Engine, clock: Any, received: Any
) -> None:
    first = _ids(received[0])[0]
    before = snapshot(engine)
    with pytest.raises(WorkflowError) as no_motive:
        decide(engine, first, "rejeter", motive=None, actor=ACTOR, clock=clock)
    assert no_motive.value.code == "WORKFLOW_MOTIVE_REQUIRED"
    with pytest.raises(WorkflowError) as too_early:  # « valider » only from « en instruction »
        decide(engine, first, "valider", motive="ok", actor=ACTOR, clock=clock)
    assert too_early.value.code == "WORKFLOW_TRANSITION_INVALID"
    with pytest.raises(InstructionInputError, match="Décision « payer » inconnue"):
        decide(engine, first, "payer", motive="ok", actor=ACTOR, clock=clock)
    assert snapshot(engine) == before
    rejected = decide(engine, first, "rejeter", motive="Hors délai.", actor=ACTOR, clock=clock)
    assert rejected.after.status is Status.REJECTED


def test_correction_is_answered_by_a_new_deposit_that_files_the_request_again(
    engine: Engine, clock: Any, tmp_path: Path, received: Any
) -> None:
    result, data, documents = received
    first = result.lines[0].request
    with pytest.raises(RequestInputError, match="Code de motif « faux » inconnu"):
        parse_reason("faux")
    before = snapshot(engine)
    with pytest.raises(WorkflowError) as no_reason:
        request_correction(
            engine, str(first.id), reason=None, motive="Montant faux.", actor=ACTOR, clock=clock
        )
    assert no_reason.value.code == "WORKFLOW_REASON_REQUIRED"
    assert snapshot(engine) == before
    sent_back = request_correction(
        engine,
        str(first.id),
        reason=ReasonCode.INCORRECT,
        motive="Le montant TTC ne correspond pas au bon de commande.",
        actor=ACTOR,
        clock=clock,
    )
    assert sent_back.after.status is Status.TO_AMEND

    corrected = copy.deepcopy(data)
    prestation = corrected[file_name("requests")][0][file_name("prestation")]
    prestation[file_name("ttc_cents")] -= 1
    json_file, zip_file = write_deposit(tmp_path / "correction", corrected, documents)
    again = intake_deposit(
        engine, json_file, zip_file, actor="asp:reception", today=INTAKE_DAY, clock=clock
    )
    assert again.deposit is not None
    assert [line.reception for line in again.lines] == [
        Reception.REFILED,
        Reception.DUPLICATE,
        Reception.DUPLICATE,
    ]
    seen = show(engine, str(first.id))
    assert seen.view.request.status is Status.FILED
    assert seen.view.request.prestation_ttc_cents == first.prestation_ttc_cents - 1
    assert seen.view.request.deposit_id == again.deposit.id
    last = seen.view.history[-1]
    assert (last.action, last.from_status, last.to_status) == (
        "deposer",
        Status.TO_AMEND,
        Status.FILED,
    )
    assert last.file_name == json_file.name
    assert seen.view.history[-2].reason is ReasonCode.INCORRECT


def test_cancel_and_recover_a_paid_advance(engine: Engine, clock: Any, received: Any) -> None:
    first, second = _ids(received[0])[:2]
    for action in ("instruire", "valider"):
        decide(engine, first, action, motive="Conforme.", actor=ACTOR, clock=clock)
    requested = show(engine, first).view.request.amount_ttc_cents
    assert requested is not None
    pay(engine, first, amount_cents=requested, paid_on=PAID_ON, actor=ACTOR, clock=clock)
    before = snapshot(engine)
    with pytest.raises(InstructionInputError, match="ordre de recouvrement"):
        cancel(engine, first, motive="Changement d'éditeur.", actor=ACTOR, on=PAID_ON)
    with pytest.raises(InstructionInputError, match="dépasse le montant payé"):
        cancel(
            engine,
            first,
            motive="Changement d'éditeur.",
            actor=ACTOR,
            on=PAID_ON,
            recovery_cents=requested + 1,
        )
    with pytest.raises(WorkflowError, match="exige un motif"):
        cancel(engine, first, motive="", actor=ACTOR, on=PAID_ON, recovery_cents=requested)
    with pytest.raises(InstructionInputError, match="rien à recouvrer"):
        cancel(engine, second, motive="Doublon.", actor=ACTOR, on=PAID_ON, recovery_cents=100)
    assert snapshot(engine) == before

    recovered = cancel(
        engine,
        first,
        motive="Le client a changé d'éditeur après le paiement de l'avance.",
        actor=ACTOR,
        on=dt.date(2023, 2, 1),
        recovery_cents=requested,
        clock=clock,
    )
    assert recovered.transition.after.status is Status.RECOVERY
    assert recovered.recovery is not None and recovered.recovery.amount_cents == requested
    assert "Ordre de recouvrement" in recovered.message()
    (order,) = show(engine, first).recoveries
    assert order.issued_on == dt.date(2023, 2, 1) and "changé d'éditeur" in order.motive
    cancelled = cancel(engine, second, motive="Retrait.", actor=ACTOR, on=PAID_ON, clock=clock)
    assert cancelled.transition.after.status is Status.CANCELLED and cancelled.recovery is None


def _caller(engine: Engine, *, operator: bool) -> Caller:
    if operator:
        return Caller(
            1, "instructeur@asp.fr", "Instructeur", Role.OPERATOR_INSTRUCTOR, 1, "Opérateur",
            OrganisationKind.OPERATOR, None,
        )  # fmt: skip
    with UnitOfWork(engine, "lecture") as uow:
        vendor_id = uow.vendors.require_id(SPECIMEN_VENDOR.siret)
    return Caller(
        2, "admin@editeur.fr", "Admin", Role.VENDOR_ADMIN, 2, SPECIMEN_VENDOR.name,
        OrganisationKind.VENDOR, vendor_id,
    )  # fmt: skip


def test_one_service_fires_every_verb_for_either_side(
    engine: Engine, clock: Any, received: Any
) -> None:
    """What the web's forms and the API's verbs call: the operator's decisions, payments and
    cancellations go through the instruction's rules, anything else through the workflow table,
    which keeps each side to its own verbs; journaled under the caller."""
    operator, vendor = _caller(engine, operator=True), _caller(engine, operator=False)
    first, second = _ids(received[0])[:2]
    today = PAID_ON

    before = snapshot(engine)
    with pytest.raises(WorkflowError) as vendor_decides:
        fire(engine, vendor, first, "instruire", on=today, clock=clock)
    assert vendor_decides.value.code == "WORKFLOW_FORBIDDEN"
    assert snapshot(engine) == before

    fire(engine, operator, first, "instruire", on=today, clock=clock)
    fire(engine, operator, first, "valider", on=today, motive="Conforme.", clock=clock)
    with pytest.raises(InstructionInputError, match="exige son montant"):
        fire(engine, operator, first, "payer", on=today, clock=clock)
    assert snapshot(engine) != before
    requested = show(engine, first).view.request.amount_ttc_cents
    assert requested is not None
    paid = fire(engine, operator, first, "payer", on=today, amount_cents=requested, clock=clock)
    assert isinstance(paid, PaymentOutcome) and paid.transition.after.status is Status.PAID
    assert [p.paid_on for p in show(engine, first).payments] == [PAID_ON]

    asked = fire(
        engine,
        operator,
        second,
        "demander-correction",
        on=today,
        reason=ReasonCode.INCORRECT,
        motive="RIB illisible.",
        clock=clock,
    )
    assert asked.after.status is Status.TO_AMEND  # type: ignore[union-attr]
    cancelled = fire(engine, operator, second, "annuler", on=today, motive="Doublon.", clock=clock)
    assert isinstance(cancelled, CancelOutcome) and cancelled.recovery is None
    history = show(engine, second).view.history
    assert [(entry.action, entry.actor) for entry in history[-2:]] == [
        ("demander-correction", operator.actor),
        ("annuler", operator.actor),
    ]
