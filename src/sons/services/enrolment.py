"""Enrolment (« enrôlement »): a vendor files its request with its pieces, the operator
instructs it like any request, and a validated request enrols the vendor for the solutions it
names (docs/enrolement.md).

- **Filing** checks everything before storing anything: IBAN and BIC (python-stdnum), every
  piece a PDF or an image within the size limit (by content, never by name), the pieces
  required for who files (a mandate unless the legal representative does), at least one
  solution. One problem or more → `EnrolmentInputError` listing them all, nothing stored.
  A request the operator sent back (« à modifier ») or declared incomplete is withdrawn by the
  new filing that answers it; a request still being instructed blocks a new one.
- **Instruction** fires the workflow table (`sons.domain.workflow.fire`, kind
  `RequestKind.ENROLMENT`): take in, send back with a reason code, declare incomplete, reject,
  cancel, validate. Paying and recovery do not apply to an enrolment.
- **Validation** enrols the vendor: the registry of enrolled vendors gets (or completes) the
  vendor's entry with the solutions named, from the validation date; the enrolment number given
  by the operator is written on the vendor too. All in the same unit of work, journaled.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Engine

from sons.domain.bank_details import check_bic, check_iban, iban_matches_bic_country
from sons.domain.enrolment import (
    FILER_LABELS,
    PIECE_LABELS,
    FilerRole,
    PieceKind,
    piece_problem,
    required_pieces,
    sniff_piece,
)
from sons.domain.identifiers import IdentifierError
from sons.domain.orders import Vendor
from sons.domain.workflow import (
    Audience,
    ReasonCode,
    RequestKind,
    Status,
    WorkflowError,
    fire,
    status_label,
)
from sons.services.actors import reading
from sons.services.registries import registries_of
from sons.store.enrolment import (
    EnrolmentRepository,
    EnrolmentTransition,
    NewEnrolment,
    NewPiece,
    StoredEnrolment,
)
from sons.store.errors import NotFoundError, StoreError
from sons.store.registries import EnrolledVendor, ReferencedSolution, VendorOrigin
from sons.store.unit_of_work import Clock, UnitOfWork, system_clock

KIND = RequestKind.ENROLMENT
FILE_ACTION = "deposer"
WITHDRAW_ACTION = "retirer"
VALIDATE_ACTION = "valider"
# The operator's actions that make sense for an enrolment (no payment, no recovery order).
OPERATOR_ACTIONS = (
    "instruire",
    "declarer-incomplete",
    "demander-correction",
    "valider",
    "rejeter",
    "annuler",
)
# A request in one of these is still being instructed: a new filing would compete with it.
# A validated one is done: a new request enrols the vendor for more solutions.
_BLOCKING = frozenset({Status.FILED, Status.UNDER_REVIEW})
# A request the operator handed back: the new filing answers it and withdraws it.
_ANSWERED = frozenset({Status.DRAFT, Status.TO_AMEND, Status.INCOMPLETE})


class EnrolmentInputError(StoreError):
    """An enrolment request or decision that cannot be used; `problems` lists each (French)."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = tuple(problems)
        if len(self.problems) == 1:
            message = f"Demande d'enrôlement refusée : {self.problems[0]}"
        else:
            message = "Demande d'enrôlement refusée, rien n'a été enregistré :\n" + "\n".join(
                f"- {problem}" for problem in self.problems
            )
        super().__init__(message)


@dataclass(frozen=True, slots=True)
class PieceFile:
    """A piece as the vendor hands it: its kind, the file's name and its bytes."""

    kind: PieceKind
    name: str
    content: bytes


def _repository(uow: UnitOfWork) -> EnrolmentRepository:
    return EnrolmentRepository(uow.session, uow.journal, uow.actor, uow.now)


def _pieces(role: FilerRole, files: Sequence[PieceFile], problems: list[str]) -> list[NewPiece]:
    pieces: list[NewPiece] = []
    seen: set[PieceKind] = set()
    for file in files:
        if file.kind in seen:
            problems.append(
                f"pièce « {PIECE_LABELS[file.kind]} » donnée deux fois (« {file.name} ») : une "
                "seule par nature"
            )
            continue
        seen.add(file.kind)
        problem = piece_problem(file.kind, file.name, file.content)
        media = sniff_piece(file.content)
        if problem is not None or media is None:
            problems.append(problem or f"pièce « {file.name} » illisible")
            continue
        pieces.append(NewPiece(file.kind, file.name, media, file.content))
    for kind in required_pieces(role):
        if kind not in seen:
            why = (
                f" (la demande est déposée par {FILER_LABELS[role]})"
                if kind is PieceKind.MANDATE
                else ""
            )
            problems.append(f"pièce « {PIECE_LABELS[kind]} » manquante{why}")
    return pieces


