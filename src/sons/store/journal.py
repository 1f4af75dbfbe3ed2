"""The journal: every create, update, delete, rebase and import, chained by SHA-256.

An entry says who (actor), when (UTC, from the injected clock), what (action), to which entity
(type, id, and its vendor when it has one), and the state before and after as canonical JSON
(sorted keys, no spaces, UTF-8). Its hash is the SHA-256 of the canonical JSON of the entry
itself, its predecessor's hash included, so changing, removing or inserting any entry breaks
every link after it. `verify` recomputes the chain and names the first broken entry.

The chain must never fork (two entries claiming the same predecessor). Appends are serialised:
a writing unit of work takes the database's write lock before it reads the chain's tail
(`lock_for_append`), so the tail cannot move until it commits:
- PostgreSQL: `pg_advisory_xact_lock` on a constant key, held until commit or rollback. Taken at
  the start of the transaction, before any row lock, so it cannot deadlock with them.
- SQLite: a writer begins with BEGIN IMMEDIATE (see `database.py`), which takes the database's
  single write lock; SQLite admits one writer at a time, so nothing more is needed.
As a last guard, entry ids are assigned as tail + 1 under a primary key: a writer that somehow
bypassed the lock would fail on the duplicate id instead of forking the chain.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from sons.store.bulk import insert_rows
from sons.store.errors import ReadOnlyError
from sons.store.tables import JournalEntryRow

GENESIS_HASH = "0" * 64
# Any constant works: it only has to differ from other applications sharing the database.
_APPEND_LOCK_KEY = 0x534F4E53_0002  # "SONS", 2
_VERIFY_BATCH = 2000


class JournalAction(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    REBASE = "rebase"
    IMPORT = "import"


class Change(StrEnum):
    """What a save did, so callers can report it and re-imports can show "nothing changed"."""

    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


_CANONICAL = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
)


def canonical_json(value: Any) -> str:
    """Sorted keys, no spaces, non-ASCII kept as is; only plain JSON values are accepted."""
    return _CANONICAL.encode(value)


def format_instant(at: dt.datetime) -> str:
    """A UTC instant as hashed: always with microseconds, so the text is unambiguous."""
    return at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(frozen=True, slots=True)
class JournalEntry:
    id: int
    at: dt.datetime
    actor: str
    action: str
    entity_type: str
    entity_id: str
    vendor_id: int | None
    before: Any
    after: Any
    prev_hash: str
    hash: str

    def header(self) -> dict[str, Any]:
        return hashed_header(self)

    def computed_hash(self) -> str:
        return entry_hash(self.header(), _text(self.before), _text(self.after))

    def as_dict(self) -> dict[str, Any]:
        return {**self.header(), "before": self.before, "after": self.after, "hash": self.hash}


def hashed_header(entry: Any) -> dict[str, Any]:
    """What the hash covers besides `before` and `after`, from an entry or a stored row."""
    return {
        "id": entry.id,
        "at": format_instant(entry.at),
        "actor": entry.actor,
        "action": entry.action,
        "entity_type": entry.entity_type,
        "entity_id": entry.entity_id,
        "vendor_id": entry.vendor_id,
        "prev_hash": entry.prev_hash,
    }


def _text(value: Any) -> str | None:
    return None if value is None else canonical_json(value)


def entry_hash(header: dict[str, Any], before_text: str | None, after_text: str | None) -> str:
    """SHA-256 of the canonical JSON of `{**header, "before": …, "after": …}`.

    Built from the canonical texts of `before` and `after` as stored, not re-serialised: the
    canonical JSON of an object is its members' canonical texts, sorted by key, joined. Same
    bytes, one serialisation less per entry (an import of 20,000 orders writes 20,000 entries).
    """
    members = {key: canonical_json(value) for key, value in header.items()}
    members["before"] = "null" if before_text is None else before_text
    members["after"] = "null" if after_text is None else after_text
    text = "{" + ",".join(f"{canonical_json(key)}:{members[key]}" for key in sorted(members)) + "}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def lock_for_append(session: Session) -> None:
    """Hold the journal's append lock until the transaction ends (see the module docstring)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(sa.select(sa.func.pg_advisory_xact_lock(_APPEND_LOCK_KEY)))


