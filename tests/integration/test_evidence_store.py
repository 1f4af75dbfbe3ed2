"""Evidence in the store, on SQLite and PostgreSQL: exact counts, idempotent imports, all or
nothing, the rejects file, installed scenarios, MOM and VA, the documents."""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from pypdf import PdfReader
from sqlalchemy.engine import Engine

from evidence_samples import (
    BOURG,
    BOURG_ANSWERS,
    LYON,
    LYON_ANSWERS,
    PARIS,
    PARIS_ANSWERS,
    UNKNOWN_SITE,
    altered,
    expected_log,
    patient_test,
    pro,
    row,
    seed,
    signed_pdf,
    write_csv,
)
from evidence_samples import order as sample_order
from sons.domain.evidence import readiness_text, tally
from sons.domain.orders import ClientKind, SiteScenario
from sons.formats.problems import ImportReport
from sons.formats.transmissions import read_transmissions
from sons.services.documents import DocumentKind, build_document
from sons.services.evidence import (
    EvidenceRequestError,
    import_transmissions,
    install_scenario,
    readiness,
    record_mom,
    rejects_path,
    upload_va,
)
from sons.store.evidence import EvidencePieceRow, TransmissionRow
from sons.store.journal import verify
from sons.store.tables import ImportBatchRow, JournalEntryRow
from sons.store.unit_of_work import UnitOfWork

NOW = dt.datetime(2024, 1, 15, 12, 0, tzinfo=dt.UTC)
START = dt.datetime(2023, 1, 1, tzinfo=dt.UTC)


def clock() -> dt.datetime:
    return NOW


def counts(engine: Engine, vendor_id: int) -> dict[tuple[str, str, str], int]:
    report = readiness(engine, vendor_id=vendor_id, clock=clock)
    return {
        (site.finess_et or "", c.condition.flow.value, c.condition.route.value): c.tally.count
        for order in report.orders
        for site in order.sites
        for c in site.conditions
    }


