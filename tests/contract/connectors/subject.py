"""What a connector under contract test brings: the connector and a backdoor to its system."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any

from ledgerbridge.connectors.base import Connector


@dataclass
class Subject:
    """A connector plus what a person could do in the system's own screens.

    ``put``/``edit`` create and change records without going through the connector (and
    without counting as its API calls); ``advance`` moves the system's clock so modification
    times differ; ``calls`` counts API calls the system has answered.
    """

    name: str
    connector: Connector
    module: str
    make_fields: Callable[[int], dict[str, Any]]  # a valid new record, unique per number
    invalid_fields: dict[str, Any]  # a record the server refuses on its own (per record)
    key_field: str  # a text field find_many can search
    key_of: Callable[[dict[str, Any]], str]  # the key value inside make_fields(i)
    put: Callable[[dict[str, Any]], str]
    edit: Callable[[str, dict[str, Any]], None]
    advance: Callable[[float], None]
    calls: Callable[[], int]
    # Reads back a field the way the connector presents it (for update round trips).
    update_field: str = ""
    update_value: Callable[[int], Any] = lambda i: f"changed {i}"
    read_update: Callable[[dict[str, Any]], Any] = lambda f: None
    extra: dict[str, Any] = field(default_factory=dict)


SubjectFactory = Callable[[], AbstractContextManager[Subject]]
SubjectIterator = Iterator[Subject]
