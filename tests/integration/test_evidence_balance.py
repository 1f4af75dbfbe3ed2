"""Issue 5's « done when », end to end against the store (SQLite and PostgreSQL): from the
vendor's transmissions log, readiness per order and site says what is missing; the MOM and the
VA are printed; the VA, signed by the client (pyHanko, self-signed certificate), is recorded;
the balance deposit built from the store attaches the documents, is complete, and the deposit
checker accepts it."""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile
from collections.abc import Iterable
from pathlib import Path

import sqlalchemy as sa
from pypdf import PdfReader
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from evidence_samples import pro, row, sign_pdf, write_csv
from filing_fixtures import ADVANCE_DAY, BALANCE_DAY, CODE, ORDER_A, ORDER_B, pay, pdf, seed_filing
from sons.domain.evidence import readiness_text
from sons.domain.workflow import RequestKind
from sons.findings import Finding, Severity
from sons.formats.deposit.check import check_deposit
from sons.referential.loader import default_referential
from sons.services.deposit_builder import BuildPieces, build_deposit
from sons.services.deposits import check_deposit_file, mark_filed
from sons.services.documents import DocumentKind, build_document
from sons.services.evidence import import_transmissions, readiness, record_mom, upload_va
from sons.store.journal import verify
from sons.store.tables import JournalEntryRow

REFERENTIAL = default_referential()
SITE_A = ORDER_A.sites[0].finess_et  # DMP and MSS Pro directly: MOM only
SITE_B = ORDER_B.sites[0].finess_et  # DMP through a PFI (VA), MSS Pro directly (MOM)
ACTOR = "alice@editeur.fr"


class Clock:
    """Moves one second per reading, from a given instant."""

    def __init__(self, start: dt.datetime) -> None:
        self.now = start

    def __call__(self) -> dt.datetime:
        self.now += dt.timedelta(seconds=1)
        return self.now

    def at(self, day: dt.date) -> Clock:
        self.now = dt.datetime.combine(day, dt.time(9), tzinfo=dt.UTC)
        return self


