"""Building a deposit file and its zip from the store: `sons deposit build`.

One file = one vendor, one solution, one dispositif, one kind (avance, solde, avenant), one
request per order. The JSON goes through the format's model (`DepositFile`), so the file's
field names come from `formats/deposit/mapping.py` alone; the zip holds the attachments the
JSON declares, with their SHA-256 and size:
- avance, avenant: the bon de commande, generated from the store (`render_order`);
- solde: the invoice (given, `--invoice NUMBER=FILE`); one evidence entry per balance
  condition of the installed scenario, with its piece: the MOM (generated with the counts of
  the transmissions on record, or given signed) and the client's signed VA (given, else the
  VAs accepted by the evidence module); the pieces the referential requires at the filing date
  (given) and the indicators it asks for (given).

The installed scenario of each site is the one declared in the evidence module; where none is
declared, the ordered one stands, and the build's notes say so. Nothing is invented: a piece
that only the vendor or the client can provide and that is missing leaves the order out
(`--only-valid`) or refuses the build, naming the order and what is missing. So does an order
with error findings (`sons order check`).

The build then checks the written pair exactly as `sons deposit check` would (standalone and
store-backed rules), records the deposit and its requests (« Brouillon ») in one unit of
work, and moves the two files into place together: both or neither. A draft request of the
same kind for the same order is withdrawn (`retirer`, journaled) in favour of the new one.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import io
import re
import tempfile
import zipfile
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from pydantic import ValidationError
from sqlalchemy.engine import Engine

from sons.atomic_write import write_all_atomically
from sons.documents.context import NOT_PROVIDED, DocumentContext
from sons.domain.orders import (
    ClientKind,
    LegalEntity,
    LegalStatus,
    Professional,
    PurchaseOrder,
    Site,
    SiteScenario,
    Solution,
    Vendor,
)
from sons.domain.workflow import KIND_LABELS, Audience, RequestKind, Status, status_label
from sons.findings import Finding, Severity
from sons.formats.deposit.check import DepositReport
from sons.formats.deposit.model import FORMAT_VERSION, AttachmentType, DepositFile
from sons.referential.loader import (
    DispositifAtDate,
    Referential,
    UnknownDispositif,
    default_referential,
)
from sons.referential.model import BalanceCondition, Evidence
from sons.referential.scenario import applicable_balance_conditions, check_answers
from sons.schema_errors import french_errors
from sons.services.actors import reading
from sons.services.deposits import (
    AdvanceFile,
    DepositInputError,
    OrderEvidence,
    advance_rate_on,
    check_deposit_file,
    declared_at_advance,
    latest_advance,
    live,
    order_evidence,
    request_amounts,
)
from sons.services.documents import DocumentKind, build_document
from sons.services.orders import check_orders
from sons.services.requests import fire_on, repository
from sons.store.errors import StoreError
from sons.store.orders import StoredOrder
from sons.store.requests import (
    DepositOrigin,
    NewDeposit,
    NewRequest,
    StoredDeposit,
    StoredRequest,
)
from sons.store.unit_of_work import Clock, UnitOfWork, system_clock

BUILD_ACTION = "construire"
SUPERSEDE_ACTION = "retirer"
_PREFIX = {RequestKind.ADVANCE: "AV", RequestKind.BALANCE: "SO", RequestKind.AMENDMENT: "AM"}
_UNSAFE_ID = re.compile(r"[^A-Za-z0-9._-]+")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,120}$")
_MAX_ID = 64
# A file created on a given day is stamped at noon UTC: the same day in France, all year.
_NOON = dt.time(12, 0, tzinfo=dt.UTC)


@dataclass(frozen=True)
class BuildPieces:
    """What the vendor gives for the files sons cannot make: by order number."""

    invoices: Mapping[str, Path] = field(default_factory=dict)
    vas: Mapping[str, Path] = field(default_factory=dict)
    moms: Mapping[str, Path] = field(default_factory=dict)
    # (order number, requirement id of the referential) → file
    requirements: Mapping[tuple[str, str], Path] = field(default_factory=dict)
    # indicator id → value, for every order; (order number, indicator id) → value, for one
    indicators: Mapping[str, str] = field(default_factory=dict)
    order_indicators: Mapping[tuple[str, str], str] = field(default_factory=dict)

    def numbers(self) -> set[str]:
        return {
            *self.invoices,
            *self.vas,
            *self.moms,
            *(number for number, _ in self.requirements),
            *(number for number, _ in self.order_indicators),
        }

    def files(self) -> list[tuple[str, Path]]:
        return [
            *((f"--invoice {n}", p) for n, p in self.invoices.items()),
            *((f"--va {n}", p) for n, p in self.vas.items()),
            *((f"--mom {n}", p) for n, p in self.moms.items()),
            *((f"--requirement {n}:{r}", p) for (n, r), p in self.requirements.items()),
        ]


@dataclass(frozen=True)
class LeftOut:
    """An order that could not enter the file, and why."""

    number: str
    reasons: tuple[str, ...]
    findings: tuple[Finding, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "reasons": list(self.reasons),
            "findings": [f.as_dict() for f in self.findings],
        }


class BuildRefused(StoreError):
    """Orders that cannot enter the file (errors, missing pieces): nothing written."""

    def __init__(self, message: str, left_out: Sequence[LeftOut]) -> None:
        super().__init__(message)
        self.left_out = tuple(left_out)


@dataclass(frozen=True)
class BuildOutcome:
    deposit: StoredDeposit
    json_path: Path
    zip_path: Path
    report: DepositReport
    requests: tuple[StoredRequest, ...]
    left_out: tuple[LeftOut, ...] = ()
    superseded: tuple[StoredRequest, ...] = ()
    notes: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "deposit": self.deposit.as_dict(),
            "json": str(self.json_path),
            "zip": str(self.zip_path),
            "requests": [
                {
                    "id": r.id,
                    "request_ref": r.request_ref,
                    "order_number": r.order_number,
                    "status": r.status.value,
                    "prestation_ht_cents": r.prestation_ht_cents,
                    "prestation_ttc_cents": r.prestation_ttc_cents,
                    "amount_ht_cents": r.amount_ht_cents,
                    "amount_ttc_cents": r.amount_ttc_cents,
                    "advance_rate": None if r.advance_rate is None else str(r.advance_rate),
                }
                for r in self.requests
            ],
            "left_out": [item.as_dict() for item in self.left_out],
            "superseded": [{"id": r.id, "request_ref": r.request_ref} for r in self.superseded],
            "notes": list(self.notes),
            "report": self.report.as_dict(),
        }


def request_id(kind: RequestKind, number: str, taken: set[str]) -> str:
    """A file identifier for the request of `kind` on order `number`: readable (« AV-BC-12 »),
    within the format's pattern, unique among `taken` (a suffix « -2 », « -3 »… otherwise)."""
    prefix = _PREFIX[kind]
    slug = _UNSAFE_ID.sub("-", number).strip("-._") or "bon"
    base = f"{prefix}-{slug}"
    if slug != number or len(base) > _MAX_ID - 4:
        # Two numbers may read the same once cleaned: their digest keeps them apart.
        digest = hashlib.sha256(number.encode("utf-8")).hexdigest()[:8]
        base = f"{prefix}-{slug[: _MAX_ID - 18]}-{digest}"
    candidate, suffix = base, 2
    while candidate in taken:
        candidate, suffix = f"{base}-{suffix}", suffix + 1
    return candidate


