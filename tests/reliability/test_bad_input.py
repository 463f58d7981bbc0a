"""Awkward and broken input gets a clear error or goes through intact; nothing half-written.

- Names in any script, with the quotes, parentheses, commas and backslashes that would break a
  Xero ``where`` or a Zoho CRM criteria, are found again by the connectors' key lookups
  against the emulators (hypothesis, bounded).
- Integration YAML of any shape imports or fails with a ConfigError; a refused import leaves
  the stored integrations as they were.
- Bad command-line options exit with a one-line error, never a traceback.
- The REST API answers malformed payloads with a problem document, never a 500.
"""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledgerbridge.cli import load_integration_yaml, main
from ledgerbridge.domain.config import IntegrationConfig
from ledgerbridge.domain.errors import ConfigError
from ledgerbridge.recipes.zoho_xero import zoho_xero_config
from ledgerbridge.web.api.problems import API_PREFIX
from tests.e2e.zoho_xero.world import Pair, zoho_xero
from tests.fixtures.db import make_test_store
from tests.integration.web.live import accounts_config, application, web
from tests.support.dispatch import RecordingDispatcher

BOUNDED = settings(
    max_examples=int(os.environ.get("LEDGERBRIDGE_FUZZ_EXAMPLES", "40")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
TROUBLE = "'\"()\\,;:=&|%*<>[]{}`~^$#@!?/ \t"
names = (
    st.text(
        alphabet=st.one_of(
            st.sampled_from(TROUBLE),
            st.characters(blacklist_categories=("Cs", "Cc", "Co", "Cn")),
        ),
        min_size=1,
        max_size=40,
    )
    .map(str.strip)
    .filter(bool)
)
counter = itertools.count()


@pytest.fixture
def pair(tmp_path: Path) -> Iterator[Pair]:
    store, cleanup = make_test_store("sqlite", tmp_path)
    try:
        with zoho_xero(store) as world:
            yield world
    finally:
        store.close()
        cleanup()


@BOUNDED
@given(name=names)
def test_a_name_of_any_script_and_punctuation_is_found_again_on_both_sides(
    pair: Pair, name: str
) -> None:
    # unique per example (both systems refuse or merge equal names), the awkward part kept
    unique = f"{name} {next(counter)}"
    contact = pair.xero.add_contact(Name=unique)
    found = pair.systems.books.find_many("Contacts", "Name", [unique, "nobody at all"])
    assert [r.id.lower() for r in found] == [contact["ContactID"].lower()]
    account = pair.crm.create("Accounts", {"Account_Name": unique})
    crm_found = pair.systems.crm.find_many("Accounts", "Account_Name", [unique, "nobody at all"])
    assert [r.id for r in crm_found] == [account["id"]]


# -- integration YAML ----------------------------------------------------------------------------

yaml_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=20)),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=15,
)


def _valid_document() -> dict[str, Any]:
    config = zoho_xero_config(name="imported")
    return config.model_dump(mode="json")


@st.composite
def documents(draw: st.DrawFn) -> str:
    """A valid export with one part replaced, or YAML of any shape, or text cut short."""
    kind = draw(st.sampled_from(["mutated", "mutated", "any", "cut"]))
    valid = _valid_document()
    if kind == "any":
        return yaml.safe_dump(draw(yaml_values))
    text = yaml.safe_dump(valid, allow_unicode=True)
    if kind == "cut":
        return text[: draw(st.integers(min_value=0, max_value=len(text) - 1))]
    key = draw(st.sampled_from(sorted(valid)))
    valid[key] = draw(yaml_values)
    if key == "flows" and isinstance(valid["flows"], list) and not valid["flows"]:
        valid["flows"] = [{"name": "Not A Name!"}]
    return yaml.safe_dump(valid, allow_unicode=True)


@BOUNDED
@given(text=documents())
def test_integration_yaml_of_any_shape_imports_or_is_a_config_error(
    tmp_path: Path, text: str
) -> None:
    file = tmp_path / "import.yaml"
    file.write_text(text)
    refusal = ""
    try:
        config = load_integration_yaml(file)
    except ConfigError as exc:
        refusal = str(exc) or "a refusal without a reason"
        config = None
    if config is None:
        assert refusal != "a refusal without a reason"
    else:
        assert isinstance(config, IntegrationConfig)


