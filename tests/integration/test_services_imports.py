"""The import use cases on SQLite and PostgreSQL: the documented examples go in, the same file
twice changes nothing, and a file with a single bad line stores nothing at all."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from sons.services.directory import import_finess, import_legal_entities
from sons.services.eligibility import import_eligibility
from sons.services.importing import ImportOutcome
from sons.services.orders import import_orders
from sons.services.solutions import import_solutions
from sons.services.vendors import create_vendor
from sons.store.journal import Change
from sons.store.schema import metadata
from sons.store.unit_of_work import UnitOfWork

if TYPE_CHECKING:
    from conftest import TickingClock

EXAMPLES = Path(__file__).parents[2] / "docs" / "examples"
EXAMPLE_VENDOR_SIRET = "88888888000018"
ACTOR = "alice@editeur.fr"


def snapshot(engine: Engine) -> dict[str, Any]:
    """Row counts of every table, and the journal's entries (id, hash): what an import changes."""
    existing = set(sa.inspect(engine).get_table_names())
    with engine.connect() as connection:
        counts = {
            table.name: connection.execute(sa.select(sa.func.count()).select_from(table)).scalar()
            for table in metadata().sorted_tables
            if table.name in existing
        }
        journal = connection.execute(
            sa.text("SELECT id, hash FROM journal_entries ORDER BY id")
        ).all()
    return {"counts": counts, "journal": [tuple(row) for row in journal]}


@dataclass
class Seeded:
    vendor_id: int


def seed_vendor(engine: Engine, clock: TickingClock) -> Seeded:
    entry, change = create_vendor(
        engine, name="Éditeur de démo", siret=EXAMPLE_VENDOR_SIRET, actor=ACTOR, clock=clock
    )
    assert change is Change.CREATED
    return Seeded(entry.id)


def import_everything(
    engine: Engine, clock: TickingClock, vendor_id: int, *, with_orders: bool = True
) -> list[ImportOutcome]:
    """The documented examples, in the order a newcomer imports them."""
    reference = [
        import_finess(engine, EXAMPLES / "finess-extrait.csv", actor=ACTOR, clock=clock),
        import_legal_entities(
            engine, EXAMPLES / "entites-juridiques.csv", actor=ACTOR, clock=clock
        ),
        import_eligibility(engine, EXAMPLES / "eligibilite.csv", actor=ACTOR, clock=clock),
        import_solutions(
            engine, EXAMPLES / "solutions.csv", vendor_id=vendor_id, actor=ACTOR, clock=clock
        ),
    ]
    if not with_orders:
        return reference
    return [
        *reference,
        import_orders(
            engine, EXAMPLES / "commandes.csv", vendor_id=vendor_id, actor=ACTOR, clock=clock
        ),
        import_orders(
            engine, EXAMPLES / "commandes.xlsx", vendor_id=vendor_id, actor=ACTOR, clock=clock
        ),
    ]


def test_the_documented_examples_import_then_a_second_import_changes_nothing(
    engine: Engine, clock: TickingClock
) -> None:
    seeded = seed_vendor(engine, clock)
    first = import_everything(engine, clock, seeded.vendor_id)
    assert [o.refused for o in first] == [False] * 6, [o.message() for o in first]
    assert [o.stored.rows for o in first] == [14, 10, 5, 3, 3, 1]
    with UnitOfWork(engine, ACTOR, clock, read_only=True) as uow:
        assert uow.directory.count_establishments() == 14
        entity = uow.directory.legal_entity("690999206")
        assert entity is not None and entity.status.value == "private"
        assert uow.eligibility.ceiling("RAD-RIS-Va1", "310999818") == 950_050
        assert len(uow.solutions.all(seeded.vendor_id)) == 3
        assert uow.orders.count(seeded.vendor_id) == 4
        imports = uow.imports.all()
        history = uow.journal.history("purchase_order", "BC-DEMO-RAD-001")
    assert [batch.kind for batch in imports] == [
        "finess",
        "legal_entities",
        "eligibility",
        "solutions",
        "orders",
        "orders",
    ]
    assert [entry.action for entry in history] == ["create"]
    assert history[0].actor == ACTOR

    before = snapshot(engine)
    again = import_everything(engine, clock, seeded.vendor_id)
    assert all(o.earlier is not None and o.batch is None for o in again)
    assert all("rien n'a été modifié" in o.message() for o in again)
    assert again[0].earlier == imports[0]
    assert snapshot(engine) == before


