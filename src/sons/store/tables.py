"""The tables, as typed SQLAlchemy 2 declarative models, kept out of the domain.

Tenancy: a vendor (éditeur) is a tenant. Every row a vendor owns carries `vendor_id`, child
rows included, and composite foreign keys (`(order_id, vendor_id)` → `(id, vendor_id)`) make
it impossible to attach a row to another vendor's order or solution. The directory (FINESS,
RPPS), the eligibility base and the journal are shared reference data.

Money is in integer cents (BIGINT), timestamps are UTC (`UtcDateTime`), dates have no zone.
Identifiers are unbounded strings: a wrong length is a finding for the checks, not a crash.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Dialect,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import DateTime, TypeDecorator

# Stable constraint names: migrations (and SQLite's batch mode) need to refer to them.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

HASH_LENGTH = 64


class UtcDateTime(TypeDecorator[dt.datetime]):
    """A UTC instant: aware datetimes in, aware UTC datetimes out, on SQLite and PostgreSQL.

    SQLite has no time zones, so the value is stored as naive UTC and re-labelled on the way out.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("horodatage sans fuseau horaire : une heure UTC est attendue")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        assert isinstance(value, dt.datetime)
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        dt.datetime: UtcDateTime,
        dict[str, Any]: JSON,
        list[Any]: JSON,
    }


class Timestamps:
    created_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]


class ImportBatchRow(Base):
    """One imported file. `scope` is "shared" or "vendor:<id>": (kind, scope, sha256) is unique,
    so importing the same file twice is detected, including under concurrent imports."""

    __tablename__ = "import_batches"
    __table_args__ = (UniqueConstraint("kind", "scope", "sha256"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str]
    scope: Mapped[str]
    vendor_id: Mapped[int | None] = mapped_column(ForeignKey("vendors.id"), index=True)
    file_name: Mapped[str]
    sha256: Mapped[str] = mapped_column(String(HASH_LENGTH))
    rows: Mapped[int]
    imported_at: Mapped[dt.datetime]
    actor: Mapped[str]


class VendorRow(Timestamps, Base):
    __tablename__ = "vendors"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str]
    siren: Mapped[str]
    siret: Mapped[str] = mapped_column(unique=True)
    enrolment_number: Mapped[str | None]


