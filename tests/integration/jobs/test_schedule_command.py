"""``ledgerbridge integration schedule``: set, show and stop an integration's schedule."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from ledgerbridge.bootstrap import bootstrap
from ledgerbridge.cli import app as cli_app
from ledgerbridge.domain.config import Direction, ScheduleConfig
from ledgerbridge.domain.errors import ConfigError
from ledgerbridge.recipes.starter import starter_config
from ledgerbridge.settings import Settings


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    data = tmp_path / "data"
    for name in ("LEDGERBRIDGE_DATABASE_URL", "LEDGERBRIDGE_SETTINGS_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LEDGERBRIDGE_DATA_DIR", str(data))
    monkeypatch.chdir(tmp_path)
    application = bootstrap(Settings(data_dir=data))
    try:
        for name in ("crm", "books"):
            application.store.connections.add(name, "memory", {}, {})
        application.store.integrations.create(starter_config("acme", "crm", "books"))
    finally:
        application.close()
    return data


def schedule(*args: str) -> str:
    result = CliRunner().invoke(cli_app, ["integration", "schedule", "acme", *args])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    assert result.exit_code == 0, result.output
    return " ".join(result.output.split())


def stored(data_dir: Path) -> ScheduleConfig:
    application = bootstrap(Settings(data_dir=data_dir))
    try:
        return application.store.integrations.get("acme").schedule
    finally:
        application.close()


def test_times_timezone_flows_direction_and_email_are_stored(data_dir: Path) -> None:
    assert schedule() == "integration acme schedule: off"
    out = schedule(
        "--at", "13:30", "--at", "07:00", "--timezone", "Europe/London",
        "--flow", "accounts", "--direction", "crm-to-books", "--email",
    )  # fmt: skip
    assert out == (
        "integration acme schedule: at 07:00, 13:30 (Europe/London), crm_to_books, "
        "flows accounts, e-mail summary"
    )
    saved = stored(data_dir)
    assert saved.enabled
    assert saved.times == ("13:30", "07:00")
    assert saved.timezone == "Europe/London"
    assert saved.flows == ("accounts",)
    assert saved.direction is Direction.CRM_TO_BOOKS
    assert saved.email_summary


def test_an_interval_replaces_times_and_off_stops_it(data_dir: Path) -> None:
    schedule("--at", "07:00")
    assert schedule("--every", "45", "--no-email") == (
        "integration acme schedule: every 45 minutes, both"
    )
    assert stored(data_dir).times == ()
    assert schedule("--off") == "integration acme schedule: off"
    saved = stored(data_dir)
    assert not saved.enabled
    assert saved.interval_minutes == 45


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--every", "3"), "5 minutes or more"),
        (("--at", "25:00"), "HH:MM"),
        (("--at", "07:00", "--timezone", "Mars/Olympus"), "unknown timezone"),
        (("--every", "60", "--at", "07:00"), "not both"),
        (("--every", "60", "--flow", "nope"), "no flow named nope"),
        (("--every", "60", "--direction", "sideways"), "crm-to-books"),
        (("--off", "--every", "60"), "--off"),
    ],
)
def test_mistakes_say_what_to_fix(data_dir: Path, args: tuple[str, ...], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        schedule(*args)
    assert not stored(data_dir).enabled


def test_an_imported_schedule_is_checked(data_dir: Path, tmp_path: Path) -> None:
    exported = CliRunner().invoke(cli_app, ["integration", "export", "acme"])
    assert exported.exit_code == 0, exported.output
    text = exported.output.replace("name: acme\n", "name: other\n", 1)
    file = tmp_path / "other.yaml"
    file.write_text(text + "schedule:\n  enabled: true\n  timezone: Europe/Atlantis\n")
    result = CliRunner().invoke(cli_app, ["integration", "import", str(file)])
    assert isinstance(result.exception, ConfigError)
    assert "schedule: unknown timezone 'Europe/Atlantis'" in str(result.exception)
