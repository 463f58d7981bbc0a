"""Debian's chromium under Playwright: where it is and how it is started."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

# Started as on CI: headless, no sandbox (containers run as root), nothing that phones home.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str:
    """The installed chromium; ``LEDGERBRIDGE_CHROMIUM`` overrides it."""
    found = os.environ.get("LEDGERBRIDGE_CHROMIUM") or shutil.which("chromium")
    if not found:
        raise RuntimeError(
            "the browser tests need Debian's chromium: apt-get install chromium "
            "(`make test` installs it when run as root)"
        )
    return found


def artifacts_dir() -> Path:
    """Where screenshots go: ``LEDGERBRIDGE_ARTIFACTS`` or ``test-artifacts/`` in the checkout."""
    root = Path(
        os.environ.get("LEDGERBRIDGE_ARTIFACTS", Path(__file__).parents[2] / "test-artifacts")
    )
    shots = root / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    return shots
