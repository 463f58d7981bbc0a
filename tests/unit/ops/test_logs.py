"""Log lines: one JSON object each, integration and run ids attached, secrets never shown."""

from __future__ import annotations

import io
import json
import logging
import threading
from collections.abc import Iterator

import pytest

from ledgerbridge.observability import bind_run, configure_logging, log_context, register_secret
from ledgerbridge.observability.masking import forget_secrets, mask

REFRESH = "1000.8f2c1d3e4b5a69788796a5b4c3d2e1f0.abcdef0123456789"
ACCESS = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4ZXJvIn0.c2lnbmF0dXJl"
CLIENT_SECRET = "Xq7_client_secret_Zk29pLm"


@pytest.fixture
def output() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    handler = configure_logging(logging.DEBUG, "json", stream=stream)
    try:
        yield stream
    finally:
        logging.getLogger().removeHandler(handler)
        forget_secrets()


def lines(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_each_line_is_one_json_object_with_the_usual_fields(output: io.StringIO) -> None:
    log = logging.getLogger("ledgerbridge.test")
    log.info("synced %d records", 3)
    log.warning("second line\nwith a newline inside")
    first, second = lines(output)
    assert first["level"] == "INFO"
    assert first["logger"] == "ledgerbridge.test"
    assert first["message"] == "synced 3 records"
    assert str(first["time"]).endswith("+00:00")
    assert "integration" not in first
    assert "run_id" not in first
    assert second["message"] == "second line\nwith a newline inside"


def test_integration_and_run_id_come_from_the_context(output: io.StringIO) -> None:
    log = logging.getLogger("ledgerbridge.engine")
    with log_context(integration="acme"):
        log.info("starting")
        bind_run(42)
        log.info("running")
    log.info("after")
    starting, running, after = lines(output)
    assert (starting["integration"], starting.get("run_id")) == ("acme", None)
    assert (running["integration"], running["run_id"]) == ("acme", 42)
    assert "integration" not in after
    assert "run_id" not in after


def test_threads_keep_their_own_run_ids(output: io.StringIO) -> None:
    log = logging.getLogger("ledgerbridge.jobs")
    barrier = threading.Barrier(2)

    def job(name: str, run_id: int) -> None:
        with log_context(integration=name, run_id=run_id):
            barrier.wait()
            log.info("in %s", name)

    threads = [threading.Thread(target=job, args=(n, i)) for n, i in (("a", 1), ("b", 2))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seen = {(line["integration"], line["run_id"], line["message"]) for line in lines(output)}
    assert seen == {("a", 1, "in a"), ("b", 2, "in b")}


def test_secrets_in_messages_and_arguments_are_masked(output: io.StringIO) -> None:
    log = logging.getLogger("ledgerbridge.connectors")
    log.info("GET /org with Authorization: Bearer %s", ACCESS)
    log.info("headers %s", {"Authorization": f"Zoho-oauthtoken {ACCESS}"})
    log.info("token answer %s", json.dumps({"access_token": ACCESS, "refresh_token": REFRESH}))
    log.info(
        "refreshing with refresh_token=%s&client_secret=%s&grant_type=x", REFRESH, CLIENT_SECRET
    )
    log.info("secrets %r", {"client_secret": CLIENT_SECRET, "password": "hunter2!"})
    log.info("database postgresql+psycopg://ledger:pa55word@db:5432/ledger")
    text = output.getvalue()
    for secret in (ACCESS, REFRESH, CLIENT_SECRET, "hunter2!", "pa55word"):
        assert secret not in text
    messages = [line["message"] for line in lines(output)]
    assert messages[0] == "GET /org with Authorization: Bearer ***"
    assert messages[1] == "headers {'Authorization': 'Zoho-oauthtoken ***'}"
    assert "grant_type=x" in messages[3]  # what is not a secret stays readable
    assert "postgresql+psycopg://ledger:***@db:5432/ledger" in messages[5]


def test_secrets_in_exceptions_and_tracebacks_are_masked(output: io.StringIO) -> None:
    log = logging.getLogger("ledgerbridge.connectors")
    try:
        raise RuntimeError(
            f"token endpoint refused refresh_token={REFRESH} client_secret={CLIENT_SECRET}"
        )
    except RuntimeError:
        log.exception("refresh failed for %s", "crm")
    (line,) = lines(output)
    assert line["message"] == "refresh failed for crm"
    exception = str(line["exception"])
    assert "RuntimeError: token endpoint refused refresh_token=***" in exception
    assert "Traceback" in exception
    assert REFRESH not in output.getvalue()
    assert CLIENT_SECRET not in output.getvalue()


def test_registered_secret_values_are_masked_anywhere(output: io.StringIO) -> None:
    key = "7v1Qm0Zb3yG6o2nH9cT4dW8eR5sX1uJk0pL3aF6iB2E="
    register_secret(f"{key},anotherkeyvalue-123456")
    log = logging.getLogger("ledgerbridge.store")
    log.warning("could not decrypt with %s", key)
    log.warning("old key anotherkeyvalue-123456 tried")
    text = output.getvalue()
    assert key not in text
    assert "anotherkeyvalue-123456" not in text
    assert text.count("***") == 2


def test_text_format_names_integration_and_run(output: io.StringIO) -> None:
    stream = io.StringIO()
    handler = configure_logging(logging.INFO, "text", stream=stream)
    try:
        with log_context(integration="acme", run_id=7):
            logging.getLogger("ledgerbridge.engine").info("Bearer %s sent", ACCESS)
    finally:
        logging.getLogger().removeHandler(handler)
    text = stream.getvalue()
    assert "INFO ledgerbridge.engine [acme run 7] Bearer *** sent" in text
    assert ACCESS not in text
    assert output.getvalue() == ""  # configuring again replaced the earlier handler


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            '{"token_type": "Bearer", "expires_in": 3600}',
            '{"token_type": "Bearer", "expires_in": 3600}',
        ),
        (
            "token_url=https://identity.xero.com/connect/token",
            "token_url=https://identity.xero.com/connect/token",
        ),
        ("webhook_key: 'abc123'", "webhook_key: '***'"),
        ("Basic dXNlcjpwYXNz", "Basic ***"),
        (
            '127.0.0.1:5 - "GET /sync/acme/accounts/42?key=Zp4-secret HTTP/1.1" 202',
            '127.0.0.1:5 - "GET /sync/acme/accounts/42?key=*** HTTP/1.1" 202',
        ),
        ("monkey=banana", "monkey=banana"),
        ('api_key=""', 'api_key=""'),
    ],
)
def test_mask_leaves_what_is_not_secret(text: str, expected: str) -> None:
    assert mask(text) == expected
