"""The emulator served by uvicorn on a loopback port, and its SQLite file surviving a restart."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from ledgerbridge.sandbox.core.conformance import ValidatingTransport
from ledgerbridge.sandbox.core.faults import FaultConfig
from ledgerbridge.sandbox.core.transport import serve_in_thread
from ledgerbridge.sandbox.zoho_crm import CLIENT_ID, CLIENT_SECRET, ZohoCrmState, create_app


def test_served_on_loopback_with_its_own_api_domain() -> None:
    state = ZohoCrmState()
    app = create_app(state)
    served = serve_in_thread(app)
    try:
        # no api_domain configured: the emulator names the address it was called on
        transport = ValidatingTransport(httpx.HTTPTransport())
        with httpx.Client(transport=transport, base_url=served.url, timeout=10) as client:
            refresh = app.state.oauth.issue_for_tests(scope="ZohoCRM.modules.ALL offline_access")
            answer = client.post(
                "/oauth/v2/token",
                data={
                    "grant_type": "refresh_token",
                    "client_id": CLIENT_ID,
                    "client_secret": CLIENT_SECRET,
                    "refresh_token": refresh.refresh_token,
                },
            ).json()
            assert answer["api_domain"] == served.url
            headers = {"Authorization": f"Zoho-oauthtoken {answer['access_token']}"}
            created = client.post(
                "/crm/v8/Accounts", json={"data": [{"Account_Name": "Served"}]}, headers=headers
            )
            assert created.status_code == 201
            listed = client.get(
                "/crm/v8/Accounts", params={"fields": "Account_Name"}, headers=headers
            )
            assert listed.json()["data"][0]["Account_Name"] == "Served"
            client.put("/_sandbox/faults", json={"drop_rate": 1.0})
            with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
                client.get("/crm/v8/org", headers=headers)
        # the spec lists only 200 for inserts, so the 201 is checked on the request side only
        assert [(r.method, r.path) for r in transport.validated] == [("GET", "/crm/v8/Accounts")]
        assert [(r.method, r.status) for r in transport.undescribed] == [("POST", 201)]
    finally:
        served.stop()
        state.close()


def test_records_survive_in_the_data_file(tmp_path: Path) -> None:
    data = str(tmp_path / "crm.sqlite")
    first = ZohoCrmState(data)
    created = first.create("Accounts", {"Account_Name": "Kept"})
    first.close()
    second = ZohoCrmState(data)
    try:
        assert second.get("Accounts", created["id"]) == created
        another = second.create("Accounts", {"Account_Name": "Next"})
        assert int(another["id"]) > int(created["id"])
    finally:
        second.close()


def test_create_app_takes_faults_and_limits_switch() -> None:
    app = create_app(faults=FaultConfig(error_5xx_rate=1.0), limits=False)
    state: ZohoCrmState = app.state.sandbox
    try:
        assert app.state.faults.config.error_5xx_rate == 1.0
        assert app.state.limiter.enabled is False
        assert state.credits.enabled is False
    finally:
        state.close()
