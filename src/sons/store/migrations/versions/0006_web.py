"""Web application: client questionnaire links and their answers (issue 7).

Revision ID: 0006_web
Revises: 0005_registries
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

revision: str = "0006_web"
down_revision: str | None = "0005_registries"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
