"""Fixtures: the Zoho Books connector on the emulator, requests recorded."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.contract.connectors.subjects.zoho_books import BooksWorld, books_world
from tests.integration.connectors.zoho_crm.transports import Recorder


@pytest.fixture
def world() -> Iterator[BooksWorld]:
    with books_world() as w:
        yield w


@pytest.fixture
def recorder() -> Iterator[tuple[BooksWorld, Recorder]]:
    made: list[Recorder] = []

    def wrap(inner: httpx.BaseTransport) -> Recorder:
        made.append(Recorder(inner))
        return made[0]

    with books_world(wrap=wrap) as w:
        yield w, made[0]


def customer(world: BooksWorld, name: str, **extra: object) -> str:
    return str(
        world.state.create_contact(world.org_id, {"contact_name": name, **extra})["contact_id"]
    )


def item(world: BooksWorld, name: str, rate: float = 10.0) -> str:
    return str(world.state.create_item(world.org_id, {"name": name, "rate": rate})["item_id"])
