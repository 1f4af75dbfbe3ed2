"""The payment operator's part of `sons demo`: it takes in the files the demo vendor sent
(the deposits tour's advance and balance), instructs them and pays them.

The operator keeps its own database (`demo-operateur.sqlite3`, beside the demo's): it
receives files, as the payment operator receives them from hundreds of vendors, rather than
reading the vendor's drafts. The walk:

1. the advance arrives with a zip missing one piece: one request « incomplète »;
2. one request is validated and paid; one is sent back « à modifier » (reason « incorrect »);
3. the vendor answers with a new deposit of the two: both are « déposées » again, then
   validated and paid;
4. the balance arrives (the advances are on record): received, one validated and paid.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import Engine

from sons.atomic_write import write_all_atomically
from sons.domain.workflow import ReasonCode, Status
from sons.referential.loader import Referential, default_referential
from sons.services.demo_deposits import ADVANCE_DAY, BALANCE_DAY, DEMO_ENROLMENT, DepositsTour
from sons.services.demo_registries import RegistriesTour, registries_tour
from sons.services.instruction import Queue, decide, pay, queue, request_correction
from sons.services.intake import IntakeResult, intake_deposit
from sons.services.vendors import create_vendor
from sons.store.database import open_store
from sons.store.unit_of_work import Clock, stepping_clock

OPERATOR_DATABASE_NAME = "demo-operateur.sqlite3"
INSTRUCTOR = "asp:instructeur (démonstration)"
RECEPTION = "asp:réception (démonstration)"
# The vendor enrols two weeks before its first deposit.
ENROLMENT_LEAD = dt.timedelta(days=14)
CORRECTION_MOTIVE = "Le montant TTC du bon de commande ne correspond pas à la Prestation."


@dataclass(frozen=True)
class OperatorTour:
    database: Path
    registries: RegistriesTour
    advance: IntakeResult
    answer: IntakeResult
    balance: IntakeResult
    sent_back: str  # the request sent back « à modifier »
    incomplete: str  # the request received « incomplète »
    paid_cents: int
    payments: int
    queue: Queue


def _clock(day: dt.date) -> Clock:
    return stepping_clock(day, 14)


def _partial_copies(tour: DepositsTour, folder: Path) -> tuple[Path, Path, Path, Path]:
    """The advance as received first (the zip without the last request's pieces) and the
    vendor's new deposit of the last two requests (with every piece)."""
    advance = tour.advance
    document = json.loads(advance.json_path.read_text(encoding="utf-8"))
    last = document["demandes"][-1]
    missing = {piece["fichier"] for piece in last["pieces_jointes"]}
    with zipfile.ZipFile(advance.zip_path) as source:
        entries = {name: source.read(name) for name in source.namelist()}
    partial = io.BytesIO()
    with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as target:
        for name, content in entries.items():
            if name not in missing:
                target.writestr(name, content)
    answer = dict(document, demandes=document["demandes"][-2:])
    answer["date_creation"] = f"{(ADVANCE_DAY + dt.timedelta(days=5)).isoformat()}T10:00:00Z"
    full = io.BytesIO()
    with zipfile.ZipFile(full, "w", zipfile.ZIP_DEFLATED) as target:
        for name, content in entries.items():
            target.writestr(name, content)
    first_json, first_zip = folder / "avance-recue.json", folder / "avance-recue.zip"
    answer_json, answer_zip = folder / "avance-redepot.json", folder / "avance-redepot.zip"
    write_all_atomically(
        [
            (first_json, advance.json_path.read_text(encoding="utf-8")),
            (first_zip, partial.getvalue()),
            (answer_json, json.dumps(answer, ensure_ascii=False, indent=2) + "\n"),
            (answer_zip, full.getvalue()),
        ]
    )
    return first_json, first_zip, answer_json, answer_zip


def _validate_and_pay(engine: Engine, request_id: int, day: dt.date) -> int:
    """Instruct, validate and pay the amount requested; the cents paid (0: not payable)."""
    clock = _clock(day)
    ident = str(request_id)
    decide(engine, ident, "instruire", motive=None, actor=INSTRUCTOR, clock=clock)
    validated = decide(
        engine,
        ident,
        "valider",
        motive="Pièces et montants conformes.",
        actor=INSTRUCTOR,
        clock=clock,
    )
    amount = validated.after.amount_ttc_cents
    if not amount:
        return 0
    pay(
        engine,
        ident,
        amount_cents=amount,
        paid_on=day + dt.timedelta(days=10),
        actor=INSTRUCTOR,
        clock=clock,
    )
    return amount


def operator_tour(
    output_dir: Path,
    database: Path,
    tour: DepositsTour,
    vendor_name: str,
    vendor_siret: str,
    referential: Referential | None = None,
) -> OperatorTour:
    """The operator's walk (see the module docstring), in a fresh database of its own."""
    referential = referential or default_referential()
    database.parent.mkdir(parents=True, exist_ok=True)
    database.unlink(missing_ok=True)
    folder = output_dir / "operateur"
    folder.mkdir(parents=True, exist_ok=True)
    first_json, first_zip, answer_json, answer_zip = _partial_copies(tour, folder)
    engine = open_store(f"sqlite:///{database}")
    try:
        vendor, _change = create_vendor(
            engine,
            name=vendor_name,
            siret=vendor_siret,
            enrolment_number=DEMO_ENROLMENT,
            actor=RECEPTION,
            clock=_clock(ADVANCE_DAY - ENROLMENT_LEAD),
        )
        # The registries and the enrolment come first: intake refuses nothing from an
        # enrolled vendor but flags every request of one that is not.
        registries = registries_tour(
            engine,
            folder,
            vendor_id=vendor.id,
            enrolment_number=DEMO_ENROLMENT,
            day=ADVANCE_DAY - ENROLMENT_LEAD,
        )
        advance = intake_deposit(
            engine,
            first_json,
            first_zip,
            actor=RECEPTION,
            today=ADVANCE_DAY,
            clock=_clock(ADVANCE_DAY),
            referential=referential,
        )
        received = [line.request for line in advance.lines if line.request is not None]
        filed = [r for r in received if r.status is Status.FILED]
        incomplete = [r for r in received if r.status is Status.INCOMPLETE]
        paid = _validate_and_pay(engine, filed[0].id, ADVANCE_DAY)
        payments = 1 if paid else 0
        sent_back = filed[-1]
        request_correction(
            engine,
            str(sent_back.id),
            reason=ReasonCode.INCORRECT,
            motive=CORRECTION_MOTIVE,
            actor=INSTRUCTOR,
            clock=_clock(ADVANCE_DAY + dt.timedelta(days=1)),
        )
        answer_day = ADVANCE_DAY + dt.timedelta(days=5)
        answer = intake_deposit(
            engine,
            answer_json,
            answer_zip,
            actor=RECEPTION,
            today=answer_day,
            clock=_clock(answer_day),
            referential=referential,
        )
        for line in answer.lines:
            if line.request is not None and line.request.status is Status.FILED:
                amount = _validate_and_pay(engine, line.request.id, answer_day)
                paid += amount
                payments += 1 if amount else 0
        balance = intake_deposit(
            engine,
            tour.balance.json_path,
            tour.balance.zip_path,
            actor=RECEPTION,
            today=BALANCE_DAY,
            clock=_clock(BALANCE_DAY),
            referential=referential,
        )
        balances = [
            line.request
            for line in balance.lines
            if line.request is not None and line.request.status is Status.FILED
        ]
        if balances:
            amount = _validate_and_pay(engine, balances[0].id, BALANCE_DAY)
            paid += amount
            payments += 1 if amount else 0
        final = queue(engine)
    finally:
        engine.dispose()
    return OperatorTour(
        database=database,
        registries=registries,
        advance=advance,
        answer=answer,
        balance=balance,
        sent_back=sent_back.request_ref,
        incomplete=incomplete[0].request_ref if incomplete else "",
        paid_cents=paid,
        payments=payments,
        queue=final,
    )