def test_a_refused_import_leaves_the_stored_integrations_as_they_were(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for key in [k for k in os.environ if k.startswith("LEDGERBRIDGE_")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("LEDGERBRIDGE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.chdir(tmp_path)

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        """The command line's own entry point, in this process (a process each is slow)."""
        monkeypatch.setattr(sys, "argv", ["ledgerbridge", *args])
        code = 0
        try:
            main()
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        captured = capsys.readouterr()
        return subprocess.CompletedProcess(args, code, captured.out, captured.err)

    assert cli("connection", "add", "crm", "--system", "memory").returncode == 0
    assert cli("connection", "add", "xero", "--system", "memory").returncode == 0
    assert cli("integration", "create", "keep", "--crm", "crm", "--books", "xero").returncode == 0
    exported = cli("integration", "export", "keep").stdout
    before = cli("integration", "show", "keep").stdout
    broken = yaml.safe_load(exported)
    broken["flows"][0]["fields"] = [{"crm": "Account_Name", "books": None, "direction": "up"}]
    attempts = {
        "broken.yaml": yaml.safe_dump(broken),
        "cut.yaml": exported[: len(exported) // 2],
        "tabs.yaml": "name: x\n\tflows: [",
        "huge.yaml": "name: " + "x" * 100_000 + "\n",
    }
    for file, text in attempts.items():
        (tmp_path / file).write_text(text)
        proc = cli("integration", "import", file, "--replace")
        assert proc.returncode == 2, (file, proc.stdout, proc.stderr)
        assert "error" in proc.stderr and "Traceback" not in proc.stderr, proc.stderr
    assert cli("integration", "show", "keep").stdout == before
    listed = cli("integration", "list").stdout
    assert "keep" in listed and "imported" not in listed and "xxxxxxxx" not in listed

    for args in (
        ("sync", "keep", "--direction", "sideways"),
        ("sync", "keep", "--days", "0"),
        ("sync", "keep", "--full", "--days", "3"),
        ("sync", "keep", "--record", "accounts:nowhere:1"),
        ("sync", "nope"),
        ("connection", "add", "x", "--system", "nonesuch"),
        ("connection", "add", "x", "--system", "memory", "--setting", "novalue"),
    ):
        proc = cli(*args)
        assert proc.returncode == 2, (args, proc.stdout, proc.stderr)
        assert "Traceback" not in proc.stderr and proc.stderr.strip(), (args, proc.stderr)


# -- REST API payloads ---------------------------------------------------------------------------

payload_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=30)),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(
            st.one_of(
                st.sampled_from(["flows", "direction", "window", "kind", "days", "email_summary"]),
                st.text(max_size=8),
            ),
            inner,
            max_size=4,
        ),
    ),
    max_leaves=12,
)


@st.composite
def payloads(draw: st.DrawFn) -> bytes:
    kind = draw(st.sampled_from(["json", "json", "cut", "bytes"]))
    if kind == "bytes":
        return draw(st.binary(max_size=80))
    body = json.dumps(draw(payload_values)).encode()
    if kind == "cut" and len(body) > 1:
        return body[: draw(st.integers(min_value=1, max_value=len(body) - 1))]
    return body


@pytest.fixture
def api(tmp_path: Path) -> Iterator[tuple[httpx.Client, dict[str, str], RecordingDispatcher]]:
    app = application(tmp_path, None, coalesce=0.0)
    try:
        app.store.connections.add("crm", "zoho_crm", {"client_id": "x"}, {})
        app.store.connections.add("xero", "xero", {"client_id": "x", "tenant_id": "t"}, {})
        app.store.integrations.create(accounts_config())
        token = app.store.tokens.create("fuzz").secret
        dispatcher = RecordingDispatcher()
        with web(app, dispatcher) as served, httpx.Client(base_url=served.url) as http:
            yield http, {"Authorization": f"Bearer {token}"}, dispatcher
    finally:
        app.close()


@BOUNDED
@given(body=payloads(), path=st.sampled_from(["sync", "records/accounts/crm/123/sync"]))
def test_any_api_payload_is_queued_or_refused_with_a_problem_never_a_500(
    api: tuple[httpx.Client, dict[str, str], RecordingDispatcher], body: bytes, path: str
) -> None:
    http, auth, dispatcher = api
    before = len(dispatcher.syncs) + len(dispatcher.records)
    answer = http.post(
        f"{API_PREFIX}/integrations/live/{path}",
        content=body,
        headers={**auth, "content-type": "application/json"},
    )
    assert answer.status_code in (202, 400, 409, 413, 415, 422), (answer.status_code, answer.text)
    queued = len(dispatcher.syncs) + len(dispatcher.records) - before
    if answer.status_code == 202:
        assert queued == 1
    else:
        assert queued == 0
        assert answer.headers["content-type"].startswith("application/problem+json"), answer.text
        assert answer.json()["detail"]