# --- what the store holds for the build -------------------------------------------------------


@dataclass
class _Inputs:
    vendor: Vendor
    orders: list[StoredOrder]
    solutions: dict[str, Solution]
    legal_entities: dict[str, LegalEntity]
    professionals: dict[str, Professional]
    sites: dict[str, Site]
    by_order: dict[int, list[StoredRequest]]
    amendments: dict[int, list[StoredRequest]]
    live_refs: dict[RequestKind, set[str]]
    deposit_names: set[str]
    evidence: dict[int, OrderEvidence]

    def requests(self, order: StoredOrder, kind: RequestKind) -> list[StoredRequest]:
        return [r for r in self.by_order.get(order.id, []) if r.kind is kind]

    def advance(self, order: StoredOrder) -> AdvanceFile | None:
        advance = latest_advance(self.requests(order, RequestKind.ADVANCE))
        if advance is None or advance.status in (Status.CANCELLED, Status.REJECTED):
            return None
        mine = sorted(self.amendments.get(advance.id, []), key=lambda a: a.id)
        return AdvanceFile(advance, tuple(mine))

    def evidence_of(self, stored: StoredOrder) -> OrderEvidence:
        return self.evidence.get(stored.id) or OrderEvidence()

    def client_name(self, order: PurchaseOrder) -> str | None:
        if order.client_kind is ClientKind.LEGAL_ENTITY:
            entity = self.legal_entities.get(order.client_id)
            return None if entity is None else entity.name
        professional = self.professionals.get(order.client_id)
        return None if professional is None else professional.name


