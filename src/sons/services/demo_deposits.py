"""The deposits part of `sons demo`: from the demo vendor's orders, an advance file built,
checked, filed and paid; later its balance built, checked and filed — left « Déposée », so that
the operator served by `sons demo --serve` has requests to instruct; and a deliberately broken
copy of the balance checked, to show the report.

A few orders only (three that pass the order checks, one that does not, left out by
`--only-valid`), so that the walk stays within seconds: each order is a PDF to render.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import Engine

from sons.atomic_write import write_all_atomically, write_atomically
from sons.domain.workflow import Audience, RequestKind
from sons.formats.deposit.check import DepositReport
from sons.referential.loader import Referential, default_referential
from sons.services.deposit_builder import BuildOutcome, BuildPieces, build_deposit
from sons.services.deposits import FiledOutcome, check_deposit_file, mark_filed
from sons.services.documents import DocumentKind, build_document
from sons.services.orders import CheckReport
from sons.services.requests import transition_request
from sons.services.vendors import create_vendor
from sons.store.database import open_store
from sons.store.unit_of_work import Clock, stepping_clock

DEMO_CODE = "RAD-RIS-Va1"
ADVANCE_DAY = dt.date(2022, 11, 15)  # before the wave-1 advance deadline (2022-11-30)
BALANCE_DAY = dt.date(2023, 10, 2)  # before the balance deadline (2023-12-14)
BROKEN_DAY = dt.date(2023, 12, 20)  # the broken copy is dated after it
# The demo vendor's enrolment number with the payment operator: made up, like all demo data.
DEMO_ENROLMENT = "DEMO-ENROLEMENT-0001"
OPERATOR = "asp:instructeur (démonstration)"
SHOWN_ORDERS = 3


@dataclass(frozen=True)
class DepositsTour:
    advance: BuildOutcome
    filed: FiledOutcome
    paid: tuple[str, ...]  # request identifiers the operator paid
    balance: BuildOutcome
    balance_filed: FiledOutcome  # waiting for the operator's instruction
    broken_json: Path
    broken_zip: Path
    broken: DepositReport
    breakages: tuple[str, ...]  # what was broken, for people


def _orders(report: CheckReport) -> list[str]:
    """Three RIS orders without error, then one with errors (left out by --only-valid)."""
    ris = [c for c in report.checks if c.stored.order.dispositif.upper() == DEMO_CODE.upper()]
    clean = [c.number for c in ris if not c.errors][:SHOWN_ORDERS]
    faulty = [c.number for c in ris if c.errors][:1]
    return clean + faulty


def _clock(day: dt.date) -> Clock:
    return stepping_clock(day, 9)


def _invoices(engine: Engine, vendor_id: int, numbers: list[str], folder: Path) -> BuildPieces:
    """Demo invoices: the order's own PDF stands for the invoice at 100 % (demo only)."""
    folder.mkdir(parents=True, exist_ok=True)
    invoices = {}
    for number in numbers:
        path = folder / f"facture-{number}.pdf"
        content = build_document(
            engine,
            DocumentKind.ORDER,
            vendor_id=vendor_id,
            number=number,
            clock=_clock(BALANCE_DAY),
        )
        write_atomically(path, content)
        invoices[number] = path
    return BuildPieces(invoices=invoices)


