"""Operator instruction: payments, decisions' files, recovery orders (issue 6).

Intakes of requests (content fingerprint, findings at intake), payments and recovery orders
(`sons.store.instruction`).

Revision ID: 0004_instruction
Revises: 0003_evidence
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_instruction"
down_revision: str | None = "0003_evidence"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _request_key(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["request_id", "vendor_id"],
        ["funding_requests.id", "funding_requests.vendor_id"],
        name=op.f(f"fk_{table}_request_id_vendor_id_funding_requests"),
        ondelete="CASCADE",
    )


def _deposit_key(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["deposit_id", "vendor_id"],
        ["deposits.id", "deposits.vendor_id"],
        name=op.f(f"fk_{table}_deposit_id_vendor_id_deposits"),
    )


def upgrade() -> None:
    op.create_table(
        "request_intakes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("vendor_id", sa.Integer(), nullable=False),
        sa.Column("deposit_id", sa.Integer(), nullable=False),
        sa.Column("content_sha256", sa.String(length=64), nullable=False),
        sa.Column("outcome", sa.String(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        _deposit_key("request_intakes"),
        _request_key("request_intakes"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_request_intakes")),
    )
    op.create_index("ix_request_intakes_request", "request_intakes", ["request_id", "id"])
    op.create_table(
        "intake_findings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("vendor_id", sa.Integer(), nullable=False),
        sa.Column("deposit_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(), nullable=False),
        sa.Column("severity", sa.String(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("path", sa.String(), nullable=False),
        sa.Column("rule", sa.String(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        _deposit_key("intake_findings"),
        _request_key("intake_findings"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_intake_findings")),
    )
    op.create_index("ix_intake_findings_request", "intake_findings", ["request_id", "id"])
    op.create_table(
        "payments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("vendor_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.Column("paid_on", sa.Date(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.String(), nullable=False),
        _request_key("payments"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payments")),
    )
    op.create_index("ix_payments_request", "payments", ["request_id"])
    op.create_table(
        "recovery_orders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("vendor_id", sa.Integer(), nullable=False),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("motive", sa.Text(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.String(), nullable=False),
        _request_key("recovery_orders"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recovery_orders")),
    )
    op.create_index("ix_recovery_orders_request", "recovery_orders", ["request_id"])


def downgrade() -> None:
    for table in ("recovery_orders", "payments", "intake_findings", "request_intakes"):
        op.drop_table(table)
