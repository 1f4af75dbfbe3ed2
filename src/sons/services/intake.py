"""The payment operator takes in a vendor's deposit (`sons operator intake`).

The import itself is the deposit import's (`services.deposits.import_deposit`: every deposit
check, the zip included, all or nothing; a request whose zip part fails is recorded
« incomplète »). The intake adds, in the same unit of work (`Reception`):

- the vendor named by the file (SIRET) must be known and enrolled with the operator (an
  enrolment number on record, the same as the file's): otherwise nothing is stored;
- each request is compared with the vendor's requests on record of the same identifier and
  kind: the same content (SHA-256 of its canonical JSON) is a « doublon », not stored twice; a
  request « à modifier » or « incomplète » is the vendor's answer (a new deposit): it takes
  the new content and goes back to « déposée » (`deposer`); another content under an
  identifier already on record is stored with an error finding (`INTAKE_REQUEST_CONFLICT`);
- the registry and cross-vendor checks (`services.intake_checks.findings_at_intake`) run on
  the requests recorded, and every request keeps its findings (`store.instruction`), shown by
  the queue and the request's page.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy.engine import Engine

from sons.domain.orders import Vendor
from sons.domain.workflow import Audience, RequestKind, Status, status_label
from sons.findings import Finding, Severity
from sons.formats.deposit.advance_rules import WITHDRAWN
from sons.formats.deposit.check import DepositReport
from sons.formats.deposit.mapping import json_path
from sons.formats.deposit.model import DepositFile, DepositRequest
from sons.referential.loader import Referential
from sons.services.actors import reading
from sons.services.deposits import DepositRefused, import_deposit, load_deposit_file
from sons.services.intake_checks import findings_at_intake
from sons.services.requests import AttachedFile, fire_on, repository
from sons.store.instruction import InstructionRepository, IntakeOutcome, ReceivedRequest
from sons.store.requests import (
    JSON_ROLE,
    NewRequest,
    RequestRepository,
    StoredDeposit,
    StoredRequest,
)
from sons.store.unit_of_work import Clock, UnitOfWork, system_clock

CONFLICT = "INTAKE_REQUEST_CONFLICT"
# Statuses in which the vendor's new deposit of a request is its answer to the operator.
AWAITING_DEPOSIT = frozenset({Status.TO_AMEND, Status.INCOMPLETE})


class Reception(StrEnum):
    """What became of one request of the file at intake."""

    RECEIVED = "recue"
    INCOMPLETE = "incomplete"
    REFILED = "redeposee"
    DUPLICATE = "doublon"
    CONFLICT = "conflit"


RECEPTION_LABELS = {
    Reception.RECEIVED: "reçue",
    Reception.INCOMPLETE: "incomplète",
    Reception.REFILED: "redéposée",
    Reception.DUPLICATE: "doublon (non enregistrée)",
    Reception.CONFLICT: "reçue, en conflit",
}


def instructions(uow: UnitOfWork) -> InstructionRepository:
    return InstructionRepository(uow.session, uow.journal, uow.actor, uow.now)


def content_sha256(request: DepositRequest) -> str:
    """The fingerprint of a request's content: its JSON object, keys sorted, hashed."""
    data = request.model_dump(mode="json", by_alias=True, exclude_none=True)
    return hashlib.sha256(orjson.dumps(data, option=orjson.OPT_SORT_KEYS)).hexdigest()


# --- outcome ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class IntakeLine:
    """One request of the file and what the intake did with it."""

    position: int
    request_ref: str
    reception: Reception
    request: StoredRequest | None  # the request on record (None: never, e.g. a refusal)
    findings: tuple[Finding, ...] = ()
    earlier: StoredRequest | None = None  # the request on record it duplicates or conflicts

    def as_dict(self) -> dict[str, Any]:
        request = self.request
        return {
            "position": self.position,
            "request_ref": self.request_ref,
            "reception": self.reception.value,
            "reception_label": RECEPTION_LABELS[self.reception],
            "id": None if request is None else request.id,
            "status": None if request is None else request.status.value,
            "operator_label": None
            if request is None
            else status_label(request.status, request.kind, Audience.OPERATOR),
            "amount_ttc_cents": None if request is None else request.amount_ttc_cents,
            "earlier_id": None if self.earlier is None else self.earlier.id,
            "findings": [f.as_dict() for f in self.findings],
        }


