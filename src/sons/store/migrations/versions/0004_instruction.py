"""Operator instruction: payments, decisions' files, recovery orders (issue 6).

Revision ID: 0004_instruction
Revises: 0003_evidence
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

revision: str = "0004_instruction"
down_revision: str | None = "0003_evidence"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
