"""The payment operator instructs the requests it received: the queue, decisions, correction
requests, cancellations with their recovery orders, and payments.

Every status change goes through the workflow table (`sons.domain.workflow`, via
`services.requests.transition_request` / `fire_on`) and is journaled with its motive, reason
code and file; payments and recovery orders are recorded in the same unit of work as the
transition they go with (`store.instruction`), so a refusal leaves the store as it was.

Rules added here, over the table's: a decision (valider, rejeter, déclarer incomplète) always
states its motive; a payment is positive and never exceeds the amount requested (TTC) less
what was already paid; a recovery order never exceeds what was paid.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

from sons.domain.money import format_euros
from sons.domain.workflow import (
    KIND_LABELS,
    STATUSES,
    TRANSITIONS_BY_ACTION,
    Audience,
    ReasonCode,
    Status,
    WorkflowError,
    status_label,
)
from sons.findings import Finding
from sons.services.accounts import Caller
from sons.services.actors import reading
from sons.services.intake import instructions
from sons.services.requests import (
    RequestView,
    TransitionOutcome,
    fire_on,
    read_attached,
    repository,
    resolve,
    show_request,
    transition_request,
)
from sons.store.errors import StoreError
from sons.store.instruction import Payment, RecoveryOrder
from sons.store.requests import StoredRequest
from sons.store.unit_of_work import Clock, UnitOfWork, system_clock

# The decisions of `sons operator decide`, and those that must state their motive.
DECISIONS = ("valider", "rejeter", "instruire", "declarer-incomplete")
MOTIVATED = frozenset({"valider", "rejeter", "declarer-incomplete"})
# The queue shows the statuses in the order a request lives them.
QUEUE_ORDER = tuple(Status)
# What the operator still has to act on: filed with it (not a vendor's draft) and not closed.
AWAITING_OPERATOR = tuple(s for s in Status if s is not Status.DRAFT and not STATUSES[s].final)
# The operator's verbs whose rules are the instruction's, over the workflow table's (`fire`).
INSTRUCTION_VERBS = frozenset({"payer", "annuler", "recouvrer", "demander-correction", *DECISIONS})


class InstructionInputError(StoreError):
    """A decision, payment or cancellation that cannot be recorded as asked (exit 2)."""


def _what(request: StoredRequest) -> str:
    return f"{KIND_LABELS[request.kind]} n° {request.id} « {request.request_ref} »"


# --- the queue --------------------------------------------------------------------------------


@dataclass(frozen=True)
class QueueLine:
    request: StoredRequest
    vendor_siret: str
    vendor_name: str
    errors: int
    warnings: int

    def as_dict(self) -> dict[str, Any]:
        r = self.request
        return {
            "id": r.id,
            "request_ref": r.request_ref,
            "kind": r.kind.value,
            "status": r.status.value,
            "operator_label": status_label(r.status, r.kind, Audience.OPERATOR),
            "dispositif": r.dispositif,
            "vendor_siret": self.vendor_siret,
            "vendor_name": self.vendor_name,
            "order_number": r.order_number,
            "client_id": r.client_id,
            "amount_ht_cents": r.amount_ht_cents,
            "amount_ttc_cents": r.amount_ttc_cents,
            "intake_errors": self.errors,
            "intake_warnings": self.warnings,
        }


@dataclass(frozen=True)
class QueueGroup:
    status: Status
    dispositif: str
    lines: tuple[QueueLine, ...]

    @property
    def label(self) -> str:
        return status_label(self.status, self.lines[0].request.kind, Audience.OPERATOR)

    def as_dict(self) -> dict[str, Any]:
        return {
            "status": self.status.value,
            "operator_label": self.label,
            "dispositif": self.dispositif,
            "count": len(self.lines),
            "requests": [line.as_dict() for line in self.lines],
        }


@dataclass(frozen=True)
class Queue:
    groups: tuple[QueueGroup, ...]

    @property
    def total(self) -> int:
        return sum(len(g.lines) for g in self.groups)

    def count(self, status: Status) -> int:
        return sum(len(g.lines) for g in self.groups if g.status is status)

    def as_dict(self) -> dict[str, Any]:
        counts = Counter[str]()
        for group in self.groups:
            counts[group.status.value] += len(group.lines)
        return {
            "total": self.total,
            "by_status": dict(counts),
            "groups": [g.as_dict() for g in self.groups],
        }


def queue(
    engine: Engine,
    *,
    status: Status | None = None,
    dispositif: str | None = None,
    vendor_siret: str | None = None,
) -> Queue:
    """Every request received, grouped per status (in the workflow's order) and dispositif,
    with its vendor and its intake findings' tally; « incomplète » ones included."""
    with reading(engine) as uow:
        vendors = uow.vendors.all()
        vendor_id = None
        if vendor_siret is not None:
            vendor_id = uow.vendors.id_of(vendor_siret.strip())
            if vendor_id is None:
                raise InstructionInputError(
                    f"option --vendor : aucun éditeur de SIRET « {vendor_siret} » n'a déposé "
                    "auprès de l'opérateur."
                )
        found = repository(uow).find(vendor_id=vendor_id, status=status)
        if dispositif is not None:
            found = [r for r in found if r.dispositif.upper() == dispositif.strip().upper()]
        tallies = instructions(uow).finding_counts(r.id for r in found)
    grouped: dict[tuple[Status, str], list[QueueLine]] = {}
    for request in found:
        vendor = vendors.get(request.vendor_id)
        errors, warnings = tallies.get(request.id, (0, 0))
        grouped.setdefault((request.status, request.dispositif), []).append(
            QueueLine(
                request,
                "" if vendor is None else vendor.siret,
                "" if vendor is None else vendor.name,
                errors,
                warnings,
            )
        )
    order = {s: i for i, s in enumerate(QUEUE_ORDER)}
    keys = sorted(grouped, key=lambda key: (order[key[0]], key[1]))
    return Queue(tuple(QueueGroup(s, d, tuple(grouped[(s, d)])) for s, d in keys))


# --- one request, as the operator sees it -----------------------------------------------------


@dataclass(frozen=True)
class OperatorView:
    view: RequestView
    vendor_siret: str
    vendor_name: str
    findings: tuple[Finding, ...]
    payments: tuple[Payment, ...]
    recoveries: tuple[RecoveryOrder, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            **self.view.as_dict(),
            "vendor_siret": self.vendor_siret,
            "vendor_name": self.vendor_name,
            "intake_findings": [f.as_dict() for f in self.findings],
            "payments": [p.as_dict() for p in self.payments],
            "recovery_orders": [r.as_dict() for r in self.recoveries],
        }


def show(engine: Engine, ident: str) -> OperatorView:
    view = show_request(engine, ident, vendor_id=None)
    request_id = view.request.id
    with reading(engine) as uow:
        vendor = uow.vendors.get(view.request.vendor_id)
        repo = instructions(uow)
        findings = repo.findings([request_id]).get(request_id, [])
        payments = repo.payments([request_id])
        recoveries = repo.recoveries([request_id])
    return OperatorView(
        view,
        "" if vendor is None else vendor.siret,
        "" if vendor is None else vendor.name,
        tuple(findings),
        tuple(payments),
        tuple(recoveries),
    )


# --- decisions and correction requests --------------------------------------------------------


def decide(
    engine: Engine,
    ident: str,
    action: str,
    *,
    motive: str | None,
    actor: str,
    clock: Clock = system_clock,
    file: Path | None = None,
) -> TransitionOutcome:
    """Valider, rejeter, prendre en instruction or déclarer incomplète, with its motive."""
    if action not in DECISIONS:
        raise InstructionInputError(
            f"Décision « {action} » inconnue ; décisions : {', '.join(DECISIONS)} (une demande "
            "de correction passe par « sons operator request-correction »)."
        )
    if action in MOTIVATED and not (motive and motive.strip()):
        label = TRANSITIONS_BY_ACTION[action].label
        raise WorkflowError(
            "WORKFLOW_MOTIVE_REQUIRED",
            f"La décision « {label} » exige un motif (option --motive) : rien n'a été enregistré.",
        )
    return transition_request(
        engine,
        ident,
        action,
        audience=Audience.OPERATOR,
        vendor_id=None,
        actor=actor,
        clock=clock,
        motive=motive,
        file=file,
    )


def request_correction(
    engine: Engine,
    ident: str,
    *,
    reason: ReasonCode | None,
    motive: str | None,
    actor: str,
    clock: Clock = system_clock,
    file: Path | None = None,
) -> TransitionOutcome:
    """Send a request back « à modifier » with its reason code; the vendor answers by a new
    deposit of it (`sons operator intake` moves it back to « déposée »)."""
    return transition_request(
        engine,
        ident,
        "demander-correction",
        audience=Audience.OPERATOR,
        vendor_id=None,
        actor=actor,
        clock=clock,
        motive=motive,
        reason=reason,
        file=file,
    )


# --- payments ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class PaymentOutcome:
    transition: TransitionOutcome
    payment: Payment

    def message(self) -> str:
        return (
            f"Paiement de {format_euros(self.payment.amount_cents)} le "
            f"{self.payment.paid_on:%d/%m/%Y} enregistré. {self.transition.message()}"
        )

    def as_dict(self) -> dict[str, Any]:
        return {**self.transition.as_dict(), "payment": self.payment.as_dict()}


def pay(
    engine: Engine,
    ident: str,
    *,
    amount_cents: int,
    paid_on: dt.date,
    actor: str,
    clock: Clock = system_clock,
) -> PaymentOutcome:
    """Record the payment of a validated request (« Décidée et payée »), all or nothing."""
    if amount_cents <= 0:
        raise InstructionInputError(
            f"option --amount : un paiement est strictement positif ({format_euros(amount_cents)} "
            "donné) ; rien n'a été enregistré."
        )
    with UnitOfWork(engine, actor, clock) as uow:
        repo = repository(uow)
        before = resolve(repo, ident, None)
        requested = before.amount_ttc_cents
        if requested is None:
            raise InstructionInputError(
                f"La {_what(before)} n'a pas de montant demandé (taux d'avance non renseigné) : "
                "le paiement ne peut pas être contrôlé ; rien n'a été enregistré."
            )
        ledger = instructions(uow)
        paid = sum(p.amount_cents for p in ledger.payments([before.id]))
        if amount_cents > requested - paid:
            already = f", dont {format_euros(paid)} déjà payés" if paid else ""
            raise InstructionInputError(
                f"option --amount : {format_euros(amount_cents)} dépasse le montant demandé par "
                f"la {_what(before)} ({format_euros(requested)} TTC{already}) ; rien n'a été "
                "enregistré."
            )
        after = fire_on(
            repo,
            before,
            "payer",
            Audience.OPERATOR,
            motive=f"Paiement de {format_euros(amount_cents)} le {paid_on:%d/%m/%Y}",
        )
        payment = ledger.add_payment(after, amount_cents, paid_on)
    transition = TransitionOutcome(before, after, TRANSITIONS_BY_ACTION["payer"], Audience.OPERATOR)
    return PaymentOutcome(transition, payment)


# --- cancellation and recovery ----------------------------------------------------------------


@dataclass(frozen=True)
class CancelOutcome:
    transition: TransitionOutcome
    recovery: RecoveryOrder | None

    def message(self) -> str:
        text = self.transition.message()
        if self.recovery is not None:
            text += (
                f" Ordre de recouvrement n° {self.recovery.id} de "
                f"{format_euros(self.recovery.amount_cents)} émis le "
                f"{self.recovery.issued_on:%d/%m/%Y}."
            )
        return text

    def as_dict(self) -> dict[str, Any]:
        return {
            **self.transition.as_dict(),
            "recovery_order": None if self.recovery is None else self.recovery.as_dict(),
        }


def cancel(
    engine: Engine,
    ident: str,
    *,
    motive: str | None,
    actor: str,
    on: dt.date,
    recovery_cents: int | None = None,
    clock: Clock = system_clock,
    file: Path | None = None,
) -> CancelOutcome:
    """Cancel a request (`annuler`); a paid one is not cancelled but claimed back: an « ordre de
    recouvrement » of `recovery_cents` issued on `on` (`recouvrer`), e.g. when the client
    changed vendor after its advance was paid."""
    if not (motive and motive.strip()):
        raise WorkflowError(
            "WORKFLOW_MOTIVE_REQUIRED",
            "Une annulation exige un motif (option --motive) : rien n'a été enregistré.",
        )
    if recovery_cents is not None and recovery_cents <= 0:
        raise InstructionInputError(
            f"option --recovery-amount : un recouvrement est strictement positif "
            f"({format_euros(recovery_cents)} donné) ; rien n'a été enregistré."
        )
    attached = None if file is None else read_attached(file)
    with UnitOfWork(engine, actor, clock) as uow:
        repo = repository(uow)
        before = resolve(repo, ident, None)
        ledger = instructions(uow)
        recovery = None
        if before.status is Status.PAID:
            paid = sum(p.amount_cents for p in ledger.payments([before.id]))
            if recovery_cents is None:
                raise InstructionInputError(
                    f"La {_what(before)} est « Décidée et payée » : elle ne s'annule que par un "
                    "ordre de recouvrement (option --recovery-amount, le montant à recouvrer) ; "
                    "rien n'a été enregistré."
                )
            ceiling = paid or before.amount_ttc_cents
            if ceiling is None or recovery_cents > ceiling:
                shown = "non renseigné" if ceiling is None else format_euros(ceiling)
                raise InstructionInputError(
                    f"option --recovery-amount : {format_euros(recovery_cents)} dépasse le "
                    f"montant payé pour la {_what(before)} ({shown}) ; rien n'a été enregistré."
                )
            action = "recouvrer"
        else:
            if recovery_cents is not None:
                raise InstructionInputError(
                    f"option --recovery-amount : la {_what(before)} n'a pas été payée (statut "
                    f"« {status_label(before.status, before.kind, Audience.OPERATOR)} ») : "
                    "il n'y a rien à recouvrer ; rien n'a été enregistré."
                )
            action = "annuler"
        after = fire_on(repo, before, action, Audience.OPERATOR, motive=motive, attached=attached)
        if action == "recouvrer":
            assert recovery_cents is not None
            recovery = ledger.add_recovery(after, recovery_cents, on, motive.strip())
    transition = TransitionOutcome(before, after, TRANSITIONS_BY_ACTION[action], Audience.OPERATOR)
    return CancelOutcome(transition, recovery)


# --- any verb, from the web or the API --------------------------------------------------------


def fire(
    engine: Engine,
    caller: Caller,
    ident: str,
    action: str,
    *,
    on: dt.date,
    motive: str | None = None,
    reason: ReasonCode | None = None,
    amount_cents: int | None = None,
    file: Path | None = None,
    expected_version: int | None = None,
    clock: Clock = system_clock,
) -> TransitionOutcome | PaymentOutcome | CancelOutcome:
    """Fire `action` on the request `ident` for `caller`, whoever it is: the operator's
    payments, cancellations, decisions and correction requests carry the instruction's own
    rules (motives, amounts, recovery orders); anything else — the vendor's verbs, or a verb
    the caller may not fire — goes to the workflow table, which judges who may fire what, on
    the caller's own requests only. `on` dates a payment or a recovery order;
    `expected_version` guards the table's transitions against a concurrent change."""
    actor = caller.actor
    if caller.is_operator and action in INSTRUCTION_VERBS:
        if action == "payer":
            if amount_cents is None:
                raise InstructionInputError(
                    "Un paiement exige son montant (le montant payé, en euros) : rien n'a été "
                    "enregistré."
                )
            return pay(
                engine, ident, amount_cents=amount_cents, paid_on=on, actor=actor, clock=clock
            )
        if action in ("annuler", "recouvrer"):
            return cancel(
                engine,
                ident,
                motive=motive,
                actor=actor,
                on=on,
                recovery_cents=amount_cents,
                clock=clock,
                file=file,
            )
        if action == "demander-correction":
            return request_correction(
                engine, ident, reason=reason, motive=motive, actor=actor, clock=clock, file=file
            )
        return decide(engine, ident, action, motive=motive, actor=actor, clock=clock, file=file)
    return transition_request(
        engine,
        ident,
        action,
        audience=caller.audience,
        vendor_id=None if caller.is_operator else caller.vendor_id,
        actor=actor,
        clock=clock,
        motive=motive,
        reason=reason,
        file=file,
        expected_version=expected_version,
    )
