"""Operator registries and enrolment: enrolled vendors, referenced solutions, enrolment requests and their pieces (issue 6).

Revision ID: 0005_registries
Revises: 0004_instruction
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

revision: str = "0005_registries"
down_revision: str | None = "0004_instruction"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