@dataclass(frozen=True)
class IntakeResult:
    vendor_siret: str
    vendor_name: str
    deposit: StoredDeposit | None  # None: every request was a doublon, nothing stored
    lines: tuple[IntakeLine, ...]
    report: DepositReport
    file_name: str

    def count(self, reception: Reception) -> int:
        return sum(1 for line in self.lines if line.reception is reception)

    @property
    def findings(self) -> list[Finding]:
        return [f for line in self.lines for f in line.findings]

    @property
    def has_errors(self) -> bool:
        return any(f.severity is Severity.ERROR for f in self.findings)

    def message(self) -> str:
        counts = {r: self.count(r) for r in Reception}
        parts = [
            f"{counts[Reception.RECEIVED] + counts[Reception.CONFLICT]} reçue(s) « déposée(s) »",
            f"{counts[Reception.INCOMPLETE]} « incomplète(s) »",
            f"{counts[Reception.REFILED]} redéposée(s) après correction",
            f"{counts[Reception.DUPLICATE]} doublon(s) non enregistré(s)",
        ]
        if counts[Reception.CONFLICT]:
            parts.append(
                f"dont {counts[Reception.CONFLICT]} en conflit avec une demande de même identifiant"
            )
        who = f"de l'éditeur « {self.vendor_name} » (SIRET {self.vendor_siret})"
        if self.deposit is None:
            return (
                f"{self.file_name} {who} : les {len(self.lines)} demande(s) sont déjà reçues, à "
                "l'identique (doublons) : rien n'a été enregistré."
            )
        return (
            f"Dépôt « {self.deposit.name} » {who} pris en charge : {len(self.lines)} demande(s) "
            f"— " + ", ".join(parts) + "."
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "vendor_siret": self.vendor_siret,
            "vendor_name": self.vendor_name,
            "file": self.file_name,
            "stored": self.deposit is not None,
            "deposit": None if self.deposit is None else self.deposit.as_dict(),
            "counts": {r.value: self.count(r) for r in Reception},
            "requests": [line.as_dict() for line in self.lines],
            "report": self.report.as_dict(),
        }


# --- the reception, inside the import's unit of work ------------------------------------------


class _AllDuplicates(Exception):
    """Every request of the file is already on record: roll back, store nothing."""

    def __init__(self, lines: list[IntakeLine]) -> None:
        super().__init__("doublons")
        self.lines = lines


_REQUESTS = json_path("requests")


def _subject(path: str) -> int | str:
    """What a finding's path is about: a request's position in the file (« $.demandes[3]… »),
    else its first segment (a request identifier, e.g. « AV-001.client »)."""
    if path.startswith(f"{_REQUESTS}["):
        index = path[len(_REQUESTS) + 1 : path.find("]", len(_REQUESTS))]
        if index.isdigit():
            return int(index)
    return path.split(".", 1)[0].split("[", 1)[0]


def _by_request(findings: Iterable[Finding]) -> dict[int | str, list[Finding]]:
    """Findings grouped by what they are about (see `_subject`), in order; one pass, so that
    a file of thousands of requests and findings is not matched pair by pair."""
    grouped: dict[int | str, list[Finding]] = {}
    for finding in findings:
        grouped.setdefault(_subject(finding.path), []).append(finding)
    return grouped


