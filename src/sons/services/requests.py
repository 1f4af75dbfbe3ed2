"""Funding requests (avance, solde, avenant): list, show, and fire workflow transitions.

The workflow table (`sons.domain.workflow`) decides; this module loads the request, asks
`fire` whether the caller's role may fire the action now, and writes the new status, its
history row (who, when, from → to, motive, reason code, file and its SHA-256) and its journal
entry, in one unit of work. The role comes from the caller: the CLI's `--as`, the web app's
user. A vendor sees and moves only its own requests; the operator sees every vendor's.

Requests are named by their number in the store (`12`) or by their identifier in the deposit
file (`AV-BC-2023-001`) when that names one request of the vendor.
"""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

from sons.domain.workflow import (
    KIND_LABELS,
    REASON_LABELS,
    TRANSITIONS_BY_ACTION,
    Audience,
    ReasonCode,
    RequestKind,
    Status,
    Transition,
    WorkflowError,
    allowed_actions,
    fire,
    status_label,
)
from sons.formats.deposit.advance_rules import WITHDRAWN
from sons.services.actors import reading
from sons.store.errors import NotFoundError, StoreError
from sons.store.requests import (
    ConcurrentRequestEditError,
    RequestRepository,
    StoredDeposit,
    StoredRequest,
    TransitionRecord,
)
from sons.store.unit_of_work import Clock, UnitOfWork, system_clock

AUDIENCE_LABELS = {Audience.VENDOR: "fournisseur", Audience.OPERATOR: "opérateur de paiement"}
# A file attached to a transition (a motive, a notice): a PDF or a scan, never a whole archive.
MAX_TRANSITION_FILE_BYTES = 64 * 1024 * 1024


class RequestInputError(StoreError):
    """Input that cannot be used (unknown role, status, reason, file): exit 2, French."""


def repository(uow: UnitOfWork) -> RequestRepository:
    return RequestRepository(uow.session, uow.journal, uow.actor, uow.now)


def _key(text: str) -> str:
    """« Décidé et payé » → « decide_et_paye »: accents, case and separators ignored."""
    folded = unicodedata.normalize("NFKD", text.strip().lower())
    plain = "".join(c for c in folded if not unicodedata.combining(c))
    return "_".join(plain.replace("-", " ").replace("'", " ").split())


def parse_audience(text: str) -> Audience:
    aliases = {
        "vendor": Audience.VENDOR,
        "fournisseur": Audience.VENDOR,
        "editeur": Audience.VENDOR,
        "operator": Audience.OPERATOR,
        "operateur": Audience.OPERATOR,
    }
    found = aliases.get(_key(text))
    if found is None:
        raise RequestInputError(
            f"Rôle « {text} » inconnu : « vendor » (fournisseur) ou « operator » (opérateur de "
            "paiement)."
        )
    return found


def parse_status(text: str) -> Status:
    wanted = _key(text)
    for status in Status:
        labels = {status_label(status, k, a) for k in RequestKind for a in Audience}
        if wanted in {status.value, *(_key(label) for label in labels)}:
            return status
    listed = ", ".join(s.value for s in Status)
    raise RequestInputError(f"Statut « {text} » inconnu ; statuts : {listed}.")


def parse_kind(text: str) -> RequestKind:
    for kind in RequestKind:
        if _key(text) in (kind.value, _key(KIND_LABELS[kind])):
            return kind
    raise RequestInputError(f"Nature « {text} » inconnue : avance, solde ou avenant.")


def parse_reason(text: str | None) -> ReasonCode | None:
    if text is None or not text.strip():
        return None
    for reason in ReasonCode:
        if _key(text) in (reason.value, _key(REASON_LABELS[reason])):
            return reason
    listed = ", ".join(r.value for r in ReasonCode)
    raise RequestInputError(f"Code de motif « {text} » inconnu ; codes : {listed}.")


# --- reading ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RequestLine:
    """One request in a list, with what a reader needs to recognise it."""

    request: StoredRequest
    deposit_name: str
    advance_ref: str | None

    def as_dict(self) -> dict[str, Any]:
        request = self.request
        return {
            "id": request.id,
            "request_ref": request.request_ref,
            "kind": request.kind.value,
            "status": request.status.value,
            "vendor_label": status_label(request.status, request.kind, Audience.VENDOR),
            "operator_label": status_label(request.status, request.kind, Audience.OPERATOR),
            "dispositif": request.dispositif,
            "order_number": request.order_number,
            "client_kind": request.client_kind,
            "client_id": request.client_id,
            "deposit": self.deposit_name,
            "advance_ref": self.advance_ref,
            "prestation_ht_cents": request.prestation_ht_cents,
            "prestation_ttc_cents": request.prestation_ttc_cents,
            "amount_ht_cents": request.amount_ht_cents,
            "amount_ttc_cents": request.amount_ttc_cents,
            "version": request.version,
            "updated_at": request.updated_at.isoformat(),
        }


