"""Evidence for the balance: transmissions, installed scenarios, MOM and VA (migration
0003_evidence).

- **Transmissions**: one row per message of a vendor's log, unique by (vendor, message id):
  the same transmission imported twice is stored once. The patient's address is never stored
  (it holds the INS), only the kind of recipient; `fingerprint` (BLAKE2b of every field, the
  full address included) tells « same message » from « same id, other content ». Millions of
  rows: they are written with multi-row INSERT … ON CONFLICT DO NOTHING RETURNING on the raw
  DBAPI cursor (no ORM, no per-row SQLAlchemy processing), which also tells which lines were
  already there. The software that sent is a small table of its own (`transmission_software`).
- **Installed scenarios**: one per order site, the answers actually installed; without one,
  the ordered scenario stands.
- **Evidence pieces**: each MOM or VA recorded for an order site, the flows it attests and the
  scenario it attests them for, who and when; a VA keeps its PDF bytes, SHA-256, signer and
  signing time. A VA whose signature does not hold is kept with status « rejected ».

Counting for readiness is one SQL query: a temporary table of criteria (one row per condition of
each order site) joined to the transmissions through an index that holds every column the count
reads, in the order it looks them up, so the wider table is never read.
"""

from __future__ import annotations

import datetime as dt
import queue
import threading
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy import (
    JSON,
    BigInteger,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
)
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Mapped, Session, mapped_column

from sons.domain.evidence import Criterion, Tally, Transmission, software_key
from sons.store.bulk import IN_CHUNK, chunked
from sons.store.errors import NotFoundError
from sons.store.journal import JournalAction, JournaledRepository
from sons.store.tables import HASH_LENGTH, Base, OrderSiteRow, UtcDateTime

INSTALLED_SCENARIO = "installed_scenario"
EVIDENCE_PIECE = "evidence_piece"
FINGERPRINT_LENGTH = 32
ACCEPTED = "accepted"
REJECTED = "rejected"
# Rows per INSERT: 15 columns × 2,000 rows stays under SQLite's 32,766 bound parameters.
WRITE_CHUNK = 2000


