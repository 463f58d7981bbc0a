"""A fresh Xero emulator per test, with the emulator's rate limits on."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.integration.connectors.xero.emulator import Xero, xero


@pytest.fixture
def world() -> Iterator[Xero]:
    with xero() as made:
        yield made
