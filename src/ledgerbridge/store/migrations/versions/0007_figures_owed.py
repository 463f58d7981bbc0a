"""Records whose accounting figures a run still owes the CRM.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from ledgerbridge.store.types import UTCDateTime

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "figures_owed",
        sa.Column("integration_id", sa.Integer(), nullable=False),
        sa.Column("flow", sa.String(63), nullable=False),
        sa.Column("side", sa.String(8), nullable=False),
        sa.Column("record_id", sa.String(255), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["integration_id"],
            ["integrations.id"],
            name="fk_figures_owed_integration_id_integrations",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "integration_id", "flow", "side", "record_id", name="pk_figures_owed"
        ),
    )


def downgrade() -> None:
    op.drop_table("figures_owed")
