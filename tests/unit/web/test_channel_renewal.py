"""The renewal thread checks channels at once, again after each interval, and stops cleanly."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from ledgerbridge.web.channels import ChannelRenewal, ChannelStatus


def test_checks_at_start_then_every_interval_and_survives_a_failure(
    caplog: pytest.LogCaptureFixture,
) -> None:
    calls: list[int] = []
    third = threading.Event()

    def check() -> list[ChannelStatus]:
        calls.append(len(calls))
        if len(calls) == 1:
            raise ConnectionError("Zoho is down")
        if len(calls) == 3:
            third.set()
        return [ChannelStatus("live", "kept")]

    renewal = ChannelRenewal(check, every=timedelta(milliseconds=10))
    renewal.start()
    try:
        assert third.wait(10), "the channels were not checked three times within 10 s"
    finally:
        renewal.stop()
    assert "checking Zoho CRM channels failed" in caplog.text
    count = len(calls)
    assert not renewal.running
    assert len(calls) == count  # nothing runs after stop


def test_stop_does_not_wait_for_the_next_interval() -> None:
    checked = threading.Event()

    def check() -> list[ChannelStatus]:
        checked.set()
        return []

    renewal = ChannelRenewal(check, every=timedelta(hours=6))
    renewal.start()
    assert renewal.running
    assert checked.wait(10), "the channels were not checked at start"
    renewal.stop(timeout=10)
    assert not renewal.running
