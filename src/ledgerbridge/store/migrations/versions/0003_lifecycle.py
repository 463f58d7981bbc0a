"""Checkpoints of interrupted reads, records the integration created, run notices.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from ledgerbridge.store.types import UTCDateTime

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "checkpoints",
        sa.Column("integration_id", sa.Integer(), nullable=False),
        sa.Column("flow", sa.String(63), nullable=False),
        sa.Column("side", sa.String(8), nullable=False),
        sa.Column("window", sa.String(16), nullable=False),
        sa.Column("position", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["integration_id"],
            ["integrations.id"],
            name="fk_checkpoints_integration_id_integrations",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("integration_id", "flow", "side", "window", name="pk_checkpoints"),
    )
    op.create_table(
        "created_records",
        sa.Column("integration_id", sa.Integer(), nullable=False),
        sa.Column("flow", sa.String(63), nullable=False),
        sa.Column("side", sa.String(8), nullable=False),
        sa.Column("record_id", sa.String(255), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["integration_id"],
            ["integrations.id"],
            name="fk_created_records_integration_id_integrations",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "integration_id", "flow", "side", "record_id", name="pk_created_records"
        ),
    )
    with op.batch_alter_table("runs") as batch:
        batch.add_column(sa.Column("notice", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("runs") as batch:
        batch.drop_column("notice")
    op.drop_table("created_records")
    op.drop_table("checkpoints")