def _load(
    engine: Engine, vendor_id: int, code: str, kind: RequestKind, numbers: Sequence[str] | None
) -> _Inputs:
    with reading(engine) as uow:
        vendor = uow.vendors.get(vendor_id)
        if vendor is None:
            raise DepositInputError(f"Aucun éditeur n° {vendor_id} n'est enregistré.")
        if numbers is None:
            orders = [
                o
                for o in uow.orders.load_all(vendor_id)
                if o.order.dispositif.upper() == code.upper()
            ]
        else:
            orders = uow.orders.load_all(vendor_id, numbers=numbers)
            absent = sorted(set(numbers) - {o.number for o in orders})
            if absent:
                raise DepositInputError(
                    "Bon(s) de commande inconnu(s) pour cet éditeur : "
                    + ", ".join(f"« {n} »" for n in absent)
                    + " (« sons order list » les montre)."
                )
            other = [o for o in orders if o.order.dispositif.upper() != code.upper()]
            if other:
                listed = ", ".join(f"{o.number} ({o.order.dispositif})" for o in other)
                raise DepositInputError(
                    f"Bon(s) d'un autre dispositif que {code} : {listed} ; un fichier de dépôt "
                    "porte un seul dispositif."
                )
        repo = repository(uow)
        requests = repo.find(vendor_id=vendor_id, order_ids=[o.id for o in orders])
        by_order: dict[int, list[StoredRequest]] = defaultdict(list)
        for request in requests:
            assert request.order_id is not None
            by_order[request.order_id].append(request)
        advance_ids = [r.id for r in requests if r.kind is RequestKind.ADVANCE]
        amendments: dict[int, list[StoredRequest]] = defaultdict(list)
        for request in repo.find(kind=RequestKind.AMENDMENT, advance_ids=advance_ids):
            assert request.advance_id is not None
            amendments[request.advance_id].append(request)
        live_refs: dict[RequestKind, set[str]] = defaultdict(set)
        for request in live(repo.find(vendor_id=vendor_id)):
            live_refs[request.kind].add(request.request_ref)
        mine = [o.order for o in orders]
        return _Inputs(
            vendor=vendor,
            orders=orders,
            solutions={s.referencing_number: s for s in uow.solutions.all(vendor_id)},
            legal_entities=uow.directory.legal_entities(
                o.client_id for o in mine if o.client_kind is ClientKind.LEGAL_ENTITY
            ),
            professionals=uow.directory.professionals(
                o.client_id for o in mine if o.client_kind is ClientKind.PROFESSIONAL
            ),
            sites=uow.directory.sites(s.finess_et for o in mine for s in o.sites if s.finess_et),
            by_order=by_order,
            amendments=amendments,
            live_refs=live_refs,
            deposit_names={d.name for d in repo.deposits(vendor_id)},
            evidence=order_evidence(uow, vendor_id, [o.id for o in orders], with_files=True)
            if kind is RequestKind.BALANCE
            else {},
        )


# --- choosing the orders ----------------------------------------------------------------------


def _draft(requests: Sequence[StoredRequest]) -> list[StoredRequest]:
    return [r for r in requests if r.status is Status.DRAFT]


def _engaged(requests: Sequence[StoredRequest]) -> list[StoredRequest]:
    """Requests past the draft and still in the game: they block a new one of their kind."""
    return [r for r in live(requests) if r.status is not Status.DRAFT]


def _status_reason(kind: RequestKind, request: StoredRequest) -> str:
    label = status_label(request.status, request.kind, Audience.VENDOR)
    return (
        f"une {KIND_LABELS[kind]} existe déjà pour ce bon (« {request.request_ref} », « {label} »)"
    )


def _workflow_reasons(inputs: _Inputs, order: StoredOrder, kind: RequestKind) -> list[str]:
    reasons = []
    if kind is RequestKind.ADVANCE:
        engaged = _engaged(inputs.requests(order, kind))
        if engaged:
            reasons.append(_status_reason(kind, engaged[-1]))
        return reasons
    advance = inputs.advance(order)
    if advance is None:
        reasons.append(
            "aucune demande d'avance enregistrée pour ce bon (construire et déposer l'avance "
            "d'abord)"
        )
        return reasons
    if advance.advance.status is Status.DRAFT:
        reasons.append(
            f"la demande d'avance « {advance.advance.request_ref} » n'est pas encore déposée "
            f"(« sons deposit mark-filed » une fois le fichier déposé sur le portail)"
        )
        return reasons
    if kind is RequestKind.BALANCE:
        engaged = _engaged(inputs.requests(order, kind))
        if engaged:
            reasons.append(_status_reason(kind, engaged[-1]))
    return reasons


def _eligible_by_default(inputs: _Inputs, order: StoredOrder, kind: RequestKind) -> bool:
    """Without --orders: the orders this kind of request is for and that have none yet."""
    return not _workflow_reasons(inputs, order, kind)


# --- one request ------------------------------------------------------------------------------


@dataclass
class _Piece:
    type: AttachmentType
    name: str
    content: bytes
    requirement: str | None = None

    def attachment(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "file": self.name,
            "sha256": hashlib.sha256(self.content).hexdigest(),
            "size": len(self.content),
            "requirement": self.requirement,
        }


