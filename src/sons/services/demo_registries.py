"""The registries' part of `sons demo`, played in the operator's database before any intake:
the operator imports the registry of referenced solutions (the demo's three solutions), the
demo vendor files its enrolment request with its pieces (demonstration PDFs), and the operator
takes it in and validates it — the vendor is then enrolled for its solutions, and its funding
requests pass the intake's registry checks.

Everything runs through the same services as the commands (`import_referenced_solutions`,
`file_enrolment`, `decide_enrolment`); the files are written under `folder` (the registry CSV,
the pieces), where the operator's walk keeps its own.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass
from pathlib import Path

from fpdf import FPDF
from sqlalchemy.engine import Engine

from sons.atomic_write import write_atomically
from sons.domain.enrolment import PIECE_LABELS, FilerRole, PieceKind
from sons.services.demo_data import SOLUTIONS
from sons.services.enrolment import EnrolmentView, PieceFile, decide_enrolment, file_enrolment
from sons.services.importing import ImportOutcome
from sons.services.registries import import_referenced_solutions
from sons.store.unit_of_work import Clock, stepping_clock

OPERATOR = "asp:enrôlement (démonstration)"
VENDOR_FILER = "Responsable administratif (démonstration)"
# A made-up account with a valid key (the ASP's test pages use the same kind of example).
DEMO_IBAN = "FR7630006000011234567890189"
DEMO_BIC = "BNPAFRPP"
_PIECES = (PieceKind.REFERENCING_CERTIFICATE, PieceKind.IDENTITY_DOCUMENT, PieceKind.BANK_DETAILS)


@dataclass(frozen=True)
class RegistriesTour:
    solutions: ImportOutcome
    enrolment: EnrolmentView
    registry_file: Path


def _clock(day: dt.date) -> Clock:
    return stepping_clock(day, 10)


def _piece_pdf(kind: PieceKind) -> bytes:
    document = FPDF()
    document.add_page()
    document.set_font("helvetica", size=14)
    # Helvetica has no « œ » nor curly quotes; the labels of the pieces stay within Latin-1.
    document.cell(text=f"Démonstration : {PIECE_LABELS[kind]}")
    return bytes(document.output())


def _registry_csv() -> str:
    stream = io.StringIO()
    writer = csv.writer(stream, delimiter=";", lineterminator="\n")
    writer.writerow(
        [
            "numero_referencement",
            "nom",
            "version",
            "dispositif",
            "profils",
            "date_referencement",
            "date_fin_validite",
        ]
    )
    for s in SOLUTIONS:
        writer.writerow(
            [
                s["numero_referencement"],
                s["nom"],
                s["version"],
                s["dispositif"],
                s["profils"],
                s["date_referencement"],
                "",
            ]
        )
    return stream.getvalue()


def registries_tour(
    engine: Engine,
    folder: Path,
    *,
    vendor_id: int,
    enrolment_number: str,
    day: dt.date,
) -> RegistriesTour:
    """Import the solutions registry, file and validate the vendor's enrolment, on `day` (it
    must come before the first intake: the vendor is enrolled from the validation date)."""
    folder.mkdir(parents=True, exist_ok=True)
    registry = folder / "registre-solutions.csv"
    write_atomically(registry, _registry_csv())
    clock = _clock(day)
    solutions = import_referenced_solutions(engine, registry, actor=OPERATOR, clock=clock)
    pieces = []
    for kind in _PIECES:
        content = _piece_pdf(kind)
        path = folder / f"enrolement-{kind.value}.pdf"
        write_atomically(path, content)
        pieces.append(PieceFile(kind, path.name, content))
    filed = file_enrolment(
        engine,
        vendor_id=vendor_id,
        filer_role=FilerRole.LEGAL_REPRESENTATIVE,
        filer_name=VENDOR_FILER,
        iban=DEMO_IBAN,
        bic=DEMO_BIC,
        solutions=[s["numero_referencement"] for s in SOLUTIONS],
        pieces=pieces,
        actor=VENDOR_FILER,
        clock=clock,
    )
    decide_enrolment(engine, filed.id, "instruire", actor=OPERATOR, clock=clock)
    enrolment = decide_enrolment(
        engine,
        filed.id,
        "valider",
        enrolment_number=enrolment_number,
        actor=OPERATOR,
        clock=clock,
    )
    return RegistriesTour(solutions, enrolment, registry)
