"""The lifecycle commands and the e-mail option, run in-process against a real SMTP server."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from ledgerbridge.cli import app
from ledgerbridge.domain.errors import StateError
from tests.integration.notify.mailserver import mail_server


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    monkeypatch.chdir(tmp_path)
    return {"LEDGERBRIDGE_DATA_DIR": str(tmp_path / "data"), "COLUMNS": "200"}


def _ok(runner: CliRunner, env: dict[str, str], *args: str, input: str | None = None) -> str:
    result = runner.invoke(app, list(args), env=env, input=input)
    assert result.exit_code == 0, f"{args}: {result.output}\n{result.exception!r}"
    return result.output


def test_pause_resume_email_and_delete(env: dict[str, str], tmp_path: Path) -> None:
    runner = CliRunner()
    name = "demo"
    _ok(runner, env, "demo", "--recipe", "starter", "--accounts", "8")

    assert "paused" in _ok(runner, env, "integration", "pause", name)
    refused = runner.invoke(app, ["sync", name], env=env)
    assert isinstance(refused.exception, StateError)
    assert f"integration {name} is paused" in str(refused.exception)
    assert f"ledgerbridge integration resume {name}" in str(refused.exception)
    _ok(runner, env, "integration", "resume", name)

    # A notification address set through config as code applies at the next run.
    exported = tmp_path / "demo.yaml"
    _ok(runner, env, "integration", "export", name, "-o", str(exported))
    config = yaml.safe_load(exported.read_text(encoding="utf-8"))
    config["notify_email"] = "ops@example.com"
    exported.write_text(yaml.safe_dump(config), encoding="utf-8")
    _ok(runner, env, "integration", "import", str(exported), "--replace")
    with mail_server() as (inbox, port):
        smtp = env | {
            "LEDGERBRIDGE_SMTP_HOST": "127.0.0.1",
            "LEDGERBRIDGE_SMTP_PORT": str(port),
            "LEDGERBRIDGE_SMTP_TLS": "none",
            "LEDGERBRIDGE_SMTP_FROM": "sync@example.com",
        }
        _ok(runner, smtp, "sync", name)
        assert inbox.messages == []
        _ok(runner, smtp, "sync", name, "--email")
    assert len(inbox.messages) == 1
    assert inbox.messages[0].rcpt_tos == ["ops@example.com"]
    assert inbox.messages[0].mail_from == "sync@example.com"

    # The server is gone now: the run still succeeds and says the e-mail was not sent.
    unsent = _ok(runner, smtp, "sync", name, "--email")
    assert "note: the summary e-mail to ops@example.com was not sent" in unsent
    run_id = re.search(r"\(run (\d+)\)", unsent)
    assert run_id is not None
    shown = _ok(runner, env, "history", name, "--run", run_id.group(1))
    assert "note: the summary e-mail to ops@example.com was not sent" in shown

    refused = runner.invoke(app, ["integration", "delete", name, "--yes"], env=env)
    assert isinstance(refused.exception, StateError)
    assert "only a disabled integration can be deleted" in str(refused.exception)
    _ok(runner, env, "integration", "disable", name)
    declined = runner.invoke(app, ["integration", "delete", name], env=env, input="n\n")
    assert declined.exit_code != 0
    assert name in _ok(runner, env, "integration", "list")
    deleted = _ok(
        runner, env, "integration", "delete", name, "--keep", "with-transactions", "--yes"
    )
    assert f"integration {name} deleted" in deleted
    assert "products: archived 1, kept 8 with transactions" in deleted
    assert "demo" not in _ok(runner, env, "integration", "list").split("flows")[-1]
