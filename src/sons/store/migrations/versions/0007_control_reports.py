"""Control reports kept in the database for any worker to serve; the clients' index of the
orders extended with the vendor and the number (the order list's search by client), and on
PostgreSQL the (vendor, number) index holding the id (its deep pages) (issue 7).

Revision ID: 0007_control_reports
Revises: 0006_web
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_control_reports"
down_revision: str | None = "0006_web"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "control_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_sha256", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_control_reports_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_control_reports")),
        sa.UniqueConstraint("token_sha256", name=op.f("uq_control_reports_token_sha256")),
    )
    op.create_index(
        op.f("ix_control_reports_expires_at"), "control_reports", ["expires_at"], unique=False
    )
    op.create_table(
        "control_report_files",
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["control_reports.id"],
            name=op.f("fk_control_report_files_report_id_control_reports"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("report_id", "name", name=op.f("pk_control_report_files")),
    )
    with op.batch_alter_table("purchase_orders") as batch:
        batch.drop_index("ix_purchase_orders_client")
        batch.create_index(
            "ix_purchase_orders_client",
            ["client_kind", "client_id", "vendor_id", "number"],
            postgresql_include=["id"],
        )
    if op.get_bind().dialect.name == "postgresql":
        # The (vendor, number) index holds the id: a deep page of the list reads no row.
        # In SQL: Alembic's constraint operations know only the columns they name, not `id`.
        op.execute(
            "ALTER TABLE purchase_orders DROP CONSTRAINT uq_purchase_orders_vendor_id_number, "
            "ADD CONSTRAINT uq_purchase_orders_vendor_id_number UNIQUE (vendor_id, number) "
            "INCLUDE (id)"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "ALTER TABLE purchase_orders DROP CONSTRAINT uq_purchase_orders_vendor_id_number, "
            "ADD CONSTRAINT uq_purchase_orders_vendor_id_number UNIQUE (vendor_id, number)"
        )
    with op.batch_alter_table("purchase_orders") as batch:
        batch.drop_index("ix_purchase_orders_client")
        batch.create_index("ix_purchase_orders_client", ["client_kind", "client_id", "dispositif"])
    op.drop_table("control_report_files")
    op.drop_table("control_reports")
