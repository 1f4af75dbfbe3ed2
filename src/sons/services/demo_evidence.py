"""The evidence part of `sons demo`: a transmissions log, as the demo vendor's RIS would write
it, imported; where three orders stand for the balance; and their documents in PDF.

Three clean RIS orders of the demo (the last three, so that the deposits part, which takes the
first ones, is not touched): the first has every count and its MOM (« prêt pour le solde »),
the second is three DMP reports short of the threshold, the third sent its reports without a
qualified INS (none of them counts) and has no MOM yet. The log is made by code, deterministic
and fictional, and left in the output folder for the reader to replay the import.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sons.atomic_write import write_atomically
from sons.documents.layout import write_pdf
from sons.domain.evidence import InsStatus
from sons.domain.identifiers import MSS_CITIZEN_TEST_ADDRESS
from sons.formats.transmissions import NAMES
from sons.referential.loader import Referential, default_referential
from sons.referential.model import Flow, Route
from sons.services.actors import reading
from sons.services.demo_deposits import _clock as ticking_clock
from sons.services.documents import DOCUMENT_LABELS, DocumentKind, build_document
from sons.services.evidence import (
    PieceOutcome,
    ReadinessReport,
    TransmissionImport,
    import_transmissions,
    readiness,
    record_mom,
)
from sons.services.orders import CheckReport
from sons.store.database import open_store
from sons.store.errors import StoreError

DEMO_CODE = "RAD-RIS-Va1"
# The day the vendor looks at its evidence: before the demo's balance (2023-10-02).
EVIDENCE_DAY = dt.date(2023, 9, 15)
SHOWN_ORDERS = 3
RADIOLOGY_REPORT = "18748-4"  # LOINC « Diagnostic imaging study »
PRO_RECIPIENT = "secretariat.demo@demo.mssante.fr"  # made up, like all demo data
# How many reports each flow of a site sent, per order: ready, short, INS not qualified.
_SENT = {Flow.DMP: (12, 7, 12), Flow.MSS_PRO: (10, 10, 10), Flow.MSS_PATIENT: (1, 1, 1)}
_RECIPIENTS = {Flow.MSS_PRO: PRO_RECIPIENT, Flow.MSS_PATIENT: MSS_CITIZEN_TEST_ADDRESS}
_INS = (InsStatus.QUALIFIED, InsStatus.QUALIFIED, InsStatus.NOT_QUALIFIED)
# What each order shows, for people.
ROLES = (
    "tous les envois et la MOM : prêt pour le solde",
    "trois comptes rendus de moins que le seuil vers le DMP",
    "comptes rendus envoyés sans INS qualifiée, MOM pas encore enregistrée",
)
FILES = {
    DocumentKind.ORDER: "bon-de-commande",
    DocumentKind.MOM: "mom",
    DocumentKind.VA: "va",
    DocumentKind.BALANCE_SUMMARY: "recapitulatif-solde",
}


@dataclass(frozen=True)
class WrittenDocument:
    number: str
    kind: DocumentKind
    path: Path

    @property
    def label(self) -> str:
        return DOCUMENT_LABELS[self.kind]


@dataclass(frozen=True)
class EvidenceTour:
    log: Path
    imported: TransmissionImport
    orders: tuple[tuple[str, str], ...]  # (order number, what it shows)
    moms: tuple[PieceOutcome, ...]
    readiness: ReadinessReport
    documents: tuple[WrittenDocument, ...]
    day: dt.date = EVIDENCE_DAY


def _orders(report: CheckReport) -> list[str]:
    ris = [c for c in report.checks if c.stored.order.dispositif.upper() == DEMO_CODE.upper()]
    clean = [c.number for c in ris if not c.errors]
    return clean[-SHOWN_ORDERS:]


def _lines(
    number: str, role: int, sites: list[str], signed_on: dt.date, software: tuple[str, str]
) -> Iterator[list[str]]:
    """The log lines of one order: per site and flow, reports sent on successive days after
    the signature, each acknowledged; MSS Patient goes to the citizen test address."""
    name, version = software
    for site in sites:
        for flow, counts in _SENT.items():
            for index in range(counts[role]):
                sent = dt.datetime.combine(
                    signed_on + dt.timedelta(days=30 + index), dt.time(10, 0), tzinfo=dt.UTC
                )
                values = {
                    "horodatage": sent.isoformat(),
                    "finess_et": site,
                    "flux": flow.value,
                    "voie": Route.DIRECT.value,
                    # MSS Patient to the test address needs no qualified INS.
                    "statut_ins": _INS[role].value
                    if flow is not Flow.MSS_PATIENT
                    else InsStatus.ABSENT.value,
                    "type_document": RADIOLOGY_REPORT,
                    "destinataire": _RECIPIENTS.get(flow, ""),
                    "accuse": "ok",
                    "logiciel": name,
                    "version_logiciel": version,
                    "id_message": f"DEMO-{number}-{site}-{flow.value}-{index + 1:03d}",
                }
                yield [values[column] for column in NAMES]


def _write_log(path: Path, rows: list[list[str]]) -> Path:
    text = io.StringIO()
    writer = csv.writer(text, delimiter=";", lineterminator="\n")
    writer.writerow(NAMES)
    writer.writerows(rows)
    write_atomically(path, text.getvalue())
    return path


def evidence_tour(
    database: Path,
    output_dir: Path,
    vendor_siret: str,
    report: CheckReport,
    actor: str,
    referential: Referential | None = None,
) -> EvidenceTour:
    """Log written and imported, MOMs recorded, readiness computed, documents written, in the
    demo's database (its orders already imported and checked: `report`)."""
    referential = referential or default_referential()
    folder = output_dir / "preuves"
    shutil.rmtree(folder, ignore_errors=True)  # the previous run's files, like its database
    folder.mkdir(parents=True)
    numbers = _orders(report)
    if len(numbers) < SHOWN_ORDERS:  # the demo's own data: a bug of the demo, said plainly
        raise ValueError(
            f"Données de démonstration : moins de {SHOWN_ORDERS} bons RIS sans erreur."
        )
    # The deposits part's clock (09:00 UTC on the day, a second per reading): one, not two.
    clock = ticking_clock(EVIDENCE_DAY)
    engine = open_store(f"sqlite:///{database}")
    try:
        with reading(engine) as uow:
            vendor_id = uow.vendors.id_of(vendor_siret)
            if vendor_id is None:
                raise StoreError(f"Éditeur de démonstration {vendor_siret} absent de la base.")
            stored = {o.number: o.order for o in uow.orders.load_all(vendor_id, numbers=numbers)}
            solutions = {s.referencing_number: s for s in uow.solutions.all(vendor_id)}
        rows: list[list[str]] = []
        for role, number in enumerate(numbers):
            order = stored[number]
            solution = solutions[order.solution_referencing_number]
            sites = [s.finess_et for s in order.sites if s.finess_et]
            rows += _lines(number, role, sites, order.signed_on, (solution.name, solution.version))
        log = _write_log(folder / "journal-des-envois.csv", rows)
        imported = import_transmissions(engine, log, vendor_id=vendor_id, actor=actor, clock=clock)
        if imported.refused:
            raise ValueError("Journal de démonstration refusé : " + imported.message())
        moms = []
        for number in numbers[:2]:  # the third order has no MOM yet
            for site in stored[number].sites:
                moms.append(
                    record_mom(
                        engine,
                        vendor_id=vendor_id,
                        number=number,
                        finess=site.finess_et or "",
                        flows="dmp/direct,mss_pro/direct,mss_patient/direct",
                        actor=actor,
                        clock=clock,
                        referential=referential,
                    )
                )
        state = readiness(
            engine, vendor_id=vendor_id, numbers=numbers, clock=clock, referential=referential
        )
        documents = []
        # Every document of the ready order; the balance summary of the two others.
        wanted = [(numbers[0], kind) for kind in FILES]
        wanted += [(number, DocumentKind.BALANCE_SUMMARY) for number in numbers[1:]]
        for number, kind in wanted:
            path = folder / f"{FILES[kind]}-{number}.pdf"
            content = build_document(
                engine,
                kind,
                vendor_id=vendor_id,
                number=number,
                clock=lambda: dt.datetime.combine(EVIDENCE_DAY, dt.time(12), tzinfo=dt.UTC),
                referential=referential,
            )
            write_pdf(path, content)
            documents.append(WrittenDocument(number, kind, path))
    finally:
        engine.dispose()
    return EvidenceTour(
        log=log,
        imported=imported,
        orders=tuple(zip(numbers, ROLES, strict=True)),
        moms=tuple(moms),
        readiness=state,
        documents=tuple(documents),
    )