@dataclass
class _Built:
    stored: StoredOrder
    request: dict[str, Any]
    pieces: list[_Piece]
    advance: AdvanceFile | None
    notes: list[str]


class _Builder:
    def __init__(
        self,
        referential: Referential,
        code: str,
        kind: RequestKind,
        created_at: dt.datetime,
        inputs: _Inputs,
        solution: Solution,
        pieces: BuildPieces,
        mom_of: Callable[[str], bytes],
    ) -> None:
        self.referential = referential
        self.code = code
        self.kind = kind
        self.created_at = created_at
        self.filing_view = referential.at(code, created_at.date())
        self.inputs = inputs
        self.solution = solution
        self.pieces = pieces
        # The MOM of an order, generated with the counts of its transmissions on record.
        self.mom_of = mom_of
        self.taken: set[str] = set(inputs.live_refs.get(kind, set()))
        self._views: dict[dt.date, DispositifAtDate] = {}

    def view(self, on: dt.date) -> DispositifAtDate:
        if on not in self._views:
            self._views[on] = self.referential.at(self.code, on)
        return self._views[on]

    def scenarios(self, stored: StoredOrder) -> list[tuple[SiteScenario, bool]]:
        """Each site's scenario for this kind of request: the ordered one for an avance or an
        avenant; for a solde, the installed one when declared (True), else the ordered one."""
        sites = stored.order.sites
        if self.kind is not RequestKind.BALANCE:
            return [(site, False) for site in sites]
        evidence = self.inputs.evidence_of(stored)
        chosen = []
        for site in sites:
            answers, declared = evidence.answers(site)
            chosen.append((SiteScenario(site.finess_et, answers), declared))
        return chosen

    def conditions(self, stored: StoredOrder) -> list[tuple[BalanceCondition, str | None]]:
        """The balance conditions of the installed scenarios, once per flow and route, with
        the first site that has each."""
        view = self.view(stored.order.signed_on)
        found: dict[tuple[str, str], tuple[BalanceCondition, str | None]] = {}
        for site, _ in self.scenarios(stored):
            answers, _ = check_answers(view, site.answers, prefix="")
            for condition in applicable_balance_conditions(self.filing_view, answers):
                key = (condition.flow.value, condition.route.value)
                found.setdefault(key, (condition, site.finess_et))
        return list(found.values())

    def indicators(self, number: str) -> tuple[dict[str, str], list[str]]:
        values: dict[str, str] = {}
        problems: list[str] = []
        for indicator in self.filing_view.indicators:
            if self.kind.value not in indicator.kinds:
                continue
            value = self.pieces.order_indicators.get(
                (number, indicator.id), self.pieces.indicators.get(indicator.id)
            )
            listed = ", ".join(f"« {v} »" for v in indicator.values)
            if value is None:
                problems.append(
                    f"indicateur « {indicator.label} » ({indicator.id}) exigé au "
                    f"{self.filing_view.on.isoformat()} : le donner avec --indicator "
                    f"{indicator.id}=VALEUR (valeurs : {listed})"
                )
            elif value not in indicator.values:
                problems.append(
                    f"indicateur « {indicator.label} » : valeur « {value} » non permise "
                    f"(valeurs : {listed})"
                )
            else:
                values[indicator.id] = value
        return values, problems

    def blockers(self, stored: StoredOrder) -> list[str]:
        """What the vendor must give before this order can enter the file."""
        order = stored.order
        reasons = [
            f"site sans FINESS ET (position {position + 1}) : le format de dépôt exige le FINESS "
            "géographique de chaque site"
            for position, site in enumerate(order.sites)
            if not site.finess_et
        ]
        if not order.sites:
            reasons.append("aucun site : le format de dépôt exige au moins un site")
        _, problems = self.indicators(order.number)
        reasons += problems
        if self.kind is not RequestKind.BALANCE:
            return reasons
        number = order.number
        if number not in self.pieces.invoices:
            reasons.append(
                f"facture à 100 % manquante : la donner avec --invoice {number}=FACTURE.pdf"
            )
        vas = [c for c, _ in self.conditions(stored) if c.evidence is Evidence.VA]
        recorded = self.inputs.evidence_of(stored).vas
        if vas and number not in self.pieces.vas and not recorded:
            flows = ", ".join(f"{c.flow.value} ({c.route.value})" for c in vas)
            reasons.append(
                f"VA signée par le client exigée pour {flows} : la donner avec --va {number}=VA.pdf"
            )
        for requirement in self.filing_view.balance_requirements:
            if (number, requirement.id) not in self.pieces.requirements:
                reasons.append(
                    f"pièce exigée « {requirement.label} » manquante : la donner avec "
                    f"--requirement {number}:{requirement.id}=FICHIER"
                )
        return reasons

    def context(self, order: PurchaseOrder) -> DocumentContext:
        sites = [
            self.inputs.sites[s.finess_et] for s in order.sites if s.finess_et in self.inputs.sites
        ]
        return DocumentContext(
            order=order,
            vendor=self.inputs.vendor,
            solution=self.solution,
            client_name=self.inputs.client_name(order) or NOT_PROVIDED,
            view=self.view(order.signed_on),
            creation_date=self.created_at,
            sites=sites,
        )

    def client(self, order: PurchaseOrder) -> dict[str, Any]:
        name = self.inputs.client_name(order)
        if order.client_kind is ClientKind.PROFESSIONAL:
            return {"rpps": order.client_id, "name": name}
        client: dict[str, Any] = {"finess_ej": order.client_id, "name": name}
        entity = self.inputs.legal_entities.get(order.client_id)
        if entity is not None:
            if entity.status is LegalStatus.PUBLIC:
                client["es_pmsi"] = entity.finess_ej
            elif len(order.sites) == 1:
                client["es_pmsi"] = order.sites[0].finess_et
        return client

    def build(self, stored: StoredOrder) -> _Built:
        order = stored.order
        rid = request_id(self.kind, order.number, self.taken)
        self.taken.add(rid)
        notes: list[str] = []
        pieces: list[_Piece] = []
        advance = None if self.kind is RequestKind.ADVANCE else self.inputs.advance(stored)
        request: dict[str, Any] = {
            "id": rid,
            "order": {
                "number": order.number,
                "signed_on": order.signed_on,
                "signatory": order.signatory,
            },
            "client": self.client(order),
            "sites": [
                {
                    "finess_et": site.finess_et,
                    "name": self.inputs.sites[site.finess_et].name
                    if site.finess_et in self.inputs.sites
                    else None,
                    "scenario": dict(site.answers),
                }
                for site, _ in self.scenarios(stored)
            ],
            "prestation": {
                "ht_cents": order.prestation_ht_cents,
                "ttc_cents": order.prestation_ttc_cents,
            },
        }
        if advance is not None:
            declared = declared_at_advance(advance.advance, advance.amendments)
            request["advance"] = {
                "request_id": advance.advance.request_ref,
                "advance_ht_cents": declared[0],
                "advance_ttc_cents": declared[1],
            }
        indicators, _ = self.indicators(order.number)
        if indicators:
            request["indicators"] = indicators
        if self.kind is RequestKind.BALANCE:
            request["evidence"] = self._balance_pieces(stored, rid, pieces, notes)
        else:
            # The PDF engine loads only when an order is printed (see sons.documents.context).
            from sons.documents.order_pdf import render_order

            content = render_order(self.context(order))
            pieces.append(_Piece(AttachmentType.ORDER, f"{rid}/bon-de-commande.pdf", content))
        request["attachments"] = [piece.attachment() for piece in pieces]
        return _Built(stored, request, pieces, advance, notes)

    def _balance_pieces(
        self, stored: StoredOrder, rid: str, pieces: list[_Piece], notes: list[str]
    ) -> list[dict[str, Any]]:
        order = stored.order
        number = order.number
        scenarios = self.scenarios(stored)
        undeclared = [
            site.finess_et or "sans FINESS" for site, declared in scenarios if not declared
        ]
        if undeclared:
            notes.append(
                f"Bon {number} : scénario installé non déclaré pour le(s) site(s) "
                f"{', '.join(undeclared)} ; le scénario commandé est déclaré comme installé (à "
                "confirmer avant dépôt, ou le déclarer avec « sons evidence install »)."
            )
        pieces.append(
            _Piece(
                AttachmentType.INVOICE,
                f"{rid}/facture.pdf",
                self.pieces.invoices[number].read_bytes(),
            )
        )
        conditions = self.conditions(stored)
        mom_file = f"{rid}/mom.pdf"
        if any(c.evidence is Evidence.MOM for c, _ in conditions):
            given = self.pieces.moms.get(number)
            if given is not None:
                content = given.read_bytes()
            else:
                content = self.mom_of(number)
                notes.append(
                    f"Bon {number} : MOM générée par sons avec les transmissions enregistrées, à "
                    "signer par le fournisseur (ou donner la MOM signée avec --mom)."
                )
            pieces.append(_Piece(AttachmentType.MOM, mom_file, content))
        va_files = self._va_pieces(stored, rid, conditions, pieces)
        self._requirement_pieces(number, rid, pieces)
        return [
            {
                "flow": condition.flow,
                "route": condition.route,
                "piece": condition.evidence,
                "file": mom_file
                if condition.evidence is Evidence.MOM
                else va_files.get(site, next(iter(va_files.values()), "")),
            }
            for condition, site in conditions
        ]

    def _va_pieces(
        self,
        stored: StoredOrder,
        rid: str,
        conditions: Sequence[tuple[BalanceCondition, str | None]],
        pieces: list[_Piece],
    ) -> dict[str | None, str]:
        """Attach the signed VA: the one given, else those recorded per site; site → file."""
        if not any(c.evidence is Evidence.VA for c, _ in conditions):
            return {}
        given = self.pieces.vas.get(stored.number)
        if given is not None:
            pieces.append(_Piece(AttachmentType.VA, f"{rid}/va.pdf", given.read_bytes()))
            return {None: f"{rid}/va.pdf"}
        files: dict[str | None, str] = {}
        for va in self.inputs.evidence_of(stored).vas:
            name = f"{rid}/va-{va.finess_et or 'site'}.pdf"
            pieces.append(_Piece(AttachmentType.VA, name, va.content))
            files[va.finess_et] = name
        return files

    def _requirement_pieces(self, number: str, rid: str, pieces: list[_Piece]) -> None:
        for requirement in self.filing_view.balance_requirements:
            given = self.pieces.requirements[(number, requirement.id)]
            suffix = given.suffix.lower() or ".pdf"
            pieces.append(
                _Piece(
                    AttachmentType.OTHER,
                    f"{rid}/{requirement.id}{suffix}",
                    given.read_bytes(),
                    requirement.id,
                )
            )


