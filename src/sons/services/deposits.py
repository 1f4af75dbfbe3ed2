"""Deposit files against the store: check (standalone rules plus those that compare with the
advance on record), import, mark filed, list and download. Building one from the orders is
`deposit_builder.build_deposit`.

Amounts of a request (in integer cents, PRIMER §8), from the referential's `advance_rate` in
force on the order's signature date:
- avance: `split_cents(Prestation, rate)` → its first part, for HT and for TTC each;
- avenant: the same share of the amended Prestation (what the advance becomes);
- solde: the Prestation minus the amount of the advance it completes (or of the advance's
  latest avenant « Décidé et payé »), so that advance + solde = Prestation to the cent; when
  the store does not know that amount, the second part of `split_cents`.
`split_cents` rounds the advance half-up and derives the rest by subtraction. HT and TTC are
split each on its own, so each adds up exactly; the advance's TTC may then differ by one cent
from its HT plus VAT. An unknown rate (« non renseigné ») leaves the amounts empty.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol

from pydantic import ValidationError
from sqlalchemy.engine import Engine

from sons.domain.evidence import parse_flow_routes
from sons.domain.money import split_cents
from sons.domain.orders import ClientKind, SiteScenario
from sons.domain.workflow import (
    Audience,
    RequestKind,
    Status,
    WorkflowError,
    status_label,
)
from sons.findings import Severity
from sons.formats.deposit.advance_rules import (
    WITHDRAWN,
    AdvanceOnRecord,
    AmendmentOnRecord,
    advance_findings,
)
from sons.formats.deposit.check import DepositReport, check_deposit
from sons.formats.deposit.model import DepositFile
from sons.formats.deposit.reader import DEFAULT_MAX_BYTES, read_deposit
from sons.referential.loader import Referential, UnknownDispositif, default_referential
from sons.referential.model import Evidence, Flow, Route
from sons.services.actors import reading
from sons.services.requests import fire_on, repository, store_number
from sons.store.errors import NotFoundError, StoreError
from sons.store.evidence import ACCEPTED, EvidenceRepository
from sons.store.imports import file_sha256
from sons.store.requests import (
    JSON_ROLE,
    ZIP_ROLE,
    DepositOrigin,
    NewDeposit,
    NewRequest,
    RequestRepository,
    StoredDeposit,
    StoredRequest,
)
from sons.store.unit_of_work import Clock, UnitOfWork, system_clock

IMPORT_ACTION = "importer"
FILE_ACTION = "deposer"


class DepositInputError(StoreError):
    """A deposit request that cannot be carried out as asked (exit 2); `str()` is French."""


class DepositRefused(StoreError):
    """A file not recorded, with the check report that says why (nothing stored)."""

    def __init__(self, message: str, report: DepositReport | None = None) -> None:
        super().__init__(message)
        self.report = report


# --- amounts ----------------------------------------------------------------------------------


def advance_rate_on(referential: Referential, dispositif: str, on: dt.date) -> Decimal | None:
    """The advance share (percent) in force on `on`, or None when not known."""
    value = referential.at(dispositif, on).parameter("advance_rate")
    return Decimal(str(value.value)) if value.known else None


def declared_at_advance(
    advance: StoredRequest, amendments: Sequence[StoredRequest]
) -> tuple[int, int]:
    """(HT, TTC) of the Prestation as last decided: the latest avenant « Décidé et payé »,
    else the advance."""
    for amendment in sorted(amendments, key=lambda a: a.id, reverse=True):
        if amendment.status is Status.PAID:
            return amendment.prestation_ht_cents, amendment.prestation_ttc_cents
    return advance.prestation_ht_cents, advance.prestation_ttc_cents


def request_amounts(
    kind: RequestKind,
    prestation: tuple[int, int],
    rate: Decimal | None,
    advance: StoredRequest | None = None,
    amendments: Sequence[StoredRequest] = (),
) -> tuple[int | None, int | None]:
    """(HT, TTC) requested by a request of `kind` (see the module docstring)."""
    if rate is None:
        return None, None
    if kind is not RequestKind.BALANCE:
        return split_cents(prestation[0], rate)[0], split_cents(prestation[1], rate)[0]
    paid = _advance_amount(advance, amendments)
    if paid is None:
        return split_cents(prestation[0], rate)[1], split_cents(prestation[1], rate)[1]
    return prestation[0] - paid[0], prestation[1] - paid[1]


def _advance_amount(
    advance: StoredRequest | None, amendments: Sequence[StoredRequest]
) -> tuple[int, int] | None:
    if advance is None:
        return None
    for amendment in sorted(amendments, key=lambda a: a.id, reverse=True):
        if amendment.status is Status.PAID:
            if amendment.amount_ht_cents is None or amendment.amount_ttc_cents is None:
                return None
            return amendment.amount_ht_cents, amendment.amount_ttc_cents
    if advance.amount_ht_cents is None or advance.amount_ttc_cents is None:
        return None
    return advance.amount_ht_cents, advance.amount_ttc_cents


# --- the advances on record -------------------------------------------------------------------


def live(requests: Iterable[StoredRequest]) -> list[StoredRequest]:
    return [r for r in requests if r.status not in WITHDRAWN]


def latest_advance(candidates: Sequence[StoredRequest]) -> StoredRequest | None:
    """The advance a reference means: the latest one still in the game, else the latest."""
    advances = [c for c in candidates if c.kind is RequestKind.ADVANCE]
    chosen = live(advances) or advances
    return max(chosen, key=lambda r: r.id) if chosen else None


@dataclass(frozen=True)
class AdvanceFile:
    """An advance of the store with its avenants (oldest first)."""

    advance: StoredRequest
    amendments: tuple[StoredRequest, ...] = ()

    def on_record(
        self, evidence: frozenset[tuple[Flow, Route, Evidence]] | None = None
    ) -> AdvanceOnRecord:
        advance = self.advance
        return AdvanceOnRecord(
            request_id=advance.request_ref,
            status=advance.status,
            order_number=advance.order_number,
            client_kind=ClientKind(advance.client_kind),
            client_id=advance.client_id,
            sites=advance.sites,
            prestation_ht_cents=advance.prestation_ht_cents,
            prestation_ttc_cents=advance.prestation_ttc_cents,
            amendments=tuple(
                AmendmentOnRecord(
                    a.request_ref, a.status, a.prestation_ht_cents, a.prestation_ttc_cents
                )
                for a in self.amendments
            ),
            evidence=evidence,
        )


def advance_files(
    repo: RequestRepository, vendor_id: int, refs: Iterable[str]
) -> dict[str, AdvanceFile]:
    """The vendor's advances by their identifier in the deposit files, with their avenants."""
    by_ref: dict[str, list[StoredRequest]] = defaultdict(list)
    for request in repo.find(vendor_id=vendor_id, kind=RequestKind.ADVANCE, request_refs=refs):
        by_ref[request.request_ref].append(request)
    chosen = {ref: latest_advance(found) for ref, found in by_ref.items()}
    advances = {ref: advance for ref, advance in chosen.items() if advance is not None}
    amendments: dict[int, list[StoredRequest]] = defaultdict(list)
    if advances:
        ids = [a.id for a in advances.values()]
        for request in repo.find(kind=RequestKind.AMENDMENT, advance_ids=ids):
            assert request.advance_id is not None
            amendments[request.advance_id].append(request)
    return {
        ref: AdvanceFile(advance, tuple(sorted(amendments[advance.id], key=lambda a: a.id)))
        for ref, advance in advances.items()
    }