def _transition_dict(record: TransitionRecord, kind: RequestKind) -> dict[str, Any]:
    def label(status: Status | None, audience: Audience) -> str | None:
        return None if status is None else status_label(status, kind, audience)

    return {
        "at": record.at.isoformat(),
        "actor": record.actor,
        "audience": record.audience.value,
        "action": record.action,
        "from": None if record.from_status is None else record.from_status.value,
        "to": record.to_status.value,
        "from_vendor_label": label(record.from_status, Audience.VENDOR),
        "to_vendor_label": label(record.to_status, Audience.VENDOR),
        "from_operator_label": label(record.from_status, Audience.OPERATOR),
        "to_operator_label": label(record.to_status, Audience.OPERATOR),
        "motive": record.motive,
        "reason": None if record.reason is None else record.reason.value,
        "file_name": record.file_name,
        "file_sha256": record.file_sha256,
        "journal_entry": record.journal_entry_id,
    }


@dataclass(frozen=True)
class RequestView:
    """One request: its labels for each reader, its links, what may be done, its history."""

    request: StoredRequest
    deposit: StoredDeposit
    advance: StoredRequest | None
    related: tuple[StoredRequest, ...]  # its avenants and soldes, for an advance
    history: tuple[TransitionRecord, ...]

    def label(self, audience: Audience) -> str:
        return status_label(self.request.status, self.request.kind, audience)

    def actions(self, audience: Audience) -> list[Transition]:
        return allowed_actions(self.request.status, audience)

    def as_dict(self) -> dict[str, Any]:
        kind = self.request.kind
        return {
            **RequestLine(
                self.request,
                self.deposit.name,
                None if self.advance is None else self.advance.request_ref,
            ).as_dict(),
            "kind_label": KIND_LABELS[kind],
            "order_signed_on": self.request.order_signed_on.isoformat(),
            "sites": list(self.request.sites),
            "advance_rate": None
            if self.request.advance_rate is None
            else str(self.request.advance_rate),
            "codes": list(self.request.codes),
            "deposit_file": self.deposit.json_file_name,
            "deposit_sha256": self.deposit.json_sha256,
            "advance": None
            if self.advance is None
            else {
                "id": self.advance.id,
                "request_ref": self.advance.request_ref,
                "status": self.advance.status.value,
            },
            "related": [
                {
                    "id": r.id,
                    "request_ref": r.request_ref,
                    "kind": r.kind.value,
                    "status": r.status.value,
                    "vendor_label": status_label(r.status, r.kind, Audience.VENDOR),
                }
                for r in self.related
            ],
            "actions": {
                audience.value: [
                    {"action": t.action, "label": t.label} for t in self.actions(audience)
                ]
                for audience in Audience
            },
            "history": [_transition_dict(record, kind) for record in self.history],
        }


def list_requests(
    engine: Engine,
    *,
    vendor_id: int | None,
    status: Status | None = None,
    kind: RequestKind | None = None,
    dispositif: str | None = None,
) -> list[RequestLine]:
    """The requests of one vendor (`vendor_id`), or of every vendor (None, the operator)."""
    with reading(engine) as uow:
        repo = repository(uow)
        requests = repo.find(vendor_id=vendor_id, status=status, kind=kind)
        if dispositif is not None:
            requests = [r for r in requests if r.dispositif.upper() == dispositif.upper()]
        deposits = {d.id: d.name for d in repo.deposits(vendor_id)}
        advance_ids = {r.advance_id for r in requests if r.advance_id is not None}
        refs = {a.id: a.request_ref for a in repo.many(advance_ids)}
    return [
        RequestLine(
            r,
            deposits.get(r.deposit_id, ""),
            None if r.advance_id is None else refs.get(r.advance_id),
        )
        for r in requests
    ]


def store_number(text: str) -> int | None:
    """`text` as a number of the store (a request's, a deposit's), or None: only ASCII digits
    count (« ² » is a digit to `str.isdigit`, not to `int`), within the database's integers."""
    if not (text.isascii() and text.isdigit()) or len(text) > 18:
        return None
    return int(text)


def resolve(repo: RequestRepository, ident: str, vendor_id: int | None) -> StoredRequest:
    """The request named `ident` (store number or file identifier) within the caller's scope."""
    text = ident.strip()
    number = store_number(text)
    if number is not None:
        found = repo.get(number, vendor_id=vendor_id)
        if found is None:
            raise NotFoundError(f"Aucune demande n° {text} (« sons request list » les montre).")
        return found
    matches = repo.find(vendor_id=vendor_id, request_refs=[text])
    # Requests out of the game (withdrawn, rejected) yield to the others.
    live = [m for m in matches if m.status not in WITHDRAWN] or matches
    if not live:
        raise NotFoundError(
            f"Aucune demande d'identifiant « {text} » (« sons request list » les montre)."
        )
    if len(live) > 1:
        listed = ", ".join(
            f"n° {m.id} ({m.kind.value}, {status_label(m.status, m.kind, Audience.VENDOR)})"
            for m in live
        )
        raise RequestInputError(
            f"L'identifiant « {text} » désigne plusieurs demandes : {listed} ; "
            "désignez-la par son numéro."
        )
    return live[0]


