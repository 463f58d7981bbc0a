"""The built wheel carries what the installed command needs at run time.

The wheel is built from the working tree, unpacked, and put first on ``PYTHONPATH`` of the
project's interpreter (its dependencies are there), then the command is run from a directory
outside the source tree: ``--version`` answers and ``db upgrade`` finds the packaged migrations.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from ledgerbridge.store.migrate import packaged_head

ROOT = Path(__file__).resolve().parents[3]
PACKAGE = ROOT / "src" / "ledgerbridge"


def _build_wheel(out: Path) -> Path:
    uv = shutil.which("uv") or str(Path.home() / ".local" / "bin" / "uv")
    if Path(uv).is_file():
        command = [uv, "build", "--wheel", "--offline", "--quiet", "-o", str(out), str(ROOT)]
    else:
        command = [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "-q",
            "-w",
            str(out),
            str(ROOT),
        ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    (wheel,) = out.glob("ledgerbridge-*.whl")
    return wheel


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _build_wheel(tmp_path_factory.mktemp("wheel"))


def _shipped_data_files() -> set[str]:
    """Every non-module file under the source package, as its path inside the wheel."""
    return {
        str(path.relative_to(PACKAGE.parent))
        for path in PACKAGE.rglob("*")
        if path.is_file() and path.suffix not in (".py", ".pyc") and "__pycache__" not in path.parts
    }


def test_wheel_lists_migrations_templates_and_static_files(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    migrations = {n for n in names if n.startswith("ledgerbridge/store/migrations/versions/")}
    on_disk = {
        f"ledgerbridge/store/migrations/versions/{p.name}"
        for p in (PACKAGE / "store" / "migrations" / "versions").glob("*.py")
    }
    assert on_disk, "the source tree has no migrations"
    assert on_disk <= migrations
    assert "ledgerbridge/store/migrations/env.py" in names
    assert "ledgerbridge/store/migrations/script.py.mako" in names
    assert "ledgerbridge/py.typed" in names
    # Portal templates and static files, and any other data file, whatever their names.
    missing = _shipped_data_files() - names
    assert not missing, f"the wheel leaves out {sorted(missing)}"
    for folder in ("portal/templates", "portal/static"):
        if (PACKAGE / folder).is_dir():
            assert any(n.startswith(f"ledgerbridge/{folder}/") for n in names)
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]
    entry_points = zipfile.ZipFile(wheel).read("ledgerbridge-0.1.0.dist-info/entry_points.txt")
    assert b"ledgerbridge = ledgerbridge.cli:main" in entry_points


def test_unpacked_wheel_runs_version_and_migrates(wheel: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    work = tmp_path / "elsewhere"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEDGERBRIDGE_")} | {
        "PYTHONPATH": str(site),
        "LEDGERBRIDGE_DATA_DIR": str(work / "data"),
        "LEDGERBRIDGE_DATABASE_URL": f"sqlite:///{work / 'state.db'}",
    }

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, *args],
            cwd=work,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    # One interpreter says where the package comes from, then runs it as ``python -m`` does.
    version = run(
        "-c",
        "import runpy, sys, ledgerbridge; print(ledgerbridge.__file__); "
        "sys.argv = ['ledgerbridge', '--version']; "
        "runpy.run_module('ledgerbridge', run_name='__main__')",
    )
    assert version.returncode == 0, version.stderr
    where, printed = version.stdout.strip().splitlines()
    assert where == str(site / "ledgerbridge" / "__init__.py")
    assert printed == "ledgerbridge 0.1.0"
    upgraded = run("-m", "ledgerbridge", "db", "upgrade")
    assert upgraded.returncode == 0, upgraded.stderr
    assert f"database at revision {packaged_head()}" in upgraded.stdout
    assert (work / "state.db").is_file()