class Journal:
    """Appends entries for one unit of work; they are written when it flushes or commits.

    Entries are buffered and inserted in one statement: an import of 20,000 orders writes
    20,000 entries without 20,000 round trips.
    """

    def __init__(
        self,
        session: Session,
        actor: str,
        clock: Callable[[], dt.datetime],
        *,
        writable: bool = True,
    ) -> None:
        self._session = session
        self._actor = actor
        self._clock = clock
        self._writable = writable
        self._tail: tuple[int, str] | None = None
        self._pending: list[dict[str, Any]] = []

    def record(
        self,
        action: JournalAction | str,
        entity_type: str,
        entity_id: str,
        *,
        before: Any = None,
        after: Any = None,
        vendor_id: int | None = None,
    ) -> JournalEntry:
        if not self._writable:
            raise ReadOnlyError(
                "Cette opération est en lecture seule : elle ne peut rien écrire au journal."
            )
        last_id, last_hash = self._tail if self._tail is not None else self._read_tail()
        before_text, after_text = _text(before), _text(after)
        entry = JournalEntry(
            id=last_id + 1,
            at=self._clock(),
            actor=self._actor,
            action=str(action),
            entity_type=entity_type,
            entity_id=entity_id,
            vendor_id=vendor_id,
            # Re-read from the canonical text: the entry holds exactly what is stored and hashed.
            before=None if before_text is None else json.loads(before_text),
            after=None if after_text is None else json.loads(after_text),
            prev_hash=last_hash,
            hash="",
        )
        entry = dataclasses.replace(entry, hash=entry_hash(entry.header(), before_text, after_text))
        self._pending.append(
            {
                **entry.header(),
                "at": entry.at,
                "before": before_text,
                "after": after_text,
                "hash": entry.hash,
            }
        )
        self._tail = (entry.id, entry.hash)
        return entry

    def flush(self) -> None:
        if self._pending:
            insert_rows(self._session, JournalEntryRow, self._pending)
            self._pending.clear()

    def discard(self) -> None:
        """Forget unwritten entries (the unit of work rolls back)."""
        self._pending.clear()
        self._tail = None

    def history(
        self, entity_type: str, entity_id: str, *, vendor_id: int | None = None
    ) -> list[JournalEntry]:
        """The entries about one entity, oldest first."""
        self.flush()
        query = sa.select(JournalEntryRow).where(
            JournalEntryRow.entity_type == entity_type, JournalEntryRow.entity_id == entity_id
        )
        if vendor_id is not None:
            query = query.where(JournalEntryRow.vendor_id == vendor_id)
        rows = self._session.scalars(query.order_by(JournalEntryRow.id))
        return [_entry(row) for row in rows]

    def _read_tail(self) -> tuple[int, str]:
        return journal_tail(self._session) or (0, GENESIS_HASH)


_TAIL = (
    sa.select(JournalEntryRow.id, JournalEntryRow.hash).order_by(JournalEntryRow.id.desc()).limit(1)
)


class JournaledRepository:
    """What a repository works with: its unit of work's session, the journal its changes go to,
    and the clock that dates them. Repositories subclass it rather than each store the three."""

    def __init__(
        self, session: Session, journal: Journal, clock: Callable[[], dt.datetime]
    ) -> None:
        self._session = session
        self._journal = journal
        self._clock = clock


def journal_tail(session: Session) -> tuple[int, str] | None:
    """The last entry's id and hash, None while the journal is empty: every state change adds
    an entry, so an unchanged tail means unchanged data (one read of the primary key)."""
    row = session.connection().execute(_TAIL).first()
    return None if row is None else (row.id, row.hash)


def _entry(row: Any) -> JournalEntry:
    return JournalEntry(
        id=row.id,
        at=row.at,
        actor=row.actor,
        action=row.action,
        entity_type=row.entity_type,
        entity_id=row.entity_id,
        vendor_id=row.vendor_id,
        before=None if row.before is None else json.loads(row.before),
        after=None if row.after is None else json.loads(row.after),
        prev_hash=row.prev_hash,
        hash=row.hash,
    )


