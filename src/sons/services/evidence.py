"""Evidence for the balance: import the transmissions log, declare the installed scenario,
record the MOM and the VA, and tell per order and site what is still missing.

- `import_transmissions`: streamed, all or nothing — unless `skip_invalid`, which stores the
  good lines and writes the bad ones, with their reasons, to `<name>.rejets.csv` beside the
  file (atomically, once the store has committed). Idempotent twice over: the same file
  (SHA-256) is not read again, and a message id already stored with the same content is not
  counted again (with another content, it is an error).
- `install_scenario`: the scenario actually installed on a site (the ordered one stands
  without it); journaled.
- `record_mom`, `upload_va`: a MOM or a VA for an order site, with the flows it attests, who and
  when; the VA's PDF is checked (is it a PDF, does its signature hold) and kept, rejected when
  its signature does not hold. A piece that contradicts the installed scenario is a finding.
- `readiness`: for each order and site, each balance condition of the scenario against the
  transmissions counted and the pieces recorded (`sons.domain.evidence`), with the conditions of
  the referential in force at the order's signature date.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

from sons.documents.signature import PdfCheck, check_signed_pdf
from sons.domain.evidence import (
    ConditionReadiness,
    Criterion,
    EvidencePiece,
    OrderReadiness,
    SiteReadiness,
    Tally,
    assess_site,
    contradictions,
    criterion_for,
    flow_route_text,
    parse_flow_routes,
    readiness_text,
)
from sons.domain.orders import directory_key
from sons.findings import Finding, Severity
from sons.formats.encoding import Progress
from sons.formats.problems import ImportProblem, ImportReport
from sons.formats.records import load_json
from sons.formats.transmissions import (
    KIND,
    REJECT_COLUMNS,
    TransmissionLine,
    read_transmissions,
    reject_row,
)
from sons.referential.loader import (
    DispositifAtDate,
    Referential,
    UnknownDispositif,
    default_referential,
)
from sons.referential.model import FLOW_LABELS, ROUTE_LABELS, BalanceCondition, Evidence
from sons.referential.scenario import (
    INPUT_CODES,
    applicable_balance_conditions,
    check_answers,
    explain,
)
from sons.services.actors import reading
from sons.store.errors import NotFoundError, StoreError
from sons.store.evidence import (
    ACCEPTED,
    REJECTED,
    Conflict,
    EvidenceRepository,
    OrderSiteRef,
    StoredPiece,
    count_transmissions,
    software_ids,
)
from sons.store.imports import ImportBatch, ImportKind, already_imported_message, file_sha256
from sons.store.orders import StoredOrder
from sons.store.unit_of_work import Clock, UnitOfWork, system_clock

REJECTS_SUFFIX = ".rejets.csv"


class EvidenceRequestError(StoreError):
    """A request that cannot be done as asked (unknown order or site, unusable file); French."""


# --- import -----------------------------------------------------------------------------------


@dataclass
class TransmissionImport:
    """What an import of a transmissions log did."""

    report: ImportReport
    batch: ImportBatch | None = None
    earlier: ImportBatch | None = None
    stored: int = 0
    already_stored: int = 0
    duplicates: int = 0
    rejected: int = 0
    rejects_file: Path | None = None

    @property
    def refused(self) -> bool:
        return self.batch is None and self.earlier is None

    def message(self) -> str:
        if self.earlier is not None:
            return already_imported_message(self.earlier)
        if self.batch is None:
            return self.report.summary()
        parts = [f"{self.stored} envoi(s) enregistré(s)"]
        if self.already_stored:
            parts.append(f"{self.already_stored} déjà enregistré(s) par un import précédent")
        if self.duplicates:
            parts.append(f"{self.duplicates} doublon(s) identique(s) comptés une fois")
        if self.rejected:
            where = f" dans {self.rejects_file.name}" if self.rejects_file else ""
            parts.append(f"{self.rejected} ligne(s) rejetée(s), écrites avec leurs motifs{where}")
        return (
            f"{self.report.file} ({KIND}) importé (import n° {self.batch.id}) : "
            + ", ".join(parts)
            + "."
        )

    def as_dict(self) -> dict[str, Any]:
        batch = self.batch or self.earlier
        status = "refused" if self.refused else "already_imported" if self.earlier else "imported"
        return {
            "status": status,
            "message": self.message(),
            "import_id": None if batch is None else batch.id,
            "stored": self.stored,
            "already_stored": self.already_stored,
            "duplicates": self.duplicates,
            "rejected": self.rejected,
            "rejects_file": None if self.rejects_file is None else str(self.rejects_file),
            "report": self.report.as_dict(),
        }


class _Rejects:
    """The rejects file, written to a temporary file beside the target and renamed into place
    only once the store has committed: a reader never sees half a file, nor one that disagrees
    with the store."""

    def __init__(self, target: Path) -> None:
        self.target = target
        handle, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
        self._temporary = Path(name)
        self._stream = os.fdopen(handle, "w", encoding="utf-8", newline="")
        self._writer = csv.writer(self._stream, delimiter=";")
        self._writer.writerow(REJECT_COLUMNS)
        self.count = 0

    def write(self, row: list[str]) -> None:
        self._writer.writerow(row)
        self.count += 1

    def commit(self) -> Path | None:
        self._stream.flush()
        os.fsync(self._stream.fileno())
        self._stream.close()
        if not self.count:
            self._temporary.unlink(missing_ok=True)
            return None
        os.chmod(self._temporary, 0o644)
        os.replace(self._temporary, self.target)
        return self.target

    def discard(self) -> None:
        if not self._stream.closed:
            self._stream.close()
        self._temporary.unlink(missing_ok=True)


class _Refused(Exception):
    pass


def rejects_path(path: Path) -> Path:
    """« journal.csv » → « journal.rejets.csv », beside it."""
    return path.with_name(path.stem + REJECTS_SUFFIX)


def import_transmissions(
    engine: Engine,
    path: Path,
    *,
    vendor_id: int,
    skip_invalid: bool = False,
    actor: str,
    clock: Clock = system_clock,
    progress: Progress | None = None,
) -> TransmissionImport:
    """Import a transmissions log for one vendor (see the module docstring)."""
    report = ImportReport.for_path(path, KIND)
    if not path.is_file():
        report.error(None, None, str(path), "FILE_NOT_FOUND", "fichier introuvable")
        return TransmissionImport(report)
    sha256 = file_sha256(path)
    rejects = _Rejects(rejects_path(path)) if skip_invalid else None
    outcome = TransmissionImport(report)
    try:
        with UnitOfWork(engine, actor, clock) as uow:
            earlier = uow.imports.find(ImportKind.TRANSMISSIONS, sha256, vendor_id=vendor_id)
            if earlier is not None:
                if rejects is not None:
                    rejects.discard()
                return TransmissionImport(report, earlier=earlier)
            batch = uow.imports.register(
                ImportKind.TRANSMISSIONS, path.name, sha256, vendor_id=vendor_id
            )
            repository = EvidenceRepository(uow.session, uow.journal, uow.now)
            batches = {b.id: b for b in uow.imports.all(vendor_id=vendor_id)}

            def settle(conflicts: list[Conflict]) -> None:
                for conflict in conflicts:
                    problem = _conflict_problem(report, conflict, batch, batches)
                    if problem is None:
                        if conflict.earlier_batch_id == batch.id:
                            outcome.duplicates += 1
                        else:
                            outcome.already_stored += 1
                        continue
                    report.add(problem)
                    outcome.rejected += 1
                    if rejects is not None:
                        line = TransmissionLine(conflict.line, None, conflict.payload)
                        rejects.write(reject_row(line, (problem,)))

            lines = read_transmissions(
                path,
                report,
                now=uow.now(),
                known_sites=repository.known_sites(vendor_id),
                progress=progress,
            )
            with repository.writer(vendor_id, batch.id) as writer:
                for item in lines:
                    if item.transmission is None:
                        outcome.rejected += 1
                        if rejects is not None:
                            rejects.write(reject_row(item))
                        continue
                    settle(writer.add(item.line, item.transmission, item.values))
                settle(writer.flush())
            if report.has_errors and not skip_invalid:
                raise _Refused
            outcome.stored = writer.written
            outcome.batch = uow.imports.complete(batch, writer.written)
    except _Refused:
        if rejects is not None:
            rejects.discard()
        return TransmissionImport(report)
    except BaseException:
        if rejects is not None:
            rejects.discard()
        raise
    if rejects is not None:
        outcome.rejects_file = rejects.commit()
    return outcome


def _conflict_problem(
    report: ImportReport,
    conflict: Conflict,
    batch: ImportBatch,
    batches: Mapping[int, ImportBatch],
) -> ImportProblem | None:
    """None for the same message seen again (counted once); an error for another content."""
    message_id = conflict.transmission.message_id
    if conflict.earlier_batch_id == batch.id:
        where = f"à la ligne {conflict.earlier_line} de ce fichier"
    else:
        earlier = batches.get(conflict.earlier_batch_id)
        name = f", fichier « {earlier.file_name} »" if earlier else ""
        where = f"par l'import n° {conflict.earlier_batch_id}{name}, ligne {conflict.earlier_line}"
    if conflict.same_content:
        if conflict.earlier_batch_id == batch.id:
            report.info(
                conflict.line,
                "id_message",
                message_id,
                "TRANSMISSION_DUPLICATE",
                f"même envoi (même identifiant, même contenu) qu'{where} : compté une fois",
            )
        return None
    return ImportProblem(
        report.file,
        conflict.line,
        "id_message",
        message_id,
        "TRANSMISSION_ID_CONFLICT",
        f"identifiant de message « {message_id} » déjà utilisé {where} pour un envoi différent "
        f"({', '.join(conflict.differences)} diffère(nt)) : un identifiant désigne un seul "
        "envoi ; la première ligne est gardée",
    )


# --- orders, sites and scenarios ----------------------------------------------------------------


@dataclass(frozen=True)
class SiteContext:
    """One order site with what readiness needs of it."""

    ref: OrderSiteRef
    answers: dict[str, Any]
    installed: bool
    conditions: tuple[BalanceCondition, ...]
    findings: tuple[Finding, ...]


class _Scenarios:
    """What a scenario triggers, computed once per (dispositif at date, answers, position):
    thousands of sites share a handful of scenarios."""

    def __init__(self, referential: Referential) -> None:
        self._referential = referential
        self._views: dict[tuple[str, dt.date], DispositifAtDate] = {}
        self._found: dict[tuple[str, dt.date, str, int], tuple[Any, ...]] = {}

    def view(self, order: StoredOrder) -> DispositifAtDate:
        # The conditions in force at the signature date: what the order is pinned to.
        key = (order.order.dispositif, order.order.signed_on)
        found = self._views.get(key)
        if found is None:
            found = self._views[key] = self._referential.at(*key)
        return found

    def site(
        self, order: StoredOrder, ref: OrderSiteRef, installed: Mapping[str, Any] | None
    ) -> SiteContext:
        raw = dict(installed) if installed is not None else dict(ref.ordered_answers)
        view = self.view(order)
        key = (view.code, view.on, json.dumps(raw, sort_keys=True, default=str), ref.position)
        found = self._found.get(key)
        if found is None:
            answers, problems = check_answers(view, raw, prefix=f"sites[{ref.position}]")
            conditions = tuple(applicable_balance_conditions(view, answers))
            found = self._found[key] = (conditions, tuple(problems))
        conditions, findings = found
        return SiteContext(ref, raw, installed is not None, conditions, findings)


def _piece(stored: StoredPiece) -> EvidencePiece:
    flows, _ = parse_flow_routes(",".join(stored.flows))
    kind = Evidence(stored.kind)
    return EvidencePiece(
        kind=kind,
        flows=flows,
        recorded_at=stored.recorded_at,
        recorded_by=stored.recorded_by,
        reference=f"La {kind.value} n° {stored.id} du {stored.recorded_at:%d/%m/%Y}",
        accepted=stored.status == ACCEPTED,
        signer=stored.signer,
        signed_at=stored.signed_at,
    )


def _find_site(order: StoredOrder, sites: Sequence[OrderSiteRef], finess: str) -> OrderSiteRef:
    wanted = directory_key(finess)
    for site in sites:
        if site.finess_et is not None and directory_key(site.finess_et) == wanted:
            return site
    listed = ", ".join(s.finess_et or "sans FINESS" for s in sites) or "aucun"
    raise EvidenceRequestError(
        f"Le site FINESS {wanted} n'est pas un site du bon de commande {order.number} "
        f"(sites : {listed})."
    )


def _require_order(uow: UnitOfWork, vendor_id: int, number: str) -> StoredOrder:
    found = uow.orders.get(vendor_id, number)
    if found is None:
        raise EvidenceRequestError(
            f"Le bon de commande {number} n'existe pas pour cet éditeur "
            "(sons order list pour les voir)."
        )
    return found


@dataclass
class ScenarioOutcome:
    number: str
    finess_et: str
    changed: bool
    conditions: tuple[BalanceCondition, ...]
    findings: list[Finding] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "order": self.number,
            "finess_et": self.finess_et,
            "changed": self.changed,
            "conditions": [
                {"id": c.id, "flow": c.flow.value, "route": c.route.value, "evidence": c.evidence}
                for c in self.conditions
            ],
            "findings": [f.as_dict() for f in self.findings],
        }


def read_answers(path: Path) -> dict[str, Any]:
    """The answers of a JSON file {"question": value}; `EvidenceRequestError` when unusable."""
    report = ImportReport.for_path(path, "réponses au questionnaire")
    document = load_json(path, report, "le fichier de réponses")
    if report.has_errors:
        raise EvidenceRequestError("; ".join(str(p) for p in report.errors))
    if not isinstance(document, dict):
        raise EvidenceRequestError(
            f"{path.name} : objet JSON attendu, une clé par question (par exemple "
            '{"dmp_direct": true, …})'
        )
    return {str(key): value for key, value in document.items()}


def install_scenario(
    engine: Engine,
    *,
    vendor_id: int,
    number: str,
    finess: str,
    answers: Mapping[str, Any],
    source: str | None,
    actor: str,
    clock: Clock = system_clock,
    referential: Referential | None = None,
) -> ScenarioOutcome:
    """Declare the scenario actually installed on one site of an order. Answers that cannot be
    read (unknown question, wrong type) refuse it; other findings are reported."""
    referential = referential or default_referential()
    with UnitOfWork(engine, actor, clock) as uow:
        order = _require_order(uow, vendor_id, number)
        repository = EvidenceRepository(uow.session, uow.journal, uow.now)
        sites = repository.order_sites(vendor_id, [order.id]).get(order.id, [])
        site = _find_site(order, sites, finess)
        view = _Scenarios(referential).view(order)
        solution = uow.solutions.get(vendor_id, order.order.solution_referencing_number)
        profiles = solution.profiles if solution else frozenset()
        explanation = explain(view, answers, obtained_profiles=profiles, prefix="$")
        unusable = [f for f in explanation.findings if f.code in INPUT_CODES or "ANSWER" in f.code]
        if unusable:
            raise EvidenceRequestError(
                "Scénario installé refusé, rien n'est enregistré :\n"
                + "\n".join(f"- {f.path} : {f.message}" for f in unusable)
            )
        _, changed = repository.set_installed(
            vendor_id, order.number, site, answers, declared_by=actor, source=source
        )
        conditions = tuple(applicable_balance_conditions(view, explanation.answers))
        findings = list(explanation.findings)
        label = f"site {site.finess_et}"
        for stored in repository.pieces(vendor_id, [order.id]).get(site.id, []):
            findings.extend(contradictions(_piece(stored), conditions, label, path="$"))
    return ScenarioOutcome(order.number, site.finess_et or "", changed, conditions, findings)


# --- MOM and VA ---------------------------------------------------------------------------------


@dataclass
class PieceOutcome:
    kind: Evidence
    number: str
    finess_et: str
    piece_id: int | None
    flows: tuple[str, ...]
    scenario_installed: bool
    accepted: bool
    findings: list[Finding] = field(default_factory=list)
    pdf: PdfCheck | None = None

    def message(self) -> str:
        flows = ", ".join(
            flow_route_text(p) for p in sorted(parse_flow_routes(",".join(self.flows))[0])
        )
        scenario = (
            "installé" if self.scenario_installed else "commandé (aucun scénario installé déclaré)"
        )
        state = "enregistrée" if self.accepted else "enregistrée mais REJETÉE"
        text = (
            f"{self.kind.value} n° {self.piece_id} {state} pour le bon {self.number}, site "
            f"{self.finess_et} : flux attestés {flows or 'aucun'} ; scénario de référence : "
            f"{scenario}."
        )
        if self.pdf is not None:
            text += f" PDF SHA-256 {self.pdf.sha256} ; {self.pdf.summary()}."
        return text

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind.value,
            "order": self.number,
            "finess_et": self.finess_et,
            "id": self.piece_id,
            "flows": list(self.flows),
            "scenario_installed": self.scenario_installed,
            "status": ACCEPTED if self.accepted else REJECTED,
            "message": self.message(),
            "pdf": None if self.pdf is None else self.pdf.as_dict(),
            "findings": [f.as_dict() for f in self.findings],
        }


def _flows_text(pairs: Iterable[tuple[Any, Any]]) -> tuple[str, ...]:
    return tuple(sorted(f"{flow.value}/{route.value}" for flow, route in pairs))


def _record(
    engine: Engine,
    *,
    vendor_id: int,
    number: str,
    finess: str,
    kind: Evidence,
    flows_text: str | None,
    recorded_by: str | None,
    actor: str,
    clock: Clock,
    referential: Referential,
    pdf: tuple[str, bytes, PdfCheck] | None = None,
) -> PieceOutcome:
    with UnitOfWork(engine, actor, clock) as uow:
        order = _require_order(uow, vendor_id, number)
        repository = EvidenceRepository(uow.session, uow.journal, uow.now)
        sites = repository.order_sites(vendor_id, [order.id]).get(order.id, [])
        site = _find_site(order, sites, finess)
        installed = repository.installed(vendor_id, [order.id]).get(site.id)
        context = _Scenarios(referential).site(
            order, site, None if installed is None else installed.answers
        )
        if flows_text is None:
            # A VA attests the interfaces of the installed scenario whose piece is the VA.
            pairs = frozenset((c.flow, c.route) for c in context.conditions if c.evidence is kind)
        else:
            pairs, problems = parse_flow_routes(flows_text)
            if problems:
                raise EvidenceRequestError("--flows : " + " ; ".join(problems))
        findings: list[Finding] = []
        accepted = True
        file_name = sha256 = signer = None
        content = None
        signed_at = None
        verification: dict[str, Any] = {}
        if pdf is not None:
            file_name, content, check = pdf
            sha256, signer, signed_at = check.sha256, check.signer, check.signed_at
            verification = check.as_dict()
            findings.extend(check.findings)
            accepted = check.acceptable
        flows = _flows_text(pairs)
        stored = repository.add_piece(
            vendor_id,
            order.number,
            site,
            kind=kind.value,
            flows=flows,
            scenario=context.answers,
            scenario_installed=context.installed,
            status=ACCEPTED if accepted else REJECTED,
            recorded_by=recorded_by or actor,
            file_name=file_name,
            sha256=sha256,
            content=content,
            signer=signer,
            signed_at=signed_at,
            verification=verification,
        )
        label = f"site {site.finess_et}"
        findings.extend(contradictions(_piece(stored), context.conditions, label, path=finess))
        if not context.installed:
            findings.append(
                Finding(
                    "EVIDENCE_SCENARIO_ORDERED",
                    Severity.INFO,
                    f"Aucun scénario installé n'est déclaré pour le site {site.finess_et} : la "
                    f"{kind.value} est rapprochée du scénario commandé (sons evidence install "
                    "pour déclarer le scénario effectivement installé).",
                    finess,
                    "EVIDENCE_SCENARIO_ORDERED",
                )
            )
    return PieceOutcome(
        kind,
        order.number,
        site.finess_et or "",
        stored.id,
        flows,
        context.installed,
        accepted,
        findings,
        None if pdf is None else pdf[2],
    )


def record_mom(
    engine: Engine,
    *,
    vendor_id: int,
    number: str,
    finess: str,
    flows: str,
    recorded_by: str | None = None,
    actor: str,
    clock: Clock = system_clock,
    referential: Referential | None = None,
) -> PieceOutcome:
    """Record the vendor's MOM for the flows given (« dmp/direct,mss_pro/direct »)."""
    return _record(
        engine,
        vendor_id=vendor_id,
        number=number,
        finess=finess,
        kind=Evidence.MOM,
        flows_text=flows,
        recorded_by=recorded_by,
        actor=actor,
        clock=clock,
        referential=referential or default_referential(),
    )


