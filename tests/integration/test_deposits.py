"""Deposits against the store, on SQLite and PostgreSQL: build from the orders, check with the
advance on record, import all or nothing, mark filed."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import zipfile
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from filing_fixtures import (
    ADVANCE_DAY,
    BALANCE_DAY,
    CODE,
    DIRECT,
    ORDER_A,
    ORDER_B,
    pay,
    pdf,
    seed_filing,
)
from sons.domain.money import split_cents
from sons.domain.workflow import RequestKind, Status
from sons.findings import Severity
from sons.formats.deposit.check import check_deposit
from sons.formats.deposit.model import DepositKind
from sons.formats.deposit.specimen import specimen_deposit, synthetic_siret
from sons.referential.loader import default_referential
from sons.services.deposit_builder import BuildPieces, BuildRefused, build_deposit
from sons.services.deposits import (
    DepositRefused,
    check_deposit_file,
    deposit_content,
    import_deposit,
    mark_filed,
)
from sons.services.evidence import install_scenario, record_mom, upload_va
from sons.services.requests import list_requests, repository
from sons.store.journal import JournalEntryRow
from sons.store.requests import JSON_ROLE, ZIP_ROLE, DepositRow, FundingRequestRow
from sons.store.unit_of_work import UnitOfWork

REFERENTIAL = default_referential()


@pytest.fixture
def vendor_id(engine: Engine, clock: Any) -> int:
    return seed_filing(engine, clock)


def _build(engine: Engine, vendor_id: int, out: Path, kind: RequestKind, **options: Any) -> Any:
    options.setdefault("on", ADVANCE_DAY if kind is not RequestKind.BALANCE else BALANCE_DAY)
    return build_deposit(
        engine,
        vendor_id=vendor_id,
        kind=kind,
        dispositif=CODE.lower(),
        out_dir=out,
        actor="alice@editeur.fr",
        referential=REFERENTIAL,
        **options,
    )


def _errors(report: Any) -> list[str]:
    return [f.code for f in report.findings if f.severity is Severity.ERROR]


def _count(engine: Engine, table: Any) -> int:
    with engine.connect() as connection:
        return int(connection.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())


def _advance_paid(engine: Engine, vendor_id: int, tmp_path: Path, clock: Any) -> Any:
    built = _build(
        engine, vendor_id, tmp_path / "avance", RequestKind.ADVANCE, numbers=["BC-A", "BC-B"]
    )
    mark_filed(engine, built.deposit.name, vendor_id=vendor_id, actor="alice", clock=clock)
    for request in built.requests:
        pay(engine, request.id, clock)
    return built


def _balance_pieces(tmp_path: Path, *numbers: str) -> BuildPieces:
    invoices, vas = {}, {}
    for number in numbers:
        invoices[number] = tmp_path / f"facture-{number}.pdf"
        invoices[number].write_bytes(pdf(f"Facture 100 % {number}"))
        vas[number] = tmp_path / f"va-{number}.pdf"
        vas[number].write_bytes(pdf(f"VA signée {number}"))
    # Only BC-B's scenario asks for a VA.
    return BuildPieces(invoices=invoices, vas={n: p for n, p in vas.items() if n == "BC-B"})


# --- build ------------------------------------------------------------------------------------


def test_built_advance_passes_the_check_and_is_recorded(
    engine: Engine, vendor_id: int, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    built = _build(engine, vendor_id, out, RequestKind.ADVANCE, numbers=["BC-A", "BC-B"])

    assert built.json_path.is_file() and built.zip_path.is_file()
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [built.json_path.name, built.zip_path.name]
    )
    report = check_deposit(built.json_path, built.zip_path, REFERENTIAL, ADVANCE_DAY)
    assert _errors(report) == [], report.findings
    assert not built.report.has_errors
    document = json.loads(built.json_path.read_text(encoding="utf-8"))
    assert document["nature"] == "avance" and document["dispositif"] == CODE
    with zipfile.ZipFile(built.zip_path) as archive:
        names = archive.namelist()
        for request in document["demandes"]:
            (piece,) = request["pieces_jointes"]
            assert piece["type"] == "bon_de_commande" and piece["fichier"] in names
            content = archive.read(piece["fichier"])
            assert hashlib.sha256(content).hexdigest() == piece["sha256"]
            assert content.startswith(b"%PDF-")

    rate = Decimal(30)  # RAD-RIS-Va1, wave 1: the referential's advance_rate
    assert REFERENTIAL.at(CODE, ORDER_B.signed_on).parameter("advance_rate").value == rate
    by_number = {r.order_number: r for r in built.requests}
    for order in (ORDER_A, ORDER_B):
        request = by_number[order.number]
        assert request.status is Status.DRAFT and request.kind is RequestKind.ADVANCE
        assert request.amount_ht_cents == split_cents(order.prestation_ht_cents, rate)[0]
        assert request.amount_ttc_cents == split_cents(order.prestation_ttc_cents, rate)[0]
    assert by_number["BC-B"].amount_ht_cents == 300_000  # 300 000,3 rounded half-up
    assert deposit_content(engine, vendor_id, built.deposit.name, JSON_ROLE) == (
        built.json_path.name,
        built.json_path.read_bytes(),
    )
    assert deposit_content(engine, vendor_id, built.deposit.name, ZIP_ROLE)[1] == (
        built.zip_path.read_bytes()
    )


def test_build_refuses_an_order_with_errors_and_writes_nothing(
    engine: Engine, vendor_id: int, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    with pytest.raises(BuildRefused) as refused:
        _build(engine, vendor_id, out, RequestKind.ADVANCE)
    (left,) = refused.value.left_out
    assert left.number == "BC-ERR"
    assert "AMOUNT_TTC_INCONSISTENT" in left.reasons[0]
    assert [f.code for f in left.findings] == ["AMOUNT_TTC_INCONSISTENT"]
    assert "--only-valid" in str(refused.value)
    assert not out.exists() or not any(out.iterdir())
    assert _count(engine, DepositRow) == 0 and _count(engine, FundingRequestRow) == 0


def test_only_valid_leaves_the_orders_with_errors_out_and_lists_them(
    engine: Engine, vendor_id: int, tmp_path: Path
) -> None:
    built = _build(engine, vendor_id, tmp_path / "out", RequestKind.ADVANCE, only_valid=True)
    assert [item.number for item in built.left_out] == ["BC-ERR"]
    assert sorted(r.order_number for r in built.requests) == ["BC-A", "BC-B"]
    assert not built.report.has_errors


def test_rebuilding_a_draft_withdraws_the_old_one(
    engine: Engine, vendor_id: int, tmp_path: Path
) -> None:
    first = _build(engine, vendor_id, tmp_path / "1", RequestKind.ADVANCE, numbers=["BC-A"])
    second = _build(engine, vendor_id, tmp_path / "2", RequestKind.ADVANCE, numbers=["BC-A"])
    assert [r.id for r in second.superseded] == [first.requests[0].id]
    assert second.superseded[0].status is Status.CANCELLED
    assert second.requests[0].request_ref == first.requests[0].request_ref
    assert second.deposit.name != first.deposit.name
    # Filed, the advance blocks a new one for the same order.
    mark_filed(engine, second.deposit.name, vendor_id=vendor_id, actor="alice")
    with pytest.raises(BuildRefused) as refused:
        _build(engine, vendor_id, tmp_path / "3", RequestKind.ADVANCE, numbers=["BC-A"])
    assert "existe déjà" in refused.value.left_out[0].reasons[0]


def test_balance_needs_a_filed_advance_and_the_vendor_pieces(
    engine: Engine, vendor_id: int, tmp_path: Path, clock: Any
) -> None:
    with pytest.raises(BuildRefused) as refused:
        _build(engine, vendor_id, tmp_path / "s", RequestKind.BALANCE, numbers=["BC-A"])
    assert "aucune demande d'avance" in refused.value.left_out[0].reasons[0]
    _advance_paid(engine, vendor_id, tmp_path, clock)
    with pytest.raises(BuildRefused) as refused:
        _build(engine, vendor_id, tmp_path / "s", RequestKind.BALANCE, numbers=["BC-A", "BC-B"])
    reasons = {item.number: " ".join(item.reasons) for item in refused.value.left_out}
    assert "--invoice BC-A=" in reasons["BC-A"] and "--va" not in reasons["BC-A"]
    assert "--va BC-B=" in reasons["BC-B"]


def test_built_balance_passes_the_check_with_the_advance_on_record(
    engine: Engine, vendor_id: int, tmp_path: Path, clock: Any
) -> None:
    advance = _advance_paid(engine, vendor_id, tmp_path, clock)
    built = _build(
        engine,
        vendor_id,
        tmp_path / "solde",
        RequestKind.BALANCE,
        pieces=_balance_pieces(tmp_path, "BC-A", "BC-B"),
    )
    assert _errors(built.report) == [], built.report.findings
    report = check_deposit_file(
        engine, built.json_path, built.zip_path, today=BALANCE_DAY, referential=REFERENTIAL
    )
    assert _errors(report) == []
    document = json.loads(built.json_path.read_text(encoding="utf-8"))
    by_order = {r["bon_de_commande"]["numero"]: r for r in document["demandes"]}
    assert {p["piece"] for p in by_order["BC-A"]["preuves"]} == {"MOM"}
    assert {p["piece"] for p in by_order["BC-B"]["preuves"]} == {"MOM", "VA"}
    advances = {r.order_number: r for r in advance.requests}
    for request in built.requests:
        paid = advances[request.order_number]
        assert request.advance_id == paid.id
        assert request.amount_ht_cents == request.prestation_ht_cents - paid.amount_ht_cents
        assert request.amount_ttc_cents == request.prestation_ttc_cents - paid.amount_ttc_cents
    assert any("scénario commandé" in note for note in built.notes)


def test_balance_takes_the_installed_scenario_and_the_pieces_on_record(
    engine: Engine, vendor_id: int, tmp_path: Path, clock: Any
) -> None:
    _advance_paid(engine, vendor_id, tmp_path, clock)
    installed = DIRECT | {"mss_pro_direct": False}  # only the DMP went live on site A
    install_scenario(
        engine,
        vendor_id=vendor_id,
        number="BC-A",
        finess="750000028",
        answers=installed,
        source="recette",
        actor="alice",
        clock=clock,
    )
    va = tmp_path / "va-signee.pdf"
    va.write_bytes(pdf("VA signée par la clinique"))
    upload_va(
        engine,
        vendor_id=vendor_id,
        number="BC-B",
        finess="130000029",
        pdf_path=va,
        actor="alice",
        clock=clock,
    )
    pieces = BuildPieces(invoices=_balance_pieces(tmp_path, "BC-A", "BC-B").invoices)
    built = _build(engine, vendor_id, tmp_path / "s1", RequestKind.BALANCE, pieces=pieces)

    document = json.loads(built.json_path.read_text(encoding="utf-8"))
    by_order = {r["bon_de_commande"]["numero"]: r for r in document["demandes"]}
    assert by_order["BC-A"]["etablissements"][0]["scenario"] == installed
    assert [(p["flux"], p["piece"]) for p in by_order["BC-A"]["preuves"]] == [("dmp", "MOM")]
    (va_entry,) = [p for p in by_order["BC-B"]["preuves"] if p["piece"] == "VA"]
    with zipfile.ZipFile(built.zip_path) as archive:
        assert archive.read(va_entry["fichier"]) == va.read_bytes()
    notes = " ".join(built.notes)
    assert "BC-B" in notes and "750000028" not in notes  # only BC-B kept its ordered scenario
    # BC-B has a VA on record but no MOM: the MOM it declares is not recorded in sons.
    missing = [f for f in built.report.findings if f.code == "DEPOSIT_EVIDENCE_NOT_RECORDED"]
    assert [f.path.split("]")[0] for f in missing] == ["$.demandes[1"]
    assert "MOM" in missing[0].message and "BC-B" in missing[0].message

    record_mom(
        engine,
        vendor_id=vendor_id,
        number="BC-B",
        finess="130000029",
        flows="mss_pro/direct",
        actor="alice",
        clock=clock,
    )
    rebuilt = _build(engine, vendor_id, tmp_path / "s2", RequestKind.BALANCE, pieces=pieces)
    assert _errors(rebuilt.report) == [], rebuilt.report.findings


# --- the rules that need the store ------------------------------------------------------------


def _rewrite(path: Path, change: Any) -> Path:
    document = json.loads(path.read_text(encoding="utf-8"))
    change(document)
    changed = path.with_name("modifie.json")
    changed.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    return changed


def _balance(engine: Engine, vendor_id: int, tmp_path: Path, clock: Any) -> Any:
    _advance_paid(engine, vendor_id, tmp_path, clock)
    return _build(
        engine,
        vendor_id,
        tmp_path / "solde",
        RequestKind.BALANCE,
        numbers=["BC-A"],
        pieces=_balance_pieces(tmp_path, "BC-A"),
    )


def test_balance_perimeter_differing_from_the_advance_is_a_finding(
    engine: Engine, vendor_id: int, tmp_path: Path, clock: Any
) -> None:
    built = _balance(engine, vendor_id, tmp_path, clock)

    def other_client(document: dict[str, Any]) -> None:
        request = document["demandes"][0]
        request["client"] = {"finess_ej": "690000013"}

    changed = _rewrite(built.json_path, other_client)
    report = check_deposit_file(engine, changed, None, today=BALANCE_DAY, referential=REFERENTIAL)
    found = [f for f in report.findings if f.code == "DEPOSIT_PERIMETER_CHANGED"]
    assert len(found) == 1 and found[0].severity is Severity.ERROR
    assert "690000013" in found[0].message and "750000010" in found[0].message
    assert found[0].path == "$.demandes[0].client"
    assert (
        report.requests[0].errors >= 1 and "DEPOSIT_PERIMETER_CHANGED" in report.requests[0].codes
    )
    # The standalone check knows nothing of the advance.
    alone = check_deposit_file(None, changed, None, today=BALANCE_DAY, referential=REFERENTIAL)
    assert "DEPOSIT_PERIMETER_CHANGED" not in {f.code for f in alone.findings}


def test_balance_above_the_recorded_advance_is_a_finding(
    engine: Engine, vendor_id: int, tmp_path: Path, clock: Any
) -> None:
    built = _balance(engine, vendor_id, tmp_path, clock)

    def raise_amounts(document: dict[str, Any]) -> None:
        request = document["demandes"][0]
        request["prestation"] = {
            "montant_ht_centimes": 1_100_000,
            "montant_ttc_centimes": 1_320_000,
        }
        # The file claims a larger advance than the one on record.
        request["avance_de_reference"]["prestation_ht_centimes"] = 1_100_000
        request["avance_de_reference"]["prestation_ttc_centimes"] = 1_320_000

    changed = _rewrite(built.json_path, raise_amounts)
    alone = check_deposit_file(None, changed, None, today=BALANCE_DAY, referential=REFERENTIAL)
    assert "DEPOSIT_BALANCE_ABOVE_ADVANCE" not in {f.code for f in alone.findings}
    report = check_deposit_file(engine, changed, None, today=BALANCE_DAY, referential=REFERENTIAL)
    above = [f for f in report.findings if f.code == "DEPOSIT_BALANCE_ABOVE_ADVANCE"]
    assert {f.path for f in above} == {
        "$.demandes[0].prestation.montant_ht_centimes",
        "$.demandes[0].prestation.montant_ttc_centimes",
    }
    assert "11 000,00 €" in above[0].message and "10 000,00 €" in above[0].message
    assert "DEPOSIT_ADVANCE_AMOUNT_MISMATCH" in {f.code for f in report.findings}


def test_balance_blocked_by_an_unpaid_amendment(
    engine: Engine, vendor_id: int, tmp_path: Path, clock: Any
) -> None:
    _advance_paid(engine, vendor_id, tmp_path, clock)
    amended = dataclasses.replace(
        ORDER_A, prestation_ht_cents=900_000, prestation_ttc_cents=1_080_000
    )
    amended = dataclasses.replace(
        amended,
        lines=(amended.lines[0], dataclasses.replace(amended.lines[1], amount_ht_cents=300_000)),
    )
    with UnitOfWork(engine, "alice", clock) as uow:
        current = uow.orders.require(vendor_id, "BC-A")
        uow.orders.update(vendor_id, amended, expected_version=current.version)
    amendment = _build(
        engine, vendor_id, tmp_path / "avenant", RequestKind.AMENDMENT, numbers=["BC-A"]
    )
    assert not amendment.report.has_errors, amendment.report.findings
    (request,) = amendment.requests
    assert request.kind is RequestKind.AMENDMENT and request.advance_id is not None
    mark_filed(engine, amendment.deposit.name, vendor_id=vendor_id, actor="alice", clock=clock)

    pieces = _balance_pieces(tmp_path, "BC-A")
    blocked = _build(
        engine, vendor_id, tmp_path / "s1", RequestKind.BALANCE, numbers=["BC-A"], pieces=pieces
    )
    found = [f for f in blocked.report.findings if f.code == "DEPOSIT_AMENDMENT_NOT_PAID"]
    assert len(found) == 1 and found[0].severity is Severity.ERROR
    assert "Déposée" in found[0].message and request.request_ref in found[0].message

    pay(engine, request.id, clock)
    cleared = _build(
        engine, vendor_id, tmp_path / "s2", RequestKind.BALANCE, numbers=["BC-A"], pieces=pieces
    )
    assert _errors(cleared.report) == [], cleared.report.findings
    # The balance now completes the amended Prestation: the amendment's share was paid.
    (balance,) = cleared.requests
    assert balance.amount_ht_cents == 900_000 - request.amount_ht_cents


# --- import -----------------------------------------------------------------------------------


def _specimen_files(tmp_path: Path, count: int = 3) -> tuple[Path, Path, dict[str, bytes]]:
    specimen = specimen_deposit(
        REFERENTIAL, CODE, DepositKind.ADVANCE, count, document=lambda name: pdf(name)
    )
    json_path, zip_path = tmp_path / "recu.json", tmp_path / "recu.zip"
    json_path.write_bytes(json.dumps(specimen.deposit.to_file(), ensure_ascii=False).encode())
    with zipfile.ZipFile(zip_path, "w") as archive:
        for name, content in specimen.documents.items():
            archive.writestr(name, content)
    return json_path, zip_path, specimen.documents


@pytest.fixture
def specimen_vendor(engine: Engine, clock: Any) -> int:
    from filing_fixtures import VENDOR

    vendor = dataclasses.replace(VENDOR, siret=synthetic_siret(), siren=synthetic_siret()[:9])
    return seed_filing(engine, clock, orders=(), vendor=vendor)


def test_import_records_requests_incomplete_when_their_zip_part_fails(
    engine: Engine, specimen_vendor: int, tmp_path: Path, clock: Any
) -> None:
    json_path, zip_path, documents = _specimen_files(tmp_path)
    missing = sorted(documents)[1]  # the second request's order
    with zipfile.ZipFile(zip_path, "w") as archive:
        for name, content in documents.items():
            if name != missing:
                archive.writestr(name, content)
    today = dt.date(2022, 11, 15)
    outcome = import_deposit(
        engine, json_path, zip_path, actor="asp:reception", today=today, clock=clock
    )
    assert outcome.created
    statuses = {r.request_ref: r.status for r in outcome.requests}
    assert statuses.pop(missing.split("/")[0]) is Status.INCOMPLETE
    assert set(statuses.values()) == {Status.FILED}
    (incomplete,) = outcome.incomplete
    with UnitOfWork(engine, "lecture", read_only=True) as uow:
        (created,) = repository(uow).history(incomplete.id)
        entries = uow.journal.history("funding_request", str(incomplete.id))
    assert created.from_status is None and created.to_status is Status.INCOMPLETE
    assert created.motive is not None and missing in created.motive
    assert created.file_sha256 == hashlib.sha256(json_path.read_bytes()).hexdigest()
    assert entries[0].after["status"] == "incomplete"

    journal = _count(engine, JournalEntryRow)
    again = import_deposit(
        engine, json_path, zip_path, actor="asp:reception", today=today, clock=clock
    )
    assert not again.created and again.deposit.id == outcome.deposit.id
    assert [r.id for r in again.requests] == [r.id for r in outcome.requests]
    assert _count(engine, JournalEntryRow) == journal
    assert _count(engine, FundingRequestRow) == len(outcome.requests)


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda text: text[: len(text) // 2], id="json-tronque"),
        pytest.param(
            lambda text: text.replace('"identifiant": "D000002"', '"identifiant": 2', 1),
            id="demande-invalide",
        ),
    ],
)
def test_import_of_an_unusable_json_stores_nothing(
    engine: Engine, specimen_vendor: int, tmp_path: Path, clock: Any, damage: Any
) -> None:
    json_path, zip_path, _ = _specimen_files(tmp_path)
    json_path.write_text(damage(json_path.read_text(encoding="utf-8")), encoding="utf-8")
    journal = _count(engine, JournalEntryRow)
    with pytest.raises(DepositRefused) as refused:
        import_deposit(
            engine, json_path, zip_path, actor="asp", today=dt.date(2022, 11, 15), clock=clock
        )
    assert "rien n'a été enregistré" in str(refused.value)
    assert refused.value.report is not None and refused.value.report.has_errors
    assert _count(engine, DepositRow) == 0 and _count(engine, FundingRequestRow) == 0
    assert _count(engine, JournalEntryRow) == journal


def test_import_of_an_unknown_vendor_stores_nothing(
    engine: Engine, vendor_id: int, tmp_path: Path, clock: Any
) -> None:
    json_path, zip_path, _ = _specimen_files(tmp_path)
    with pytest.raises(DepositRefused) as refused:
        import_deposit(
            engine, json_path, zip_path, actor="asp", today=dt.date(2022, 11, 15), clock=clock
        )
    assert "n'est pas enregistré" in str(refused.value)
    assert _count(engine, DepositRow) == 0


def test_importing_a_built_file_finds_it(
    engine: Engine, vendor_id: int, tmp_path: Path, clock: Any
) -> None:
    built = _build(engine, vendor_id, tmp_path / "out", RequestKind.ADVANCE, numbers=["BC-A"])
    outcome = import_deposit(
        engine, built.json_path, built.zip_path, actor="asp", today=ADVANCE_DAY, clock=clock
    )
    assert not outcome.created and outcome.deposit.id == built.deposit.id
    lines = list_requests(engine, vendor_id=vendor_id)
    assert [line.request.id for line in lines] == [r.id for r in built.requests]