# --- the build --------------------------------------------------------------------------------


def _created_at(on: dt.date | None, clock: Clock) -> dt.datetime:
    if on is not None:
        return dt.datetime.combine(on, _NOON)
    return clock().astimezone(dt.UTC).replace(microsecond=0)


def _zip_bytes(pieces: Sequence[_Piece], created_at: dt.datetime) -> bytes:
    """A deterministic zip: entries sorted by name, stamped with the file's creation time."""
    stamp = created_at.timetuple()[:6]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for piece in sorted(pieces, key=lambda p: p.name):
            info = zipfile.ZipInfo(piece.name, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, piece.content)
    return buffer.getvalue()


def _deposit_name(
    kind: RequestKind, code: str, created_at: dt.datetime, taken: set[str], out_dir: Path
) -> str:
    stem = f"{kind.value}-{code}-{created_at:%Y%m%d}"
    number = 1
    while True:
        name = f"{stem}-{number:02d}"
        if name not in taken and not any(
            (out_dir / f"{name}{suffix}").exists() for suffix in (".json", ".zip")
        ):
            return name
        number += 1


def _check_pieces(pieces: BuildPieces) -> None:
    for option, path in pieces.files():
        if not path.is_file():
            raise DepositInputError(f"option {option} : fichier introuvable : {path}.")


