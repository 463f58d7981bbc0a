"""Shared test fixtures (database URLs for SQLite and PostgreSQL live in tests/fixtures)."""

pytest_plugins = ["tests.fixtures.db"]
