"""Bearer tokens: only an active token opens the API, and it is never stored in clear."""

from __future__ import annotations

from pathlib import Path

from ledgerbridge.store.tokens import token_hash
from tests.integration.api.conftest import PROBLEM, Api
from tests.integration.web.live import application

SYNC = "/api/v1/integrations/live/sync"


def test_no_token_or_a_wrong_one_is_refused_with_a_bearer_challenge(api: Api) -> None:
    for headers in (
        {},
        {"Authorization": "Bearer"},
        {"Authorization": f"Basic {api.token}"},
        {"Authorization": f"Bearer {api.token[:-1]}"},
        {"Authorization": "Bearer lb_guess"},
    ):
        answer = api.http.post(SYNC, headers=headers)
        assert answer.status_code == 401, headers
        assert answer.headers["content-type"] == PROBLEM
        assert answer.headers["www-authenticate"].startswith("Bearer")
        assert "token" in answer.json()["detail"]
    for path in ("/api/v1/integrations/live/runs", "/api/v1/runs/1"):
        assert api.http.get(path).status_code == 401
    # unknown names are not revealed to a caller without a token
    assert api.http.post("/api/v1/integrations/nope/sync").status_code == 401
    assert api.queued_nothing()


def test_a_revoked_token_stops_working_and_use_is_recorded(api: Api) -> None:
    store = api.app.store
    assert store.tokens.list()[0].last_used_at is None
    assert api.http.post(SYNC, headers=api.auth).status_code == 202
    assert store.tokens.list()[0].last_used_at is not None
    store.tokens.revoke("tests")
    answer = api.http.post(SYNC, headers=api.auth)
    assert answer.status_code == 401
    assert "revoked" in answer.json()["detail"]
    assert len(api.dispatcher.syncs) == 1
    fresh = store.tokens.create("tests").secret  # the name is free again
    assert api.http.post(SYNC, headers={"Authorization": f"Bearer {fresh}"}).status_code == 202


def test_the_token_is_stored_only_as_a_hash(tmp_path: Path) -> None:
    app = application(tmp_path)  # SQLite in the data directory
    try:
        secret = app.store.tokens.create("reporting").secret
        assert app.store.tokens.authenticate(secret) is not None
    finally:
        app.close()
    stored = b"".join(p.read_bytes() for p in (tmp_path / "data").rglob("*") if p.is_file())
    assert token_hash(secret).encode() in stored
    assert secret.encode() not in stored
    assert secret.removeprefix("lb_").encode() not in stored
