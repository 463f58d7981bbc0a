"""The parent each related child (a CRM contact) had when last read.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from ledgerbridge.store.types import UTCDateTime

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "related_parents",
        sa.Column("integration_id", sa.Integer(), nullable=False),
        sa.Column("relation", sa.String(127), nullable=False),
        sa.Column("child_id", sa.String(255), nullable=False),
        sa.Column("parent_id", sa.String(255), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["integration_id"],
            ["integrations.id"],
            name="fk_related_parents_integration_id_integrations",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "integration_id", "relation", "child_id", name="pk_related_parents"
        ),
    )


def downgrade() -> None:
    op.drop_table("related_parents")