def upload_va(
    engine: Engine,
    *,
    vendor_id: int,
    number: str,
    finess: str,
    pdf_path: Path,
    flows: str | None = None,
    recorded_by: str | None = None,
    actor: str,
    clock: Clock = system_clock,
    referential: Referential | None = None,
) -> PieceOutcome:
    """Check and record the client's signed VA (PDF). Not a PDF: refused, nothing stored; a
    signature that does not hold: stored as rejected (never counted), with the finding."""
    if not pdf_path.is_file():
        raise EvidenceRequestError(f"Fichier introuvable : « {pdf_path} ».")
    data = pdf_path.read_bytes()
    check = check_signed_pdf(data, pdf_path.name)
    if check.pages is None:
        raise EvidenceRequestError(
            "VA refusée, rien n'est enregistré : " + " ".join(f.message for f in check.findings)
        )
    return _record(
        engine,
        vendor_id=vendor_id,
        number=number,
        finess=finess,
        kind=Evidence.VA,
        flows_text=flows,
        recorded_by=recorded_by,
        actor=actor,
        clock=clock,
        referential=referential or default_referential(),
        pdf=(pdf_path.name, data, check),
    )


# --- readiness ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReadinessReport:
    """Readiness of a vendor's orders on `as_of`, with the software seen in its logs."""

    as_of: dt.date
    orders: tuple[OrderReadiness, ...]
    software_seen: tuple[tuple[str, str], ...]

    @property
    def ready(self) -> int:
        return sum(1 for o in self.orders if o.verdict.ready is True)

    def as_dict(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of.isoformat(),
            "orders": [readiness_dict(o) for o in self.orders],
            "software_seen": [{"name": n, "version": v} for n, v in self.software_seen],
            "summary": {
                "orders": len(self.orders),
                "ready": self.ready,
                "short": sum(1 for o in self.orders if o.verdict.ready is False),
                "undetermined": sum(1 for o in self.orders if o.verdict.ready is None),
            },
        }


