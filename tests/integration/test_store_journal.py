"""The journal: chained SHA-256 of canonical JSON, a verify that names the first broken entry."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from sons.domain.orders import PurchaseOrder, Solution, Vendor
from sons.entrypoints.cli import app
from sons.store.errors import ReadOnlyError, StoreError
from sons.store.journal import GENESIS_HASH, VerifyResult, verify
from sons.store.unit_of_work import UnitOfWork

if TYPE_CHECKING:
    from conftest import Seeded, TickingClock

OrderFactory = Callable[..., PurchaseOrder]


def _verify(engine: Engine) -> VerifyResult:
    with Session(engine) as session:
        return verify(session)


def _rows(engine: Engine) -> list[sa.Row[tuple[object, ...]]]:
    with engine.connect() as connection:
        return list(connection.execute(sa.text("SELECT * FROM journal_entries ORDER BY id")))


def _sql(engine: Engine, statement: str, **values: object) -> None:
    with engine.begin() as connection:
        connection.execute(sa.text(statement), values)


@pytest.fixture
def five_entries(
    engine: Engine, clock: TickingClock, seeded: Seeded, make_order: OrderFactory
) -> None:
    """seeded: 4 entries (2 vendors, 2 solutions); then the order: entry 5."""
    with UnitOfWork(engine, "alice", clock) as uow:
        uow.orders.add(seeded.vendor_id, make_order("BC-1"))


def test_each_hash_is_the_sha256_of_the_canonical_entry_chained_to_the_previous(
    engine: Engine, five_entries: None
) -> None:
    rows = _rows(engine)
    assert [row.id for row in rows] == [1, 2, 3, 4, 5]
    previous = GENESIS_HASH
    for row in rows:
        at = row.at if isinstance(row.at, dt.datetime) else dt.datetime.fromisoformat(row.at)
        document = {
            "id": row.id,
            "at": at.replace(tzinfo=None).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "actor": row.actor,
            "action": row.action,
            "entity_type": row.entity_type,
            "entity_id": row.entity_id,
            "vendor_id": row.vendor_id,
            "before": None if row.before is None else json.loads(row.before),
            "after": None if row.after is None else json.loads(row.after),
            "prev_hash": previous,
        }
        text = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        assert row.prev_hash == previous
        assert row.hash == hashlib.sha256(text.encode("utf-8")).hexdigest()
        previous = row.hash
    order_entry = rows[-1]
    assert (order_entry.actor, order_entry.action, order_entry.entity_id) == (
        "alice",
        "create",
        "BC-1",
    )
    # Canonical: sorted keys, no spaces, accents kept as UTF-8.
    assert order_entry.after.startswith('{"client_id":"750712184","client_kind":"legal_entity"')
    assert '"signatory":"Dr Élise Martin, directrice"' in order_entry.after
    assert _verify(engine) == VerifyResult(checked=5, last_hash=rows[-1].hash)


def test_entries_carry_the_injected_clock_and_the_state_before_and_after(
    engine: Engine, clock: TickingClock, seeded: Seeded
) -> None:
    changed = dataclasses.replace(seeded.vendor, name="Nouveau nom")
    with UnitOfWork(engine, "alice", clock) as uow:
        uow.vendors.save(changed)
        entry = uow.journal.history("vendor", changed.siret)[-1]
    assert entry.at == clock.current
    assert entry.before["name"] == seeded.vendor.name
    assert entry.after["name"] == "Nouveau nom"
    assert entry.vendor_id == seeded.vendor_id


def test_a_tampered_entry_is_named(engine: Engine, five_entries: None) -> None:
    third = _rows(engine)[2]
    after = json.loads(third.after)
    after["profiles"] = ["profil ajouté en douce"]
    tampered = json.dumps(after, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    _sql(engine, "UPDATE journal_entries SET after = :after WHERE id = 3", after=tampered)

    result = _verify(engine)
    assert not result.ok
    assert result.broken is not None
    assert (result.broken.entry_id, result.broken.problem) == (3, "CONTENT_ALTERED")
    assert result.broken.found == third.hash
    assert result.checked == 2


@pytest.mark.parametrize(
    ("statement", "entry", "problem"),
    [
        ("UPDATE journal_entries SET actor = 'mallory' WHERE id = 4", 4, "CONTENT_ALTERED"),
        ("DELETE FROM journal_entries WHERE id = 2", 3, "ENTRY_MISSING"),
        ("UPDATE journal_entries SET prev_hash = :fake WHERE id = 5", 5, "CHAIN_BROKEN"),
        ("UPDATE journal_entries SET after = '{\"a\": 1}' WHERE id = 1", 1, "NOT_CANONICAL"),
        ("UPDATE journal_entries SET before = '{oops' WHERE id = 2", 2, "INVALID_JSON"),
    ],
)
def test_every_kind_of_tampering_is_detected(
    engine: Engine, five_entries: None, statement: str, entry: int, problem: str
) -> None:
    _sql(engine, statement, fake="f" * 64)
    broken = _verify(engine).broken
    assert broken is not None
    assert (broken.entry_id, broken.problem) == (entry, problem)


def test_a_rewritten_hash_still_breaks_the_next_link(engine: Engine, five_entries: None) -> None:
    _sql(engine, "UPDATE journal_entries SET hash = :fake WHERE id = 3", fake="e" * 64)
    broken = _verify(engine).broken
    assert broken is not None
    assert (broken.entry_id, broken.problem) == (3, "CONTENT_ALTERED")


def test_concurrent_writers_do_not_fork_the_chain(engine: Engine, clock: TickingClock) -> None:
    writers, rounds = 4, 5

    def write(worker: int) -> None:
        for n in range(rounds):
            with UnitOfWork(engine, f"writer-{worker}", clock) as uow:
                vendor_id = uow.vendors.save(
                    Vendor(f"Éditeur {worker}", "732829320", f"7328293200{worker:02d}{n:02d}")
                ).id
                uow.solutions.save(
                    vendor_id,
                    Solution("S", "1", f"REF-{worker}-{n}", "RAD-RIS-Va1", frozenset()),
                )

    threads = [threading.Thread(target=write, args=(w,)) for w in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    rows = _rows(engine)
    assert [row.id for row in rows] == list(range(1, writers * rounds * 2 + 1))
    assert len({row.prev_hash for row in rows}) == len(rows)
    assert _verify(engine).ok


def test_writes_need_a_writable_unit_and_an_aware_clock(engine: Engine) -> None:
    with UnitOfWork(engine, "lecture", read_only=True) as uow, pytest.raises(ReadOnlyError):
        uow.journal.record("create", "vendor", "x", after={})
    naive = dt.datetime(2025, 1, 1, 12, 0)
    with (
        pytest.raises(StoreError, match="sans fuseau"),
        UnitOfWork(engine, "a", lambda: naive) as uow,
    ):
        uow.vendors.save(Vendor("V", "732829320", "73282932000074"))
    assert _rows(engine) == []


def test_cli_verify(engine: Engine, db_url: str, five_entries: None) -> None:
    runner = CliRunner()
    env = {"SONS_DATABASE_URL": db_url}

    intact = runner.invoke(app, ["journal", "verify"], env=env)
    assert intact.exit_code == 0, intact.output
    assert "Journal intègre : 5 entrée(s) vérifiée(s)" in intact.output

    _sql(engine, "UPDATE journal_entries SET after = :after WHERE id = 3", after='{"x":1}')
    broken = runner.invoke(app, ["journal", "verify"], env=env)
    assert broken.exit_code == 1
    assert "Journal altéré : entrée n° 3 du 2025-03-01" in broken.output
    assert "create solution REF-RIS-001, par amorçage" in broken.output

    as_json = runner.invoke(app, ["journal", "verify", "--json"], env=env)
    assert as_json.exit_code == 1
    report = json.loads(as_json.output)
    assert report["ok"] is False
    assert report["checked"] == 2
    assert report["broken"]["entry_id"] == 3
    assert report["broken"]["problem"] == "CONTENT_ALTERED"