def build_deposit(
    engine: Engine,
    *,
    vendor_id: int,
    kind: RequestKind,
    dispositif: str,
    out_dir: Path,
    actor: str,
    clock: Clock = system_clock,
    numbers: Sequence[str] | None = None,
    only_valid: bool = False,
    pieces: BuildPieces | None = None,
    name: str | None = None,
    on: dt.date | None = None,
    referential: Referential | None = None,
) -> BuildOutcome:
    """Build `out_dir/<name>.json` and `out_dir/<name>.zip` from the vendor's orders (those of
    `numbers`, or every order of the dispositif this kind of request is for), check them,
    record them and their requests (« Brouillon »), and write both files or neither.

    `BuildRefused` (nothing written) when an included order has error findings or lacks a
    piece only the vendor can give, unless `only_valid`: those orders are then left out and
    listed. `DepositInputError` for unusable input. `on` is the file's creation date (default:
    the clock's day and time)."""
    referential = referential or default_referential()
    pieces = pieces or BuildPieces()
    try:
        code = referential.get(dispositif).code
    except UnknownDispositif as exc:
        raise DepositInputError(str(exc)) from None
    if name is not None and not _NAME.fullmatch(name):
        raise DepositInputError(
            f"Nom de dépôt « {name} » invalide : lettres, chiffres, « . », « _ », « - », "
            "121 caractères au plus, sans espace ni « / »."
        )
    if kind is RequestKind.AMENDMENT and not numbers:
        raise DepositInputError(
            "Un avenant se construit pour des bons précis : les nommer avec --orders."
        )
    if out_dir.exists() and not out_dir.is_dir():
        raise DepositInputError(f"--out : « {out_dir} » existe et n'est pas un dossier.")
    _check_pieces(pieces)
    created_at = _created_at(on, clock)
    today = created_at.date()
    inputs = _load(engine, vendor_id, code, kind, numbers)
    if numbers is None:
        inputs.orders = [o for o in inputs.orders if _eligible_by_default(inputs, o, kind)]
    if not inputs.orders:
        raise DepositInputError(
            f"Aucun bon de commande de {code} pour une {KIND_LABELS[kind]} : tous en ont déjà "
            "une, ou aucun n'est enregistré (« sons order list »)."
        )
    unknown = sorted(pieces.numbers() - {o.number for o in inputs.orders})
    if unknown:
        raise DepositInputError(
            "Pièce(s) ou indicateur(s) donné(s) pour des bons absents du dépôt : "
            + ", ".join(f"« {n} »" for n in unknown)
            + "."
        )
    vendor = inputs.vendor
    if not vendor.enrolment_number:
        raise DepositInputError(
            f"Numéro d'enrôlement de l'éditeur {vendor.name} non renseigné : le fichier de dépôt "
            "l'exige ; le renseigner avec « sons vendor create --siret … --enrolment … »."
        )
    used = sorted({o.order.solution_referencing_number for o in inputs.orders})
    if len(used) > 1:
        raise DepositInputError(
            f"Ces bons portent sur plusieurs solutions ({', '.join(used)}) : un fichier de dépôt "
            "porte une seule solution ; choisir les bons avec --orders."
        )
    solution = inputs.solutions.get(used[0])
    if solution is None:
        raise DepositInputError(f"Solution {used[0]} inconnue pour cet éditeur.")

    check = check_orders(
        engine,
        vendor_id,
        today=today,
        numbers=[o.number for o in inputs.orders],
        referential=referential,
    )
    findings = {c.number: c.findings for c in check.checks}

    def mom_of(number: str) -> bytes:
        return build_document(
            engine,
            DocumentKind.MOM,
            vendor_id=vendor_id,
            number=number,
            clock=lambda: created_at,
            referential=referential,
        )

    builder = _Builder(referential, code, kind, created_at, inputs, solution, pieces, mom_of)
    left_out: list[LeftOut] = []
    kept: list[StoredOrder] = []
    for stored in inputs.orders:
        errors = tuple(f for f in findings.get(stored.number, ()) if f.severity is Severity.ERROR)
        reasons = _workflow_reasons(inputs, stored, kind) + builder.blockers(stored)
        if errors:
            codes = ", ".join(dict.fromkeys(f.code for f in errors))
            reasons.insert(0, f"{len(errors)} erreur(s) au contrôle du bon ({codes})")
        if reasons:
            left_out.append(LeftOut(stored.number, tuple(reasons), errors))
        else:
            kept.append(stored)
    if left_out and not only_valid:
        raise BuildRefused(
            f"{len(left_out)} bon(s) ne peuvent pas entrer dans le fichier : les corriger, ou "
            "relancer avec --only-valid pour les laisser de côté. Rien n'a été écrit.",
            left_out,
        )
    if not kept:
        raise BuildRefused(
            "Aucun bon ne peut entrer dans le fichier. Rien n'a été écrit.", left_out
        )

    # The drafts these requests replace give up their identifiers.
    builder.taken -= {r.request_ref for o in kept for r in _draft(inputs.requests(o, kind))}
    built = [builder.build(stored) for stored in kept]
    deposit = _deposit_model(referential, code, kind, created_at, vendor, solution, built)
    json_bytes = orjson.dumps(deposit.to_file(), option=orjson.OPT_INDENT_2) + b"\n"
    zip_bytes = _zip_bytes([p for b in built for p in b.pieces], created_at)
    out_dir.mkdir(parents=True, exist_ok=True)
    name = name or _deposit_name(kind, code, created_at, inputs.deposit_names, out_dir)
    if name in inputs.deposit_names:
        raise DepositInputError(f"Un dépôt « {name} » existe déjà pour cet éditeur.")
    json_path, zip_path = out_dir / f"{name}.json", out_dir / f"{name}.zip"
    for path in (json_path, zip_path):
        if path.exists():
            raise DepositInputError(f"« {path} » existe déjà : choisir un autre nom (--name).")

    with tempfile.TemporaryDirectory(prefix=".sons-build-", dir=out_dir) as scratch:
        staged_json, staged_zip = Path(scratch) / json_path.name, Path(scratch) / zip_path.name
        staged_json.write_bytes(json_bytes)
        staged_zip.write_bytes(zip_bytes)
        report = check_deposit_file(
            engine, staged_json, staged_zip, today=today, referential=referential
        )
    report = dataclasses.replace(report, file=str(json_path), zip=str(zip_path))
    notes = [note for b in built for note in b.notes]
    outcome = _record(
        engine,
        vendor_id=vendor_id,
        actor=actor,
        clock=clock,
        kind=kind,
        code=code,
        name=name,
        created_at=created_at,
        referential=referential,
        built=built,
        report=report,
        files=((json_path, json_bytes), (zip_path, zip_bytes)),
    )
    if any(r.amount_ht_cents is None for r in outcome.requests):
        notes.append(
            f"Part de l'avance (advance_rate) non renseignée dans le référentiel pour {code} : "
            "montants demandés non calculés."
        )
    return BuildOutcome(
        deposit=outcome.deposit,
        json_path=json_path,
        zip_path=zip_path,
        report=report,
        requests=outcome.requests,
        left_out=tuple(left_out),
        superseded=outcome.superseded,
        notes=tuple(notes),
    )


