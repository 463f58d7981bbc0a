"""The command line as a user runs it: a real process, a fresh data directory."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from tests.fixtures.db import create_pg_schema

Run = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def cli(tmp_path: Path) -> Run:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEDGERBRIDGE_")} | {
        "LEDGERBRIDGE_DATA_DIR": str(tmp_path / "data"),
        "COLUMNS": "200",
    }

    def run(
        *args: str, expect: int = 0, extra_env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run(
            [sys.executable, "-m", "ledgerbridge", *args],
            capture_output=True,
            text=True,
            env=env | (extra_env or {}),
            cwd=tmp_path,
            timeout=120,
            check=False,
        )
        assert proc.returncode == expect, (
            f"exit {proc.returncode} != {expect}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
        )
        return proc

    return run


def test_version(cli: Run) -> None:
    assert cli("--version").stdout.startswith("ledgerbridge ")


def test_demo_summary_matches_the_seed_and_a_second_demo_reuses_it(cli: Run) -> None:
    out = cli("demo", "--recipe", "starter").stdout
    first = out.split("Two-way sync:")[1].split("Second sync")[0]
    # 24 accounts less 3 linked by fetch; 9 coded products of 10 less 1 linked; 8 good invoices
    assert "accounts: from CRM: created 21" in first
    assert "from accounting: created 4" in first
    assert "products: from CRM: created 9" in first
    assert "invoices: from CRM: created 8" in first
    assert "total: created 42, failed 5" in first
    assert "Account has no Account_Name" in first
    assert "Product has no Product_Code" in first
    assert "Fetch (initial match): succeeded" in out
    assert "total: linked 4" in out
    again = out.split("Second sync (nothing left to do):")[1]
    assert "created" not in again and "updated" not in again
    # A second demo finds the systems and the integration it made and changes nothing.
    second = cli("demo", "--recipe", "starter").stdout.split("Two-way sync:")[1]
    assert "created" not in second.split("top failure")[0]


def test_demo_on_postgresql(cli: Run) -> None:
    url, drop = create_pg_schema()
    try:
        out = cli(
            "demo", "--recipe", "starter", extra_env={"LEDGERBRIDGE_DATABASE_URL": url}
        ).stdout
        assert "total: created 42, failed 5" in out
    finally:
        drop()


def test_history_lists_runs_and_shows_failed_reasons(cli: Run) -> None:
    cli("demo", "--recipe", "starter")
    runs = cli("history", "demo").stdout
    assert "partial" in runs and "fetch" in runs
    run_id = next(line.split("│")[1].strip() for line in runs.splitlines() if "manual" in line)
    detail = cli("history", "demo", "--run", run_id).stdout
    assert "failed" in detail and "Invoice has no Account" in detail


def test_export_import_round_trip_and_bad_yaml(cli: Run, tmp_path: Path) -> None:
    cli("connection", "add", "c1", "--system", "memory")
    cli("connection", "add", "b1", "--system", "memory")
    cli("integration", "create", "acme", "--crm", "c1", "--books", "b1")
    exported = tmp_path / "acme.yaml"
    cli("integration", "export", "acme", "-o", str(exported))
    data = yaml.safe_load(exported.read_text())
    assert [f["name"] for f in data["flows"]] == ["accounts", "products", "invoices"]
    refused = cli("integration", "import", str(exported), expect=2)
    assert "already exists" in refused.stderr and "--replace" in refused.stderr
    data["flows"][0]["conflict_policy"] = "crm_wins"
    exported.write_text(yaml.safe_dump(data))
    cli("integration", "import", str(exported), "--replace")
    again = yaml.safe_load(cli("integration", "export", "acme").stdout)
    assert again["flows"][0]["conflict_policy"] == "crm_wins"
    data["flows"][1]["fields"][0]["direction"] = "sideways"
    exported.write_text(yaml.safe_dump(data))
    bad = cli("integration", "import", str(exported), "--replace", expect=2)
    assert "flows.1.fields.0.direction" in bad.stderr
    exported.write_text("name: [unclosed")
    assert "not valid YAML" in cli("integration", "import", str(exported), expect=2).stderr


BAD_SYNC_OPTIONS = [
    (["--direction", "sideways"], "use one of: crm-to-books, books-to-crm, both"),
    (["--days", "0"], "--days must be 1 or more"),
    (["--full", "--days", "3"], "choose one window"),
    (["--record", "accounts:nowhere:1"], "FLOW:SIDE:ID"),
    (["--flow", "ledgers"], "has no flow named ledgers"),
]


def test_bad_sync_options_say_what_to_fix(cli: Run) -> None:
    cli("connection", "add", "c1", "--system", "memory")
    cli("connection", "add", "b1", "--system", "memory")
    cli("integration", "create", "acme", "--crm", "c1", "--books", "b1")
    for args, message in BAD_SYNC_OPTIONS:
        proc = cli("sync", "acme", *args, expect=2)
        assert message in proc.stderr, (args, proc.stderr)


def test_unknown_integration_and_system(cli: Run) -> None:
    assert "no integration named 'ghost'" in cli("sync", "ghost", expect=2).stderr
    bad = cli("connection", "add", "x", "--system", "salesforce", expect=2)
    assert "choose one of" in bad.stderr


def test_dry_run_writes_nothing_and_sync_then_converges(cli: Run) -> None:
    cli("demo", "--recipe", "starter")
    dry = cli("sync", "demo", "--full", "--dry-run").stdout
    assert "nothing would change" in dry
    full = cli("sync", "demo", "--full").stdout
    assert "created" not in full.split("top failure")[0]


def test_db_upgrade(cli: Run) -> None:
    assert "database at revision" in cli("db", "upgrade").stdout


def test_usage_errors_exit_2_with_the_option_named(cli: Run) -> None:
    bad = cli("sandbox", "--size", "huge", expect=2)
    assert "--size must be one of small, medium, large" in bad.stderr
    missing = cli("sync", expect=2)
    assert "Missing argument" in missing.stderr
