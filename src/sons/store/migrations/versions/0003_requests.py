"""Deposits and funding requests: deposit files (with their bytes), requests, transitions.

Revision ID: 0003_requests
Revises: 0002
Create Date: 2025-01-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_requests"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "deposits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("vendor_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("origin", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("couloir", sa.String(), nullable=False),
        sa.Column("dispositif", sa.String(), nullable=False),
        sa.Column("format_version", sa.String(), nullable=False),
        sa.Column("file_created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("json_file_name", sa.String(), nullable=False),
        sa.Column("json_sha256", sa.String(length=64), nullable=False),
        sa.Column("json_size", sa.BigInteger(), nullable=False),
        sa.Column("zip_file_name", sa.String(), nullable=True),
        sa.Column("zip_sha256", sa.String(length=64), nullable=True),
        sa.Column("zip_size", sa.BigInteger(), nullable=True),
        sa.Column("referential_pin", sa.String(), nullable=False),
        sa.Column("requests", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.String(), nullable=False),
        sa.Column("filed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["vendor_id"], ["vendors.id"], name=op.f("fk_deposits_vendor_id_vendors")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deposits")),
        sa.UniqueConstraint("id", "vendor_id", name=op.f("uq_deposits_id_vendor_id")),
        sa.UniqueConstraint("vendor_id", "name", name=op.f("uq_deposits_vendor_id_name")),
    )
    op.create_index("ix_deposits_vendor_sha", "deposits", ["vendor_id", "json_sha256"])
    op.create_table(
        "deposit_files",
        sa.Column("deposit_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(), nullable=False),
        sa.Column("vendor_id", sa.Integer(), nullable=False),
        sa.Column("file_name", sa.String(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["deposit_id", "vendor_id"],
            ["deposits.id", "deposits.vendor_id"],
            name=op.f("fk_deposit_files_deposit_id_vendor_id_deposits"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("deposit_id", "role", name=op.f("pk_deposit_files")),
    )
    op.create_table(
        "funding_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("vendor_id", sa.Integer(), nullable=False),
        sa.Column("deposit_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("request_ref", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("dispositif", sa.String(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=True),
        sa.Column("order_number", sa.String(), nullable=False),
        sa.Column("order_signed_on", sa.Date(), nullable=False),
        sa.Column("client_kind", sa.String(), nullable=False),
        sa.Column("client_id", sa.String(), nullable=False),
        sa.Column("sites", sa.JSON(), nullable=False),
        sa.Column("advance_id", sa.Integer(), nullable=True),
        sa.Column("prestation_ht_cents", sa.BigInteger(), nullable=False),
        sa.Column("prestation_ttc_cents", sa.BigInteger(), nullable=False),
        sa.Column("advance_rate", sa.String(), nullable=True),
        sa.Column("amount_ht_cents", sa.BigInteger(), nullable=True),
        sa.Column("amount_ttc_cents", sa.BigInteger(), nullable=True),
        sa.Column("codes", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["advance_id", "vendor_id"],
            ["funding_requests.id", "funding_requests.vendor_id"],
            name=op.f("fk_funding_requests_advance_id_vendor_id_funding_requests"),
        ),
        sa.ForeignKeyConstraint(
            ["deposit_id", "vendor_id"],
            ["deposits.id", "deposits.vendor_id"],
            name=op.f("fk_funding_requests_deposit_id_vendor_id_deposits"),
        ),
        sa.ForeignKeyConstraint(
            ["order_id", "vendor_id"],
            ["purchase_orders.id", "purchase_orders.vendor_id"],
            name=op.f("fk_funding_requests_order_id_vendor_id_purchase_orders"),
        ),
        sa.ForeignKeyConstraint(
            ["vendor_id"], ["vendors.id"], name=op.f("fk_funding_requests_vendor_id_vendors")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_funding_requests")),
        sa.UniqueConstraint("id", "vendor_id", name=op.f("uq_funding_requests_id_vendor_id")),
    )
    op.create_index(op.f("ix_funding_requests_advance_id"), "funding_requests", ["advance_id"])
    op.create_index(op.f("ix_funding_requests_deposit_id"), "funding_requests", ["deposit_id"])
    op.create_index(op.f("ix_funding_requests_order_id"), "funding_requests", ["order_id"])
    op.create_index(
        "ix_funding_requests_vendor_ref", "funding_requests", ["vendor_id", "request_ref"]
    )
    op.create_index(
        "ix_funding_requests_vendor_status", "funding_requests", ["vendor_id", "status", "kind"]
    )
    op.create_table(
        "request_transitions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("vendor_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(), nullable=False),
        sa.Column("audience", sa.String(), nullable=False),
        sa.Column("action", sa.String(), nullable=False),
        sa.Column("from_status", sa.String(), nullable=True),
        sa.Column("to_status", sa.String(), nullable=False),
        sa.Column("motive", sa.Text(), nullable=True),
        sa.Column("reason", sa.String(), nullable=True),
        sa.Column("file_name", sa.String(), nullable=True),
        sa.Column("file_sha256", sa.String(length=64), nullable=True),
        sa.Column("journal_entry_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["request_id", "vendor_id"],
            ["funding_requests.id", "funding_requests.vendor_id"],
            name=op.f("fk_request_transitions_request_id_vendor_id_funding_requests"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_request_transitions")),
    )
    op.create_index("ix_request_transitions_request", "request_transitions", ["request_id", "id"])


def downgrade() -> None:
    for table in ("request_transitions", "funding_requests", "deposit_files", "deposits"):
        op.drop_table(table)
