"""A worker's own /metrics: the process-wide counters and its open connections' budgets."""

from __future__ import annotations

from pathlib import Path

import httpx

from ledgerbridge.connectors.memory import MemoryConnector
from ledgerbridge.observability import metrics
from ledgerbridge.observability.setup import serve_worker_metrics
from ledgerbridge.settings import Settings


def test_no_port_no_server(tmp_path: Path) -> None:
    assert serve_worker_metrics(Settings(data_dir=tmp_path), dict) is None


def test_the_worker_serves_counters_and_budgets(tmp_path: Path) -> None:
    opened = {"books": MemoryConnector("memory", daily_budget=1234)}
    served = serve_worker_metrics(Settings(data_dir=tmp_path, metrics_port=0), lambda: opened)
    assert served is not None
    try:
        metrics.run_finished("acme", "scheduled", "partial", {"people": {"crm": {"failed": 2}}})
        text = httpx.get(f"http://127.0.0.1:{served.port}/metrics", timeout=10).text
    finally:
        served.close()
    assert 'ledgerbridge_api_budget_remaining{connection="books",system="memory"} 1234.0' in text
    assert 'ledgerbridge_runs_total{integration="acme",kind="scheduled",outcome="partial"}' in text
    assert 'ledgerbridge_records_total{flow="people",integration="acme",outcome="failed"}' in text
    # Closed: the budgets collector is gone from the process registry, so it can start again.
    again = serve_worker_metrics(Settings(data_dir=tmp_path, metrics_port=0), lambda: opened)
    assert again is not None
    again.close()
