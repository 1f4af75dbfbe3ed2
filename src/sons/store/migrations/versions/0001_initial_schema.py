"""Initial schema: vendors, solutions, directory, eligibility, orders, imports, journal.

Revision ID: 0001
Revises:
Create Date: 2025-01-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "journal_entries",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(), nullable=False),
        sa.Column("action", sa.String(), nullable=False),
        sa.Column("entity_type", sa.String(), nullable=False),
        sa.Column("entity_id", sa.String(), nullable=False),
        sa.Column("vendor_id", sa.Integer(), nullable=True),
        sa.Column("before", sa.Text(), nullable=True),
        sa.Column("after", sa.Text(), nullable=True),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_journal_entries")),
        sa.UniqueConstraint("hash", name=op.f("uq_journal_entries_hash")),
    )
    op.create_index("ix_journal_entries_entity", "journal_entries", ["entity_type", "entity_id"])
    op.create_index(op.f("ix_journal_entries_vendor_id"), "journal_entries", ["vendor_id"])

    op.create_table(
        "vendors",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("siren", sa.String(), nullable=False),
        sa.Column("siret", sa.String(), nullable=False),
        sa.Column("enrolment_number", sa.String(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vendors")),
        sa.UniqueConstraint("siret", name=op.f("uq_vendors_siret")),
    )
    op.create_table(
        "import_batches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("scope", sa.String(), nullable=False),
        sa.Column("vendor_id", sa.Integer(), nullable=True),
        sa.Column("file_name", sa.String(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(), nullable=False),
        sa.ForeignKeyConstraint(
            ["vendor_id"], ["vendors.id"], name=op.f("fk_import_batches_vendor_id_vendors")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_batches")),
        sa.UniqueConstraint(
            "kind", "scope", "sha256", name=op.f("uq_import_batches_kind_scope_sha256")
        ),
    )
    op.create_index(op.f("ix_import_batches_vendor_id"), "import_batches", ["vendor_id"])

    op.create_table(
        "solutions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("vendor_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("version", sa.String(), nullable=False),
        sa.Column("referencing_number", sa.String(), nullable=False),
        sa.Column("dispositif", sa.String(), nullable=False),
        sa.Column("profiles", sa.JSON(), nullable=False),
        sa.Column("referenced_on", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["vendor_id"], ["vendors.id"], name=op.f("fk_solutions_vendor_id_vendors")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_solutions")),
        sa.UniqueConstraint("id", "vendor_id", name=op.f("uq_solutions_id_vendor_id")),
        sa.UniqueConstraint(
            "vendor_id",
            "referencing_number",
            name=op.f("uq_solutions_vendor_id_referencing_number"),
        ),
    )
    op.create_table(
        "eligibility_ceilings",
        sa.Column("dispositif", sa.String(), nullable=False),
        sa.Column("finess", sa.String(), nullable=False),
        sa.Column("ceiling_ht_cents", sa.BigInteger(), nullable=False),
        sa.Column("import_batch_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["import_batch_id"],
            ["import_batches.id"],
            name=op.f("fk_eligibility_ceilings_import_batch_id_import_batches"),
        ),
        sa.PrimaryKeyConstraint("dispositif", "finess", name=op.f("pk_eligibility_ceilings")),
    )
    op.create_table(
        "establishments",
        sa.Column("finess_et", sa.String(), nullable=False),
        sa.Column("finess_ej", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("long_name", sa.String(), nullable=True),
        sa.Column("category_code", sa.String(), nullable=True),
        sa.Column("category_label", sa.String(), nullable=True),
        sa.Column("siret", sa.String(), nullable=True),
        sa.Column("address", sa.String(), nullable=True),
        sa.Column("postcode", sa.String(), nullable=True),
        sa.Column("commune_code", sa.String(), nullable=True),
        sa.Column("city", sa.String(), nullable=True),
        sa.Column("department", sa.String(), nullable=True),
        sa.Column("department_label", sa.String(), nullable=True),
        sa.Column("extract_date", sa.Date(), nullable=True),
        sa.Column("import_batch_id", sa.Integer(), nullable=True),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["import_batch_id"],
            ["import_batches.id"],
            name=op.f("fk_establishments_import_batch_id_import_batches"),
        ),
        sa.PrimaryKeyConstraint("finess_et", name=op.f("pk_establishments")),
    )
    op.create_index(op.f("ix_establishments_department"), "establishments", ["department"])
    op.create_index(op.f("ix_establishments_finess_ej"), "establishments", ["finess_ej"])

    op.create_table(
        "legal_entities",
        sa.Column("finess_ej", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("siren", sa.String(), nullable=True),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("extract_date", sa.Date(), nullable=True),
        sa.Column("import_batch_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["import_batch_id"],
            ["import_batches.id"],
            name=op.f("fk_legal_entities_import_batch_id_import_batches"),
        ),
        sa.PrimaryKeyConstraint("finess_ej", name=op.f("pk_legal_entities")),
    )
    op.create_table(
        "professionals",
        sa.Column("rpps", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("import_batch_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["import_batch_id"],
            ["import_batches.id"],
            name=op.f("fk_professionals_import_batch_id_import_batches"),
        ),
        sa.PrimaryKeyConstraint("rpps", name=op.f("pk_professionals")),
    )
    op.create_table(
        "purchase_orders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("vendor_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(), nullable=False),
        sa.Column("solution_id", sa.Integer(), nullable=False),
        sa.Column("dispositif", sa.String(), nullable=False),
        sa.Column("client_kind", sa.String(), nullable=False),
        sa.Column("client_id", sa.String(), nullable=False),
        sa.Column("signed_on", sa.Date(), nullable=False),
        sa.Column("signatory", sa.String(), nullable=False),
        sa.Column("under_referencing_condition", sa.Boolean(), nullable=False),
        sa.Column("prestation_ht_cents", sa.BigInteger(), nullable=False),
        sa.Column("prestation_ttc_cents", sa.BigInteger(), nullable=False),
        sa.Column("referential_pin", sa.String(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("extra", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["solution_id", "vendor_id"],
            ["solutions.id", "solutions.vendor_id"],
            name=op.f("fk_purchase_orders_solution_id_vendor_id_solutions"),
        ),
        sa.ForeignKeyConstraint(
            ["vendor_id"], ["vendors.id"], name=op.f("fk_purchase_orders_vendor_id_vendors")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_purchase_orders")),
        sa.UniqueConstraint("id", "vendor_id", name=op.f("uq_purchase_orders_id_vendor_id")),
        sa.UniqueConstraint(
            "vendor_id", "number", name=op.f("uq_purchase_orders_vendor_id_number")
        ),
    )
    op.create_index(
        "ix_purchase_orders_client", "purchase_orders", ["client_kind", "client_id", "dispositif"]
    )
    op.create_index(
        "ix_purchase_orders_vendor_dispositif_status",
        "purchase_orders",
        ["vendor_id", "dispositif", "status"],
    )

    op.create_table(
        "order_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("vendor_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("label", sa.Text(), nullable=False),
        sa.Column("amount_ht_cents", sa.BigInteger(), nullable=False),
        sa.Column("dimension", sa.String(), nullable=True),
        sa.Column("not_funded", sa.String(), nullable=True),
        sa.Column("billed_as_segur", sa.Boolean(), nullable=False),
        sa.CheckConstraint(
            "dimension IS NULL OR not_funded IS NULL",
            name=op.f("ck_order_lines_funded_or_not_funded"),
        ),
        sa.ForeignKeyConstraint(
            ["order_id", "vendor_id"],
            ["purchase_orders.id", "purchase_orders.vendor_id"],
            name=op.f("fk_order_lines_order_id_vendor_id_purchase_orders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_lines")),
    )
    op.create_index(
        "ix_order_lines_vendor_order", "order_lines", ["vendor_id", "order_id", "position"]
    )

    op.create_table(
        "order_sites",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("vendor_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("finess_et", sa.String(), nullable=True),
        sa.Column("finess_ej", sa.String(), nullable=True),
        sa.Column("ordered_answers", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id", "vendor_id"],
            ["purchase_orders.id", "purchase_orders.vendor_id"],
            name=op.f("fk_order_sites_order_id_vendor_id_purchase_orders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_sites")),
    )
    op.create_index(op.f("ix_order_sites_finess_ej"), "order_sites", ["finess_ej"])
    op.create_index(op.f("ix_order_sites_finess_et"), "order_sites", ["finess_et"])
    op.create_index(
        "ix_order_sites_vendor_order", "order_sites", ["vendor_id", "order_id", "position"]
    )


def downgrade() -> None:
    # Dropping a table drops its indexes; children before parents.
    for table in (
        "order_sites",
        "order_lines",
        "purchase_orders",
        "professionals",
        "legal_entities",
        "establishments",
        "eligibility_ceilings",
        "solutions",
        "import_batches",
        "vendors",
        "journal_entries",
    ):
        op.drop_table(table)
