"""`sons demo`: a guided walk through what sons knows, built as data for the CLI to render.

Each part of the walk is its own function returning plain data, so later issues add their own
part (deposits, evidence…) to `run_demo` without touching the others: the referential, then a
vendor's orders in the demo's own fresh SQLite database, checked.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sons.documents import rulebook as rulebook_document
from sons.referential import presentation
from sons.referential.conditions import answer_label
from sons.referential.loader import Referential, default_referential
from sons.referential.rulebook import build as build_rulebook
from sons.referential.scenario import ScenarioExplanation, explain
from sons.services.actors import reading
from sons.services.demo_controls import ControlsTour, controls_tour
from sons.services.demo_data import (
    DEFECTS,
    DEMO_TODAY,
    VENDOR_NAME,
    VENDOR_SIRET,
    DemoFiles,
    write_demo_files,
)
from sons.services.demo_deposits import DepositsTour, deposits_tour
from sons.services.demo_evidence import EvidenceTour, evidence_tour
from sons.services.demo_operator import OPERATOR_DATABASE_NAME, OperatorTour, operator_tour
from sons.services.directory import import_finess, import_legal_entities
from sons.services.eligibility import import_eligibility
from sons.services.importing import ImportOutcome
from sons.services.orders import CheckReport, OrderCheck, check_orders, import_orders
from sons.services.solutions import SolutionEntry, import_solutions, list_solutions
from sons.services.vendors import VendorEntry, create_vendor
from sons.store.database import open_store
from sons.store.journal import VerifyResult, verify

DEMO_OUTPUT = Path("demo-output")
DEMO_DATABASE_NAME = "demo.sqlite3"
DEMO_ACTOR = "demo"

DEMO_CODE = "RAD-RIS-Va1"
DEMO_DATE = dt.date(2022, 5, 1)

# A radiology practice whose RIS is its identity referential, uses Mailiz and sends its reports
# to the DMP and to the patients' secure mailboxes directly.
DEMO_ANSWERS: dict[str, Any] = {
    "identity_referential": True,
    "hospital_environment": False,
    "mss_operator": "Mailiz",
    "client_is_scm": False,
    "prosante_connect": False,
    "identity_slave": False,
    "dmp_direct": True,
    "dmp_via_pfi": False,
    "mss_pro_direct": False,
    "mss_pro_via_pfi": False,
    "mss_patient_direct": True,
    "mss_patient_via_pfi": False,
}
# The ordered solution lacks « Référentiel d'identités »: the walk shows the finding it yields.
DEMO_PROFILES = ("Général", "Opérateur Mailiz")


@dataclass(frozen=True)
class ScenarioTour:
    code: str
    on: dt.date
    answers: dict[str, Any]
    obtained_profiles: tuple[str, ...]
    explanation: ScenarioExplanation
    answers_file: Path
    # (question label, answer as read) in questionnaire order, for people.
    answers_read: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class ReferentialTour:
    pin: str
    dispositifs: list[dict[str, Any]]
    shown: dict[str, Any]
    scenario: ScenarioTour
    rulebooks: tuple[Path, ...]


@dataclass(frozen=True)
class OrdersTour:
    """A vendor's orders in a fresh store: what was imported, and the check report."""

    database: Path
    files: DemoFiles
    vendor: VendorEntry
    imports: tuple[ImportOutcome, ...]
    solutions: tuple[SolutionEntry, ...]
    report: CheckReport
    # One order per kind of mistake shown, with the mistake it was made with.
    explained: tuple[tuple[OrderCheck, str], ...]
    journal: VerifyResult


@dataclass(frozen=True)
class DemoReport:
    output_dir: Path
    referential: ReferentialTour
    orders: OrdersTour
    deposits: DepositsTour
    evidence: EvidenceTour
    operator: OperatorTour | None = None
    controls: ControlsTour | None = None