# --- the evidence on record -------------------------------------------------------------------


@dataclass(frozen=True)
class RecordedVa:
    finess_et: str | None
    file_name: str
    content: bytes


@dataclass(frozen=True)
class OrderEvidence:
    """What the evidence module holds for one order: the installed scenario declared per site
    (by FINESS ET), the (flow, route, piece) its accepted MOM and VA attest, and, when asked,
    the files of its accepted VAs (the latest per site)."""

    installed: Mapping[str | None, Mapping[str, Any]] = field(default_factory=dict)
    recorded: frozenset[tuple[Flow, Route, Evidence]] = frozenset()
    pieces: int = 0
    vas: tuple[RecordedVa, ...] = ()

    def answers(self, site: SiteScenario) -> tuple[Mapping[str, Any], bool]:
        """The site's installed scenario (True) or, none declared, its ordered one (False)."""
        declared = self.installed.get(site.finess_et)
        return (site.answers, False) if declared is None else (declared, True)


def order_evidence(
    uow: UnitOfWork, vendor_id: int, order_ids: Iterable[int], *, with_files: bool = False
) -> dict[int, OrderEvidence]:
    """Order id → its evidence on record (orders with nothing recorded are absent)."""
    ids = sorted(set(order_ids))
    if not ids:
        return {}
    evidence = EvidenceRepository(uow.session, uow.journal, uow.now)
    sites = {ref.id: ref for refs in evidence.order_sites(vendor_id, ids).values() for ref in refs}
    installed: dict[int, dict[str | None, Mapping[str, Any]]] = defaultdict(dict)
    for site_id, scenario in evidence.installed(vendor_id, ids).items():
        ref = sites[site_id]
        installed[ref.order_id][ref.finess_et] = scenario.answers
    recorded: dict[int, set[tuple[Flow, Route, Evidence]]] = defaultdict(set)
    counts: dict[int, int] = defaultdict(int)
    latest_va: dict[int, dict[str | None, Any]] = defaultdict(dict)
    for site_id, pieces in evidence.pieces(vendor_id, ids).items():
        ref = sites[site_id]
        for piece in pieces:
            if piece.status != ACCEPTED:
                continue
            kind = Evidence(piece.kind)
            counts[ref.order_id] += 1
            pairs, _ = parse_flow_routes(",".join(piece.flows))
            recorded[ref.order_id].update((flow, route, kind) for flow, route in pairs)
            if kind is Evidence.VA and piece.file_name:
                latest_va[ref.order_id][ref.finess_et] = piece  # oldest first: the last wins
    found = {}
    for order_id in set(installed) | set(counts):
        vas: tuple[RecordedVa, ...] = ()
        if with_files:
            vas = tuple(
                RecordedVa(finess, piece.file_name, evidence.piece_content(vendor_id, piece.id))
                for finess, piece in latest_va[order_id].items()
            )
        found[order_id] = OrderEvidence(
            installed[order_id], frozenset(recorded[order_id]), counts[order_id], vas
        )
    return found


