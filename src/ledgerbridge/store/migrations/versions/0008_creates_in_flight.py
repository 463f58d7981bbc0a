"""Creates sent but not yet bound, so a run that dies in between leaves a note of them.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from ledgerbridge.store.types import JSONDocument, UTCDateTime

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "creates_in_flight",
        sa.Column("integration_id", sa.Integer(), nullable=False),
        sa.Column("flow", sa.String(63), nullable=False),
        sa.Column("side", sa.String(8), nullable=False),
        sa.Column("source_id", sa.String(255), nullable=False),
        sa.Column("sent_keys", JSONDocument, nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["integration_id"],
            ["integrations.id"],
            name="fk_creates_in_flight_integration_id_integrations",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "integration_id", "flow", "side", "source_id", name="pk_creates_in_flight"
        ),
    )


def downgrade() -> None:
    op.drop_table("creates_in_flight")