@dataclass(frozen=True, slots=True)
class BrokenEntry:
    """The first entry where the chain does not hold, and why, in French."""

    entry_id: int
    at: dt.datetime | None
    # Stable code: ENTRY_MISSING, CHAIN_BROKEN, INVALID_JSON, NOT_CANONICAL, CONTENT_ALTERED.
    problem: str
    message: str
    # What the entry says it is about (as stored, so possibly altered itself).
    subject: str
    expected: str | None = None
    found: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "entry_id": self.entry_id,
            "at": None if self.at is None else format_instant(self.at),
            "problem": self.problem,
            "message": self.message,
            "subject": self.subject,
            "expected": self.expected,
            "found": self.found,
        }


@dataclass(frozen=True, slots=True)
class VerifyResult:
    checked: int
    last_hash: str | None
    broken: BrokenEntry | None = None

    @property
    def ok(self) -> bool:
        return self.broken is None

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "checked": self.checked,
            "last_hash": self.last_hash,
            "broken": None if self.broken is None else self.broken.as_dict(),
        }


def verify(session: Session) -> VerifyResult:
    """Recompute the whole chain, oldest first; stop at the first entry that does not hold.

    `checked` counts the entries found intact before it. `last_hash` is the last intact hash:
    keep it elsewhere to detect, later, the removal of the most recent entries.
    """
    table = JournalEntryRow.__table__
    query = sa.select(table).order_by(table.c.id).execution_options(yield_per=_VERIFY_BATCH)
    checked, expected_id, previous_hash = 0, 1, GENESIS_HASH
    # Core rows, streamed: no ORM objects for a journal of millions of entries.
    for row in session.connection().execute(query):
        broken = _check(row, expected_id, previous_hash)
        if broken is not None:
            return VerifyResult(checked, previous_hash if checked else None, broken)
        checked += 1
        expected_id, previous_hash = row.id + 1, row.hash
    return VerifyResult(checked, previous_hash if checked else None)


def _check(row: Any, expected_id: int, previous_hash: str) -> BrokenEntry | None:
    subject = f"{row.action} {row.entity_type} {row.entity_id}, par {row.actor}"

    def broken(
        problem: str, message: str, expected: str | None = None, found: str | None = None
    ) -> BrokenEntry:
        return BrokenEntry(row.id, row.at, problem, message, subject, expected, found)

    if row.id != expected_id:
        return broken(
            "ENTRY_MISSING",
            f"l'entrée n° {expected_id} manque (la suivante trouvée est la n° {row.id}) : "
            "une ou plusieurs entrées ont été supprimées.",
            str(expected_id),
            str(row.id),
        )
    if row.prev_hash != previous_hash:
        return broken(
            "CHAIN_BROKEN",
            "la chaîne est rompue : l'empreinte précédente enregistrée dans cette entrée n'est "
            f"pas celle de l'entrée n° {row.id - 1} — une entrée a été modifiée, insérée ou "
            "remplacée.",
            previous_hash,
            row.prev_hash,
        )
    # The hash covers the stored texts byte for byte, so any change shows here; the JSON is
    # only examined to say more precisely what happened, when something did.
    computed = entry_hash(hashed_header(row), row.before, row.after)
    if computed == row.hash:
        return None
    for name in ("before", "after"):
        text = getattr(row, name)
        if text is None:
            continue
        try:
            canonical = canonical_json(json.loads(text))
        except ValueError as exc:
            return broken("INVALID_JSON", f"le champ « {name} » n'est pas du JSON valide ({exc}).")
        if canonical != text:
            return broken(
                "NOT_CANONICAL",
                f"le champ « {name} » n'est plus sous sa forme JSON canonique (clés triées, sans "
                "espaces) : il a été réécrit après coup.",
                canonical,
                text,
            )
    return broken(
        "CONTENT_ALTERED",
        "le contenu de l'entrée (auteur, date, action, entité, état avant ou après) a été "
        "modifié après coup : son empreinte recalculée ne correspond pas à l'empreinte "
        "enregistrée.",
        computed,
        row.hash,
    )


def describe_entry(broken: BrokenEntry) -> str:
    """« entrée n° 3 du 2025-03-01 à 10:00:00 UTC (update purchase_order BC-1, par alice) »."""
    when = ""
    if broken.at is not None:
        when = f" du {broken.at.astimezone(dt.UTC):%Y-%m-%d à %H:%M:%S} UTC"
    return f"entrée n° {broken.entry_id}{when} ({broken.subject})"
