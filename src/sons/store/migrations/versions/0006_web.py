"""Web application: client questionnaire links and their answers, indexes of the order list
and of the cross-vendor lookups (issues 6 and 7).

Revision ID: 0006_web
Revises: 0005_registries
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_web"
down_revision: str | None = "0005_registries"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "questionnaire_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("vendor_id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("nonce_sha256", sa.String(length=64), nullable=False),
        sa.Column("recipient", sa.String(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_by", sa.String(), nullable=True),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("submitted_by", sa.String(), nullable=True),
        sa.ForeignKeyConstraint(
            ["order_id", "vendor_id"],
            ["purchase_orders.id", "purchase_orders.vendor_id"],
            name=op.f("fk_questionnaire_links_order_id_vendor_id_purchase_orders"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["vendor_id"], ["vendors.id"], name=op.f("fk_questionnaire_links_vendor_id_vendors")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_questionnaire_links")),
        sa.UniqueConstraint("nonce_sha256", name=op.f("uq_questionnaire_links_nonce_sha256")),
    )
    op.create_index(
        "ix_questionnaire_links_vendor_order", "questionnaire_links", ["vendor_id", "order_id"]
    )
    # The order list filtered on signature dates, and intake's cross-vendor lookups by client.
    op.create_index(
        "ix_purchase_orders_vendor_signed_on", "purchase_orders", ["vendor_id", "signed_on"]
    )
    op.create_index(
        "ix_funding_requests_client", "funding_requests", ["client_kind", "client_id", "dispositif"]
    )


def downgrade() -> None:
    op.drop_index("ix_funding_requests_client", table_name="funding_requests")
    op.drop_index("ix_purchase_orders_vendor_signed_on", table_name="purchase_orders")
    op.drop_table("questionnaire_links")
