"""Registries, enrolment and the checks at intake, on SQLite and PostgreSQL: the operator's
registries import all or nothing and once; a vendor files its enrolment with real pieces and
the operator instructs it through the workflow table; the intake checks refuse a vendor not
enrolled for the solution, a solution without the profiles its scenarios require, a ceiling
exceeded, and the same client funded twice across two vendors."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from filing_fixtures import ADVANCE_DAY, CODE, DIRECT, ORDER_A, SOLUTION, VENDOR, pdf, seed_filing
from sons.domain.enrolment import FilerRole, PieceKind
from sons.domain.orders import SiteScenario, Vendor
from sons.domain.workflow import ReasonCode, RequestKind, Status
from sons.findings import Finding, Severity
from sons.referential.loader import default_referential
from sons.services.cross_vendor import cross_check
from sons.services.demo_registries import registries_tour
from sons.services.deposit_builder import build_deposit
from sons.services.deposits import import_deposit, mark_filed
from sons.services.enrolment import (
    EnrolmentInputError,
    PieceFile,
    decide_enrolment,
    file_enrolment,
    list_enrolments,
    piece_content,
    show_enrolment,
)
from sons.services.intake_checks import findings_at_intake
from sons.services.registries import (
    import_enrolled_vendors,
    import_referenced_solutions,
    list_registries,
)
from sons.store.eligibility import Ceiling
from sons.store.errors import NotFoundError
from sons.store.journal import verify
from sons.store.requests import StoredRequest, sha256_of
from sons.store.unit_of_work import UnitOfWork

OTHER = Vendor(
    name="Autre Éditeur", siren="552100554", siret="55210055400013", enrolment_number="ASP-7"
)
IBAN = "FR7630006000011234567890189"
BIC = "BNPAFRPP"
INTAKE_DAY = dt.date(2022, 10, 20)

SOLUTIONS_CSV = (
    "numero_referencement;nom;version;dispositif;profils;date_referencement;date_fin_validite\n"
    "REF-RIS-001;RIS Horizon;4.2;RAD-RIS-Va1;Général;2022-03-01;\n"
)


def _vendors_csv(*rows: str) -> str:
    header = "siret;raison_sociale;numero_enrolement;numeros_referencement;date_enrolement;date_fin"
    return "\n".join([header, *rows]) + "\n"


def _file(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _filed(
    engine: Engine, clock: Any, tmp_path: Path, vendor_id: int, numbers: list[str]
) -> list[StoredRequest]:
    built = build_deposit(
        engine,
        vendor_id=vendor_id,
        kind=RequestKind.ADVANCE,
        dispositif=CODE,
        out_dir=tmp_path / f"out-{vendor_id}",
        actor="depot@editeur.fr",
        clock=clock,
        numbers=numbers,
        on=ADVANCE_DAY,
        referential=default_referential(),
    )
    outcome = mark_filed(
        engine, built.deposit.name, vendor_id=vendor_id, actor="depot@editeur.fr", clock=clock
    )
    return list(outcome.filed)


def _intake(
    engine: Engine, vendor_id: int, requests: list[StoredRequest], on: dt.date = INTAKE_DAY
) -> list[Finding]:
    with UnitOfWork(engine, "asp:instructeur", read_only=True) as uow:
        return findings_at_intake(uow, vendor_id, requests, on)


def _registries(engine: Engine, tmp_path: Path, clock: Any, solutions: str) -> None:
    for outcome in (
        import_referenced_solutions(
            engine, _file(tmp_path, "solutions.csv", SOLUTIONS_CSV), actor="asp", clock=clock
        ),
        import_enrolled_vendors(
            engine,
            _file(
                tmp_path,
                "editeurs.csv",
                _vendors_csv(f"{VENDOR.siret};{VENDOR.name};ASP-2022-0042;{solutions};;"),
            ),
            actor="asp",
            clock=clock,
        ),
    ):
        assert outcome.batch is not None, outcome.message()


def test_registry_imports_are_once_and_all_or_nothing(
    engine: Engine, clock: Any, tmp_path: Path
) -> None:
    path = _file(tmp_path, "solutions.csv", SOLUTIONS_CSV)
    first = import_referenced_solutions(engine, path, actor="asp", clock=clock)
    assert first.batch is not None and first.stored.rows == 1
    again = import_referenced_solutions(engine, path, actor="asp", clock=clock)
    assert again.earlier is not None and "déjà été importé" in again.message()
    vendors = _vendors_csv(
        f"{VENDOR.siret};{VENDOR.name};ASP-1;REF-RIS-001;2022-03-01;",
        f"{OTHER.siret};{OTHER.name};ASP-2;REF-INCONNUE;2022-03-01;",
    )
    stored = import_enrolled_vendors(
        engine, _file(tmp_path, "v.csv", vendors), actor="asp", clock=clock
    )
    assert stored.stored.rows == 2
    # A solution missing from the other registry is a warning, not a refusal.
    (warning,) = stored.report.warnings
    assert warning.rule == "REGISTRY_SOLUTION_NOT_LISTED" and "REF-INCONNUE" in str(warning)
    bad = vendors.replace("ASP-2;REF-INCONNUE;2022-03-01", "ASP-3;REF-X;2022-02-30")
    refused = import_enrolled_vendors(
        engine, _file(tmp_path, "bad.csv", bad), actor="asp", clock=clock
    )
    assert refused.refused and "v.csv" not in refused.message()
    listing = list_registries(engine)
    assert [v.enrolment_number for v in listing.vendors] == ["ASP-2", "ASP-1"]
    assert [s.referencing_number for s in listing.solutions] == ["REF-RIS-001"]
    with UnitOfWork(engine, "lecture", read_only=True) as uow:
        assert verify(uow.session).ok


def test_no_funding_request_from_a_vendor_not_enrolled_for_the_solution(
    engine: Engine, clock: Any, tmp_path: Path
) -> None:
    vendor_id = seed_filing(engine, clock)
    requests = _filed(engine, clock, tmp_path, vendor_id, ["BC-A"])
    found = _intake(engine, vendor_id, requests)
    assert {f.code for f in found if f.severity is Severity.ERROR} == {
        "INTAKE_VENDOR_NOT_ENROLLED",
        "INTAKE_SOLUTION_NOT_REFERENCED",
    }
    assert all(f.path.startswith("AV-BC-A.") for f in found)
    _registries(engine, tmp_path, clock, "REF-AUTRE")
    (refused,) = [f for f in _intake(engine, vendor_id, requests) if f.severity is Severity.ERROR]
    assert refused.code == "INTAKE_VENDOR_NOT_ENROLLED_FOR_SOLUTION"
    assert refused.path == "AV-BC-A.solution.referencing_number"
    assert "REF-RIS-001" in refused.message and "REF-AUTRE" in refused.message


def test_an_enrolled_vendor_with_a_referenced_solution_passes(
    engine: Engine, clock: Any, tmp_path: Path
) -> None:
    vendor_id = seed_filing(engine, clock)
    requests = _filed(engine, clock, tmp_path, vendor_id, ["BC-A", "BC-B"])
    _registries(engine, tmp_path, clock, "REF-RIS-001")
    assert [
        f for f in _intake(engine, vendor_id, requests) if f.severity is not Severity.INFO
    ] == []


def test_the_profiles_the_scenario_requires_come_from_the_registry(
    engine: Engine, clock: Any, tmp_path: Path
) -> None:
    # The vendor says its solution holds « Référentiel d'identités »; the registry of the
    # operator says it obtained « Général » only: the scenario that needs it is refused.
    with_identity = dataclasses.replace(
        ORDER_A,
        number="BC-ID",
        sites=(SiteScenario("750000028", DIRECT | {"identity_referential": True}),),
    )
    vendor_id = seed_filing(engine, clock, orders=(with_identity,))
    with UnitOfWork(engine, "amorçage", clock) as uow:
        uow.solutions.save(
            vendor_id,
            dataclasses.replace(
                SOLUTION, profiles=frozenset({"Général", "Référentiel d'identités"})
            ),
        )
    requests = _filed(engine, clock, tmp_path, vendor_id, ["BC-ID"])
    _registries(engine, tmp_path, clock, "REF-RIS-001")
    (missing,) = [f for f in _intake(engine, vendor_id, requests) if f.severity is Severity.ERROR]
    assert missing.code == "SCENARIO_PROFILE_MISSING"
    assert missing.path.startswith("AV-BC-ID.sites[0].scenario")
    assert "Référentiel d'identités" in missing.message


def test_the_ceiling_is_compared_ht_and_ttc_and_an_unknown_one_is_said(
    engine: Engine, clock: Any, tmp_path: Path
) -> None:
    vendor_id = seed_filing(engine, clock)
    requests = _filed(engine, clock, tmp_path, vendor_id, ["BC-A", "BC-B"])
    _registries(engine, tmp_path, clock, "REF-RIS-001")
    with UnitOfWork(engine, "amorçage", clock) as uow:
        uow.eligibility.upsert([Ceiling(CODE, "750000010", 900_000)])
        uow.session.execute(
            sa.text("DELETE FROM eligibility_ceilings WHERE finess = :f"),
            {"f": "130000029"},
        )
    found = {f.code: f for f in _intake(engine, vendor_id, requests)}
    above = found["INTAKE_ABOVE_CEILING"]
    assert above.path == "AV-BC-A.prestation.ht_cents"
    assert "en HT : 10 000,00 € pour un plafond de 9 000,00 €" in above.message
    assert "en TTC : 12 000,00 € pour un plafond de 10 800,00 €" in above.message
    unknown = found["INTAKE_CEILING_UNKNOWN"]
    assert unknown.path.startswith("AV-BC-B.") and "non renseigné" in unknown.message


def test_the_same_client_funded_by_two_vendors_is_refused(
    engine: Engine, clock: Any, tmp_path: Path
) -> None:
    first = seed_filing(engine, clock, orders=(ORDER_A,))
    mine = _filed(engine, clock, tmp_path, first, ["BC-A"])
    with UnitOfWork(engine, "amorçage", clock) as uow:
        second = uow.vendors.save(OTHER).id
    # The other vendor files, for the same hospital, a deposit the operator takes in as is
    # (its order is not in the operator's store).
    (built,) = (tmp_path / f"out-{first}").glob("*.json")
    document = json.loads(built.read_text(encoding="utf-8"))
    document["editeur"] = {"siret": OTHER.siret, "numero_enrolement": "ASP-7"}
    (request,) = document["demandes"]
    request["identifiant"] = "AV-BC-Z"
    request["bon_de_commande"]["numero"] = "BC-Z"
    theirs = _file(tmp_path, "autre.json", json.dumps(document, ensure_ascii=False))
    taken = import_deposit(
        engine, theirs, None, actor="asp", today=INTAKE_DAY, clock=clock, vendor_id=second
    ).requests
    (duplicate,) = [
        f for f in _intake(engine, second, list(taken)) if f.code == "CROSS_DUPLICATE_PRESTATION"
    ]
    assert duplicate.path == "AV-BC-Z.client" and "750000010" in duplicate.message
    # Stored with the second vendor's request, the finding does not identify the first's.
    assert mine[0].request_ref not in duplicate.message
    assert "une demande d'un autre fournisseur" in duplicate.message
    # The first vendor's request is told the same, from its side; the operator's report names
    # both requests.
    assert any(f.code == "CROSS_DUPLICATE_PRESTATION" for f in _intake(engine, first, mine))
    report = cross_check(engine)
    assert report.by_code()["CROSS_DUPLICATE_PRESTATION"] == 2
    named = [f.message for line in report.lines for f in line.findings]
    assert any("« AV-BC-A »" in message for message in named)


def _pieces(role: FilerRole = FilerRole.LEGAL_REPRESENTATIVE) -> list[PieceFile]:
    pieces = [
        PieceFile(PieceKind.REFERENCING_CERTIFICATE, "attestation.pdf", pdf("Attestation ANS")),
        PieceFile(PieceKind.IDENTITY_DOCUMENT, "identite.pdf", pdf("Carte d'identité")),
        PieceFile(PieceKind.BANK_DETAILS, "rib.pdf", pdf("RIB")),
    ]
    if role is not FilerRole.LEGAL_REPRESENTATIVE:
        pieces.append(PieceFile(PieceKind.MANDATE, "mandat.pdf", pdf("Mandat")))
    return pieces


def _enrol(engine: Engine, vendor_id: int, clock: Any, **changes: Any) -> Any:
    values: dict[str, Any] = {
        "vendor_id": vendor_id,
        "filer_role": FilerRole.LEGAL_REPRESENTATIVE,
        "filer_name": "Claire Durand, présidente",
        "iban": IBAN,
        "bic": BIC,
        "solutions": ["REF-RIS-001"],
        "pieces": _pieces(),
        "actor": "claire@editeur.fr",
        "clock": clock,
    }
    return file_enrolment(engine, **(values | changes))


def test_a_bad_enrolment_request_lists_every_problem_and_stores_nothing(
    engine: Engine, clock: Any
) -> None:
    vendor_id = seed_filing(engine, clock, orders=())
    with pytest.raises(EnrolmentInputError) as raised:
        _enrol(
            engine,
            vendor_id,
            clock,
            filer_role=FilerRole.EMPLOYEE,
            iban="FR7630006000011234567890188",
            bic="BNPAZZPP",
            pieces=[
                PieceFile(PieceKind.REFERENCING_CERTIFICATE, "attestation.pdf", pdf("ANS")),
                PieceFile(PieceKind.IDENTITY_DOCUMENT, "identite.docx", b"PK\x03\x04 word"),
                PieceFile(PieceKind.BANK_DETAILS, "rib.pdf", b""),
            ],
        )
    problems = raised.value.problems
    assert any("IBAN FR7630006000011234567890188 : clé de contrôle" in p for p in problems)
    assert any("BIC BNPAZZPP : code pays « ZZ » inconnu" in p for p in problems)
    assert any("« identite.docx » n'est ni un PDF ni une image" in p for p in problems)
    assert any("« rib.pdf » est vide" in p for p in problems)
    assert any("« mandat » manquante (la demande est déposée par un salarié" in p for p in problems)
    assert list_enrolments(engine) == []


def test_enrolment_is_filed_instructed_and_enrols_the_vendor(
    engine: Engine, clock: Any, tmp_path: Path
) -> None:
    vendor_id = seed_filing(engine, clock)
    other_id = seed_filing(engine, clock, orders=(), vendor=OTHER)
    requests = _filed(engine, clock, tmp_path, vendor_id, ["BC-A"])
    import_referenced_solutions(
        engine, _file(tmp_path, "solutions.csv", SOLUTIONS_CSV), actor="asp", clock=clock
    )
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
    pieces = [*_pieces(FilerRole.THIRD_PARTY), PieceFile(PieceKind.VAT_ATTESTATION, "tva.png", png)]
    filed = _enrol(engine, vendor_id, clock, filer_role=FilerRole.THIRD_PARTY, pieces=pieces)
    assert filed.status is Status.FILED and len(filed.pieces) == 5
    certificate = next(p for p in filed.pieces if p.kind is PieceKind.REFERENCING_CERTIFICATE)
    assert certificate.sha256 == sha256_of(pieces[0].content)
    assert certificate.media_type == "application/pdf"
    assert piece_content(engine, filed.id, PieceKind.REFERENCING_CERTIFICATE) == pieces[0].content
    # Another tenant does not see it; a second request while it is instructed is refused.
    with pytest.raises(NotFoundError):
        show_enrolment(engine, filed.id, vendor_id=other_id)
    with pytest.raises(EnrolmentInputError, match="déjà en cours"):
        _enrol(engine, vendor_id, clock)
    # Still not enrolled: the intake refuses its funding requests.
    assert any(f.code == "INTAKE_VENDOR_NOT_ENROLLED" for f in _intake(engine, vendor_id, requests))
    with pytest.raises(EnrolmentInputError, match="sans objet"):
        decide_enrolment(engine, filed.id, "payer", actor="asp", clock=clock)
    with pytest.raises(EnrolmentInputError, match="exige un motif"):
        decide_enrolment(engine, filed.id, "rejeter", actor="asp", clock=clock)
    decide_enrolment(engine, filed.id, "instruire", actor="asp", clock=clock)
    view = decide_enrolment(
        engine, filed.id, "valider", enrolment_number="ASP-2022-0042", actor="asp", clock=clock
    )
    assert view.request.status is Status.VALIDATED
    assert view.enrolled is not None and view.enrolled.solutions == {"REF-RIS-001"}
    assert [step.action for step in view.history] == ["deposer", "instruire", "valider"]
    # Enrolled from the validation date, for the solutions its request named.
    after = _intake(engine, vendor_id, requests, clock.current.date())
    assert [f for f in after if f.code.startswith("INTAKE_VENDOR")] == []
    before = _intake(engine, vendor_id, requests, clock.current.date() - dt.timedelta(days=1))
    assert [f.code for f in before if f.code.startswith("INTAKE_VENDOR")] == [
        "INTAKE_VENDOR_ENROLMENT_NOT_IN_FORCE"
    ]
    with UnitOfWork(engine, "lecture", read_only=True) as uow:
        assert verify(uow.session).ok


def test_a_corrected_enrolment_replaces_the_one_sent_back(engine: Engine, clock: Any) -> None:
    vendor_id = seed_filing(engine, clock, orders=())
    first = _enrol(engine, vendor_id, clock)
    decide_enrolment(engine, first.id, "instruire", actor="asp", clock=clock)
    decide_enrolment(
        engine,
        first.id,
        "demander-correction",
        motive="RIB illisible",
        reason=ReasonCode.INCOMPLETE,
        actor="asp",
        clock=clock,
    )
    second = _enrol(engine, vendor_id, clock)
    withdrawn = show_enrolment(engine, first.id, vendor_id=vendor_id)
    assert withdrawn.request.status is Status.CANCELLED
    assert withdrawn.history[-1].motive == f"Remplacée par la demande d'enrôlement n° {second.id}."
    assert [r.status for r in list_enrolments(engine, vendor_id=vendor_id)] == [
        Status.CANCELLED,
        Status.FILED,
    ]


def test_the_demo_enrols_its_vendor_before_any_intake(
    engine: Engine, clock: Any, tmp_path: Path
) -> None:
    vendor_id = seed_filing(engine, clock, orders=())
    tour = registries_tour(
        engine,
        tmp_path / "operateur",
        vendor_id=vendor_id,
        enrolment_number="DEMO-ENROLEMENT-0001",
        day=dt.date(2022, 11, 1),
    )
    assert tour.solutions.stored.rows == 3 and tour.registry_file.is_file()
    enrolled = tour.enrolment.enrolled
    assert enrolled is not None and enrolled.enrolled_at(dt.date(2022, 11, 15))
    assert enrolled.solutions == {"REF-DEMO-RIS-001", "REF-DEMO-DPI-001", "REF-DEMO-LGC-001"}
    assert all(piece.media_type == "application/pdf" for piece in tour.enrolment.request.pieces)