def show_request(engine: Engine, ident: str, *, vendor_id: int | None) -> RequestView:
    with reading(engine) as uow:
        repo = repository(uow)
        request = resolve(repo, ident, vendor_id)
        deposit = repo.deposit(request.deposit_id)
        assert deposit is not None  # foreign key
        advance = None if request.advance_id is None else repo.get(request.advance_id)
        related = repo.find(advance_ids=[request.id]) if request.kind is RequestKind.ADVANCE else []
        history = repo.history(request.id)
    return RequestView(request, deposit, advance, tuple(related), tuple(history))


# --- transitions ------------------------------------------------------------------------------


@dataclass(frozen=True)
class TransitionOutcome:
    before: StoredRequest
    after: StoredRequest
    transition: Transition
    audience: Audience

    def message(self) -> str:
        kind = self.after.kind
        return (
            f"{KIND_LABELS[kind].capitalize()} n° {self.after.id} « {self.after.request_ref} » : "
            f"« {status_label(self.before.status, kind, self.audience)} » → "
            f"« {status_label(self.after.status, kind, self.audience)} » "
            f"({self.transition.label.lower()}), inscrit au journal."
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.after.id,
            "request_ref": self.after.request_ref,
            "action": self.transition.action,
            "from": self.before.status.value,
            "to": self.after.status.value,
            "vendor_label": status_label(self.after.status, self.after.kind, Audience.VENDOR),
            "operator_label": status_label(self.after.status, self.after.kind, Audience.OPERATOR),
            "version": self.after.version,
        }


@dataclass(frozen=True)
class AttachedFile:
    name: str
    sha256: str


def read_attached(path: Path) -> AttachedFile:
    """The name and SHA-256 of a file given with a transition; exit-2 errors in French."""
    if not path.is_file():
        raise RequestInputError(f"option --file : fichier introuvable : {path}.")
    size = path.stat().st_size
    if size > MAX_TRANSITION_FILE_BYTES:
        raise RequestInputError(
            f"option --file : {path.name} fait {size} octets, au-delà de la limite de "
            f"{MAX_TRANSITION_FILE_BYTES} octets pour une pièce de transition."
        )
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return AttachedFile(path.name, digest.hexdigest())


def fire_on(
    repo: RequestRepository,
    request: StoredRequest,
    action: str,
    audience: Audience,
    *,
    motive: str | None = None,
    reason: ReasonCode | None = None,
    attached: AttachedFile | None = None,
) -> StoredRequest:
    """Fire `action` on a loaded request inside the caller's unit of work (`WorkflowError`
    when the table refuses it)."""
    transition = fire(request.status, action, audience, request.kind, motive, reason)
    if attached is not None and not transition.file_allowed:
        raise WorkflowError(
            "WORKFLOW_FILE_NOT_ALLOWED",
            f"« {transition.label} » ne prend pas de pièce jointe (option --file).",
        )
    return repo.apply(
        request,
        transition,
        audience=audience,
        motive=motive,
        reason=reason,
        file_name=None if attached is None else attached.name,
        file_sha256=None if attached is None else attached.sha256,
    )


def transition_request(
    engine: Engine,
    ident: str,
    action: str,
    *,
    audience: Audience,
    vendor_id: int | None,
    actor: str,
    clock: Clock = system_clock,
    motive: str | None = None,
    reason: ReasonCode | None = None,
    file: Path | None = None,
    expected_version: int | None = None,
) -> TransitionOutcome:
    """Fire `action` as `audience` on the request `ident`: journaled with its motive, reason
    and file; `WorkflowError` (French) when the table refuses it. A vendor acts only on its
    own requests (`vendor_id` required); the operator on any (`vendor_id` None)."""
    if audience is Audience.VENDOR and vendor_id is None:
        raise RequestInputError("Un fournisseur n'agit que sur ses demandes : éditeur manquant.")
    attached = None if file is None else read_attached(file)
    with UnitOfWork(engine, actor, clock) as uow:
        repo = repository(uow)
        before = resolve(repo, ident, vendor_id)
        if expected_version is not None and before.version != expected_version:
            raise ConcurrentRequestEditError(before.id, expected_version, before.version)
        after = fire_on(
            repo, before, action, audience, motive=motive, reason=reason, attached=attached
        )
    return TransitionOutcome(before, after, TRANSITIONS_BY_ACTION[action], audience)