def file_enrolment(
    engine: Engine,
    *,
    vendor_id: int,
    filer_role: FilerRole,
    filer_name: str,
    iban: str,
    bic: str,
    solutions: Sequence[str],
    pieces: Sequence[PieceFile],
    actor: str,
    clock: Clock = system_clock,
) -> StoredEnrolment:
    """File the vendor's enrolment request (status « déposée »), all or nothing."""
    problems: list[str] = []
    checked_iban = checked_bic = ""
    try:
        checked_iban = check_iban(iban)
    except IdentifierError as error:
        problems.append(error.message)
    try:
        checked_bic = check_bic(bic)
    except IdentifierError as error:
        problems.append(error.message)
    if not filer_name.strip():
        problems.append("nom du déposant manquant")
    numbers = tuple(dict.fromkeys(n.strip() for n in solutions if n.strip()))
    if not numbers:
        problems.append(
            "aucune solution : nommer au moins un numéro de référencement ANS (--solution)"
        )
    new_pieces = _pieces(filer_role, pieces, problems)
    if problems:
        raise EnrolmentInputError(problems)
    with UnitOfWork(engine, actor, clock) as uow:
        if uow.vendors.get(vendor_id) is None:
            raise NotFoundError(f"Aucun éditeur n° {vendor_id} n'est enregistré.")
        repository = _repository(uow)
        mine = repository.find(vendor_id=vendor_id)
        blocking = [r for r in mine if r.status in _BLOCKING]
        if blocking:
            current = blocking[0]
            raise EnrolmentInputError(
                [
                    f"la demande d'enrôlement n° {current.id} est déjà en cours (« "
                    f"{status_label(current.status, KIND, Audience.VENDOR)} ») : attendre la "
                    "décision de l'opérateur"
                ]
            )
        stored = repository.add(
            vendor_id,
            NewEnrolment(
                filer_role=filer_role,
                filer_name=filer_name.strip(),
                iban=checked_iban,
                bic=checked_bic,
                solutions=numbers,
                pieces=tuple(new_pieces),
            ),
            status=Status.FILED,
            action=FILE_ACTION,
        )
        motive = f"Remplacée par la demande d'enrôlement n° {stored.id}."
        for earlier in (r for r in mine if r.status in _ANSWERED):
            transition = fire(earlier.status, WITHDRAW_ACTION, Audience.VENDOR, KIND, motive)
            repository.apply(earlier, transition, audience=Audience.VENDOR, motive=motive)
        return stored


@dataclass(frozen=True)
class EnrolmentView:
    """A request, its history, and for the operator what the registries say of it."""

    request: StoredEnrolment
    vendor: Vendor | None
    history: tuple[EnrolmentTransition, ...]
    solutions: dict[str, ReferencedSolution | None]
    enrolled: EnrolledVendor | None
    warnings: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        request = self.request
        return {
            **request.document(),
            "kind_label": "demande d'enrôlement",
            "status_label": status_label(request.status, KIND, Audience.OPERATOR),
            "vendor": None
            if self.vendor is None
            else {"name": self.vendor.name, "siret": self.vendor.siret},
            "history": [t.document() for t in self.history],
            "solutions_in_registry": {
                number: None if found is None else found.document()
                for number, found in self.solutions.items()
            },
            "enrolled": None if self.enrolled is None else self.enrolled.document(),
            "warnings": list(self.warnings),
        }