def test_the_same_bytes_under_another_name_are_recognised(
    engine: Engine, clock: TickingClock, tmp_path: Path
) -> None:
    first = import_finess(engine, EXAMPLES / "finess-extrait.csv", actor=ACTOR, clock=clock)
    copy = shutil.copy(EXAMPLES / "finess-extrait.csv", tmp_path / "annuaire-renomme.csv")
    before = snapshot(engine)
    again = import_finess(engine, Path(copy), actor="bob", clock=clock)
    assert again.earlier is not None and again.earlier.id == first.batch.id  # type: ignore[union-attr]
    assert "finess-extrait.csv" in again.message() and ACTOR in again.message()
    assert snapshot(engine) == before


def test_a_solutions_file_with_changes_updates_only_what_changed(
    engine: Engine, clock: TickingClock, tmp_path: Path
) -> None:
    seeded = seed_vendor(engine, clock)
    import_solutions(
        engine, EXAMPLES / "solutions.csv", vendor_id=seeded.vendor_id, actor=ACTOR, clock=clock
    )
    changed = tmp_path / "solutions-v2.csv"
    changed.write_text(
        (EXAMPLES / "solutions.csv")
        .read_text(encoding="utf-8")
        .replace("DPI DÉMO;2022.1", "DPI DÉMO;2022.2"),
        encoding="utf-8",
    )
    outcome = import_solutions(
        engine, changed, vendor_id=seeded.vendor_id, actor=ACTOR, clock=clock
    )
    assert outcome.stored.changes == {Change.UPDATED: 1, Change.UNCHANGED: 2}
    with UnitOfWork(engine, ACTOR, clock, read_only=True) as uow:
        history = uow.journal.history("solution", "REF-DEMO-DPI-001")
    assert [e.action for e in history] == ["create", "update"]
    assert history[1].before["version"] == "2022.1" and history[1].after["version"] == "2022.2"


# --- all or nothing ---------------------------------------------------------------------------


def _with_bad_last_line(source: Path, target: Path, bad_line: str) -> Path:
    text = source.read_text(encoding="utf-8").rstrip("\r\n")
    target.write_text(text + "\n" + bad_line + "\n", encoding="utf-8")
    return target


FINESS_BAD = (
    "structureet;67099992X;670999903;CH FAUX;CENTRE HOSPITALIER FAUX;;;1;PL;DE L'HÔPITAL;;;482;67;"
    "BAS-RHIN;67000 STRASBOURG;;;355;Centre Hospitalier (C.H.);1102;Centres Hospitaliers;;8610Z;"
    "03;ARS;1;Etablissement public de santé;1960-01-01;1960-01-01;2024-10-30;"
)
BAD_FILES = {
    # kind: (example file, bad last line, (column, rule) expected on that line)
    "finess": ("finess-extrait.csv", FINESS_BAD, ("nofinesset", "FINESS_INVALID_FORMAT")),
    "entities": (
        "entites-juridiques.csv",
        "130999402;CLINIQUE;;associatif",
        ("statut", "LEGAL_STATUS_INVALID"),
    ),
    "eligibility": (
        "eligibilite.csv",
        "330999509;HOP-DPI-Va1;1000,005",
        ("plafond_ht", "AMOUNT_TOO_MANY_DECIMALS"),
    ),
    "solutions": (
        "solutions.csv",
        "PFI DÉMO;1.0;REF-DEMO-PFI-001;HOP-PFI-Va1;Profil inventé;2022-01-10",
        ("profils", "PROFILE_UNKNOWN"),
    ),
    "orders": (
        "commandes.csv",
        "BC-DEMO-RAD-009;31/02/2022;Dr X;88888888000018;REF-DEMO-RIS-001;RAD-RIS-Va1;690999206;EJ;"
        "1000;1200;;;;;;;;;;;;690999214;Non;Non;;Non;Non;Non;Oui;Non;Oui;Non;Oui;Non;;;",
        ("date_signature", "DATE_INVALID"),
    ),
}