class TransmissionSoftwareRow(Base):
    __tablename__ = "transmission_software"
    __table_args__ = (UniqueConstraint("vendor_id", "name", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    vendor_id: Mapped[int] = mapped_column(ForeignKey("vendors.id"))
    name: Mapped[str]
    version: Mapped[str]


class TransmissionRow(Base):
    __tablename__ = "transmissions"
    __table_args__ = (
        UniqueConstraint("vendor_id", "message_id"),
        # Everything the readiness count reads, in the order it looks rows up (site, flow,
        # route): the count reads only this index, one site's flow at a time, never the wider
        # table. Measured on 5 million lines: the count twice as fast as with the time first,
        # for a dearer import (inserts land all over the index) — an import happens once, the
        # count at every `sons evidence status`.
        Index(
            "ix_transmissions_readiness",
            "vendor_id",
            "finess_et",
            "flow",
            "route",
            "acknowledged",
            "software_id",
            "ins_status",
            "document_type",
            "recipient_class",
            "sent_at",
        ),
    )

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True
    )
    vendor_id: Mapped[int] = mapped_column(ForeignKey("vendors.id"))
    message_id: Mapped[str]
    sent_at: Mapped[dt.datetime]
    finess_et: Mapped[str]
    flow: Mapped[str]
    route: Mapped[str]
    ins_status: Mapped[str]
    document_type: Mapped[str | None]
    recipient_class: Mapped[str | None]
    acknowledged: Mapped[bool]
    software_id: Mapped[int] = mapped_column(ForeignKey("transmission_software.id"))
    fingerprint: Mapped[str] = mapped_column(String(FINGERPRINT_LENGTH))
    import_batch_id: Mapped[int] = mapped_column(ForeignKey("import_batches.id"))
    source_line: Mapped[int]


class InstalledScenarioRow(Base):
    """The scenario actually installed on one order site (the ordered one stands without)."""

    __tablename__ = "installed_scenarios"
    __table_args__ = (
        ForeignKeyConstraint(
            ["order_id", "vendor_id"],
            ["purchase_orders.id", "purchase_orders.vendor_id"],
            ondelete="CASCADE",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_site_id: Mapped[int] = mapped_column(
        ForeignKey("order_sites.id", ondelete="CASCADE"), unique=True
    )
    order_id: Mapped[int] = mapped_column(index=True)
    vendor_id: Mapped[int]
    answers: Mapped[dict[str, Any]]
    declared_at: Mapped[dt.datetime]
    declared_by: Mapped[str]
    source: Mapped[str | None]


class EvidencePieceRow(Base):
    """A MOM or a VA of one order site."""

    __tablename__ = "evidence_pieces"
    __table_args__ = (
        ForeignKeyConstraint(
            ["order_id", "vendor_id"],
            ["purchase_orders.id", "purchase_orders.vendor_id"],
            ondelete="CASCADE",
        ),
        Index("ix_evidence_pieces_vendor_order", "vendor_id", "order_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_site_id: Mapped[int] = mapped_column(
        ForeignKey("order_sites.id", ondelete="CASCADE"), index=True
    )
    order_id: Mapped[int]
    vendor_id: Mapped[int]
    kind: Mapped[str]
    flows: Mapped[list[Any]]
    scenario: Mapped[dict[str, Any]]
    scenario_installed: Mapped[bool]
    status: Mapped[str]
    recorded_at: Mapped[dt.datetime]
    recorded_by: Mapped[str]
    file_name: Mapped[str | None]
    sha256: Mapped[str | None] = mapped_column(String(HASH_LENGTH))
    content: Mapped[bytes | None] = mapped_column(LargeBinary)
    signer: Mapped[str | None]
    signed_at: Mapped[dt.datetime | None]
    verification: Mapped[dict[str, Any]] = mapped_column(JSON)


# --- values handed to the services ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OrderSiteRef:
    """One site of a stored order, as evidence hangs on it."""

    id: int
    order_id: int
    position: int
    finess_et: str | None
    ordered_answers: dict[str, Any]


@dataclass(frozen=True, slots=True)
class InstalledScenario:
    order_site_id: int
    answers: dict[str, Any]
    declared_at: dt.datetime
    declared_by: str
    source: str | None


@dataclass(frozen=True, slots=True)
class StoredPiece:
    id: int
    order_site_id: int
    kind: str
    flows: tuple[str, ...]
    scenario: dict[str, Any]
    scenario_installed: bool
    status: str
    recorded_at: dt.datetime
    recorded_by: str
    file_name: str | None
    sha256: str | None
    signer: str | None
    signed_at: dt.datetime | None
    verification: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Conflict:
    """A line whose message id was already stored (in this file or an earlier import).

    `payload` is what the caller handed in with the line (e.g. its values as read)."""

    line: int
    transmission: Transmission
    payload: Any
    same_content: bool
    earlier_batch_id: int
    earlier_line: int
    differences: tuple[str, ...]


def piece_entity_id(number: str, finess_et: str | None, piece_id: int) -> str:
    return f"{number}/{finess_et or 'sans-finess'}/{piece_id}"


# --- the repository ---------------------------------------------------------------------------


class EvidenceRepository(JournaledRepository):
    """Everything evidence stores, scoped to one vendor per call; writes journaled."""

    # -- order sites ---------------------------------------------------------------------------

    def known_sites(self, vendor_id: int) -> set[str]:
        """The FINESS ET of every site of the vendor's orders: the sites a log may name."""
        rows = self._session.execute(
            sa.select(OrderSiteRow.finess_et)
            .where(OrderSiteRow.vendor_id == vendor_id, OrderSiteRow.finess_et.is_not(None))
            .distinct()
        )
        return {finess for (finess,) in rows if finess}

    def order_sites(
        self, vendor_id: int, order_ids: Iterable[int]
    ) -> dict[int, list[OrderSiteRef]]:
        """Order id → its sites, in order."""
        found: dict[int, list[OrderSiteRef]] = defaultdict(list)
        for chunk in chunked(sorted(set(order_ids)), IN_CHUNK):
            rows = self._session.execute(
                sa.select(
                    OrderSiteRow.id,
                    OrderSiteRow.order_id,
                    OrderSiteRow.position,
                    OrderSiteRow.finess_et,
                    OrderSiteRow.ordered_answers,
                )
                .where(OrderSiteRow.vendor_id == vendor_id, OrderSiteRow.order_id.in_(chunk))
                .order_by(OrderSiteRow.order_id, OrderSiteRow.position)
            )
            for row in rows:
                found[row.order_id].append(
                    OrderSiteRef(
                        row.id, row.order_id, row.position, row.finess_et, row.ordered_answers
                    )
                )
        return found

    # -- installed scenarios -------------------------------------------------------------------

    def installed(self, vendor_id: int, order_ids: Iterable[int]) -> dict[int, InstalledScenario]:
        """Order site id → its declared installed scenario (absent: none declared)."""
        found: dict[int, InstalledScenario] = {}
        for chunk in chunked(sorted(set(order_ids)), IN_CHUNK):
            rows = self._session.scalars(
                sa.select(InstalledScenarioRow).where(
                    InstalledScenarioRow.vendor_id == vendor_id,
                    InstalledScenarioRow.order_id.in_(chunk),
                )
            )
            for row in rows:
                found[row.order_site_id] = InstalledScenario(
                    row.order_site_id, row.answers, row.declared_at, row.declared_by, row.source
                )
        return found

    def set_installed(
        self,
        vendor_id: int,
        number: str,
        site: OrderSiteRef,
        answers: Mapping[str, Any],
        *,
        declared_by: str,
        source: str | None,
    ) -> tuple[InstalledScenario, bool]:
        """Declare (or replace) the installed scenario of a site; (scenario, changed)."""
        row = self._session.scalar(
            sa.select(InstalledScenarioRow).where(InstalledScenarioRow.order_site_id == site.id)
        )
        before = None if row is None else {"answers": row.answers, "declared_by": row.declared_by}
        now = self._clock()
        if row is not None and row.answers == dict(answers):
            return InstalledScenario(
                site.id, row.answers, row.declared_at, row.declared_by, row.source
            ), False
        if row is None:
            row = InstalledScenarioRow(
                order_site_id=site.id,
                order_id=site.order_id,
                vendor_id=vendor_id,
                answers=dict(answers),
                declared_at=now,
                declared_by=declared_by,
                source=source,
            )
            self._session.add(row)
        else:
            row.answers = dict(answers)
            row.declared_at = now
            row.declared_by = declared_by
            row.source = source
        self._session.flush()
        self._journal.record(
            JournalAction.CREATE if before is None else JournalAction.UPDATE,
            INSTALLED_SCENARIO,
            f"{number}/{site.finess_et or 'sans-finess'}",
            before=before,
            after={"answers": dict(answers), "declared_by": declared_by, "source": source},
            vendor_id=vendor_id,
        )
        return InstalledScenario(site.id, dict(answers), now, declared_by, source), True

    # -- MOM and VA ----------------------------------------------------------------------------

    def add_piece(
        self,
        vendor_id: int,
        number: str,
        site: OrderSiteRef,
        *,
        kind: str,
        flows: Sequence[str],
        scenario: Mapping[str, Any],
        scenario_installed: bool,
        status: str,
        recorded_by: str,
        file_name: str | None = None,
        sha256: str | None = None,
        content: bytes | None = None,
        signer: str | None = None,
        signed_at: dt.datetime | None = None,
        verification: Mapping[str, Any] | None = None,
    ) -> StoredPiece:
        """Record a MOM or a VA; journaled with who, when, the flows, and for a VA its signer,
        signing time and SHA-256 (never its bytes)."""
        now = self._clock()
        row = EvidencePieceRow(
            order_site_id=site.id,
            order_id=site.order_id,
            vendor_id=vendor_id,
            kind=kind,
            flows=list(flows),
            scenario=dict(scenario),
            scenario_installed=scenario_installed,
            status=status,
            recorded_at=now,
            recorded_by=recorded_by,
            file_name=file_name,
            sha256=sha256,
            content=content,
            signer=signer,
            signed_at=signed_at,
            verification=dict(verification or {}),
        )
        self._session.add(row)
        self._session.flush()
        piece = _piece(row)
        self._journal.record(
            JournalAction.CREATE,
            EVIDENCE_PIECE,
            piece_entity_id(number, site.finess_et, row.id),
            after={
                "kind": kind,
                "order": number,
                "finess_et": site.finess_et,
                "flows": list(flows),
                "scenario": dict(scenario),
                "scenario_installed": scenario_installed,
                "status": status,
                "recorded_by": recorded_by,
                "file_name": file_name,
                "sha256": sha256,
                "signer": signer,
                "signed_at": None if signed_at is None else signed_at.isoformat(),
                "verification": dict(verification or {}),
            },
            vendor_id=vendor_id,
        )
        return piece

    def pieces(self, vendor_id: int, order_ids: Iterable[int]) -> dict[int, list[StoredPiece]]:
        """Order site id → its pieces, oldest first (bytes not loaded)."""
        found: dict[int, list[StoredPiece]] = defaultdict(list)
        columns = [c for c in _table(EvidencePieceRow).c if c.name != "content"]
        for chunk in chunked(sorted(set(order_ids)), IN_CHUNK):
            rows = self._session.execute(
                sa.select(*columns)
                .where(
                    EvidencePieceRow.vendor_id == vendor_id, EvidencePieceRow.order_id.in_(chunk)
                )
                .order_by(EvidencePieceRow.id)
            )
            for row in rows:
                found[row.order_site_id].append(_piece(row))
        return found

    def piece_content(self, vendor_id: int, piece_id: int) -> bytes:
        content = self._session.scalar(
            sa.select(EvidencePieceRow.content).where(
                EvidencePieceRow.vendor_id == vendor_id, EvidencePieceRow.id == piece_id
            )
        )
        if content is None:
            raise NotFoundError(f"La pièce n° {piece_id} n'a pas de fichier enregistré.")
        return content

    # -- transmissions -------------------------------------------------------------------------

    def writer(self, vendor_id: int, batch_id: int) -> TransmissionWriter:
        return TransmissionWriter(self._session, vendor_id, batch_id)

    def software(self, vendor_id: int) -> list[tuple[int, str, str]]:
        """(id, name, version) of every software seen in the vendor's logs."""
        rows = self._session.execute(
            sa.select(
                TransmissionSoftwareRow.id,
                TransmissionSoftwareRow.name,
                TransmissionSoftwareRow.version,
            )
            .where(TransmissionSoftwareRow.vendor_id == vendor_id)
            .order_by(TransmissionSoftwareRow.name, TransmissionSoftwareRow.version)
        )
        return [(row.id, row.name, row.version) for row in rows]

    def transmission_count(self, vendor_id: int) -> int:
        return int(
            self._session.scalar(
                sa.select(sa.func.count()).where(TransmissionRow.vendor_id == vendor_id)
            )
            or 0
        )


def _table(model: type[Base]) -> sa.Table:
    table = model.__table__
    assert isinstance(table, sa.Table)
    return table


def _piece(row: Any) -> StoredPiece:
    return StoredPiece(
        id=row.id,
        order_site_id=row.order_site_id,
        kind=row.kind,
        flows=tuple(row.flows),
        scenario=row.scenario,
        scenario_installed=row.scenario_installed,
        status=row.status,
        recorded_at=row.recorded_at,
        recorded_by=row.recorded_by,
        file_name=row.file_name,
        sha256=row.sha256,
        signer=row.signer,
        signed_at=row.signed_at,
        verification=row.verification,
    )


def software_ids(known: Iterable[tuple[int, str, str]], name: str, version: str) -> list[int]:
    """The ids of the logged software that are `name` `version` (name compared without case,
    accents or extra spaces; version exact)."""
    key = software_key(name)
    return [i for i, n, v in known if v == version and software_key(n) == key]


# --- writing transmissions in bulk ------------------------------------------------------------

_COLUMNS = (
    "vendor_id",
    "message_id",
    "sent_at",
    "finess_et",
    "flow",
    "route",
    "ins_status",
    "document_type",
    "recipient_class",
    "acknowledged",
    "software_id",
    "fingerprint",
    "import_batch_id",
    "source_line",
)


class TransmissionWriter:
    """Buffers checked transmissions and writes them `WRITE_CHUNK` at a time.

    The database work of a chunk (the B-tree inserts, done by the driver without the GIL) runs
    on a thread of its own while the caller reads the next lines: reading and writing overlap.
    Only that thread touches the connection until `flush` has returned.

    `add` and `flush` return the lines found so far whose message id was already stored —
    earlier in this file or by an earlier import — with whether the content is the same. Those
    lines are not written: the first one seen stays. Use it as a context manager (or call
    `close`): the thread is stopped whatever happens.
    """

    # SQLite's page cache while the import runs (KiB): both indexes of the table take inserts
    # all over their B-trees, and the default 2 MB cache makes every one of them a page read.
    SQLITE_CACHE_KIB = 131_072

    def __init__(self, session: Session, vendor_id: int, batch_id: int) -> None:
        self._connection = session.connection()
        self._dialect = self._connection.dialect.name
        self._vendor_id = vendor_id
        self._batch_id = batch_id
        self._pending: list[tuple[int, Transmission, str, Any]] = []
        self._software: dict[tuple[str, str], int] = {}
        self._statements: dict[int, str] = {}
        self._chunks: queue.Queue[list[tuple[int, Transmission, str, Any]] | None] = queue.Queue(
            maxsize=2
        )
        self._found: queue.SimpleQueue[list[Conflict]] = queue.SimpleQueue()
        self._failure: BaseException | None = None
        self._thread: threading.Thread | None = None
        self._cache: Any = None
        self.written = 0

    def __enter__(self) -> TransmissionWriter:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def add(self, line: int, transmission: Transmission, payload: Any = None) -> list[Conflict]:
        self._pending.append((line, transmission, transmission.fingerprint(), payload))
        if len(self._pending) >= WRITE_CHUNK:
            self._submit()
        return self._collected()

    def flush(self) -> list[Conflict]:
        """Write what is buffered, wait for every chunk, and return the remaining conflicts."""
        if self._pending:
            self._submit()
        self._stop()
        return self._collected()

    def close(self) -> None:
        self._pending.clear()
        self._stop()

    # -- the writing thread --------------------------------------------------------------------

    def _submit(self) -> None:
        if self._thread is None:
            if self._dialect == "sqlite":
                self._cache = self._pragma("cache_size")
                self._pragma(f"cache_size = -{self.SQLITE_CACHE_KIB}")
            self._thread = threading.Thread(
                target=self._run, name="sons-transmissions", daemon=True
            )
            self._thread.start()
        pending, self._pending = self._pending, []
        self._raise_failure()
        self._chunks.put(pending)

    def _stop(self) -> None:
        thread, self._thread = self._thread, None
        if thread is None:
            return
        self._chunks.put(None)
        thread.join()
        if self._cache is not None:
            self._pragma(f"cache_size = {int(self._cache)}")
            self._cache = None
        self._raise_failure()

    def _run(self) -> None:
        while (pending := self._chunks.get()) is not None:
            if self._failure is not None:
                continue  # drain: the caller sees the failure at its next call
            try:
                self._found.put(self._write(pending))
            except BaseException as failure:  # handed to the caller's thread
                self._failure = failure

    def _collected(self) -> list[Conflict]:
        self._raise_failure()
        found: list[Conflict] = []
        while not self._found.empty():
            found.extend(self._found.get())
        return found

    def _raise_failure(self) -> None:
        if self._failure is not None:
            failure, self._failure = self._failure, None
            raise failure

    def _pragma(self, text: str) -> Any:
        cursor = self._connection.connection.cursor()
        try:
            cursor.execute(f"PRAGMA {text}")
            row = cursor.fetchone()
        finally:
            cursor.close()
        return None if row is None else row[0]

    def _write(self, pending: list[tuple[int, Transmission, str, Any]]) -> list[Conflict]:
        rows: list[Any] = []
        sqlite = self._dialect == "sqlite"
        vendor_id, batch_id = self._vendor_id, self._batch_id
        for line, t, fingerprint, _ in pending:
            software_id = self._software_id(t.software_name, t.software_version)
            sent_at = t.sent_at
            rows.extend(
                (
                    vendor_id,
                    t.message_id,
                    # SQLAlchemy's own SQLite storage of a naive UTC datetime (see UtcDateTime).
                    sent_at.replace(tzinfo=None).isoformat(" ", "microseconds")
                    if sqlite
                    else sent_at,
                    t.finess_et,
                    # StrEnum members are their values for both drivers (no `.value` lookup).
                    t.flow,
                    t.route,
                    t.ins_status,
                    t.document_type,
                    t.recipient_class,
                    t.acknowledged,
                    software_id,
                    fingerprint,
                    batch_id,
                    line,
                )
            )
        cursor = self._connection.connection.cursor()
        try:
            cursor.execute(self._statement(len(pending)), rows)
            inserted = {row[0] for row in cursor.fetchall()}
        finally:
            cursor.close()
        self.written += len(inserted)
        missing = [item for item in pending if item[0] not in inserted]
        return self._conflicts(missing) if missing else []

    def _statement(self, count: int) -> str:
        statement = self._statements.get(count)
        if statement is None:
            mark = "?" if self._dialect == "sqlite" else "%s"
            one = "(" + ", ".join([mark] * len(_COLUMNS)) + ")"
            statement = (
                f"INSERT INTO transmissions ({', '.join(_COLUMNS)}) VALUES "
                + ", ".join([one] * count)
                + " ON CONFLICT (vendor_id, message_id) DO NOTHING RETURNING source_line"
            )
            self._statements[count] = statement
        return statement

    def _software_id(self, name: str, version: str) -> int:
        key = (name, version)
        found = self._software.get(key)
        if found is not None:
            return found
        table = _table(TransmissionSoftwareRow)
        query = sa.select(table.c.id).where(
            table.c.vendor_id == self._vendor_id, table.c.name == name, table.c.version == version
        )
        existing = self._connection.execute(query).scalar()
        if existing is None:
            existing = self._connection.execute(
                sa.insert(table)
                .values(vendor_id=self._vendor_id, name=name, version=version)
                .returning(table.c.id)
            ).scalar_one()
        self._software[key] = int(existing)
        return int(existing)

    def _conflicts(self, missing: list[tuple[int, Transmission, str, Any]]) -> list[Conflict]:
        table = _table(TransmissionRow)
        software = _table(TransmissionSoftwareRow)
        stored: dict[str, Any] = {}
        for chunk in chunked(sorted({item[1].message_id for item in missing}), IN_CHUNK):
            rows = self._connection.execute(
                sa.select(table, software.c.name, software.c.version)
                .join(software, software.c.id == table.c.software_id)
                .where(table.c.vendor_id == self._vendor_id, table.c.message_id.in_(chunk))
            )
            for row in rows:
                stored[row.message_id] = row
        conflicts = []
        for line, t, fingerprint, payload in missing:
            row = stored[t.message_id]
            same = row.fingerprint == fingerprint
            conflicts.append(
                Conflict(
                    line=line,
                    transmission=t,
                    payload=payload,
                    same_content=same,
                    earlier_batch_id=row.import_batch_id,
                    earlier_line=row.source_line,
                    differences=() if same else _differences(row, t),
                )
            )
        return conflicts


_FIELD_NAMES = {
    "sent_at": "horodatage",
    "finess_et": "finess_et",
    "flow": "flux",
    "route": "voie",
    "ins_status": "statut_ins",
    "document_type": "type_document",
    "recipient_class": "destinataire",
    "acknowledged": "accuse",
    "name": "logiciel",
    "version": "version_logiciel",
}


def _differences(row: Any, t: Transmission) -> tuple[str, ...]:
    """The template columns that differ between a stored row and a new line."""
    new = {
        "sent_at": t.sent_at,
        "finess_et": t.finess_et,
        "flow": t.flow.value,
        "route": t.route.value,
        "ins_status": t.ins_status.value,
        "document_type": t.document_type,
        "recipient_class": None if t.recipient_class is None else t.recipient_class.value,
        "acknowledged": t.acknowledged,
        "name": t.software_name,
        "version": t.software_version,
    }
    found = tuple(label for key, label in _FIELD_NAMES.items() if getattr(row, key) != new[key])
    # Same kind of recipient but another address: only the fingerprint saw it.
    return found or ("destinataire",)


# --- counting for readiness -------------------------------------------------------------------

_END_OF_TIME = dt.datetime(9999, 12, 31, tzinfo=dt.UTC)

_criteria = sa.Table(
    "sons_evidence_criteria",
    sa.MetaData(),
    sa.Column("key", Integer, nullable=False),
    sa.Column("finess_et", sa.String, nullable=False),
    sa.Column("flow", sa.String, nullable=False),
    sa.Column("route", sa.String, nullable=False),
    sa.Column("ins_required", sa.Boolean, nullable=False),
    sa.Column("document_type", sa.String),
    sa.Column("recipient_class", sa.String),
    sa.Column("software_id", Integer, nullable=False),
    sa.Column("since", UtcDateTime, nullable=False),
    sa.Column("before", UtcDateTime, nullable=False),
    prefixes=["TEMPORARY"],
    postgresql_on_commit="DROP",
)

# The criteria drive: for each one, the database walks the matching entries of the readiness
# index (index only). CROSS JOIN keeps SQLite from choosing the other way round (its planner
# keeps the left table outside); PostgreSQL plans as it sees fit.
_COUNT = sa.text(
    """
    SELECT c.key AS key, count(*) AS n, min(t.sent_at) AS first, max(t.sent_at) AS last
    FROM sons_evidence_criteria c CROSS JOIN transmissions t
    WHERE t.vendor_id = :vendor_id
      AND c.finess_et = t.finess_et AND c.flow = t.flow AND c.route = t.route
      AND t.acknowledged AND t.software_id = c.software_id
      AND t.sent_at >= c.since AND t.sent_at < c.before
      AND (NOT c.ins_required OR t.ins_status = 'qualifiee')
      AND (c.document_type IS NULL OR t.document_type = c.document_type)
      AND (c.recipient_class IS NULL OR t.recipient_class = c.recipient_class)
    GROUP BY c.key
    """
).columns(
    sa.column("key", Integer),
    sa.column("n", Integer),
    sa.column("first", UtcDateTime),
    sa.column("last", UtcDateTime),
)


def count_transmissions(
    connection: Connection,
    vendor_id: int,
    criteria: Sequence[tuple[int, Criterion, Sequence[int]]],
) -> dict[int, Tally]:
    """Key → tally of the vendor's transmissions meeting each criterion (`Criterion.accepts`,
    in SQL), given with the ids of the logged software that are its solution's version.

    Runs in the caller's transaction on a writable connection (a temporary table is created
    and dropped), without taking the store's write lock.
    """
    rows = [
        {
            "key": key,
            "finess_et": criterion.finess_et,
            "flow": criterion.flow.value,
            "route": criterion.route.value,
            # An unknown requirement counts every document; the verdict then says so.
            "ins_required": bool(criterion.ins_qualified),
            "document_type": criterion.document_type,
            "recipient_class": None if criterion.recipient is None else criterion.recipient.value,
            "software_id": software_id,
            "since": dt.datetime.combine(criterion.since, dt.time(), tzinfo=dt.UTC),
            "before": _END_OF_TIME
            if criterion.until is None
            else dt.datetime.combine(criterion.until, dt.time(), tzinfo=dt.UTC)
            + dt.timedelta(days=1),
        }
        for key, criterion, ids in criteria
        if criterion.unsupported is None and criterion.finess_et is not None
        for software_id in ids
    ]
    if not rows:
        return {}
    _criteria.drop(connection, checkfirst=True)
    _criteria.create(connection)
    try:
        connection.execute(sa.insert(_criteria), rows)
        found = {
            row.key: Tally(row.n, row.first, row.last)
            for row in connection.execute(_COUNT, {"vendor_id": vendor_id})
        }
    finally:
        if connection.dialect.name != "postgresql":  # PostgreSQL drops it at commit
            _criteria.drop(connection)
    return found
