"""The schema: every table of the state store in one ``metadata``.

Migrations in ``store/migrations`` must produce exactly this schema; a test compares them.
Timestamps default to now in Python (not in the server) so both databases behave alike.
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

from ledgerbridge.store.types import BigId, JSONDocument, UTCDateTime

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


def utcnow() -> datetime:
    return datetime.now(UTC)


def _created_at() -> sa.Column[datetime]:
    return sa.Column("created_at", UTCDateTime(), nullable=False, default=utcnow)


def _updated_at() -> sa.Column[datetime]:
    return sa.Column("updated_at", UTCDateTime(), nullable=False, default=utcnow, onupdate=utcnow)


def _integration_id(*, primary_key: bool = False) -> sa.Column[int]:
    """The owning integration; its rows go when it is deleted."""
    return sa.Column(
        "integration_id",
        sa.Integer(),
        sa.ForeignKey("integrations.id", ondelete="CASCADE"),
        primary_key=primary_key,
        nullable=False,
    )


connections = sa.Table(
    "connections",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column("name", sa.String(63), nullable=False, unique=True),
    sa.Column("system", sa.String(32), nullable=False),
    # Non-secret settings: base URLs, tenant or organization id, data centre.
    sa.Column("settings", JSONDocument, nullable=False),
    # A Fernet blob of a JSON object: tokens, client secret.
    sa.Column("secrets", sa.LargeBinary(), nullable=False),
    # Bumped on every secret update; writers compare-and-swap on it.
    sa.Column("secrets_version", sa.Integer(), nullable=False),
    _created_at(),
    _updated_at(),
    # The portal user who added it; that user and admins manage it. None: added from the CLI.
    sa.Column(
        "owner_id",
        sa.Integer(),
        sa.ForeignKey("users.id", ondelete="SET NULL"),
        nullable=True,
    ),
)

integrations = sa.Table(
    "integrations",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column("name", sa.String(63), nullable=False, unique=True),
    sa.Column("recipe", sa.String(63), nullable=False),
    sa.Column("crm_connection_id", sa.Integer(), sa.ForeignKey("connections.id"), nullable=False),
    sa.Column("books_connection_id", sa.Integer(), sa.ForeignKey("connections.id"), nullable=False),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("notify_email", sa.String(320), nullable=True),
    sa.Column("schedule", JSONDocument, nullable=False),
    sa.Column("settings", JSONDocument, nullable=False),
    sa.Column("button_secret_encrypted", sa.LargeBinary(), nullable=True),
    _created_at(),
    _updated_at(),
    # The portal user who made it; only that user and admins see it. None: made from the CLI
    # or the config files, visible to admins only.
    sa.Column(
        "owner_id",
        sa.Integer(),
        sa.ForeignKey("users.id", ondelete="SET NULL"),
        nullable=True,
    ),
)

flows = sa.Table(
    "flows",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True),
    _integration_id(),
    sa.Column("name", sa.String(63), nullable=False),
    sa.Column("position", sa.Integer(), nullable=False),
    # A FlowConfig dump, validated again whenever it is read.
    sa.Column("config", JSONDocument, nullable=False),
    sa.UniqueConstraint("integration_id", "name"),
)

bindings = sa.Table(
    "bindings",
    metadata,
    sa.Column("id", BigId, primary_key=True),
    _integration_id(),
    sa.Column("flow", sa.String(63), nullable=False),
    sa.Column("crm_id", sa.String(255), nullable=False),
    sa.Column("books_id", sa.String(255), nullable=False),
    sa.Column("base", JSONDocument, nullable=False),
    sa.Column("crm_hash", sa.String(128), nullable=False),
    sa.Column("books_hash", sa.String(128), nullable=False),
    sa.Column("crm_modified_at", UTCDateTime(), nullable=True),
    sa.Column("books_modified_at", UTCDateTime(), nullable=True),
    sa.Column("extra", JSONDocument, nullable=False),
    _created_at(),
    _updated_at(),
    # One binding per integration, flow, side and external id; these also serve every lookup
    # by external id, so finding bindings costs the same whatever the table size. The external
    # id leads so that no index offers a bare (integration_id, flow) prefix: PostgreSQL, before
    # it has statistics on a freshly filled table, takes such a prefix for highly selective
    # and would scan a whole flow per lookup.
    sa.UniqueConstraint("crm_id", "integration_id", "flow"),
    sa.UniqueConstraint("books_id", "integration_id", "flow"),
)

cursors = sa.Table(
    "cursors",
    metadata,
    _integration_id(primary_key=True),
    sa.Column("flow", sa.String(63), primary_key=True),
    sa.Column("side", sa.String(8), primary_key=True),
    sa.Column("position", UTCDateTime(), nullable=True),
    _updated_at(),
)

runs = sa.Table(
    "runs",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True),
    _integration_id(),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("dry_run", sa.Boolean(), nullable=False),
    sa.Column("request", JSONDocument, nullable=False),
    sa.Column("counts", JSONDocument, nullable=False),
    sa.Column("error", sa.Text(), nullable=True),
    sa.Column("started_at", UTCDateTime(), nullable=False),
    sa.Column("finished_at", UTCDateTime(), nullable=True),
    sa.Column("heartbeat_at", UTCDateTime(), nullable=True),
    # Something a person should know that did not change the outcome (a summary e-mail that
    # could not be sent).
    sa.Column("notice", sa.Text(), nullable=True),
    sa.Index(None, "integration_id", "started_at"),
)

run_items = sa.Table(
    "run_items",
    metadata,
    sa.Column("id", BigId, primary_key=True),
    sa.Column("run_id", sa.Integer(), sa.ForeignKey("runs.id", ondelete="CASCADE"), nullable=False),
    sa.Column("flow", sa.String(63), nullable=False),
    sa.Column("side", sa.String(8), nullable=False),
    sa.Column("record_id", sa.String(255), nullable=False),
    sa.Column("partner_id", sa.String(255), nullable=True),
    sa.Column("outcome", sa.String(16), nullable=False),
    sa.Column("reason", sa.Text(), nullable=False),
    sa.Column("label", sa.Text(), nullable=False),
    sa.Column("detail", JSONDocument, nullable=False),
    _created_at(),
    sa.Index(None, "run_id", "outcome"),
)

# Records that failed in a run and are read again by id at the start of the next one, so a
# record whose cause of failure is fixed elsewhere (a clashing name on the other side, a
# transient error) still syncs although its own modification time is behind the cursor.
pending = sa.Table(
    "pending",
    metadata,
    _integration_id(primary_key=True),
    sa.Column("flow", sa.String(63), primary_key=True),
    sa.Column("side", sa.String(8), primary_key=True),
    sa.Column("record_id", sa.String(255), primary_key=True),
    sa.Column("reason", sa.Text(), nullable=False),
    sa.Column("attempts", sa.Integer(), nullable=False),
    _created_at(),
    _updated_at(),
)

# How far an interrupted read got: per flow, side and window kind, the modification time up to
# which every page was processed. The next run of that window reads on from here instead of
# starting over; moving the flow's cursor clears it.
checkpoints = sa.Table(
    "checkpoints",
    metadata,
    _integration_id(primary_key=True),
    sa.Column("flow", sa.String(63), primary_key=True),
    sa.Column("side", sa.String(8), primary_key=True),
    sa.Column("window", sa.String(16), primary_key=True),
    sa.Column("position", UTCDateTime(), nullable=False),
    _updated_at(),
)

# Records the integration created (rather than found and linked), so that deleting the
# integration can tidy up only what it made itself.
created_records = sa.Table(
    "created_records",
    metadata,
    _integration_id(primary_key=True),
    sa.Column("flow", sa.String(63), primary_key=True),
    sa.Column("side", sa.String(8), primary_key=True),
    sa.Column("record_id", sa.String(255), primary_key=True),
    _created_at(),
)

# Records whose accounting figures a run still owes the CRM: marked as soon as a page's changes
# are stored, before any cursor moves past them, and cleared once the figures are written, so a
# run that dies in between leaves them to the next one.
figures_owed = sa.Table(
    "figures_owed",
    metadata,
    _integration_id(primary_key=True),
    sa.Column("flow", sa.String(63), primary_key=True),
    sa.Column("side", sa.String(8), primary_key=True),
    sa.Column("record_id", sa.String(255), primary_key=True),
    _created_at(),
)

# The parent each related child (a CRM contact) had when a run last read it: a deleted child's
# tombstone names no parent, yet its parent must sync again to lose it.
related_parents = sa.Table(
    "related_parents",
    metadata,
    _integration_id(primary_key=True),
    sa.Column("relation", sa.String(127), primary_key=True),
    sa.Column("child_id", sa.String(255), primary_key=True),
    sa.Column("parent_id", sa.String(255), nullable=False),
    _updated_at(),
)

# Tokens that open the REST API. Only a SHA-256 hash of each token is kept: the token itself is
# shown once when it is made. A revoked token stays listed so its name and dates remain known.
api_tokens = sa.Table(
    "api_tokens",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column("name", sa.String(63), nullable=False, index=True),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("revoked", sa.Boolean(), nullable=False),
    sa.Column("last_used_at", UTCDateTime(), nullable=True),
    _created_at(),
    # The user the token acts for; None: an installation-wide token made from the CLI.
    sa.Column(
        "user_id",
        sa.Integer(),
        sa.ForeignKey("users.id", ondelete="CASCADE"),
        nullable=True,
    ),
)

# People who log into the portal. E-mail addresses are stored lowercase; passwords only as
# argon2id hashes.
users = sa.Table(
    "users",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column("email", sa.String(320), nullable=False, unique=True),
    sa.Column("password_hash", sa.String(255), nullable=False),
    sa.Column("is_admin", sa.Boolean(), nullable=False),
    _created_at(),
    sa.Column("last_login_at", UTCDateTime(), nullable=True),
)

# Failed logins, by e-mail address and by client address, to slow down password guessing.
# Rows older than the throttling window are deleted as new failures arrive.
login_failures = sa.Table(
    "login_failures",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column("email", sa.String(320), nullable=False, index=True),
    sa.Column("ip", sa.String(64), nullable=False, index=True),
    sa.Column("at", UTCDateTime(), nullable=False, index=True),
)

# Creates sent but not yet bound: written before the remote create, removed once its binding
# is stored. A run that dies in between leaves the next one a note of what it may have made:
# the source record (so its flow links the new record whatever its duplicate policy) and the
# match keys it was sent with (so a sibling flow over the same module leaves it alone).
creates_in_flight = sa.Table(
    "creates_in_flight",
    metadata,
    _integration_id(primary_key=True),
    sa.Column("flow", sa.String(63), primary_key=True),
    # The side the record is being created on.
    sa.Column("side", sa.String(8), primary_key=True),
    sa.Column("source_id", sa.String(255), primary_key=True),
    sa.Column("sent_keys", JSONDocument, nullable=False),
    _created_at(),
)
