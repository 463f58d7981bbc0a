"""The OAuth server: code grant, refresh rotation with grace, expiry."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from ledgerbridge.sandbox.core.clock import VirtualClock
from ledgerbridge.sandbox.core.faults import FaultConfig, FaultInjector
from ledgerbridge.sandbox.core.oauth import OAuthError, OAuthServer


def _server(**options: object) -> tuple[VirtualClock, OAuthServer]:
    clock = VirtualClock(datetime(2030, 3, 1, tzinfo=UTC))
    clock.freeze()
    settings: dict[str, object] = {
        "clients": {"cid": "secret"},
        "access_ttl": 1800,
        "rotate_refresh": True,
        "default_tenant_ids": ["tenant-1"],
    }
    settings.update(options)
    return clock, OAuthServer(clock, **settings)  # type: ignore[arg-type]


def test_code_grant_then_access_token_expires() -> None:
    clock, server = _server()
    code = server.authorize("cid", "http://127.0.0.1/cb", "offline_access accounting.contacts")
    with pytest.raises(OAuthError) as bad:
        server.exchange_code(code, "cid", "wrong", "http://127.0.0.1/cb")
    assert bad.value.error == "invalid_client"
    answer = server.exchange_code(code, "cid", "secret", "http://127.0.0.1/cb")
    assert answer.expires_in == 1800
    assert answer.refresh_token
    check = server.check(answer.access_token)
    assert check.ok
    assert check.tenant_ids == ("tenant-1",)
    assert "accounting.contacts" in check.scopes
    with pytest.raises(OAuthError) as reused:
        server.exchange_code(code, "cid", "secret", "http://127.0.0.1/cb")
    assert reused.value.error == "invalid_grant"
    clock.advance(1800)
    assert server.check(answer.access_token).status == "expired"
    assert server.check("nonsense").status == "invalid"


def test_code_needs_matching_redirect_uri() -> None:
    _, server = _server()
    code = server.authorize("cid", "http://127.0.0.1/cb", "offline_access")
    with pytest.raises(OAuthError, match="redirect_uri"):
        server.exchange_code(code, "cid", "secret", "http://127.0.0.1/other")


def test_refresh_rotates_and_old_token_has_a_grace_period() -> None:
    clock, server = _server()
    first = server.issue_for_tests()
    assert first.refresh_token is not None
    second = server.refresh(first.refresh_token, "cid", "secret")
    assert second.refresh_token not in (None, first.refresh_token)
    clock.advance(1799)
    assert server.refresh(first.refresh_token, "cid", "secret").access_token
    clock.advance(2)
    with pytest.raises(OAuthError) as late:
        server.refresh(first.refresh_token, "cid", "secret")
    assert late.value.error == "invalid_grant"
    assert second.refresh_token is not None
    assert server.refresh(second.refresh_token, "cid", "secret").access_token


def test_unused_refresh_token_expires() -> None:
    clock, server = _server(refresh_ttl_seconds=60 * 86_400)
    pair = server.issue_for_tests()
    assert pair.refresh_token is not None
    clock.advance(60 * 86_400 + 1)
    with pytest.raises(OAuthError, match="expired"):
        server.refresh(pair.refresh_token, "cid", "secret")


def test_non_rotating_refresh_and_mint_limit() -> None:
    clock, server = _server(rotate_refresh=False, max_access_per_refresh_per_10min=2)
    pair = server.issue_for_tests()
    assert pair.refresh_token is not None
    for _ in range(2):
        assert server.refresh(pair.refresh_token, "cid", "secret").refresh_token == (
            pair.refresh_token
        )
    with pytest.raises(OAuthError) as refused:
        server.refresh(pair.refresh_token, "cid", "secret")
    assert refused.value.error == "too_many_requests"
    clock.advance(601)
    assert server.refresh(pair.refresh_token, "cid", "secret").access_token


def test_expire_all_and_fault_ttl_override() -> None:
    faults = FaultInjector(FaultConfig(token_ttl_seconds=5))
    clock, server = _server(faults=faults)
    pair = server.issue_for_tests()
    assert pair.expires_in == 5
    clock.advance(5)
    assert server.check(pair.access_token).status == "expired"
    faults.update(token_ttl_seconds=None)
    fresh = server.issue_for_tests()
    assert fresh.expires_in == 1800
    assert server.expire_all_access_tokens() == 2
    assert server.check(fresh.access_token).status == "expired"