def text_of(data: bytes) -> str:
    return " ".join(" ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(data)).pages)


def sent(day: int) -> str:
    return f"2023-0{1 + day % 8}-{1 + day % 27:02d}T10:00:00+01:00"


def errors(findings: Iterable[Finding]) -> list[str]:
    return [f.code for f in findings if f.severity is Severity.ERROR]


def test_from_the_log_to_a_complete_balance_the_checker_accepts(
    engine: Engine, tmp_path: Path
) -> None:
    clock = Clock(dt.datetime(2022, 6, 1, tzinfo=dt.UTC))
    vendor_id = seed_filing(engine, clock, orders=(ORDER_A, ORDER_B))
    # The advance of both orders, filed and paid: the balance completes it.
    advance = build_deposit(
        engine, vendor_id=vendor_id, kind=RequestKind.ADVANCE, dispositif=CODE,
        out_dir=tmp_path / "avance", actor=ACTOR, clock=clock.at(ADVANCE_DAY), on=ADVANCE_DAY,
        referential=REFERENTIAL,
    )  # fmt: skip
    mark_filed(engine, advance.deposit.name, vendor_id=vendor_id, actor=ACTOR, clock=clock)
    for request in advance.requests:
        pay(engine, request.id, clock)

    # 1. The vendor's log: site A has every count; site B's DMP via the PFI is short (6 with a
    #    qualified INS, 4 without).
    log = [row(site=SITE_A, at=sent(i)) for i in range(10)]
    log += [pro(site=SITE_A, at=sent(i)) for i in range(10)]
    log += [row(site=SITE_B, route="third_party", at=sent(i)) for i in range(6)]
    log += [row(site=SITE_B, route="third_party", ins="non_qualifiee") for _ in range(4)]
    log += [pro(site=SITE_B, at=sent(i)) for i in range(12)]
    imported = import_transmissions(
        engine, write_csv(tmp_path / "journal-aout.csv", log), vendor_id=vendor_id,
        actor=ACTOR, clock=clock.at(dt.date(2023, 9, 1)),
    )  # fmt: skip
    assert imported.stored == len(log) and not imported.report.has_errors

    # 2. Readiness per order and site: what is missing, precisely.
    report = readiness(engine, vendor_id=vendor_id, clock=clock)
    verdicts = {o.number: readiness_text(o.verdict) for o in report.orders}
    assert verdicts == {
        "BC-A": "Manque : MOM manquante",
        "BC-B": "Manque : DMP via un logiciel tiers : 6/10 avec INS qualifiée ; VA manquante ; "
        "MOM manquante",
    }
    site_b = report.orders[1].sites[0]
    assert site_b.finess_et == SITE_B
    assert [
        (c.condition.id, c.tally.count, c.status.evidence.value) for c in site_b.conditions
    ] == [
        ("dmp_third_party", 6, "VA"),
        ("mss_pro_direct", 12, "MOM"),
    ]

    # The rest of the log arrives: four more qualified DMP sends from site B.
    more = [row(site=SITE_B, route="third_party", at=sent(20 + i)) for i in range(4)]
    import_transmissions(
        engine, write_csv(tmp_path / "journal-septembre.csv", more), vendor_id=vendor_id,
        actor=ACTOR, clock=clock,
    )  # fmt: skip

    # 3. The MOM and the VA, printed to be signed.
    mom = build_document(engine, DocumentKind.MOM, vendor_id=vendor_id, number="BC-B", clock=clock)
    assert "12 (seuil atteint)" in text_of(mom)  # the MOM attests MSS Pro; the VA, the DMP
    va = build_document(engine, DocumentKind.VA, vendor_id=vendor_id, number="BC-B", clock=clock)
    assert "Interface validée en production : DMP — via un logiciel tiers" in text_of(va)

    # 4. The client signs the VA; the vendor records it, and declares its MOMs.
    signed = tmp_path / "va-signee-BC-B.pdf"
    signed.write_bytes(sign_pdf(va, "Dr Claire Durand"))
    outcome = upload_va(
        engine, vendor_id=vendor_id, number="BC-B", finess=SITE_B, pdf_path=signed,
        actor=ACTOR, clock=clock,
    )  # fmt: skip
    assert outcome.accepted and errors(outcome.findings) == []
    assert outcome.flows == ("dmp/third_party",) and outcome.pdf is not None
    assert outcome.pdf.signer == "Dr Claire Durand"
    for number, site, flows in (
        ("BC-A", SITE_A, "dmp/direct,mss_pro/direct"),
        ("BC-B", SITE_B, "mss_pro/direct"),
    ):
        recorded = record_mom(
            engine, vendor_id=vendor_id, number=number, finess=site, flows=flows,
            recorded_by="Jean Dupont", actor=ACTOR, clock=clock,
        )  # fmt: skip
        assert errors(recorded.findings) == []
    with Session(engine) as session:
        entries = session.scalars(
            sa.select(JournalEntryRow).where(JournalEntryRow.entity_type == "evidence_piece")
        ).all()
        assert verify(session).ok
    (va_entry,) = [e for e in map(json.loads, (e.after for e in entries)) if e["kind"] == "VA"]
    assert va_entry["signer"] == "Dr Claire Durand"
    assert va_entry["sha256"] == outcome.pdf.sha256 and va_entry["signed_at"]

    report = readiness(engine, vendor_id=vendor_id, clock=clock)
    assert [readiness_text(o.verdict) for o in report.orders] == ["Prêt pour le solde"] * 2

    # 5. The balance deposit, built from the store: only the invoices come from outside.
    invoices = {}
    for number in ("BC-A", "BC-B"):
        invoices[number] = tmp_path / f"facture-{number}.pdf"
        invoices[number].write_bytes(pdf(f"Facture à 100 % {number}"))
    built = build_deposit(
        engine, vendor_id=vendor_id, kind=RequestKind.BALANCE, dispositif=CODE,
        out_dir=tmp_path / "solde", actor=ACTOR, clock=clock.at(BALANCE_DAY), on=BALANCE_DAY,
        pieces=BuildPieces(invoices=invoices), referential=REFERENTIAL,
    )  # fmt: skip
    assert errors(built.report.findings) == [], built.report.findings
    assert built.report.incomplete_requests == [] and len(built.requests) == 2
    document = json.loads(built.json_path.read_text(encoding="utf-8"))
    by_order = {r["bon_de_commande"]["numero"]: r for r in document["demandes"]}
    proofs = {(p["flux"], p["voie"], p["piece"]) for p in by_order["BC-B"]["preuves"]}
    assert proofs == {("dmp", "third_party", "VA"), ("mss_pro", "direct", "MOM")}
    with zipfile.ZipFile(built.zip_path) as archive:
        files = {p["piece"]: archive.read(p["fichier"]) for p in by_order["BC-B"]["preuves"]}
    assert files["VA"] == signed.read_bytes()  # the signed VA, byte for byte
    assert "12 (seuil atteint)" in text_of(files["MOM"])  # the MOM, with the counts on record

    # 6. The checker accepts it, alone and against the advance and evidence on record.
    for checked in (
        check_deposit(built.json_path, built.zip_path, REFERENTIAL, BALANCE_DAY),
        check_deposit_file(
            engine, built.json_path, built.zip_path, today=BALANCE_DAY, referential=REFERENTIAL
        ),
    ):
        assert checked.readable and errors(checked.findings) == [], checked.findings
        assert checked.incomplete_requests == []
