"""An in-memory system saved to a file between commands, for trying flows from the CLI."""

from __future__ import annotations

import pickle
import threading
from pathlib import Path
from typing import Any

from ledgerbridge.connectors.memory import MemoryConnector
from ledgerbridge.domain.errors import ConfigError


def load(path: Path, system: str) -> MemoryConnector:
    """The system saved at ``path``, or a new empty one."""
    if not path.exists():
        return MemoryConnector(system)
    try:
        with path.open("rb") as fh:
            # The file is one the local CLI wrote itself under the data directory.
            state: dict[str, Any] = pickle.load(fh)  # noqa: S301
    except (OSError, pickle.UnpicklingError, EOFError) as exc:
        raise ConfigError(
            f"cannot read the in-memory system saved at {path} ({exc}); delete the file to "
            "start that system afresh"
        ) from exc
    conn = MemoryConnector(system)
    conn.__dict__.update(state)
    conn._lock = threading.RLock()
    return conn


def save(conn: MemoryConnector, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    state = {k: v for k, v in conn.__dict__.items() if k not in {"_lock", "faults", "_clock"}}
    tmp = path.with_suffix(".tmp")
    with tmp.open("wb") as fh:
        pickle.dump(state, fh)
    tmp.replace(path)
