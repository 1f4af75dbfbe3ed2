"""The life of a funding request (avance, solde, avenant), as one declarative table.

States, transitions, who may fire each (vendor or operator), the label the vendor reads and the
one the operator reads, and whether a motive, a reason code or a file goes with it. Services
fire transitions through `fire` and journal every one; nothing else changes a status.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class RequestKind(StrEnum):
    ADVANCE = "avance"
    BALANCE = "solde"
    AMENDMENT = "avenant"
    ENROLMENT = "enrolement"


KIND_LABELS: dict[RequestKind, str] = {
    RequestKind.ADVANCE: "demande d'avance",
    RequestKind.BALANCE: "demande de solde",
    RequestKind.AMENDMENT: "avenant",
    RequestKind.ENROLMENT: "demande d'enrôlement",
}


class Status(StrEnum):
    DRAFT = "brouillon"
    FILED = "deposee"
    INCOMPLETE = "incomplete"
    UNDER_REVIEW = "en_instruction"
    TO_AMEND = "a_modifier"
    VALIDATED = "validee"
    PAID = "decidee_et_payee"
    REJECTED = "rejetee"
    CANCELLED = "annulee"
    RECOVERY = "recouvrement"


class Audience(StrEnum):
    VENDOR = "vendor"
    OPERATOR = "operator"


class ReasonCode(StrEnum):
    """Why the operator sends a request back « à modifier »."""

    INCORRECT = "incorrect"
    INCOMPLETE = "incomplet"
    OBSOLETE = "obsolete"


REASON_LABELS: dict[ReasonCode, str] = {
    ReasonCode.INCORRECT: "incorrect",
    ReasonCode.INCOMPLETE: "incomplet",
    ReasonCode.OBSOLETE: "obsolète",
}


@dataclass(frozen=True, slots=True)
class StatusInfo:
    status: Status
    vendor_label: str
    operator_label: str
    final: bool = False


# Labels seen verbatim on the operator's portal [public]: « A modifier », « Validée »,
# « Décidée et payée » (avance, solde) and « Décidé et payé » (avenant), « incomplètes ».
STATUSES: dict[Status, StatusInfo] = {
    s.status: s
    for s in (
        StatusInfo(Status.DRAFT, "Brouillon", "Brouillon (non déposée)"),
        StatusInfo(Status.FILED, "Déposée", "Reçue, à instruire"),
        StatusInfo(Status.INCOMPLETE, "Incomplète", "Incomplète (pièces manquantes ou illisibles)"),
        StatusInfo(Status.UNDER_REVIEW, "En instruction", "En instruction"),
        StatusInfo(Status.TO_AMEND, "A modifier", "A modifier (correction demandée)"),
        StatusInfo(Status.VALIDATED, "Validée", "Validée, à payer"),
        StatusInfo(Status.PAID, "Décidée et payée", "Décidée et payée", final=True),
        StatusInfo(Status.REJECTED, "Rejetée", "Rejetée", final=True),
        StatusInfo(Status.CANCELLED, "Annulée", "Annulée", final=True),
        StatusInfo(
            Status.RECOVERY, "Ordre de recouvrement émis", "Ordre de recouvrement émis", final=True
        ),
    )
}


@dataclass(frozen=True, slots=True)
class Transition:
    action: str
    label: str
    sources: frozenset[Status]
    target: Status
    audience: Audience
    motive_required: bool = False
    reason_required: bool = False
    file_allowed: bool = False


def _t(
    action: str,
    label: str,
    sources: tuple[Status, ...],
    target: Status,
    audience: Audience,
    *,
    motive: bool = False,
    reason: bool = False,
    file: bool = False,
) -> Transition:
    return Transition(action, label, frozenset(sources), target, audience, motive, reason, file)


_OPEN = (Status.DRAFT, Status.FILED, Status.INCOMPLETE, Status.UNDER_REVIEW, Status.TO_AMEND)

# Action names are the verbs of the API and CLI (`deposer`, `demander-correction`, …).
TRANSITIONS: tuple[Transition, ...] = (
    _t(
        "deposer",
        "Déposer",
        (Status.DRAFT, Status.TO_AMEND, Status.INCOMPLETE),
        Status.FILED,
        Audience.VENDOR,
        file=True,
    ),
    _t(
        "declarer-incomplete",
        "Déclarer incomplète",
        (Status.FILED,),
        Status.INCOMPLETE,
        Audience.OPERATOR,
        motive=True,
        file=True,
    ),
    _t(
        "instruire",
        "Prendre en instruction",
        (Status.FILED,),
        Status.UNDER_REVIEW,
        Audience.OPERATOR,
    ),
    _t(
        "demander-correction",
        "Demander une correction",
        (Status.FILED, Status.UNDER_REVIEW),
        Status.TO_AMEND,
        Audience.OPERATOR,
        motive=True,
        reason=True,
        file=True,
    ),
    _t(
        "valider", "Valider", (Status.UNDER_REVIEW,), Status.VALIDATED, Audience.OPERATOR, file=True
    ),
    _t(
        "rejeter",
        "Rejeter",
        (Status.FILED, Status.UNDER_REVIEW),
        Status.REJECTED,
        Audience.OPERATOR,
        motive=True,
        file=True,
    ),
    _t("payer", "Décider et payer", (Status.VALIDATED,), Status.PAID, Audience.OPERATOR),
    _t("retirer", "Retirer la demande", _OPEN, Status.CANCELLED, Audience.VENDOR, motive=True),
    _t(
        "annuler",
        "Annuler",
        (*_OPEN, Status.VALIDATED),
        Status.CANCELLED,
        Audience.OPERATOR,
        motive=True,
        file=True,
    ),
    _t(
        "recouvrer",
        "Émettre un ordre de recouvrement",
        (Status.PAID,),
        Status.RECOVERY,
        Audience.OPERATOR,
        motive=True,
        file=True,
    ),
)

TRANSITIONS_BY_ACTION: dict[str, Transition] = {t.action: t for t in TRANSITIONS}


class WorkflowError(Exception):
    """A transition that may not be fired; `code` is stable, the message French."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def status_label(status: Status, kind: RequestKind, audience: Audience) -> str:
    """The label a reader sees; the operator's portal says « Décidé et payé » for an avenant."""
    if status is Status.PAID and kind is RequestKind.AMENDMENT:
        return "Décidé et payé"
    if status is Status.VALIDATED and kind is RequestKind.ENROLMENT:
        return "Validée"  # an enrolment is never paid: « à payer » would mislead the instructor
    info = STATUSES[status]
    return info.vendor_label if audience is Audience.VENDOR else info.operator_label


