"""Operator registries and enrolment: enrolled vendors, referenced solutions, enrolment
requests and their pieces (issue 6).

Revision ID: 0005_registries
Revises: 0004_instruction
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_registries"
down_revision: str | None = "0004_instruction"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "enrolment_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("vendor_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("filer_role", sa.String(), nullable=False),
        sa.Column("filer_name", sa.String(), nullable=False),
        sa.Column("iban", sa.String(), nullable=False),
        sa.Column("bic", sa.String(), nullable=False),
        sa.Column("solutions", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["vendor_id"], ["vendors.id"], name=op.f("fk_enrolment_requests_vendor_id_vendors")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_enrolment_requests")),
        sa.UniqueConstraint("id", "vendor_id", name=op.f("uq_enrolment_requests_id_vendor_id")),
    )
    op.create_index(
        "ix_enrolment_requests_vendor_status",
        "enrolment_requests",
        ["vendor_id", "status"],
        unique=False,
    )
    op.create_table(
        "enrolment_pieces",
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("vendor_id", sa.Integer(), nullable=False),
        sa.Column("file_name", sa.String(), nullable=False),
        sa.Column("media_type", sa.String(), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id", "vendor_id"],
            ["enrolment_requests.id", "enrolment_requests.vendor_id"],
            name=op.f("fk_enrolment_pieces_request_id_vendor_id_enrolment_requests"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("request_id", "kind", name=op.f("pk_enrolment_pieces")),
    )
    op.create_table(
        "enrolment_transitions",
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
        sa.Column("journal_entry_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["request_id", "vendor_id"],
            ["enrolment_requests.id", "enrolment_requests.vendor_id"],
            name=op.f("fk_enrolment_transitions_request_id_vendor_id_enrolment_requests"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_enrolment_transitions")),
    )
    op.create_index(
        "ix_enrolment_transitions_request",
        "enrolment_transitions",
        ["request_id", "id"],
        unique=False,
    )
    op.create_table(
        "registry_solutions",
        sa.Column("referencing_number", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("version", sa.String(), nullable=False),
        sa.Column("dispositif", sa.String(), nullable=False),
        sa.Column("profiles", sa.JSON(), nullable=False),
        sa.Column("referenced_on", sa.Date(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.Column("import_batch_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["import_batch_id"],
            ["import_batches.id"],
            name=op.f("fk_registry_solutions_import_batch_id_import_batches"),
        ),
        sa.PrimaryKeyConstraint("referencing_number", name=op.f("pk_registry_solutions")),
    )
    op.create_table(
        "registry_vendors",
        sa.Column("siret", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("enrolment_number", sa.String(), nullable=True),
        sa.Column("enrolled_on", sa.Date(), nullable=True),
        sa.Column("ended_on", sa.Date(), nullable=True),
        sa.Column("solutions", sa.JSON(), nullable=False),
        sa.Column("origin", sa.String(), nullable=False),
        sa.Column("import_batch_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["import_batch_id"],
            ["import_batches.id"],
            name=op.f("fk_registry_vendors_import_batch_id_import_batches"),
        ),
        sa.PrimaryKeyConstraint("siret", name=op.f("pk_registry_vendors")),
    )


def downgrade() -> None:
    op.drop_table("registry_vendors")
    op.drop_table("registry_solutions")
    op.drop_index("ix_enrolment_transitions_request", table_name="enrolment_transitions")
    op.drop_table("enrolment_transitions")
    op.drop_table("enrolment_pieces")
    op.drop_index("ix_enrolment_requests_vendor_status", table_name="enrolment_requests")
    op.drop_table("enrolment_requests")
