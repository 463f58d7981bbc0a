"""Lifecycle tests build whole worlds on the parametrized store (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from ledgerbridge.domain.config import IntegrationConfig
from ledgerbridge.recipes.starter import starter_config
from ledgerbridge.store import Store
from tests.support.world import World

BuildWorld = Callable[..., World]


@pytest.fixture
def build(store: Store) -> BuildWorld:
    """``build(config=starter, **World.build options)`` on this test's store."""

    def make(config: IntegrationConfig | None = None, **options: Any) -> World:
        return World.build(store, config if config is not None else starter_config(), **options)

    return make