@dataclass
class _Intake:
    """The operator's `Reception` for one file (see the module docstring)."""

    on: dt.date
    lines: dict[int, IntakeLine] = field(default_factory=dict)
    refiled: list[tuple[StoredRequest, NewRequest]] = field(default_factory=list)
    shas: dict[int, str] = field(default_factory=dict)  # position → content SHA-256
    extra: dict[int, list[Finding]] = field(default_factory=dict)  # position → findings
    report: DepositReport | None = None

    def admit(
        self,
        uow: UnitOfWork,
        vendor_id: int,
        deposit: StoredDeposit,
        file: DepositFile,
        report: DepositReport,
        new: Sequence[NewRequest],
    ) -> Sequence[NewRequest]:
        self.report = report
        repo = repository(uow)
        self.shas = {n.position: content_sha256(file.requests[n.position]) for n in new}
        on_record: dict[tuple[str, RequestKind], list[StoredRequest]] = {}
        for found in repo.find(vendor_id=vendor_id, request_refs=[n.request_ref for n in new]):
            if found.status not in WITHDRAWN:
                on_record.setdefault((found.request_ref, found.kind), []).append(found)
        known = self._known_shas(uow, repo, [r for rs in on_record.values() for r in rs])
        admitted: list[NewRequest] = []
        for item in new:
            earlier = on_record.get((item.request_ref, item.kind), [])
            waiting = [e for e in earlier if e.status in AWAITING_DEPOSIT]
            same = [e for e in earlier if known.get(e.id) == self.shas[item.position]]
            if waiting:
                self._refile(uow, repo, deposit, waiting[-1], item)
            elif same:
                self.lines[item.position] = IntakeLine(
                    item.position, item.request_ref, Reception.DUPLICATE, same[-1], (), same[-1]
                )
            else:
                if earlier:
                    self.extra[item.position] = [_conflict(item, earlier[-1])]
                admitted.append(item)
        if not admitted and not self.refiled:
            raise _AllDuplicates(sorted(self.lines.values(), key=lambda line: line.position))
        return admitted

    def _known_shas(
        self, uow: UnitOfWork, repo: RequestRepository, requests: list[StoredRequest]
    ) -> dict[int, str]:
        """Request id → content SHA-256: from its intakes, else from its deposit's file (a
        request the vendor built in sons and filed, never taken in by the operator)."""
        known = instructions(uow).fingerprints(r.id for r in requests)
        files: dict[int, DepositFile | None] = {}
        for request in requests:
            if request.id in known:
                continue
            if request.deposit_id not in files:
                content = repo.deposit_content(request.deposit_id, JSON_ROLE)
                files[request.deposit_id] = None if content is None else _parse(content[1])
            parsed = files[request.deposit_id]
            if parsed is not None and request.position < len(parsed.requests):
                known[request.id] = content_sha256(parsed.requests[request.position])
        return known

    def _refile(
        self,
        uow: UnitOfWork,
        repo: RequestRepository,
        deposit: StoredDeposit,
        earlier: StoredRequest,
        item: NewRequest,
    ) -> None:
        instructions(uow).refile(earlier, deposit.id, item)
        current = repo.get(earlier.id)
        assert current is not None
        after = fire_on(
            repo,
            current,
            "deposer",
            Audience.VENDOR,
            motive=f"Nouveau dépôt du fournisseur (dépôt « {deposit.name} »)",
            attached=AttachedFile(deposit.json_file_name, deposit.json_sha256),
        )
        reception = Reception.REFILED
        if item.status is Status.INCOMPLETE:  # the new zip fails too: incomplete again
            after = fire_on(
                repo, after, "declarer-incomplete", Audience.OPERATOR, motive=item.motive
            )
            reception = Reception.INCOMPLETE
        self.refiled.append((after, item))
        self.lines[item.position] = IntakeLine(item.position, item.request_ref, reception, after)

    def recorded(
        self,
        uow: UnitOfWork,
        vendor_id: int,
        deposit: StoredDeposit,
        requests: Sequence[StoredRequest],
    ) -> None:
        assert self.report is not None
        report = self.report
        taken = [*requests, *(after for after, _ in self.refiled)]
        # The single call site of the registry and cross-vendor checks (helper module).
        registry = _by_request(findings_at_intake(uow, vendor_id, taken, self.on))
        checked = _by_request(f for f in report.findings if f.severity is not Severity.INFO)
        received: list[ReceivedRequest] = []
        for request in taken:
            position = request.position
            found = (
                checked.get(position, [])
                + self.extra.get(position, [])
                + registry.get(position, [])
                + registry.get(request.request_ref, [])
                + registry.get(str(request.id), [])
            )
            if position in self.lines:  # refiled
                line = self.lines[position]
                outcome = IntakeOutcome.REFILED
            else:
                line = IntakeLine(
                    position,
                    request.request_ref,
                    Reception.CONFLICT
                    if position in self.extra
                    else (
                        Reception.INCOMPLETE
                        if request.status is Status.INCOMPLETE
                        else Reception.RECEIVED
                    ),
                    request,
                )
                outcome = IntakeOutcome.RECEIVED
            self.lines[position] = IntakeLine(
                line.position, line.request_ref, line.reception, request, tuple(found)
            )
            received.append(ReceivedRequest(request.id, self.shas[position], outcome, tuple(found)))
        instructions(uow).record_intake(vendor_id, deposit.id, received)


