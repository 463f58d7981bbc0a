"""Fixtures: the Zoho CRM connector on the emulator, requests recorded and spec-checked."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.contract.connectors.subjects.zoho_crm import CrmWorld, crm_world
from tests.integration.connectors.zoho_crm.transports import Recorder


@pytest.fixture
def world() -> Iterator[CrmWorld]:
    with crm_world() as w:
        yield w


@pytest.fixture
def recorder() -> Iterator[tuple[CrmWorld, Recorder]]:
    made: list[Recorder] = []

    def wrap(inner: httpx.BaseTransport) -> Recorder:
        rec = Recorder(inner)
        made.append(rec)
        return rec

    with crm_world(wrap=wrap) as w:
        yield w, made[0]