def _run(kind: str, engine: Engine, path: Path, clock: TickingClock, vendor_id: int) -> Any:
    if kind == "finess":
        return import_finess(engine, path, actor=ACTOR, clock=clock)
    if kind == "entities":
        return import_legal_entities(engine, path, actor=ACTOR, clock=clock)
    if kind == "eligibility":
        return import_eligibility(engine, path, actor=ACTOR, clock=clock)
    if kind == "solutions":
        return import_solutions(engine, path, vendor_id=vendor_id, actor=ACTOR, clock=clock)
    return import_orders(engine, path, vendor_id=vendor_id, actor=ACTOR, clock=clock)


@pytest.mark.parametrize("kind", sorted(BAD_FILES))
def test_a_file_with_one_bad_line_stores_nothing(
    kind: str, engine: Engine, clock: TickingClock, tmp_path: Path
) -> None:
    seeded = seed_vendor(engine, clock)
    import_solutions(
        engine, EXAMPLES / "solutions.csv", vendor_id=seeded.vendor_id, actor=ACTOR, clock=clock
    )
    example, bad_line, (column, rule) = BAD_FILES[kind]
    path = _with_bad_last_line(EXAMPLES / example, tmp_path / example, bad_line)
    last_line = len(path.read_text(encoding="utf-8").splitlines())
    before = snapshot(engine)
    outcome = _run(kind, engine, path, clock, seeded.vendor_id)
    assert outcome.refused and outcome.batch is None
    assert (last_line, column, rule) in {
        (p.line, p.column, p.rule) for p in outcome.report.errors
    }, [str(p) for p in outcome.report.problems]
    assert "rien n'est enregistré" in outcome.message()
    assert snapshot(engine) == before
    # Nothing was recorded either: the good lines of the same file import once it is fixed.
    fixed = _run(kind, engine, EXAMPLES / example, clock, seeded.vendor_id)
    assert fixed.batch is not None or fixed.earlier is not None


def test_orders_for_another_vendor_or_an_unknown_solution_are_placed_and_refused(
    engine: Engine, clock: TickingClock, tmp_path: Path
) -> None:
    other, _ = create_vendor(
        engine, name="Autre éditeur", siret="55210055400013", actor=ACTOR, clock=clock
    )
    import_solutions(
        engine, EXAMPLES / "solutions.json", vendor_id=other.id, actor=ACTOR, clock=clock
    )
    path = tmp_path / "commandes.json"
    path.write_text(
        (EXAMPLES / "commandes.json")
        .read_text(encoding="utf-8")
        .replace('"REF-DEMO-DPI-001"', '"REF-INCONNUE"'),
        encoding="utf-8",
    )
    before = snapshot(engine)
    outcome = import_orders(engine, path, vendor_id=other.id, actor=ACTOR, clock=clock)
    assert outcome.refused
    placed = {(p.column, p.rule) for p in outcome.report.errors}
    assert ("$.commandes[0].siret_fournisseur", "ORDER_VENDOR_MISMATCH") in placed
    assert ("$.commandes[1].numero_referencement", "SOLUTION_UNKNOWN") in placed
    assert len([p for p in outcome.report.errors if p.rule == "ORDER_VENDOR_MISMATCH"]) == 3
    mismatch = next(p for p in outcome.report.errors if p.rule == "ORDER_VENDOR_MISMATCH")
    assert "88888888000018" in mismatch.message and "--vendor" in mismatch.message
    assert snapshot(engine) == before


def test_the_finess_import_reports_its_progress_and_streams_into_the_store(
    engine: Engine, clock: TickingClock, tmp_path: Path
) -> None:
    from sons.formats.synthetic_finess import write_extract

    path = write_extract(tmp_path / "extrait.csv", 12_000, geolocation=True)
    calls: list[tuple[int, int]] = []
    outcome = import_finess(
        engine, path, actor=ACTOR, clock=clock, progress=lambda d, t: calls.append((d, t))
    )
    assert outcome.stored.rows == 12_000
    total = path.stat().st_size
    assert len(calls) >= 3 and calls[-1] == (total, total)
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)
    with UnitOfWork(engine, ACTOR, clock, read_only=True) as uow:
        assert uow.directory.count_establishments() == 12_000
        assert uow.directory.count_establishments(department="01") > 0


def test_a_missing_file_is_a_placed_problem_not_a_crash(
    engine: Engine, clock: TickingClock, tmp_path: Path
) -> None:
    outcome = import_eligibility(engine, tmp_path / "absent.csv", actor=ACTOR, clock=clock)
    assert outcome.refused
    assert [p.rule for p in outcome.report.errors] == ["FILE_NOT_FOUND"]