def _parse(content: bytes) -> DepositFile | None:
    try:
        return DepositFile.model_validate(orjson.loads(content))
    except ValueError:  # pydantic's ValidationError and orjson's JSONDecodeError
        return None


def _conflict(item: NewRequest, earlier: StoredRequest) -> Finding:
    label = status_label(earlier.status, earlier.kind, Audience.OPERATOR)
    return Finding(
        CONFLICT,
        Severity.ERROR,
        f"La demande « {item.request_ref} » est déjà reçue (n° {earlier.id}, « {label} ») avec "
        "un autre contenu : un identifiant désigne une seule demande ; à instruire avec la "
        "demande déjà reçue (rejeter l'une des deux).",
        json_path("requests", item.position),
        "Une demande déjà reçue ne se redépose que lorsque l'opérateur la renvoie « à modifier » "
        "ou la déclare « incomplète ».",
    )


# --- the vendor -------------------------------------------------------------------------------


def _enrolled_vendor(engine: Engine, json_file: Path, file: DepositFile) -> Vendor:
    """The vendor the file names, known and enrolled with the operator; else `DepositRefused`."""
    siret = file.vendor.siret
    with reading(engine) as uow:
        vendor = uow.vendors.by_siret(siret)
    where = f"{json_file.name}, {json_path('vendor', 'siret')}"
    if vendor is None:
        raise DepositRefused(
            f"Dépôt refusé : l'éditeur de SIRET {siret} ({where}) n'est pas connu de l'opérateur "
            "de paiement (aucun éditeur enrôlé sous ce SIRET) ; rien n'a été enregistré."
        )
    if not vendor.enrolment_number:
        raise DepositRefused(
            f"Dépôt refusé : l'éditeur « {vendor.name} » (SIRET {siret}, {where}) n'a pas de "
            "numéro d'enrôlement auprès de l'opérateur de paiement : il n'est pas enrôlé ; rien "
            "n'a été enregistré."
        )
    declared = file.vendor.enrolment_number
    if declared.strip() != vendor.enrolment_number.strip():
        raise DepositRefused(
            f"Dépôt refusé : {json_file.name}, {json_path('vendor', 'enrolment_number')} : "
            f"numéro d'enrôlement « {declared} » différent de celui de l'éditeur de SIRET "
            f"{siret} (« {vendor.enrolment_number} ») ; rien n'a été enregistré."
        )
    return vendor


# --- the use case -----------------------------------------------------------------------------


def intake_deposit(
    engine: Engine,
    json_file: Path,
    zip_file: Path | None,
    *,
    actor: str,
    today: dt.date,
    clock: Clock = system_clock,
    referential: Referential | None = None,
) -> IntakeResult:
    """Take in a vendor's deposit file and its zip (see the module docstring); all or nothing.

    `DepositRefused` (with the check's report when there is one) when nothing is stored: an
    unusable file, an unknown or unenrolled vendor; `DepositInputError` for a missing zip.
    """
    file = load_deposit_file(json_file) if json_file.is_file() else None
    vendor = None if file is None else _enrolled_vendor(engine, json_file, file)
    reception = _Intake(today)
    try:
        outcome = import_deposit(
            engine,
            json_file,
            zip_file,
            actor=actor,
            today=today,
            clock=clock,
            referential=referential,
            reception=reception,
        )
    except _AllDuplicates as duplicates:
        assert vendor is not None and reception.report is not None
        return IntakeResult(
            vendor.siret,
            vendor.name,
            None,
            tuple(duplicates.lines),
            reception.report,
            json_file.name,
        )
    assert vendor is not None  # import_deposit refuses a file it cannot read
    if not outcome.created:  # the very same file again: every request is a doublon
        lines = tuple(
            IntakeLine(r.position, r.request_ref, Reception.DUPLICATE, r, (), r)
            for r in outcome.requests
        )
        return IntakeResult(vendor.siret, vendor.name, None, lines, outcome.report, json_file.name)
    lines = tuple(sorted(reception.lines.values(), key=lambda line: line.position))
    return IntakeResult(
        vendor.siret, vendor.name, outcome.deposit, lines, outcome.report, json_file.name
    )