# --- check ------------------------------------------------------------------------------------


def load_deposit_file(path: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> DepositFile | None:
    """The whole file as the model, or None when it does not validate (the check says why)."""
    read = read_deposit(path, max_bytes)
    if not read.usable:
        return None
    try:
        return DepositFile.model_validate(read.data)
    except ValidationError:
        return None


def _attested(evidence: OrderEvidence | None) -> frozenset[tuple[Flow, Route, Evidence]] | None:
    # An order with no MOM or VA recorded: the store does not track its evidence, nothing to
    # compare; with some, every piece the file declares must be among them.
    return None if evidence is None or not evidence.pieces else evidence.recorded


def check_deposit_file(
    engine: Engine | None,
    json_file: Path,
    zip_file: Path | None,
    *,
    today: dt.date,
    referential: Referential | None = None,
) -> DepositReport:
    """The simulator's report, plus, for a solde or an avenant whose vendor and advance the
    store knows, the rules that compare it with the advance on record (`advance_rules`).
    Without a store (`engine` None) or a known advance, the standalone check alone."""
    referential = referential or default_referential()
    report = check_deposit(json_file, zip_file, referential, today)
    if engine is None or not report.readable or report.kind not in ("solde", "avenant"):
        return report
    deposit = load_deposit_file(json_file)
    if deposit is None:
        return report
    with reading(engine) as uow:
        vendor_id = uow.vendors.id_of(deposit.vendor.siret)
        if vendor_id is None:
            return report
        refs = {r.advance.request_id for r in deposit.requests if r.advance is not None}
        files = advance_files(repository(uow), vendor_id, refs)
        evidence = order_evidence(
            uow, vendor_id, (f.advance.order_id for f in files.values() if f.advance.order_id)
        )
    records = {
        ref: file.on_record(_attested(evidence.get(file.advance.order_id or 0)))
        for ref, file in files.items()
    }
    return report.with_request_findings(
        advance_findings(deposit, records, referential.sources, vendor_on_record=True)
    )


# --- import -----------------------------------------------------------------------------------


class Reception(Protocol):
    """What the operator's intake adds to an import (`sons.services.intake`), inside its unit
    of work: `admit` sees the requests about to be recorded (with the check's report) and
    returns those to record, the others being duplicates or new deposits of requests already
    on record, which it handles; `recorded` then sees the ones recorded. Raising in either
    stores nothing."""

    def admit(
        self,
        uow: UnitOfWork,
        vendor_id: int,
        deposit: StoredDeposit,
        file: DepositFile,
        report: DepositReport,
        new: Sequence[NewRequest],
    ) -> Sequence[NewRequest]: ...

    def recorded(
        self,
        uow: UnitOfWork,
        vendor_id: int,
        deposit: StoredDeposit,
        requests: Sequence[StoredRequest],
    ) -> None: ...


@dataclass(frozen=True)
class ImportOutcome:
    deposit: StoredDeposit
    created: bool
    requests: tuple[StoredRequest, ...]
    report: DepositReport

    @property
    def incomplete(self) -> list[StoredRequest]:
        return [r for r in self.requests if r.status is Status.INCOMPLETE]

    def message(self) -> str:
        if not self.created:
            return (
                f"Ce fichier (SHA-256 {self.deposit.json_sha256[:12]}…) est déjà enregistré : "
                f"dépôt « {self.deposit.name} », {len(self.requests)} demande(s) ; rien n'a été "
                "modifié."
            )
        incomplete = len(self.incomplete)
        return (
            f"Dépôt « {self.deposit.name} » enregistré : {len(self.requests)} demande(s), dont "
            f"{len(self.requests) - incomplete} « déposée(s) » et {incomplete} « incomplète(s) »."
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "created": self.created,
            "deposit": self.deposit.as_dict(),
            "requests": [
                {
                    "id": r.id,
                    "request_ref": r.request_ref,
                    "status": r.status.value,
                    "vendor_label": status_label(r.status, r.kind, Audience.VENDOR),
                    "operator_label": status_label(r.status, r.kind, Audience.OPERATOR),
                }
                for r in self.requests
            ],
            "report": self.report.as_dict(),
        }


def _free_name(repo: RequestRepository, vendor_id: int, stem: str) -> str:
    taken = set(repo.deposit_names(vendor_id, stem))
    if stem not in taken:
        return stem
    number = 2
    while f"{stem}-{number}" in taken:
        number += 1
    return f"{stem}-{number}"


def _incomplete_motive(report: DepositReport, index: int) -> str:
    summary = report.requests[index]
    path = summary.path
    zip_label = None if report.zip is None else Path(report.zip).name

    def about_it(where: str, code: str) -> bool:
        inside = where == path or where.startswith((f"{path}.", f"{path}["))
        return inside or (code.startswith("DEPOSIT_ZIP_") and where == zip_label)

    messages = [
        f.message
        for f in report.findings
        if f.severity is Severity.ERROR and about_it(f.path, f.code)
    ]
    shown = " ; ".join(messages[:5]) or ", ".join(summary.codes)
    return f"Demande incomplète à la réception (pièces jointes) : {shown}"


def import_deposit(
    engine: Engine,
    json_file: Path,
    zip_file: Path | None,
    *,
    actor: str,
    today: dt.date,
    clock: Clock = system_clock,
    vendor_id: int | None = None,
    referential: Referential | None = None,
    reception: Reception | None = None,
) -> ImportOutcome:
    """Record the requests of a deposit file as received by the operator, all or nothing.

    A file whose JSON cannot be used (unreadable, or a header or a request that does not
    validate) stores nothing (`DepositRefused`, with the report). Otherwise every request is
    recorded, « déposée », or « incomplète » when its zip part fails (the operator's
    behaviour), with its history and journal entries. Importing the same JSON again (same
    SHA-256) changes nothing.
    """
    referential = referential or default_referential()
    if zip_file is not None and not zip_file.is_file():
        raise DepositInputError(f"option --zip : fichier introuvable : {zip_file}.")
    report = check_deposit_file(engine, json_file, zip_file, today=today, referential=referential)
    if not report.readable:
        raise DepositRefused(
            f"{json_file.name} n'est pas un JSON lisible : rien n'a été enregistré.", report
        )
    deposit = load_deposit_file(json_file)
    if deposit is None:
        errors = report.count(Severity.ERROR)
        raise DepositRefused(
            f"{json_file.name} ne respecte pas le format de dépôt ({errors} erreur(s), voir le "
            "rapport) : rien n'a été enregistré.",
            report,
        )
    try:
        code = referential.get(deposit.dispositif).code
    except UnknownDispositif as exc:
        raise DepositRefused(f"{exc} Rien n'a été enregistré.", report) from None
    json_bytes = json_file.read_bytes()
    zip_bytes = None if zip_file is None else zip_file.read_bytes()
    sha = file_sha256(json_file)
    kind = RequestKind(deposit.kind.value)
    with UnitOfWork(engine, actor, clock) as uow:
        repo = repository(uow)
        owner = uow.vendors.id_of(deposit.vendor.siret)
        if owner is None:
            raise DepositRefused(
                f"L'éditeur de SIRET {deposit.vendor.siret} (fichier {json_file.name}) n'est pas "
                "enregistré : créez-le d'abord (sons vendor create) ; rien n'a été enregistré.",
                report,
            )
        if vendor_id is not None and owner != vendor_id:
            raise DepositRefused(
                f"{json_file.name} est au nom de l'éditeur de SIRET {deposit.vendor.siret}, pas "
                "de l'éditeur choisi : rien n'a été enregistré.",
                report,
            )
        earlier = repo.deposit_with_sha(owner, sha)
        if earlier is not None:
            zip_sha = None if zip_file is None else file_sha256(zip_file)
            if zip_sha is not None and zip_sha != earlier.zip_sha256:
                raise DepositRefused(
                    f"Ce fichier JSON est déjà enregistré (dépôt « {earlier.name} ») avec un "
                    "autre zip : rien n'a été modifié. Compléter une demande incomplète passe "
                    "par « sons request transition ID deposer --file … ».",
                    report,
                )
            requests = repo.find(deposit_id=earlier.id)
            return ImportOutcome(earlier, False, tuple(requests), report)
        stored = repo.add_deposit(
            owner,
            NewDeposit(
                name=_free_name(repo, owner, json_file.stem),
                origin=DepositOrigin.IMPORTED,
                kind=kind.value,
                couloir=deposit.couloir.value,
                dispositif=code,
                format_version=deposit.format_version,
                file_created_at=deposit.created_at.astimezone(dt.UTC),
                json_file_name=json_file.name,
                json_content=json_bytes,
                zip_file_name=None if zip_file is None else zip_file.name,
                zip_content=zip_bytes,
                referential_pin=referential.pin,
                requests=len(deposit.requests),
            ),
        )
        orders = {
            s.number: s.id
            for s in uow.orders.load_all(owner, numbers=[r.order.number for r in deposit.requests])
        }
        refs = {r.advance.request_id for r in deposit.requests if r.advance is not None}
        advances = advance_files(repo, owner, refs)
        new = []
        for index, request in enumerate(deposit.requests):
            summary = report.requests[index]
            advance = None if request.advance is None else advances.get(request.advance.request_id)
            rate = advance_rate_on(referential, code, request.order.signed_on)
            prestation = (request.prestation.ht_cents, request.prestation.ttc_cents)
            amount = request_amounts(
                kind,
                prestation,
                rate,
                None if advance is None else advance.advance,
                () if advance is None else advance.amendments,
            )
            client = request.client
            new.append(
                NewRequest(
                    position=index,
                    request_ref=request.id,
                    kind=kind,
                    dispositif=code,
                    order_id=orders.get(request.order.number),
                    order_number=request.order.number,
                    order_signed_on=request.order.signed_on,
                    client_kind=(
                        ClientKind.LEGAL_ENTITY if client.finess_ej else ClientKind.PROFESSIONAL
                    ).value,
                    client_id=client.finess_ej or client.rpps or "",
                    sites=tuple(site.finess_et for site in request.sites),
                    advance_id=None if advance is None else advance.advance.id,
                    prestation_ht_cents=prestation[0],
                    prestation_ttc_cents=prestation[1],
                    advance_rate=rate,
                    amount_ht_cents=amount[0],
                    amount_ttc_cents=amount[1],
                    codes=summary.codes,
                    status=Status.INCOMPLETE if summary.incomplete else Status.FILED,
                    motive=_incomplete_motive(report, index) if summary.incomplete else None,
                )
            )
        if reception is not None:
            new = list(reception.admit(uow, owner, stored, deposit, report, new))
        requests = repo.add_requests(
            owner, stored, new, action=IMPORT_ACTION, audience=Audience.OPERATOR
        )
        if reception is not None:
            reception.recorded(uow, owner, stored, requests)
    return ImportOutcome(stored, True, tuple(requests), report)


# --- filed on the operator's portal -----------------------------------------------------------


@dataclass(frozen=True)
class FiledOutcome:
    deposit: StoredDeposit
    filed: tuple[StoredRequest, ...]
    skipped: tuple[tuple[StoredRequest, str], ...] = field(default_factory=tuple)

    def message(self) -> str:
        text = (
            f"Dépôt « {self.deposit.name} » : {len(self.filed)} demande(s) passée(s) de "
            "« Brouillon » à « Déposée », inscrit au journal."
        )
        if self.skipped:
            text += f" {len(self.skipped)} demande(s) laissée(s) en l'état."
        return text

    def as_dict(self) -> dict[str, Any]:
        return {
            "deposit": self.deposit.as_dict(),
            "filed": [{"id": r.id, "request_ref": r.request_ref} for r in self.filed],
            "skipped": [
                {"id": r.id, "request_ref": r.request_ref, "reason": reason}
                for r, reason in self.skipped
            ],
        }


def find_deposit(repo: RequestRepository, vendor_id: int, name: str) -> StoredDeposit:
    """A vendor's deposit by name (with or without « .json »), or by number."""
    wanted = name.strip().removesuffix(".json").removesuffix(".zip")
    found = repo.deposit_named(vendor_id, wanted)
    number = store_number(wanted)
    if found is None and number is not None:
        found = repo.deposit(number, vendor_id=vendor_id)
    if found is None:
        known = ", ".join(d.name for d in repo.deposits(vendor_id)[-5:]) or "aucun"
        raise NotFoundError(
            f"Aucun dépôt « {wanted} » pour cet éditeur (derniers dépôts : {known} ; « sons "
            "deposit list » les montre tous)."
        )
    return found


def mark_filed(
    engine: Engine,
    name: str,
    *,
    vendor_id: int,
    actor: str,
    clock: Clock = system_clock,
) -> FiledOutcome:
    """The vendor uploaded the deposit to the operator's portal: its draft requests go
    « Brouillon » → « Déposée » (action `deposer`, journaled); the others are left as they
    are and listed. Running it again changes nothing."""
    with UnitOfWork(engine, actor, clock) as uow:
        repo = repository(uow)
        deposit = find_deposit(repo, vendor_id, name)
        filed: list[StoredRequest] = []
        skipped: list[tuple[StoredRequest, str]] = []
        for request in repo.find(deposit_id=deposit.id):
            if request.status is not Status.DRAFT:
                label = status_label(request.status, request.kind, Audience.VENDOR)
                skipped.append((request, f"au statut « {label} »"))
                continue
            try:
                filed.append(
                    fire_on(
                        repo,
                        request,
                        FILE_ACTION,
                        Audience.VENDOR,
                        motive=f"Déposée sur le portail de l'opérateur (dépôt « {deposit.name} »)",
                    )
                )
            except WorkflowError as exc:  # the table is the judge; say why, keep going
                skipped.append((request, exc.message))
        if filed and deposit.filed_at is None:
            deposit = repo.mark_deposit_filed(deposit)
    return FiledOutcome(deposit, tuple(filed), tuple(skipped))


# --- listing and download ---------------------------------------------------------------------


def list_deposits(engine: Engine, vendor_id: int | None) -> list[StoredDeposit]:
    """The vendor's deposits; `vendor_id` None: those the operator sees (`filed_with_operator`)."""
    with reading(engine) as uow:
        deposits = repository(uow).deposits(vendor_id)
    if vendor_id is None:
        return [d for d in deposits if filed_with_operator(d)]
    return deposits


def filed_with_operator(deposit: StoredDeposit) -> bool:
    """Whether the operator may see a deposit: the operator sees what was filed with it, and a
    deposit sons built stays the vendor's draft until it is marked filed (`mark_filed`)."""
    return deposit.origin != DepositOrigin.BUILT or deposit.filed_at is not None


def checking_engine(engine: Engine, vendor_id: int | None, json_path: Path) -> Engine | None:
    """The store a deposit check may compare the file with (`check_deposit_file`): always for
    the operator (`vendor_id` None); for a vendor only when the file is in its own name —
    another vendor's advances are none of its business."""
    if vendor_id is None:
        return engine
    deposit = load_deposit_file(json_path)
    if deposit is None:
        return None
    with reading(engine) as uow:
        vendor = uow.vendors.get(vendor_id)
    return engine if vendor is not None and vendor.siret == deposit.vendor.siret else None


def deposit_content(
    engine: Engine, vendor_id: int | None, name: str, role: str = JSON_ROLE
) -> tuple[str, bytes]:
    """(file name, bytes) of a deposit's JSON (`JSON_ROLE`) or zip (`ZIP_ROLE`), for download;
    `vendor_id` None is the operator."""
    if role not in (JSON_ROLE, ZIP_ROLE):
        raise DepositInputError(f"Fichier « {role} » inconnu : « json » ou « zip ».")
    with reading(engine) as uow:
        repo = repository(uow)
        if vendor_id is None:
            wanted = name.strip()
            number = store_number(wanted)
            found = repo.deposit(number) if number is not None else None
            if found is None or not filed_with_operator(found):
                raise NotFoundError(f"Aucun dépôt n° {wanted}.")
        else:
            found = find_deposit(repo, vendor_id, name)
        content = repo.deposit_content(found.id, role)
    if content is None:
        raise NotFoundError(f"Le dépôt « {found.name} » n'a pas de zip enregistré.")
    return content
