"""The initial schema: connections, integrations, flows, bindings, cursors, runs, run items.

Revision ID: 0001
Revises:
Create Date: 2026-11-21
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from ledgerbridge.store.types import BigId, JSONDocument, UTCDateTime

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "connections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(63), nullable=False),
        sa.Column("system", sa.String(32), nullable=False),
        sa.Column("settings", JSONDocument, nullable=False),
        sa.Column("secrets", sa.LargeBinary(), nullable=False),
        sa.Column("secrets_version", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_connections"),
        sa.UniqueConstraint("name", name="uq_connections_name"),
    )
    op.create_table(
        "integrations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(63), nullable=False),
        sa.Column("recipe", sa.String(63), nullable=False),
        sa.Column("crm_connection_id", sa.Integer(), nullable=False),
        sa.Column("books_connection_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("notify_email", sa.String(320), nullable=True),
        sa.Column("schedule", JSONDocument, nullable=False),
        sa.Column("settings", JSONDocument, nullable=False),
        sa.Column("button_secret_encrypted", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_integrations"),
        sa.UniqueConstraint("name", name="uq_integrations_name"),
        sa.ForeignKeyConstraint(
            ["crm_connection_id"],
            ["connections.id"],
            name="fk_integrations_crm_connection_id_connections",
        ),
        sa.ForeignKeyConstraint(
            ["books_connection_id"],
            ["connections.id"],
            name="fk_integrations_books_connection_id_connections",
        ),
    )
    op.create_table(
        "flows",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("integration_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(63), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("config", JSONDocument, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_flows"),
        sa.UniqueConstraint("integration_id", "name", name="uq_flows_integration_id_name"),
        sa.ForeignKeyConstraint(
            ["integration_id"],
            ["integrations.id"],
            name="fk_flows_integration_id_integrations",
            ondelete="CASCADE",
        ),
    )
    op.create_table(
        "bindings",
        sa.Column("id", BigId, nullable=False),
        sa.Column("integration_id", sa.Integer(), nullable=False),
        sa.Column("flow", sa.String(63), nullable=False),
        sa.Column("crm_id", sa.String(255), nullable=False),
        sa.Column("books_id", sa.String(255), nullable=False),
        sa.Column("base", JSONDocument, nullable=False),
        sa.Column("crm_hash", sa.String(128), nullable=False),
        sa.Column("books_hash", sa.String(128), nullable=False),
        sa.Column("crm_modified_at", UTCDateTime(), nullable=True),
        sa.Column("books_modified_at", UTCDateTime(), nullable=True),
        sa.Column("extra", JSONDocument, nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_bindings"),
        sa.UniqueConstraint(
            "crm_id", "integration_id", "flow", name="uq_bindings_crm_id_integration_id_flow"
        ),
        sa.UniqueConstraint(
            "books_id", "integration_id", "flow", name="uq_bindings_books_id_integration_id_flow"
        ),
        sa.ForeignKeyConstraint(
            ["integration_id"],
            ["integrations.id"],
            name="fk_bindings_integration_id_integrations",
            ondelete="CASCADE",
        ),
    )
    op.create_table(
        "cursors",
        sa.Column("integration_id", sa.Integer(), nullable=False),
        sa.Column("flow", sa.String(63), nullable=False),
        sa.Column("side", sa.String(8), nullable=False),
        sa.Column("position", UTCDateTime(), nullable=True),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("integration_id", "flow", "side", name="pk_cursors"),
        sa.ForeignKeyConstraint(
            ["integration_id"],
            ["integrations.id"],
            name="fk_cursors_integration_id_integrations",
            ondelete="CASCADE",
        ),
    )
    op.create_table(
        "runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("integration_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("dry_run", sa.Boolean(), nullable=False),
        sa.Column("request", JSONDocument, nullable=False),
        sa.Column("counts", JSONDocument, nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("finished_at", UTCDateTime(), nullable=True),
        sa.Column("heartbeat_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_runs"),
        sa.ForeignKeyConstraint(
            ["integration_id"],
            ["integrations.id"],
            name="fk_runs_integration_id_integrations",
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_runs_integration_id_started_at", "runs", ["integration_id", "started_at"])
    op.create_table(
        "run_items",
        sa.Column("id", BigId, nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("flow", sa.String(63), nullable=False),
        sa.Column("side", sa.String(8), nullable=False),
        sa.Column("record_id", sa.String(255), nullable=False),
        sa.Column("partner_id", sa.String(255), nullable=True),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("label", sa.Text(), nullable=False),
        sa.Column("detail", JSONDocument, nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_run_items"),
        sa.ForeignKeyConstraint(
            ["run_id"], ["runs.id"], name="fk_run_items_run_id_runs", ondelete="CASCADE"
        ),
    )
    op.create_index("ix_run_items_run_id_outcome", "run_items", ["run_id", "outcome"])


def downgrade() -> None:
    op.drop_index("ix_run_items_run_id_outcome", table_name="run_items")
    op.drop_table("run_items")
    op.drop_index("ix_runs_integration_id_started_at", table_name="runs")
    op.drop_table("runs")
    op.drop_table("cursors")
    op.drop_table("bindings")
    op.drop_table("flows")
    op.drop_table("integrations")
    op.drop_table("connections")
