"""Opening a current store asks one query and leaves Alembic unloaded."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from ledgerbridge.store import make_engine
from ledgerbridge.store.migrate import head_revision, is_current, packaged_head, upgrade


def test_packaged_head_matches_alembic() -> None:
    assert packaged_head() == head_revision()


def test_is_current_only_after_upgrade(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        assert not is_current(engine)
        upgrade(engine)
        assert is_current(engine)
    finally:
        engine.dispose()


def test_opening_a_current_store_does_not_import_alembic(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from ledgerbridge.store import SecretBox, Store, sqlite_url\n"
        f"url = sqlite_url(Path({str(tmp_path)!r}))\n"
        "Store.open(url, SecretBox([SecretBox.generate_key()])).close()\n"
        "print('alembic' in sys.modules)\n"
    )
    first = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert first.stdout.strip() == "True"  # the first open migrates
    again = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert again.stdout.strip() == "False"
