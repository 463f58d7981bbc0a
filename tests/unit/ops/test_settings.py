"""Settings: every source, secrets from files, placeholders refused outside development."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from ledgerbridge.domain.errors import ConfigError
from ledgerbridge.notify.settings import SmtpSettings
from ledgerbridge.settings import (
    Environment,
    LogFormat,
    Settings,
    load_settings,
    session_secret,
)

SRC = Path(__file__).resolve().parents[3] / "src" / "ledgerbridge"
GOOD_SESSION = "k" * 20 + "Zq9-x_3mP0aV7wLr"  # 36 characters, not a placeholder


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import os

    for name in list(os.environ):
        if name.startswith("LEDGERBRIDGE_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)  # no ./ledgerbridge.env from elsewhere
    # An empty secrets directory, so a /run/secrets on the machine cannot leak in.
    empty = tmp_path / "no-secrets"
    empty.mkdir()
    monkeypatch.setenv("LEDGERBRIDGE_SECRETS_DIR", str(empty))


def production(monkeypatch: pytest.MonkeyPatch, **values: str) -> None:
    monkeypatch.setenv("LEDGERBRIDGE_ENVIRONMENT", "production")
    for key, value in values.items():
        monkeypatch.setenv(f"LEDGERBRIDGE_{key.upper()}", value)


def test_development_needs_no_configuration(tmp_path: Path) -> None:
    settings = load_settings()
    assert settings.environment is Environment.DEVELOPMENT
    assert settings.effective_log_format is LogFormat.TEXT
    settings = settings.model_copy(update={"data_dir": tmp_path / "data"})
    first = session_secret(settings)
    assert len(first) >= 32
    assert session_secret(settings) == first  # kept, so a restart keeps people logged in
    assert (tmp_path / "data" / "session.secret").stat().st_mode & 0o077 == 0


@pytest.mark.parametrize("placeholder", ["changeme", "secret", "placeholder", "dev", "  "])
def test_production_refuses_placeholder_session_secret(
    monkeypatch: pytest.MonkeyPatch, placeholder: str
) -> None:
    production(monkeypatch, session_secret=placeholder, secret_key=Fernet.generate_key().decode())
    with pytest.raises(ConfigError) as caught:
        load_settings()
    message = str(caught.value)
    assert "LEDGERBRIDGE_SESSION_SECRET is a placeholder" in message
    assert "secrets.token_urlsafe" in message
    assert "LEDGERBRIDGE_SECRET_KEY" not in message


def test_production_refuses_short_or_missing_session_secret(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    production(monkeypatch, session_secret="a-real-but-short-value")
    with pytest.raises(ConfigError, match="SESSION_SECRET is shorter than 32 characters"):
        load_settings()
    monkeypatch.delenv("LEDGERBRIDGE_SESSION_SECRET")
    with pytest.raises(ConfigError, match="LEDGERBRIDGE_SESSION_SECRET is not set"):
        load_settings()


@pytest.mark.parametrize(
    ("key", "complaint"),
    [
        ("changeme", "LEDGERBRIDGE_SECRET_KEY is a placeholder"),
        ("0123456789abcdef0123456789abcdef", "LEDGERBRIDGE_SECRET_KEY is not a Fernet key"),
    ],
)
def test_production_refuses_bad_secret_key(
    monkeypatch: pytest.MonkeyPatch, key: str, complaint: str
) -> None:
    production(monkeypatch, session_secret=GOOD_SESSION, secret_key=key)
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert complaint in str(caught.value)
    assert "Fernet.generate_key()" in str(caught.value)
    assert key not in str(caught.value).replace("LEDGERBRIDGE_SECRET_KEY", "")


def test_rotation_list_names_the_bad_key(monkeypatch: pytest.MonkeyPatch) -> None:
    good = Fernet.generate_key().decode()
    production(monkeypatch, session_secret=GOOD_SESSION, secret_key=f"{good},secret")
    with pytest.raises(ConfigError, match=r"LEDGERBRIDGE_SECRET_KEY \(key 2\) is a placeholder"):
        load_settings()


def test_production_with_real_secrets_loads(monkeypatch: pytest.MonkeyPatch) -> None:
    key = Fernet.generate_key().decode()
    production(monkeypatch, session_secret=GOOD_SESSION, secret_key=key)
    settings = load_settings()
    assert settings.effective_log_format is LogFormat.JSON
    assert settings.secret_key_environ() == {"LEDGERBRIDGE_SECRET_KEY": key}
    assert session_secret(settings) == GOOD_SESSION
    assert key not in repr(settings)
    assert GOOD_SESSION not in repr(settings)


def test_secrets_come_from_files_in_the_secrets_dir(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    mounted = tmp_path / "run-secrets"
    mounted.mkdir()
    # One key per line, as a rotation is written to a secret file.
    (mounted / "ledgerbridge_secret_key").write_text(f"{new}\n{old}\n")
    (mounted / "ledgerbridge_session_secret").write_text(GOOD_SESSION + "\n")
    (mounted / "ledgerbridge_database_url").write_text("postgresql+psycopg://u:pw@db/x")
    monkeypatch.setenv("LEDGERBRIDGE_SECRETS_DIR", str(mounted))
    production(monkeypatch)
    settings = load_settings()
    assert settings.secret_key_environ()["LEDGERBRIDGE_SECRET_KEY"] == f"{new},{old}"
    assert session_secret(settings) == GOOD_SESSION
    assert settings.db_url == "postgresql+psycopg://u:pw@db/x"
    # The environment wins over a secret file.
    monkeypatch.setenv("LEDGERBRIDGE_DATABASE_URL", "sqlite:////tmp/other.db")
    assert load_settings().db_url == "sqlite:////tmp/other.db"


def test_missing_secrets_dir_is_named(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("LEDGERBRIDGE_SECRETS_DIR", str(tmp_path / "absent"))
    with pytest.raises(ConfigError, match=r"LEDGERBRIDGE_SECRETS_DIR points at .*absent"):
        load_settings()


def test_settings_file_named_by_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    file = tmp_path / "prod.env"
    file.write_text("LEDGERBRIDGE_API_RESERVE=7\nLEDGERBRIDGE_LOG_FORMAT=json\n")
    monkeypatch.setenv("LEDGERBRIDGE_SETTINGS_FILE", str(file))
    settings = load_settings()
    assert settings.api_reserve == 7
    assert settings.log_format is LogFormat.JSON
    monkeypatch.setenv("LEDGERBRIDGE_SETTINGS_FILE", str(tmp_path / "nope.env"))
    with pytest.raises(ConfigError, match=r"settings file .*nope\.env does not exist"):
        load_settings()


def test_bad_value_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEDGERBRIDGE_LOG_LEVEL", "LOUD")
    with pytest.raises(ConfigError, match="LEDGERBRIDGE_LOG_LEVEL: Value error, use one of"):
        load_settings()


# Variables that are inputs of one command or of the test suite, not settings.
NOT_SETTINGS = {
    "LEDGERBRIDGE_SETTINGS_FILE",  # where the settings are
    "LEDGERBRIDGE_SECRETS_DIR",  # where secret files are
    "LEDGERBRIDGE_SECRET_VALUE",  # `connection set-secret` reads the value from it
    "LEDGERBRIDGE_USER_PASSWORD",  # the portal's user commands read a password from it
    "LEDGERBRIDGE_SPEC_DIR",  # the sandbox's conformance checks read vendor specs there
}


def test_every_variable_the_code_reads_is_a_documented_setting() -> None:
    named: set[str] = set()
    for path in SRC.rglob("*.py"):
        named |= set(re.findall(r"LEDGERBRIDGE_[A-Z][A-Z0-9_]*[A-Z0-9]", path.read_text()))
    fields = {f"LEDGERBRIDGE_{name.upper()}" for name in Settings.model_fields}
    smtp = {f"LEDGERBRIDGE_SMTP_{name.upper()}" for name in SmtpSettings.model_fields}
    smtp.add("LEDGERBRIDGE_SMTP_FROM")
    unknown = named - fields - smtp - NOT_SETTINGS - {"LEDGERBRIDGE_SMTP"}
    assert not unknown, f"read from the environment but not a setting: {sorted(unknown)}"


def test_every_setting_says_what_it_is_for() -> None:
    source = (SRC / "settings.py").read_text()
    lines = source.splitlines()
    tree = ast.parse(source)
    (cls,) = [n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Settings"]
    undocumented = [
        node.target.id
        for node in cls.body
        if isinstance(node, ast.AnnAssign)
        and isinstance(node.target, ast.Name)
        and node.target.id != "model_config"
        and not lines[node.lineno - 2].strip().startswith("#")
    ]
    assert not undocumented
    assert {
        node.target.id
        for node in cls.body
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name)
    } - {"model_config"} == set(Settings.model_fields)
