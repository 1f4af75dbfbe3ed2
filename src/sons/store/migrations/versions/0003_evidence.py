"""Evidence for the balance: transmissions (and the software that sent them), installed
scenarios, MOM and VA.

Revision ID: 0003_evidence
Revises: 0003_requests
Create Date: 2025-01-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_evidence"
down_revision: str | None = "0003_requests"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "transmission_software",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("vendor_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("version", sa.String(), nullable=False),
        sa.ForeignKeyConstraint(
            ["vendor_id"], ["vendors.id"], name=op.f("fk_transmission_software_vendor_id_vendors")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transmission_software")),
        sa.UniqueConstraint(
            "vendor_id",
            "name",
            "version",
            name=op.f("uq_transmission_software_vendor_id_name_version"),
        ),
    )
    op.create_table(
        "transmissions",
        # A rowid alias on SQLite (INTEGER PRIMARY KEY), a bigint elsewhere: years of logs.
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("vendor_id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.String(), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finess_et", sa.String(), nullable=False),
        sa.Column("flow", sa.String(), nullable=False),
        sa.Column("route", sa.String(), nullable=False),
        sa.Column("ins_status", sa.String(), nullable=False),
        sa.Column("document_type", sa.String(), nullable=True),
        sa.Column("recipient_class", sa.String(), nullable=True),
        sa.Column("acknowledged", sa.Boolean(), nullable=False),
        sa.Column("software_id", sa.Integer(), nullable=False),
        sa.Column("fingerprint", sa.String(length=32), nullable=False),
        sa.Column("import_batch_id", sa.Integer(), nullable=False),
        sa.Column("source_line", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["import_batch_id"],
            ["import_batches.id"],
            name=op.f("fk_transmissions_import_batch_id_import_batches"),
        ),
        sa.ForeignKeyConstraint(
            ["software_id"],
            ["transmission_software.id"],
            name=op.f("fk_transmissions_software_id_transmission_software"),
        ),
        sa.ForeignKeyConstraint(
            ["vendor_id"], ["vendors.id"], name=op.f("fk_transmissions_vendor_id_vendors")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transmissions")),
        sa.UniqueConstraint(
            "vendor_id", "message_id", name=op.f("uq_transmissions_vendor_id_message_id")
        ),
    )
    op.create_index(
        "ix_transmissions_readiness",
        "transmissions",
        [
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
        ],
    )
    op.create_table(
        "installed_scenarios",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_site_id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("vendor_id", sa.Integer(), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("declared_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("declared_by", sa.String(), nullable=False),
        sa.Column("source", sa.String(), nullable=True),
        sa.ForeignKeyConstraint(
            ["order_id", "vendor_id"],
            ["purchase_orders.id", "purchase_orders.vendor_id"],
            name=op.f("fk_installed_scenarios_order_id_vendor_id_purchase_orders"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["order_site_id"],
            ["order_sites.id"],
            name=op.f("fk_installed_scenarios_order_site_id_order_sites"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_installed_scenarios")),
        sa.UniqueConstraint("order_site_id", name=op.f("uq_installed_scenarios_order_site_id")),
    )
    op.create_index(op.f("ix_installed_scenarios_order_id"), "installed_scenarios", ["order_id"])
    op.create_table(
        "evidence_pieces",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_site_id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("vendor_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("flows", sa.JSON(), nullable=False),
        sa.Column("scenario", sa.JSON(), nullable=False),
        sa.Column("scenario_installed", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.String(), nullable=False),
        sa.Column("file_name", sa.String(), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("content", sa.LargeBinary(), nullable=True),
        sa.Column("signer", sa.String(), nullable=True),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("verification", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id", "vendor_id"],
            ["purchase_orders.id", "purchase_orders.vendor_id"],
            name=op.f("fk_evidence_pieces_order_id_vendor_id_purchase_orders"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["order_site_id"],
            ["order_sites.id"],
            name=op.f("fk_evidence_pieces_order_site_id_order_sites"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evidence_pieces")),
    )
    op.create_index(op.f("ix_evidence_pieces_order_site_id"), "evidence_pieces", ["order_site_id"])
    op.create_index("ix_evidence_pieces_vendor_order", "evidence_pieces", ["vendor_id", "order_id"])


def downgrade() -> None:
    # Dropping a table drops its indexes; children before parents.
    for table in (
        "evidence_pieces",
        "installed_scenarios",
        "transmissions",
        "transmission_software",
    ):
        op.drop_table(table)