def _view(uow: UnitOfWork, request: StoredEnrolment) -> EnrolmentView:
    registries = registries_of(uow)
    vendor = uow.vendors.get(request.vendor_id)
    found = registries.solutions(request.solutions)
    warnings = []
    if request.iban and request.bic and not iban_matches_bic_country(request.iban, request.bic):
        warnings.append(
            f"IBAN du pays « {request.iban[:2]} » et BIC du pays « {request.bic[4:6]} » : "
            "compte tenu à l'étranger ? À vérifier sur le RIB."
        )
    missing = [n for n in request.solutions if n not in found]
    if missing:
        warnings.append(
            "solution(s) absente(s) du registre des solutions référencées : "
            + ", ".join(missing)
            + " ; vérifier l'attestation de référencement de l'ANS."
        )
    return EnrolmentView(
        request=request,
        vendor=vendor,
        history=tuple(_repository(uow).history(request.id)),
        solutions={n: found.get(n) for n in request.solutions},
        enrolled=None if vendor is None else registries.vendor(vendor.siret),
        warnings=tuple(warnings),
    )


def _require(
    repository: EnrolmentRepository, request_id: int, vendor_id: int | None
) -> StoredEnrolment:
    request = repository.get(request_id, vendor_id=vendor_id)
    if request is None:
        # Another tenant's request reads exactly like a missing one.
        raise NotFoundError(f"Aucune demande d'enrôlement n° {request_id}.")
    return request


def list_enrolments(
    engine: Engine, *, vendor_id: int | None = None, status: Status | None = None
) -> list[StoredEnrolment]:
    """The vendor's requests (`vendor_id`), or every vendor's for the operator (None)."""
    with reading(engine) as uow:
        return _repository(uow).find(vendor_id=vendor_id, status=status)


def show_enrolment(
    engine: Engine, request_id: int, *, vendor_id: int | None = None
) -> EnrolmentView:
    with reading(engine) as uow:
        return _view(uow, _require(_repository(uow), request_id, vendor_id))


def piece_content(
    engine: Engine, request_id: int, kind: PieceKind, *, vendor_id: int | None = None
) -> bytes:
    with reading(engine) as uow:
        repository = _repository(uow)
        _require(repository, request_id, vendor_id)
        content = repository.piece_content(request_id, kind)
    if content is None:
        raise NotFoundError(
            f"La demande d'enrôlement n° {request_id} n'a pas de pièce « {PIECE_LABELS[kind]} »."
        )
    return content


def decide_enrolment(
    engine: Engine,
    request_id: int,
    action: str,
    *,
    motive: str | None = None,
    reason: ReasonCode | None = None,
    enrolment_number: str | None = None,
    actor: str,
    clock: Clock = system_clock,
) -> EnrolmentView:
    """The operator fires `action` on the request; `valider` enrols the vendor."""
    if action not in OPERATOR_ACTIONS:
        raise EnrolmentInputError(
            [
                f"action « {action} » sans objet pour une demande d'enrôlement ; actions "
                f"possibles : {', '.join(OPERATOR_ACTIONS)}"
            ]
        )
    with UnitOfWork(engine, actor, clock) as uow:
        repository = _repository(uow)
        current = _require(repository, request_id, None)
        try:
            transition = fire(current.status, action, Audience.OPERATOR, KIND, motive, reason)
        except WorkflowError as error:
            raise EnrolmentInputError([error.message]) from None
        updated = repository.apply(
            current, transition, audience=Audience.OPERATOR, motive=motive, reason=reason
        )
        if action == VALIDATE_ACTION:
            _enrol(uow, updated, enrolment_number)
        return _view(uow, updated)


def _enrol(uow: UnitOfWork, request: StoredEnrolment, enrolment_number: str | None) -> None:
    vendor = uow.vendors.get(request.vendor_id)
    if vendor is None:
        raise NotFoundError(f"Aucun éditeur n° {request.vendor_id} n'est enregistré.")
    number = (enrolment_number or "").strip() or vendor.enrolment_number
    if number and number != vendor.enrolment_number:
        uow.vendors.save(
            Vendor(
                name=vendor.name, siren=vendor.siren, siret=vendor.siret, enrolment_number=number
            )
        )
    registries = registries_of(uow)
    earlier = registries.vendor(vendor.siret)
    # A vendor already in the registry keeps its start date and its other solutions.
    since: dt.date = uow.now().date()
    solutions = frozenset(request.solutions)
    if earlier is not None:
        since = earlier.enrolled_on or since
        solutions |= earlier.solutions
    registries.save_vendor(
        EnrolledVendor(
            siret=vendor.siret,
            name=vendor.name,
            enrolment_number=number,
            enrolled_on=since,
            ended_on=None,
            solutions=solutions,
            origin=VendorOrigin.ENROLMENT,
        )
    )