def _deposit_model(
    referential: Referential,
    code: str,
    kind: RequestKind,
    created_at: dt.datetime,
    vendor: Vendor,
    solution: Solution,
    built: Sequence[_Built],
) -> DepositFile:
    dispositif = referential.get(code)
    content = {
        "format_version": FORMAT_VERSION,
        "couloir": dispositif.identity.deposit_family,
        "kind": kind.value,
        "created_at": created_at,
        "vendor": {
            "siret": vendor.siret,
            "enrolment_number": vendor.enrolment_number,
            "company_name": vendor.name,
        },
        "solution": {
            "referencing_number": solution.referencing_number,
            "technical_version": solution.version,
            "name": solution.name,
        },
        "dispositif": code,
        "requests": [b.request for b in built],
    }
    try:
        return DepositFile.model_validate(content, by_name=True, by_alias=False)
    except ValidationError as exc:
        listed = "; ".join(f"{where} : {message}" for where, message in french_errors(exc))
        raise DepositInputError(
            f"Les bons ne tiennent pas dans le format de dépôt : {listed}."
        ) from None


@dataclass(frozen=True)
class _Recorded:
    deposit: StoredDeposit
    requests: tuple[StoredRequest, ...]
    superseded: tuple[StoredRequest, ...]


def _record(
    engine: Engine,
    *,
    vendor_id: int,
    actor: str,
    clock: Clock,
    kind: RequestKind,
    code: str,
    name: str,
    created_at: dt.datetime,
    referential: Referential,
    built: Sequence[_Built],
    report: DepositReport,
    files: Sequence[tuple[Path, bytes]],
) -> _Recorded:
    """Record the deposit and its requests, withdraw the drafts they replace, then move the
    files into place; a failure anywhere leaves neither the records nor the files."""
    (json_path, json_bytes), (zip_path, zip_bytes) = files
    written = False
    try:
        with UnitOfWork(engine, actor, clock) as uow:
            repo = repository(uow)
            deposit = repo.add_deposit(
                vendor_id,
                NewDeposit(
                    name=name,
                    origin=DepositOrigin.BUILT,
                    kind=kind.value,
                    couloir=referential.get(code).identity.deposit_family.value,
                    dispositif=code,
                    format_version=FORMAT_VERSION,
                    file_created_at=created_at,
                    json_file_name=json_path.name,
                    json_content=json_bytes,
                    zip_file_name=zip_path.name,
                    zip_content=zip_bytes,
                    referential_pin=referential.pin,
                    requests=len(built),
                ),
            )
            superseded = []
            order_ids = [b.stored.id for b in built]
            for draft in _draft(repo.find(vendor_id=vendor_id, kind=kind, order_ids=order_ids)):
                superseded.append(
                    fire_on(
                        repo,
                        draft,
                        SUPERSEDE_ACTION,
                        Audience.VENDOR,
                        motive=f"Remplacée par le dépôt « {name} »",
                    )
                )
            new = []
            for index, item in enumerate(built):
                order = item.stored.order
                rate = advance_rate_on(referential, code, order.signed_on)
                amount = request_amounts(
                    kind,
                    (order.prestation_ht_cents, order.prestation_ttc_cents),
                    rate,
                    None if item.advance is None else item.advance.advance,
                    () if item.advance is None else item.advance.amendments,
                )
                new.append(
                    NewRequest(
                        position=index,
                        request_ref=item.request["id"],
                        kind=kind,
                        dispositif=code,
                        order_id=item.stored.id,
                        order_number=order.number,
                        order_signed_on=order.signed_on,
                        client_kind=order.client_kind.value,
                        client_id=order.client_id,
                        sites=tuple(s.finess_et for s in order.sites if s.finess_et),
                        advance_id=None if item.advance is None else item.advance.advance.id,
                        prestation_ht_cents=order.prestation_ht_cents,
                        prestation_ttc_cents=order.prestation_ttc_cents,
                        advance_rate=rate,
                        amount_ht_cents=amount[0],
                        amount_ttc_cents=amount[1],
                        codes=report.requests[index].codes if index < len(report.requests) else (),
                    )
                )
            requests = repo.add_requests(
                vendor_id, deposit, new, action=BUILD_ACTION, audience=Audience.VENDOR
            )
            uow.flush()
            write_all_atomically([(json_path, json_bytes), (zip_path, zip_bytes)])
            written = True
    except BaseException:
        if written:  # the commit failed after the files were moved into place
            json_path.unlink(missing_ok=True)
            zip_path.unlink(missing_ok=True)
        raise
    return _Recorded(deposit, tuple(requests), tuple(superseded))