def _break(outcome: BuildOutcome, folder: Path) -> tuple[Path, Path, tuple[str, ...]]:
    """A copy of the balance with four classic mistakes, written beside it."""
    document = json.loads(outcome.json_path.read_text(encoding="utf-8"))
    requests = document["demandes"]
    first = requests[0]
    breakages = []
    amounts = first["prestation"]
    amounts["montant_ht_centimes"] += 100_000
    amounts["montant_ttc_centimes"] += 120_000
    breakages.append(
        f"demande « {first['identifiant']} » : Prestation du solde augmentée de 1 000 € HT au-delà "
        "de l'avance"
    )
    if len(requests) > 1:
        second = requests[1]
        second["client"] = dict(requests[0]["client"])
        breakages.append(
            f"demande « {second['identifiant']} » : client remplacé par celui d'une autre "
            "demande (périmètre de l'avance changé, client en double)"
        )
    last = requests[-1]
    dropped = last["pieces_jointes"][0]["fichier"]
    breakages.append(f"pièce « {dropped} » retirée du zip (demande « incomplète »)")
    document["date_creation"] = f"{BROKEN_DAY.isoformat()}T10:00:00Z"
    breakages.append("fichier daté après la date limite du solde (2023-12-14)")
    broken_json = folder / "solde-casse.json"
    broken_zip = folder / "solde-casse.zip"
    with zipfile.ZipFile(outcome.zip_path) as source:
        entries = {name: source.read(name) for name in source.namelist() if name != dropped}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for name, content in entries.items():
            target.writestr(name, content)
    write_all_atomically(
        [
            (broken_json, json.dumps(document, ensure_ascii=False, indent=2) + "\n"),
            (broken_zip, buffer.getvalue()),
        ]
    )
    return broken_json, broken_zip, tuple(breakages)


def deposits_tour(
    database: Path,
    output_dir: Path,
    vendor_name: str,
    vendor_siret: str,
    report: CheckReport,
    actor: str,
    referential: Referential | None = None,
) -> DepositsTour:
    """Advance, filing, payment, balance filed, and a broken balance, in the demo's database."""
    referential = referential or default_referential()
    folder = output_dir / "depots"
    for own in (folder, output_dir / "factures"):  # the previous run's files, like its database
        shutil.rmtree(own, ignore_errors=True)
    engine = open_store(f"sqlite:///{database}")
    try:
        vendor, _ = create_vendor(
            engine,
            name=vendor_name,
            siret=vendor_siret,
            enrolment_number=DEMO_ENROLMENT,
            actor=actor,
            clock=_clock(ADVANCE_DAY),
        )
        numbers = _orders(report)
        advance = build_deposit(
            engine,
            vendor_id=vendor.id,
            kind=RequestKind.ADVANCE,
            dispositif=DEMO_CODE,
            out_dir=folder,
            actor=actor,
            clock=_clock(ADVANCE_DAY),
            numbers=numbers,
            only_valid=True,
            on=ADVANCE_DAY,
            referential=referential,
        )
        filed = mark_filed(
            engine,
            advance.deposit.name,
            vendor_id=vendor.id,
            actor=actor,
            clock=_clock(ADVANCE_DAY),
        )
        paying = _clock(ADVANCE_DAY + dt.timedelta(days=30))
        for request in filed.filed:
            for action in ("instruire", "valider", "payer"):
                transition_request(
                    engine,
                    str(request.id),
                    action,
                    audience=Audience.OPERATOR,
                    vendor_id=None,
                    actor=OPERATOR,
                    clock=paying,
                )
        paid_numbers = [r.order_number for r in filed.filed]
        balance = build_deposit(
            engine,
            vendor_id=vendor.id,
            kind=RequestKind.BALANCE,
            dispositif=DEMO_CODE,
            out_dir=folder,
            actor=actor,
            clock=_clock(BALANCE_DAY),
            numbers=paid_numbers,
            pieces=_invoices(engine, vendor.id, paid_numbers, output_dir / "factures"),
            on=BALANCE_DAY,
            referential=referential,
        )
        # Filed and not instructed here: the served demo's instructor decides on them.
        balance_filed = mark_filed(
            engine,
            balance.deposit.name,
            vendor_id=vendor.id,
            actor=actor,
            clock=_clock(BALANCE_DAY),
        )
        broken_json, broken_zip, breakages = _break(balance, folder)
        broken = check_deposit_file(
            engine, broken_json, broken_zip, today=BROKEN_DAY, referential=referential
        )
    finally:
        engine.dispose()
    return DepositsTour(
        advance=advance,
        filed=filed,
        paid=tuple(r.request_ref for r in filed.filed),
        balance=balance,
        balance_filed=balance_filed,
        broken_json=broken_json,
        broken_zip=broken_zip,
        broken=broken,
        breakages=breakages,
    )
