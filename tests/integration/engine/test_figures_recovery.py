"""A run that dies after its flows, before its figures, leaves them owed to the next run."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from ledgerbridge.connectors.faults import SimulatedCrash
from ledgerbridge.domain.records import Side
from ledgerbridge.store import Store
from tests.e2e.zoho_xero.world import Pair, zoho_xero

_FIGURES = ("Outstanding_Receivables", "Total_Sales")


def _crash_on_figures(w: Pair, monkeypatch: pytest.MonkeyPatch) -> None:
    """The process dies as the figures step first asks Xero for figures."""

    def die(module: str, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        raise SimulatedCrash("the process died before the figures were read")

    monkeypatch.setattr(w.systems.books, "figures", die)


def _crm_account_of(w: Pair, contact_id: str) -> str:
    found = w.store.bindings.get_many(w.integration.id, "accounts", Side.BOOKS, [contact_id])
    assert contact_id in found, "the contact was bound before the crash"
    return found[contact_id].crm_id


def test_figures_owed_by_a_crashed_run_are_written_by_the_next(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    with zoho_xero(store) as w:
        contact = w.xero.add_contact(Name="Globex Pty")
        with monkeypatch.context() as patched:
            _crash_on_figures(w, patched)
            with pytest.raises(SimulatedCrash):
                w.sync()
        account_id = _crm_account_of(w, contact["ContactID"])
        account = w.crm_record("Accounts", account_id)
        assert all(account.get(f) is None for f in _FIGURES)  # created, figures not yet written

        # The next run syncs another flow only: nothing reads the account again, so only the
        # owed mark brings its figures.
        report = w.sync("products")
        assert report.failures == []
        account = w.crm_record("Accounts", account_id)
        assert account["Outstanding_Receivables"] == 0
        assert account["Total_Sales"] == 0

        # Settled: the mark is cleared, a further run writes nothing.
        assert store.figures_owed.count(w.integration.id) == 0
        w.sync()
        writes = {
            (flow, side): n
            for flow, sides in w.reports[-1].counts.by_flow.items()
            for side, counts in sides.items()
            for k, n in counts.items()
            if k != "unchanged" and n
        }
        assert writes == {}


def test_figures_owed_survive_a_second_crash(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    with zoho_xero(store) as w:
        contact = w.xero.add_contact(Name="Initech")
        # Killed and restarted twice, as in a crash-and-restart loop: without the owed mark the
        # restarted run reads the new account again (the cursor's overlap) and dies at the same
        # point, and the run after it reads nothing of the account.
        for _ in range(2):
            with monkeypatch.context() as patched:
                _crash_on_figures(w, patched)
                with pytest.raises(SimulatedCrash):
                    w.sync()
        account_id = _crm_account_of(w, contact["ContactID"])
        report = w.sync()
        assert report.failures == []
        account = w.crm_record("Accounts", account_id)
        assert account["Outstanding_Receivables"] == 0
        assert account["Total_Sales"] == 0
        assert store.figures_owed.count(w.integration.id) == 0