def readiness(
    engine: Engine,
    *,
    vendor_id: int,
    numbers: Sequence[str] | None = None,
    clock: Clock = system_clock,
    referential: Referential | None = None,
) -> ReadinessReport:
    """Where each order stands against its balance conditions (all the vendor's orders, or
    those of `numbers`)."""
    referential = referential or default_referential()
    as_of = clock().astimezone(dt.UTC).date()
    with reading(engine) as uow:
        orders = uow.orders.load_all(vendor_id, numbers=numbers)
        if numbers is not None:
            missing = sorted(set(numbers) - {o.number for o in orders})
            if missing:
                raise NotFoundError(
                    f"Bon(s) de commande inconnu(s) pour cet éditeur : {', '.join(missing)}."
                )
        solutions = {s.referencing_number: s for s in uow.solutions.all(vendor_id)}
        repository = EvidenceRepository(uow.session, uow.journal, uow.now)
        ids = [o.id for o in orders]
        sites = repository.order_sites(vendor_id, ids)
        installed = repository.installed(vendor_id, ids)
        pieces = repository.pieces(vendor_id, ids)
        software = repository.software(vendor_id)

    scenarios = _Scenarios(referential)
    plans: list[tuple[StoredOrder, DispositifAtDate | None, list[SiteContext], list[Finding]]] = []
    # One criterion per condition of each order site; its key is its index in `criteria`.
    criteria: list[tuple[int, Criterion, Sequence[int]]] = []
    keys: dict[tuple[int, int, str], int] = {}
    for stored in orders:
        order = stored.order
        solution = solutions[order.solution_referencing_number]
        findings: list[Finding] = []
        try:
            view: DispositifAtDate | None = scenarios.view(stored)
        except UnknownDispositif as error:
            findings.append(
                Finding("ORDER_DISPOSITIF_UNKNOWN", Severity.ERROR, str(error), "dispositif")
            )
            view = None
        if order.referential_pin != referential.pin:
            findings.append(
                Finding(
                    "ORDER_REFERENTIAL_PIN_OUTDATED",
                    Severity.INFO,
                    f"Bon rattaché au référentiel {order.referential_pin} ; conditions lues dans "
                    f"le référentiel chargé {referential.pin}, en vigueur au "
                    f"{order.signed_on:%d/%m/%Y} (sons order rebase pour le rattacher).",
                    "referential_pin",
                )
            )
        contexts: list[SiteContext] = []
        matching = software_ids(software, solution.name, solution.version)
        if view is not None:
            for ref in sites.get(stored.id, []):
                scenario = installed.get(ref.id)
                context = scenarios.site(
                    stored, ref, None if scenario is None else scenario.answers
                )
                contexts.append(context)
                for condition in context.conditions:
                    key = len(keys)
                    keys[(stored.id, ref.id, condition.id)] = key
                    criterion = criterion_for(
                        condition,
                        ref.finess_et,
                        solution.name,
                        solution.version,
                        order.signed_on,
                        as_of,
                    )
                    criteria.append((key, criterion, matching))
        if software and not matching and contexts:
            seen = ", ".join(f"{n} {v}" for _, n, v in software[:8])
            findings.append(
                Finding(
                    "EVIDENCE_SOFTWARE_NOT_SEEN",
                    Severity.WARNING,
                    f"Aucun envoi du logiciel « {solution.name} » version {solution.version} "
                    f"(la solution du bon) dans les journaux importés ; logiciels vus : {seen}.",
                    "solution",
                )
            )
        plans.append((stored, view, contexts, findings))

    with engine.connect() as connection, connection.begin():
        tallies = count_transmissions(connection, vendor_id, criteria)

    results: list[OrderReadiness] = []
    for stored, _, contexts, findings in plans:
        order = stored.order
        solution = solutions[order.solution_referencing_number]
        site_results: list[SiteReadiness] = []
        for context in contexts:
            ref = context.ref
            site_criteria = {}
            site_tallies: dict[str, Tally] = {}
            for condition in context.conditions:
                key = keys[(stored.id, ref.id, condition.id)]
                site_criteria[condition.id] = criteria[key][1]
                site_tallies[condition.id] = tallies.get(key, Tally())
            site_results.append(
                assess_site(
                    ref.finess_et,
                    context.conditions,
                    site_criteria,
                    site_tallies,
                    [_piece(p) for p in pieces.get(ref.id, [])],
                    scenario_installed=context.installed,
                    period_end=as_of,
                    scenario_findings=context.findings,
                )
            )
        results.append(
            OrderReadiness(
                number=order.number,
                dispositif=order.dispositif,
                signed_on=order.signed_on,
                referential_on=order.signed_on,
                solution=f"{solution.name} {solution.version}",
                sites=tuple(site_results),
                findings=tuple(findings),
            )
        )
    return ReadinessReport(as_of, tuple(results), tuple((n, v) for _, n, v in software))


