"""The unit of work is all or nothing; imports are registered so the same file changes nothing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from sons.domain.orders import LegalEntity, LegalStatus, PurchaseOrder
from sons.store.database import PLAN_EACH_TIME
from sons.store.directory import Establishment
from sons.store.eligibility import Ceiling
from sons.store.errors import AlreadyImportedError, StoreError
from sons.store.imports import ImportKind, file_sha256
from sons.store.schema import metadata
from sons.store.unit_of_work import UnitOfWork

if TYPE_CHECKING:
    from conftest import Seeded, TickingClock

OrderFactory = Callable[..., PurchaseOrder]


class Boom(Exception):
    pass


def _counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as connection:
        return {
            table.name: connection.execute(sa.select(sa.func.count()).select_from(table)).one()[0]
            for table in metadata().sorted_tables
        }


def test_an_error_inside_leaves_nothing_behind(
    engine: Engine, clock: TickingClock, seeded: Seeded, make_order: OrderFactory
) -> None:
    before = _counts(engine)
    with pytest.raises(Boom), UnitOfWork(engine, "alice", clock) as uow:
        batch = uow.imports.register(
            ImportKind.ORDERS, "bons.csv", "a" * 64, vendor_id=seeded.vendor_id
        )
        uow.orders.add_many(seeded.vendor_id, [make_order(f"BC-{n}") for n in range(20)])
        uow.directory.upsert_establishments([Establishment("750712184", "750712176", "H")])
        uow.eligibility.upsert([Ceiling("RAD-RIS-Va1", "750712176", 100)])
        uow.imports.complete(batch, 20)
        uow.flush()
        assert _counts(engine) == before  # not visible to others before commit
        raise Boom
    assert _counts(engine) == before
    # The journal's tail was not advanced either: the next entry follows the last committed one.
    with UnitOfWork(engine, "alice", clock) as uow:
        entry = uow.journal.record("update", "test", "x", after={"n": 1})
    assert entry.id == before["journal_entries"] + 1


def test_an_import_never_completed_is_not_committed(engine: Engine, clock: TickingClock) -> None:
    with pytest.raises(StoreError, match="jamais terminé"), UnitOfWork(engine, "a", clock) as uow:
        uow.imports.register(ImportKind.FINESS, "finess.csv", "b" * 64)
    assert _counts(engine)["import_batches"] == 0


def _import_finess(engine: Engine, clock: TickingClock, path: Path) -> str:
    """What an import service does: skip a known file, else store it and register it."""
    digest = file_sha256(path)
    with UnitOfWork(engine, "import", clock) as uow:
        earlier = uow.imports.find(ImportKind.FINESS, digest)
        if earlier is not None:
            return "déjà importé"
        batch = uow.imports.register(ImportKind.FINESS, path.name, digest)
        lines = path.read_text(encoding="utf-8").splitlines()
        rows = [Establishment(*line.split(";")[:3]) for line in lines]
        count = uow.directory.upsert_establishments(rows, batch_id=batch.id)
        uow.directory.upsert_legal_entities(
            [LegalEntity(r.finess_ej, "EJ", LegalStatus.PUBLIC) for r in rows],
            extract_date=dt.date(2025, 2, 1),
            batch_id=batch.id,
        )
        uow.imports.complete(batch, count)
    return "importé"


def test_reimporting_the_same_file_changes_nothing(
    engine: Engine, clock: TickingClock, tmp_path: Path
) -> None:
    extract = tmp_path / "finess.csv"
    extract.write_text("750712184;750712176;HOPITAL\n010780054;010008407;CLINIQUE\n")
    assert _import_finess(engine, clock, extract) == "importé"
    after_first = _counts(engine)
    assert after_first["establishments"] == 2
    assert after_first["import_batches"] == 1

    copy = tmp_path / "copie du même fichier.csv"
    copy.write_bytes(extract.read_bytes())
    assert _import_finess(engine, clock, copy) == "déjà importé"
    assert _counts(engine) == after_first

    with UnitOfWork(engine, "import", clock) as uow:
        with pytest.raises(AlreadyImportedError) as refused:
            uow.imports.register(ImportKind.FINESS, copy.name, file_sha256(copy))
        batches = uow.imports.all(kind=ImportKind.FINESS)
    assert "a déjà été importé le 2025-03-01 à 09:00 UTC par import" in str(refused.value)
    assert "sous le nom « finess.csv »" in str(refused.value)
    assert [(b.file_name, b.rows) for b in batches] == [("finess.csv", 2)]

    # The same bytes as another kind, or for one vendor, are a different import.
    with UnitOfWork(engine, "import", clock) as uow:
        assert uow.imports.find(ImportKind.ELIGIBILITY, file_sha256(copy)) is None
        assert uow.imports.find(ImportKind.FINESS, file_sha256(copy), vendor_id=1) is None

    changed = tmp_path / "finess-2.csv"
    changed.write_text("750712184;750712176;HOPITAL RENOMME\n")
    assert _import_finess(engine, clock, changed) == "importé"
    with UnitOfWork(engine, "lecture", clock, read_only=True) as uow:
        renamed = uow.directory.establishment("750712184")
        journal = uow.journal.history("import_batch", "2")
    assert renamed is not None and renamed.name == "HOPITAL RENOMME"
    assert journal[0].after == {
        "kind": "finess",
        "file_name": "finess-2.csv",
        "sha256": file_sha256(changed),
        "rows": 1,
    }


def test_a_unit_of_work_is_used_once_and_signed(engine: Engine) -> None:
    with pytest.raises(StoreError, match="auteur est vide"):
        UnitOfWork(engine, "  ")
    uow = UnitOfWork(engine, "alice")
    with uow:
        pass
    with pytest.raises(StoreError, match="qu'une fois"), uow:
        pass


@pytest.mark.parametrize("kind", ["read_only", "glance"])
def test_a_read_only_unit_of_work_cannot_write_on_postgresql(
    engine: Engine, clock: TickingClock, kind: str
) -> None:
    """PostgreSQL refuses the write itself: told by the BEGIN (« BEGIN READ ONLY ») for a
    read, by the connection (`default_transaction_read_only`) for a glance; the next writer is
    unaffected."""
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite has no read-only transactions; its readers never write")
    reading = UnitOfWork(engine, "lecture", clock, **{kind: True})  # type: ignore[arg-type]
    with pytest.raises(sa.exc.InternalError, match="read-only transaction"), reading as uow:
        uow.session.execute(sa.text("UPDATE vendors SET name = name"))
    with UnitOfWork(engine, "écriture", clock) as uow:
        uow.session.execute(sa.text("SELECT 1"))
        read_only = uow.session.connection().exec_driver_sql("SHOW transaction_read_only")
        assert read_only.scalar() == "off"


def test_a_glance_streams_nothing_but_reads_what_is_committed(
    engine: Engine, clock: TickingClock, seeded: Seeded
) -> None:
    with UnitOfWork(engine, "lecture", clock, glance=True) as uow:
        assert uow.read_only
        assert uow.session.execute(sa.text("SELECT count(*) FROM vendors")).scalar() == 2


def test_statements_marked_plan_each_time_are_never_prepared(
    engine: Engine, clock: TickingClock, seeded: Seeded
) -> None:
    """Psycopg prepares a statement run five times on a connection, and PostgreSQL may then
    keep a generic plan: a statement marked PLAN_EACH_TIME is sent unprepared however often it
    runs (planned with its values), the others are prepared as before. SQLite ignores the
    mark: same rows."""
    marked = (
        sa.select(sa.literal_column("'marquée'"), sa.func.count())
        .select_from(sa.table("vendors"))
        .where(sa.column("id") >= sa.bindparam("low"))
        .execution_options(**{PLAN_EACH_TIME: True})
    )
    plain = sa.select(sa.literal_column("'ordinaire'"), sa.func.count()).select_from(
        sa.table("vendors")
    )
    with UnitOfWork(engine, "lecture", clock, glance=True) as uow:
        connection = uow.session.connection()
        ids = connection.execute(sa.text("SELECT id FROM vendors")).scalars().all()
        for low in range(8):
            expected = sum(1 for vendor_id in ids if vendor_id >= low)
            assert connection.execute(marked, {"low": low}).one() == ("marquée", expected)
            assert connection.execute(plain).one() == ("ordinaire", len(ids))
        if engine.dialect.name == "postgresql":
            prepared = connection.exec_driver_sql(
                "SELECT statement FROM pg_prepared_statements"
            ).scalars()
            texts = " ".join(prepared)
            assert "'ordinaire'" in texts and "'marquée'" not in texts