def referential_tour(output_dir: Path, referential: Referential | None = None) -> ReferentialTour:
    """The dispositifs, one of them at a date, one scenario explained, its annotated rulebook."""
    referential = referential or default_referential()
    rows = [presentation.identity(d) for d in referential.dispositifs.values()]
    rows.sort(key=lambda r: (r["wave"], r["couloir"], r["code"]))
    view = referential.at(DEMO_CODE, DEMO_DATE)
    result = explain(view, DEMO_ANSWERS, DEMO_PROFILES)
    questions = view.questions_by_id
    answers_read = tuple(
        (questions[qid].label, answer_label(questions[qid], value) or "(vide)")
        for qid, value in DEMO_ANSWERS.items()
    )
    # Written out so that the reader can replay the scenario with `sons referential explain`.
    answers_file = output_dir / f"reponses-{view.code.lower()}.json"
    answers_file.write_text(
        json.dumps(DEMO_ANSWERS, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    scenario = ScenarioTour(
        view.code, DEMO_DATE, dict(DEMO_ANSWERS), DEMO_PROFILES, result, answers_file, answers_read
    )
    rulebook = build_rulebook(view, referential)
    written = []
    for fmt in rulebook_document.FORMATS:
        path = output_dir / f"reglement-annote-{view.code.lower()}.{fmt}"
        path.write_text(rulebook_document.render(rulebook, fmt), encoding="utf-8")
        written.append(path)
    return ReferentialTour(
        pin=referential.pin,
        dispositifs=rows,
        shown=presentation.dispositif_at(view),
        scenario=scenario,
        rulebooks=tuple(written),
    )


# The mistakes whose orders the walk explains, one order each, in this order.
EXPLAINED_CODES = (
    "SCENARIO_PROFILE_MISSING",
    "ORDER_AFTER_DEADLINE",
    "AMOUNT_ABOVE_CEILING",
    "ORDER_DUPLICATE_PRESTATION",
    "AMOUNT_TTC_INCONSISTENT",
)


def _fresh_sqlite(database: Path) -> None:
    """Remove the previous run's database (and SQLite's companion files)."""
    for suffix in ("", "-wal", "-shm", "-journal"):
        database.with_name(database.name + suffix).unlink(missing_ok=True)


def orders_tour(
    output_dir: Path, database: Path, referential: Referential | None = None
) -> OrdersTour:
    """A fresh store seeded through the real imports, then every order checked."""
    referential = referential or default_referential()
    files = write_demo_files(output_dir / "donnees", referential)
    _fresh_sqlite(database)
    engine = open_store(f"sqlite:///{database}")
    try:
        vendor, _ = create_vendor(engine, name=VENDOR_NAME, siret=VENDOR_SIRET, actor=DEMO_ACTOR)
        imports = (
            import_finess(engine, files.finess, actor=DEMO_ACTOR),
            import_legal_entities(engine, files.legal_entities, actor=DEMO_ACTOR),
            import_eligibility(
                engine, files.eligibility, actor=DEMO_ACTOR, referential=referential
            ),
            import_solutions(
                engine,
                files.solutions,
                vendor_id=vendor.id,
                actor=DEMO_ACTOR,
                referential=referential,
                today=DEMO_TODAY,
            ),
            import_orders(
                engine, files.orders, vendor_id=vendor.id, actor=DEMO_ACTOR, referential=referential
            ),
        )
        refused = [outcome.message() for outcome in imports if outcome.refused]
        if refused:  # the demo's own files: a bug of the demo, said plainly
            raise ValueError("Données de démonstration refusées : " + " ".join(refused))
        report = check_orders(engine, vendor.id, today=DEMO_TODAY, referential=referential)
        solutions = tuple(list_solutions(engine, vendor.id, referential=referential))
        with reading(engine) as uow:
            journal = verify(uow.session)
    finally:
        engine.dispose()
    explained: list[tuple[OrderCheck, str]] = []
    for code in EXPLAINED_CODES:
        for check in report.checks:
            defect = DEFECTS.get(check.number)
            if defect is not None and defect[1] == code:
                explained.append((check, defect[0]))
                break
    return OrdersTour(
        database, files, vendor, imports, solutions, report, tuple(explained), journal
    )


def run_demo(output_dir: Path = DEMO_OUTPUT, database: Path | None = None) -> DemoReport:
    """Run every part of the walk; files go to `output_dir` (created if needed), the demo's
    own SQLite database to `database` (default: var/demo.sqlite3 beside `output_dir`),
    recreated at each run."""
    output_dir.mkdir(parents=True, exist_ok=True)
    database = database or output_dir.parent / "var" / DEMO_DATABASE_NAME
    referential = default_referential()
    walk = referential_tour(output_dir, referential)
    orders = orders_tour(output_dir, database, referential)
    deposits = deposits_tour(
        database, output_dir, VENDOR_NAME, VENDOR_SIRET, orders.report, DEMO_ACTOR, referential
    )
    evidence = evidence_tour(
        database, output_dir, VENDOR_SIRET, orders.report, DEMO_ACTOR, referential
    )
    operator = operator_tour(
        output_dir,
        database.parent / OPERATOR_DATABASE_NAME,
        deposits,
        VENDOR_NAME,
        VENDOR_SIRET,
        referential,
    )
    controls = controls_tour(
        output_dir,
        operator.database,
        orders.files.finess,
        orders.files.legal_entities,
        DEMO_ACTOR,
        referential,
    )
    return DemoReport(
        output_dir=output_dir,
        referential=walk,
        orders=orders,
        deposits=deposits,
        evidence=evidence,
        operator=operator,
        controls=controls,
    )