def allowed_actions(status: Status, audience: Audience) -> list[Transition]:
    return [t for t in TRANSITIONS if status in t.sources and t.audience is audience]


def fire(
    status: Status,
    action: str,
    audience: Audience,
    kind: RequestKind,
    motive: str | None = None,
    reason: ReasonCode | None = None,
) -> Transition:
    """Check that `action` may be fired now by `audience`; return the transition to apply."""
    transition = TRANSITIONS_BY_ACTION.get(action)
    if transition is None:
        known = ", ".join(TRANSITIONS_BY_ACTION)
        raise WorkflowError(
            "WORKFLOW_UNKNOWN_ACTION", f"Action « {action} » inconnue ; actions : {known}."
        )
    current = status_label(status, kind, audience)
    if transition.audience is not audience:
        # « à » + article: « à l'opérateur », but « au fournisseur ».
        reserved_to = (
            "à l'opérateur de paiement"
            if transition.audience is Audience.OPERATOR
            else "au fournisseur"
        )
        raise WorkflowError(
            "WORKFLOW_FORBIDDEN",
            f"« {transition.label} » est réservé {reserved_to}.",
        )
    if status not in transition.sources:
        possible = ", ".join(t.action for t in allowed_actions(status, audience)) or "aucune"
        raise WorkflowError(
            "WORKFLOW_TRANSITION_INVALID",
            f"Impossible de « {transition.label.lower()} » une {KIND_LABELS[kind]} au statut "
            f"« {current} » ; actions possibles : {possible}.",
        )
    if transition.motive_required and not (motive and motive.strip()):
        raise WorkflowError(
            "WORKFLOW_MOTIVE_REQUIRED", f"« {transition.label} » exige un motif (texte libre)."
        )
    if transition.reason_required and reason is None:
        listed = ", ".join(r.value for r in ReasonCode)
        raise WorkflowError(
            "WORKFLOW_REASON_REQUIRED",
            f"« {transition.label} » exige un code de motif parmi : {listed}.",
        )
    return transition
