"""Every module in ``subjects/`` that defines ``subject()`` joins the contract suite."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterator

import pytest

from tests.contract.connectors import subjects
from tests.contract.connectors.subject import Subject

NAMES = sorted(m.name for m in pkgutil.iter_modules(subjects.__path__))


@pytest.fixture(params=NAMES)
def subject(request: pytest.FixtureRequest) -> Iterator[Subject]:
    module = importlib.import_module(f"tests.contract.connectors.subjects.{request.param}")
    with module.subject() as s:
        yield s