class SolutionRow(Timestamps, Base):
    __tablename__ = "solutions"
    __table_args__ = (
        UniqueConstraint("vendor_id", "referencing_number"),
        # Target of the orders' composite foreign key (tenant consistency).
        UniqueConstraint("id", "vendor_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    vendor_id: Mapped[int] = mapped_column(ForeignKey("vendors.id"))
    name: Mapped[str]
    version: Mapped[str]
    referencing_number: Mapped[str]
    dispositif: Mapped[str]
    profiles: Mapped[list[Any]]
    referenced_on: Mapped[dt.date | None]


class LegalEntityRow(Base):
    """A FINESS legal entity (EJ)."""

    __tablename__ = "legal_entities"

    finess_ej: Mapped[str] = mapped_column(primary_key=True)
    name: Mapped[str]
    siren: Mapped[str | None]
    status: Mapped[str]
    extract_date: Mapped[dt.date | None]
    import_batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batches.id"))


class EstablishmentRow(Base):
    """A FINESS geographic establishment (ET), from the public extract. No foreign key to its
    EJ: the extract is a mirror of an outside source and may list an ET before its EJ."""

    __tablename__ = "establishments"

    finess_et: Mapped[str] = mapped_column(primary_key=True)
    finess_ej: Mapped[str] = mapped_column(index=True)
    name: Mapped[str]
    long_name: Mapped[str | None]
    category_code: Mapped[str | None]
    category_label: Mapped[str | None]
    siret: Mapped[str | None]
    address: Mapped[str | None]
    postcode: Mapped[str | None]
    commune_code: Mapped[str | None]
    city: Mapped[str | None]
    department: Mapped[str | None] = mapped_column(index=True)
    department_label: Mapped[str | None]
    extract_date: Mapped[dt.date | None]
    import_batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batches.id"))
    # Names and city without accents or case, written by the store: searching "hopital"
    # finds "HÔPITAL" whatever the database's collation.
    search_text: Mapped[str] = mapped_column(Text)


class ProfessionalRow(Base):
    __tablename__ = "professionals"

    rpps: Mapped[str] = mapped_column(primary_key=True)
    name: Mapped[str]
    import_batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batches.id"))


class EligibilityRow(Base):
    """A client's ceiling for one dispositif, from the imported "base des ES éligibles".
    `finess` is the client key the ceiling is published under (ES-PMSI)."""

    __tablename__ = "eligibility_ceilings"

    dispositif: Mapped[str] = mapped_column(primary_key=True)
    finess: Mapped[str] = mapped_column(primary_key=True)
    ceiling_ht_cents: Mapped[int] = mapped_column(BigInteger)
    import_batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batches.id"))


class PurchaseOrderRow(Timestamps, Base):
    __tablename__ = "purchase_orders"
    __table_args__ = (
        # The order list's order: on PostgreSQL the index holds the id too, so that a deep page
        # skips its rows in the index alone (SQLite's indexes hold the row id by themselves).
        UniqueConstraint("vendor_id", "number", postgresql_include=["id"]),
        UniqueConstraint("id", "vendor_id"),
        ForeignKeyConstraint(["solution_id", "vendor_id"], ["solutions.id", "solutions.vendor_id"]),
        Index("ix_purchase_orders_vendor_dispositif_status", "vendor_id", "dispositif", "status"),
        # The client's orders, with what the order list sorts and filters them by: a search by
        # client reads this index alone (0007_control_reports). SQLite's indexes hold the row id
        # by themselves; PostgreSQL's are told to.
        Index(
            "ix_purchase_orders_client",
            "client_kind",
            "client_id",
            "vendor_id",
            "number",
            postgresql_include=["id"],
        ),
        Index("ix_purchase_orders_vendor_signed_on", "vendor_id", "signed_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    vendor_id: Mapped[int] = mapped_column(ForeignKey("vendors.id"))
    number: Mapped[str]
    solution_id: Mapped[int]
    dispositif: Mapped[str]
    client_kind: Mapped[str]
    client_id: Mapped[str]
    signed_on: Mapped[dt.date]
    signatory: Mapped[str]
    under_referencing_condition: Mapped[bool]
    prestation_ht_cents: Mapped[int] = mapped_column(BigInteger)
    prestation_ttc_cents: Mapped[int] = mapped_column(BigInteger)
    referential_pin: Mapped[str]
    status: Mapped[str]
    extra: Mapped[dict[str, Any]]
    # Optimistic lock: every write is `… WHERE version = <the version the editor loaded>`.
    version: Mapped[int] = mapped_column(Integer)


class OrderSiteRow(Base):
    """One site of an order and its ordered scenario (the answers to the questionnaire). The
    installed scenario will sit beside `ordered_answers` when evidence arrives."""

    __tablename__ = "order_sites"
    __table_args__ = (
        ForeignKeyConstraint(
            ["order_id", "vendor_id"],
            ["purchase_orders.id", "purchase_orders.vendor_id"],
            ondelete="CASCADE",
        ),
        Index("ix_order_sites_vendor_order", "vendor_id", "order_id", "position"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int]
    vendor_id: Mapped[int]
    position: Mapped[int]
    finess_et: Mapped[str | None] = mapped_column(index=True)
    # The client's EJ, copied for the "sites by legal entity" lookups of the perimeter checks.
    finess_ej: Mapped[str | None] = mapped_column(index=True)
    ordered_answers: Mapped[dict[str, Any]]


class OrderLineRow(Base):
    __tablename__ = "order_lines"
    __table_args__ = (
        ForeignKeyConstraint(
            ["order_id", "vendor_id"],
            ["purchase_orders.id", "purchase_orders.vendor_id"],
            ondelete="CASCADE",
        ),
        Index("ix_order_lines_vendor_order", "vendor_id", "order_id", "position"),
        CheckConstraint("dimension IS NULL OR not_funded IS NULL", name="funded_or_not_funded"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int]
    vendor_id: Mapped[int]
    position: Mapped[int]
    label: Mapped[str] = mapped_column(Text)
    amount_ht_cents: Mapped[int] = mapped_column(BigInteger)
    dimension: Mapped[str | None]
    not_funded: Mapped[str | None]
    billed_as_segur: Mapped[bool]


class JournalEntryRow(Base):
    """One journal entry. `id` is assigned by the journal (previous id + 1), not by a sequence:
    two writers that computed the same successor would collide on the primary key instead of
    forking the chain. `before`/`after` hold canonical JSON text, hashed as stored."""

    __tablename__ = "journal_entries"
    __table_args__ = (Index("ix_journal_entries_entity", "entity_type", "entity_id"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    at: Mapped[dt.datetime]
    actor: Mapped[str]
    action: Mapped[str]
    entity_type: Mapped[str]
    entity_id: Mapped[str]
    vendor_id: Mapped[int | None] = mapped_column(index=True)
    before: Mapped[str | None] = mapped_column(Text)
    after: Mapped[str | None] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(HASH_LENGTH))
    hash: Mapped[str] = mapped_column(String(HASH_LENGTH), unique=True)