def stored_rows(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(
            connection.execute(sa.select(sa.func.count()).select_from(TransmissionRow)).scalar_one()
        )


def do_import(engine: Engine, path: Path, vendor_id: int, **options: Any) -> Any:
    return import_transmissions(
        engine, path, vendor_id=vendor_id, actor="alice", clock=clock, **options
    )


@pytest.fixture
def vendor_id(engine: Engine) -> int:
    return seed(engine).vendor_id


# --- counts -----------------------------------------------------------------------------------


def test_every_condition_counts_exactly(engine: Engine, vendor_id: int, tmp_path: Path) -> None:
    rows, expected = expected_log()
    outcome = do_import(engine, write_csv(tmp_path / "journal.csv", rows), vendor_id)
    assert outcome.batch is not None and outcome.stored == len(rows) == stored_rows(engine)
    assert counts(engine, vendor_id) == expected
    report = readiness(engine, vendor_id=vendor_id, clock=clock, numbers=["BC-EV-2"])
    assert [o.number for o in report.orders] == ["BC-EV-2"]
    assert report.orders[0].verdict.gaps == ("DMP : 2/10 avec INS qualifiée", "MOM manquante")


def test_the_store_counts_as_the_domain_rule(
    engine: Engine, vendor_id: int, tmp_path: Path
) -> None:
    draw = random.Random(20230201)
    rows = []
    for _ in range(600):
        flow = draw.choice(["dmp", "mss_pro", "mss_patient"])
        changes: dict[str, Any] = {
            "site": draw.choice([PARIS, BOURG, LYON]),
            "route": draw.choice(["direct", "third_party"]),
            "ins": draw.choice(["qualifiee", "qualifiee", "non_qualifiee", "absente"]),
            "doc": draw.choice(["18748-4", "18748-4", "11502-2", ""]),
            "ack": draw.choice(["ok", "ok", "ok", "ko"]),
            "version": draw.choice(["4.2", "4.2", "4.1"]),
            "at": (
                dt.datetime(2023, 1, 1, tzinfo=dt.UTC) + dt.timedelta(hours=draw.randrange(9000))
            ).isoformat(),
        }
        if flow == "dmp":
            rows.append(row(**changes))
        elif flow == "mss_pro":
            rows.append(pro(**changes))
        else:
            rows.append(patient_test(**changes))
    path = write_csv(tmp_path / "hasard.csv", rows)
    assert do_import(engine, path, vendor_id).stored == 600
    report_in_memory = ImportReport.for_path(path, "journal")
    transmissions = [
        line.transmission
        for line in read_transmissions(path, report_in_memory, now=NOW)
        if line.transmission is not None
    ]
    report = readiness(engine, vendor_id=vendor_id, clock=clock)
    checked = 0
    for order in report.orders:
        for site in order.sites:
            for item in site.conditions:
                assert item.tally.count == tally(item.criterion, transmissions).count
                checked += item.tally.count
    assert checked > 10  # the draw leaves the rule something to count


# --- idempotence ------------------------------------------------------------------------------


def test_the_same_file_twice_changes_nothing(
    engine: Engine, vendor_id: int, tmp_path: Path
) -> None:
    rows, expected = expected_log()
    path = write_csv(tmp_path / "journal.csv", rows)
    first = do_import(engine, path, vendor_id)
    again = do_import(engine, path, vendor_id)
    assert again.earlier is not None and again.earlier.id == first.batch.id
    assert "déjà été importé" in again.message()
    assert stored_rows(engine) == len(rows) and counts(engine, vendor_id) == expected


def test_overlapping_logs_count_each_transmission_once(
    engine: Engine, vendor_id: int, tmp_path: Path
) -> None:
    rows, expected = expected_log()
    do_import(engine, write_csv(tmp_path / "janvier.csv", rows[:30]), vendor_id)
    extra = [row(at="2023-04-01T08:00:00+02:00")]
    outcome = do_import(engine, write_csv(tmp_path / "annee.csv", rows + extra), vendor_id)
    assert (outcome.stored, outcome.already_stored) == (len(rows) - 30 + 1, 30)
    expected[(PARIS, "dmp", "direct")] += 1
    assert counts(engine, vendor_id) == expected


def test_a_repeated_line_in_one_file_counts_once(
    engine: Engine, vendor_id: int, tmp_path: Path
) -> None:
    line = row(message_id="DOUBLE")
    outcome = do_import(engine, write_csv(tmp_path / "j.csv", [line, row(), line]), vendor_id)
    assert (outcome.stored, outcome.duplicates) == (2, 1)
    info = [p for p in outcome.report.problems if p.rule == "TRANSMISSION_DUPLICATE"]
    assert info[0].line == 4 and "ligne 2" in info[0].message


def test_an_id_reused_for_another_content_refuses_the_file(
    engine: Engine, vendor_id: int, tmp_path: Path
) -> None:
    do_import(engine, write_csv(tmp_path / "a.csv", [row(message_id="M-1")]), vendor_id)
    second = write_csv(tmp_path / "b.csv", [row(), row(message_id="M-1", ack="ko")])
    outcome = do_import(engine, second, vendor_id)
    assert outcome.refused and stored_rows(engine) == 1
    problem = outcome.report.errors[0]
    assert (problem.line, problem.column, problem.rule) == (
        3,
        "id_message",
        "TRANSMISSION_ID_CONFLICT",
    )
    assert "import n° 1" in problem.message and "accuse" in problem.message


def test_an_id_reused_within_the_file_is_an_error(
    engine: Engine, vendor_id: int, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "j.csv", [row(message_id="X"), row(message_id="X", site=BOURG)])
    outcome = do_import(engine, path, vendor_id)
    assert outcome.refused and stored_rows(engine) == 0
    problem = outcome.report.errors[0]
    assert problem.line == 3 and "ligne 2 de ce fichier" in problem.message
    assert "finess_et" in problem.message


# --- all or nothing, and --skip-invalid -------------------------------------------------------


def test_a_file_with_errors_stores_nothing(engine: Engine, vendor_id: int, tmp_path: Path) -> None:
    with engine.connect() as connection:
        before = connection.execute(
            sa.select(sa.func.count()).select_from(JournalEntryRow)
        ).scalar()
    path = write_csv(tmp_path / "j.csv", [row(), row(site=UNKNOWN_SITE), row()])
    outcome = do_import(engine, path, vendor_id)
    assert outcome.refused and outcome.report.errors[0].rule == "TRANSMISSION_SITE_UNKNOWN"
    with engine.connect() as connection:
        assert (
            connection.execute(sa.select(sa.func.count()).select_from(ImportBatchRow)).scalar() == 0
        )
        after = connection.execute(sa.select(sa.func.count()).select_from(JournalEntryRow)).scalar()
    assert stored_rows(engine) == 0 and after == before
    assert not rejects_path(path).exists()


def test_skip_invalid_stores_the_good_lines_and_writes_the_rejects(
    engine: Engine, vendor_id: int, tmp_path: Path
) -> None:
    do_import(engine, write_csv(tmp_path / "avant.csv", [row(message_id="M-1")]), vendor_id)
    rows = [
        row(),
        row(site=UNKNOWN_SITE, message_id="BAD-SITE"),
        row(at="2030-01-01T00:00:00+01:00", message_id="BAD-DATE"),
        row(message_id="M-1", ins="absente"),
        row(),
    ]
    path = write_csv(tmp_path / "journal.csv", rows)
    outcome = do_import(engine, path, vendor_id, skip_invalid=True)
    assert (outcome.stored, outcome.rejected) == (2, 3) and stored_rows(engine) == 3
    rejected = outcome.rejects_file
    assert rejected == tmp_path / "journal.rejets.csv"
    lines = rejected.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("ligne;horodatage;finess_et") and lines[0].endswith(";motifs")
    assert [line.split(";")[0] for line in lines[1:]] == ["3", "4", "5"]
    assert "TRANSMISSION_SITE_UNKNOWN" in lines[1] and "BAD-SITE" in lines[1]
    assert "TRANSMISSION_IN_FUTURE" in lines[2]
    assert "TRANSMISSION_ID_CONFLICT" in lines[3] and "statut_ins" in lines[3]
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_the_rejects_once_fixed_can_be_imported(
    engine: Engine, vendor_id: int, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "journal.csv", [row(), row(ins="provisoire", message_id="FIX")])
    outcome = do_import(engine, path, vendor_id, skip_invalid=True)
    fixed = tmp_path / "corrige.csv"
    fixed.write_text(
        outcome.rejects_file.read_text(encoding="utf-8").replace("provisoire", "qualifiee"),
        encoding="utf-8",
    )
    again = do_import(engine, fixed, vendor_id)
    assert again.stored == 1 and stored_rows(engine) == 2
    assert {p.rule for p in again.report.warnings} == {"TABLE_COLUMN_IGNORED"}


# --- installed scenario, MOM, VA --------------------------------------------------------------


def journal_of(engine: Engine, entity_type: str) -> list[Any]:
    from sqlalchemy.orm import Session

    with Session(engine) as session:
        rows = session.scalars(
            sa.select(JournalEntryRow).where(JournalEntryRow.entity_type == entity_type)
        ).all()
        assert verify(session).ok
        return list(rows)


def test_the_installed_scenario_replaces_the_ordered_one(
    engine: Engine, vendor_id: int, tmp_path: Path
) -> None:
    rows, _ = expected_log()
    do_import(engine, write_csv(tmp_path / "j.csv", rows), vendor_id)
    installed = {**BOURG_ANSWERS, "dmp_via_pfi": False, "dmp_direct": True}
    outcome = install_scenario(
        engine, vendor_id=vendor_id, number="BC-EV-1", finess=BOURG, answers=installed,
        source="bourg.json", actor="alice", clock=clock,
    )  # fmt: skip
    assert outcome.changed and {c.id for c in outcome.conditions} == {
        "dmp_direct",
        "mss_patient_third_party",
    }
    found = counts(engine, vendor_id)
    assert found[(BOURG, "dmp", "direct")] == 1  # the one line BOURG sent directly
    assert (BOURG, "dmp", "third_party") not in found
    entry = journal_of(engine, "installed_scenario")[0]
    assert entry.entity_id == f"BC-EV-1/{BOURG}" and entry.actor == "alice"
    again = install_scenario(
        engine, vendor_id=vendor_id, number="BC-EV-1", finess=BOURG, answers=installed,
        source="bourg.json", actor="alice", clock=clock,
    )  # fmt: skip
    assert not again.changed and len(journal_of(engine, "installed_scenario")) == 1


@pytest.mark.parametrize(
    ("answers", "number", "site", "fragment"),
    [
        ({**BOURG_ANSWERS, "question_inconnue": True}, "BC-EV-1", BOURG, "question_inconnue"),
        ({**BOURG_ANSWERS, "dmp_direct": "oui"}, "BC-EV-1", BOURG, "dmp_direct"),
        (BOURG_ANSWERS, "BC-EV-1", LYON, "n'est pas un site du bon de commande BC-EV-1"),
        (BOURG_ANSWERS, "BC-INCONNU", BOURG, "BC-INCONNU n'existe pas"),
    ],
)
def test_an_unusable_installed_scenario_is_refused(
    engine: Engine,
    vendor_id: int,
    answers: dict[str, Any],
    number: str,
    site: str,
    fragment: str,
) -> None:
    with pytest.raises(EvidenceRequestError, match=fragment):
        install_scenario(
            engine, vendor_id=vendor_id, number=number, finess=site, answers=answers,
            source=None, actor="alice", clock=clock,
        )  # fmt: skip
    assert journal_of(engine, "installed_scenario") == []


def test_a_mom_makes_its_flows_present_and_is_journaled(
    engine: Engine, vendor_id: int, tmp_path: Path
) -> None:
    rows, _ = expected_log()
    do_import(engine, write_csv(tmp_path / "j.csv", rows), vendor_id)
    outcome = record_mom(
        engine, vendor_id=vendor_id, number="BC-EV-1", finess=PARIS,
        flows="dmp/direct,mss_pro/direct,mss_patient/direct", recorded_by="Jean Dupont",
        actor="alice", clock=clock,
    )  # fmt: skip
    assert outcome.accepted and not [f for f in outcome.findings if f.severity == "error"]
    site = readiness(engine, vendor_id=vendor_id, clock=clock).orders[0].sites[0]
    assert [c.status.evidence_present for c in site.conditions] == [True, True, True]
    assert site.verdict.gaps == ("DMP : 9/10 avec INS qualifiée",)
    entry = journal_of(engine, "evidence_piece")[0]
    assert entry.actor == "alice" and '"recorded_by":"Jean Dupont"' in entry.after
    assert '"flows":["dmp/direct","mss_patient/direct","mss_pro/direct"]' in entry.after


def test_a_mom_contradicting_the_scenario_is_a_finding(engine: Engine, vendor_id: int) -> None:
    outcome = record_mom(
        engine, vendor_id=vendor_id, number="BC-EV-1", finess=PARIS,
        flows="dmp/third_party,mss_pro/direct,mss_patient/direct", actor="alice", clock=clock,
    )  # fmt: skip
    errors = [f for f in outcome.findings if f.severity == "error"]
    assert [f.code for f in errors] == ["EVIDENCE_CONTRADICTS_SCENARIO"]
    assert "DMP — via un logiciel tiers" in errors[0].message
    site = readiness(engine, vendor_id=vendor_id, clock=clock).orders[0].sites[0]
    assert not any(c.status.evidence_present for c in site.conditions)


def test_a_signed_va_is_checked_and_journaled(
    engine: Engine, vendor_id: int, tmp_path: Path
) -> None:
    pdf = tmp_path / "va.pdf"
    pdf.write_bytes(signed_pdf("Dr Élise Martin"))
    outcome = upload_va(
        engine, vendor_id=vendor_id, number="BC-EV-1", finess=BOURG, pdf_path=pdf,
        actor="alice", clock=clock,
    )  # fmt: skip
    assert outcome.accepted
    assert outcome.flows == ("dmp/third_party", "mss_patient/third_party")
    entry = journal_of(engine, "evidence_piece")[0]
    assert '"signer":"Dr Élise Martin"' in entry.after
    assert f'"sha256":"{outcome.pdf.sha256}"' in entry.after
    assert '"signed_at":"' in entry.after and "chaîne de confiance non vérifiée" in entry.after
    bourg = readiness(engine, vendor_id=vendor_id, clock=clock).orders[0].sites[1]
    assert [c.status.evidence_present for c in bourg.conditions] == [True, True]
    with engine.connect() as connection:
        content = connection.execute(sa.select(EvidencePieceRow.content)).scalar_one()
    assert content == pdf.read_bytes()


def test_an_altered_va_is_kept_as_rejected_and_never_counts(
    engine: Engine, vendor_id: int, tmp_path: Path
) -> None:
    pdf = tmp_path / "va.pdf"
    pdf.write_bytes(altered(signed_pdf()))
    outcome = upload_va(
        engine, vendor_id=vendor_id, number="BC-EV-1", finess=BOURG, pdf_path=pdf,
        actor="alice", clock=clock,
    )  # fmt: skip
    assert not outcome.accepted
    assert "VA_SIGNATURE_INVALID" in {f.code for f in outcome.findings}
    assert '"status":"rejected"' in journal_of(engine, "evidence_piece")[0].after
    bourg = readiness(engine, vendor_id=vendor_id, clock=clock).orders[0].sites[1]
    assert not any(c.status.evidence_present for c in bourg.conditions)
    assert "signature non valide" in " ".join(bourg.verdict.gaps)


def test_what_is_not_a_pdf_is_refused_and_not_stored(
    engine: Engine, vendor_id: int, tmp_path: Path
) -> None:
    pdf = tmp_path / "va.pdf"
    pdf.write_text("pas un PDF", encoding="utf-8")
    with pytest.raises(EvidenceRequestError, match="pas un PDF"):
        upload_va(
            engine, vendor_id=vendor_id, number="BC-EV-1", finess=BOURG, pdf_path=pdf,
            actor="alice", clock=clock,
        )  # fmt: skip
    assert journal_of(engine, "evidence_piece") == []


# --- the documents, from the store ------------------------------------------------------------


def text_of(data: bytes) -> str:
    import io

    return " ".join(" ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(data)).pages)


def test_documents_show_the_counts_from_the_store(
    engine: Engine, vendor_id: int, tmp_path: Path
) -> None:
    rows, _ = expected_log()
    do_import(engine, write_csv(tmp_path / "j.csv", rows), vendor_id)
    record_mom(
        engine, vendor_id=vendor_id, number="BC-EV-1", finess=PARIS,
        flows="dmp/direct,mss_pro/direct,mss_patient/direct", actor="alice", clock=clock,
    )  # fmt: skip

    def build(kind: DocumentKind) -> str:
        return text_of(
            build_document(engine, kind, vendor_id=vendor_id, number="BC-EV-1", clock=clock)
        )

    mom = build(DocumentKind.MOM)
    assert "9 (seuil non atteint) du 01/02/2023 au 15/01/2024" in mom
    assert "10 (seuil atteint)" in mom and "Imagerie Paris Centre" in mom
    summary = build(DocumentKind.BALANCE_SUMMARY)
    assert "Verdict de la commande : Incomplet" in summary and "MOM présente" in summary
    assert "VA manquante" in summary
    assert "Commande n° BC-EV-1" in build(DocumentKind.ORDER)
    assert "Interface validée en production : DMP — via un logiciel tiers" in build(DocumentKind.VA)
    same = build_document(
        engine, DocumentKind.MOM, vendor_id=vendor_id, number="BC-EV-1", clock=clock
    )
    assert same == build_document(
        engine, DocumentKind.MOM, vendor_id=vendor_id, number="BC-EV-1", clock=clock
    )


# --- the bad input, all in one log ----------------------------------------------------


def test_each_bad_input_is_placed_nothing_miscounted_nothing_lost(
    engine: Engine, vendor_id: int, tmp_path: Path
) -> None:
    rows, expected = expected_log()
    do_import(engine, write_csv(tmp_path / "avant.csv", rows), vendor_id)
    bad = {
        "BAD-SITE": row(site=UNKNOWN_SITE, message_id="BAD-SITE"),
        "BAD-DATE": row(at="2024-02-01T08:00:00+01:00", message_id="BAD-DATE"),
        "BAD-INS": row(ins="provisoire", message_id="BAD-INS"),
        "BAD-MSS": pro(recipient="dr.martin@hopital.fr", message_id="BAD-MSS"),
        rows[0]["id_message"]: {**rows[0], "accuse": "ko"},  # a known id, another content
    }
    rules = ["TRANSMISSION_SITE_UNKNOWN", "TRANSMISSION_IN_FUTURE",
             "TRANSMISSION_INS_STATUS_UNKNOWN", "MSS_ADDRESS_INVALID",
             "TRANSMISSION_ID_CONFLICT"]  # fmt: skip
    path = write_csv(tmp_path / "journal.csv", [row(site=LYON), *bad.values(), row(site=LYON)])

    refused = do_import(engine, path, vendor_id)
    assert refused.refused and stored_rows(engine) == len(rows)
    placed = [(p.line, p.rule) for p in refused.report.errors]
    assert placed == list(zip(range(3, 8), rules, strict=True))
    assert counts(engine, vendor_id) == expected  # nothing miscounted

    kept = do_import(engine, path, vendor_id, skip_invalid=True)
    assert (kept.stored, kept.rejected) == (2, 5)
    expected[(LYON, "dmp", "direct")] += 2
    assert counts(engine, vendor_id) == expected
    rejected = kept.rejects_file.read_text(encoding="utf-8").splitlines()[1:]
    for line, (message_id, rule) in zip(rejected, zip(bad, rules, strict=True), strict=True):
        assert message_id in line and rule in line  # nothing lost: each line, with its reason


# --- a piece against the installed scenario -----------------------------------------------------


def test_a_va_contradicting_the_installed_scenario_is_a_finding(
    engine: Engine, vendor_id: int, tmp_path: Path
) -> None:
    installed = {**BOURG_ANSWERS, "dmp_via_pfi": False, "dmp_direct": True}
    install_scenario(
        engine, vendor_id=vendor_id, number="BC-EV-1", finess=BOURG, answers=installed,
        source="recette.json", actor="alice", clock=clock,
    )  # fmt: skip
    pdf = tmp_path / "va.pdf"
    pdf.write_bytes(signed_pdf())
    outcome = upload_va(
        engine, vendor_id=vendor_id, number="BC-EV-1", finess=BOURG, pdf_path=pdf,
        flows="dmp/third_party,mss_patient/third_party", actor="alice", clock=clock,
    )  # fmt: skip
    assert outcome.scenario_installed
    (error,) = [f for f in outcome.findings if f.severity == "error"]
    assert error.code == "EVIDENCE_CONTRADICTS_SCENARIO"
    assert "DMP — via un logiciel tiers" in error.message and BOURG in error.message
    bourg = readiness(engine, vendor_id=vendor_id, clock=clock).orders[0].sites[1]
    assert not any(c.status.evidence_present for c in bourg.conditions)
    assert "en contradiction avec le scénario installé" in " ".join(bourg.verdict.gaps)


def test_installing_a_scenario_that_contradicts_a_recorded_mom_is_a_finding(
    engine: Engine, vendor_id: int
) -> None:
    record_mom(
        engine, vendor_id=vendor_id, number="BC-EV-1", finess=PARIS,
        flows="dmp/direct,mss_pro/direct,mss_patient/direct", actor="alice", clock=clock,
    )  # fmt: skip
    outcome = install_scenario(
        engine, vendor_id=vendor_id, number="BC-EV-1", finess=PARIS,
        answers={**PARIS_ANSWERS, "mss_pro_direct": False}, source=None, actor="alice",
        clock=clock,
    )  # fmt: skip
    errors = [f for f in outcome.findings if f.code == "EVIDENCE_CONTRADICTS_SCENARIO"]
    assert [f.severity for f in errors] == ["error"] and "MSS Pro" in errors[0].message


# --- a site without FINESS ET (an order to a professional) -------------------------------------


def test_a_site_without_finess_is_undeterminable_with_the_reason(
    engine: Engine, vendor_id: int, tmp_path: Path
) -> None:
    practice = dataclasses.replace(
        sample_order("BC-RPPS", dt.date(2023, 2, 1), (SiteScenario(None, LYON_ANSWERS),)),
        client_kind=ClientKind.PROFESSIONAL,
        client_id="10003456789",
    )
    with UnitOfWork(engine, "amorçage") as uow:
        uow.orders.add_many(vendor_id, [practice])
    rows, _ = expected_log()
    do_import(engine, write_csv(tmp_path / "j.csv", rows), vendor_id)
    (found,) = readiness(engine, vendor_id=vendor_id, clock=clock, numbers=["BC-RPPS"]).orders
    (site,) = found.sites
    assert site.finess_et is None and site.verdict.ready is None and found.verdict.ready is None
    assert [c.tally.count for c in site.conditions] == [0]
    assert site.verdict.text.startswith("Non déterminable")
    assert "site sans FINESS" in site.verdict.gaps[0] and "ne peuvent pas" in site.verdict.gaps[0]
    assert "Manque" not in readiness_text(found.verdict)
    summary = text_of(
        build_document(
            engine, DocumentKind.BALANCE_SUMMARY, vendor_id=vendor_id, number="BC-RPPS",
            clock=clock,
        )
    )  # fmt: skip
    assert "Verdict de la commande : Non déterminable" in summary
    assert "non comptables" in summary and "Non déterminable : site sans FINESS" in summary
    assert "Manque" not in summary and "seuil non atteint" not in summary