def _tally_dict(tally: Tally) -> dict[str, Any]:
    return {
        "count": tally.count,
        "first": None if tally.first is None else tally.first.isoformat(),
        "last": None if tally.last is None else tally.last.isoformat(),
    }


def condition_dict(item: ConditionReadiness) -> dict[str, Any]:
    condition, status = item.condition, item.status
    return {
        "id": condition.id,
        "flow": condition.flow.value,
        "flow_label": FLOW_LABELS[condition.flow],
        "route": condition.route.value,
        "route_label": ROUTE_LABELS[condition.route],
        "condition": condition.condition,
        "threshold": condition.threshold,
        "ins_qualified": condition.ins_qualified,
        "document_type": condition.document_type,
        "recipient": condition.recipient,
        "counted": _tally_dict(item.tally),
        "uncountable": item.criterion.unsupported,
        "criterion": item.criterion.describe(),
        "period": {
            "start": status.counts.period_start.isoformat(),
            "end": status.counts.period_end.isoformat(),
        },
        "evidence": condition.evidence.value,
        "evidence_present": status.evidence_present,
        "pieces": [p.reference for p in item.pieces],
        "ready": item.verdict.ready,
        "verdict": item.verdict.text,
        "gaps": list(item.verdict.gaps),
    }


def readiness_dict(order: OrderReadiness) -> dict[str, Any]:
    verdict = order.verdict
    return {
        "order": order.number,
        "dispositif": order.dispositif,
        "signed_on": order.signed_on.isoformat(),
        "conditions_in_force_on": order.referential_on.isoformat(),
        "solution": order.solution,
        "ready": verdict.ready,
        "verdict": readiness_text(verdict),
        "gaps": list(verdict.gaps),
        "findings": [f.as_dict() for f in order.findings],
        "sites": [
            {
                "finess_et": site.finess_et,
                "scenario": "installed" if site.scenario_installed else "ordered",
                "ready": site.verdict.ready,
                "verdict": readiness_text(site.verdict),
                "gaps": list(site.verdict.gaps),
                "conditions": [condition_dict(c) for c in site.conditions],
                "findings": [f.as_dict() for f in site.findings],
            }
            for site in order.sites
        ],
    }
