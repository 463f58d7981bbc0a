"""The in-memory demo: two seeded memory systems on the starter recipe, matched and synced."""

from __future__ import annotations

from dataclasses import dataclass

from ledgerbridge.bootstrap import App
from ledgerbridge.connectors.memory import MemoryConnector
from ledgerbridge.engine.fetch import fetch
from ledgerbridge.engine.model import NoProgress, Progress, RunReport, SyncRequest
from ledgerbridge.recipes.starter import starter_config
from ledgerbridge.recipes.starter_seed import SeedFacts, seed_starter

DEMO_INTEGRATION = "demo"


@dataclass
class DemoResult:
    facts: SeedFacts | None
    fetch: RunReport
    sync: RunReport
    again: RunReport


def run_demo(
    app: App, *, accounts: int = 24, seed: int = 0, progress: Progress | None = None
) -> DemoResult:
    """Run the demo; a second call reuses the seeded systems and the integration."""
    progress = progress or NoProgress()
    store = app.store
    names = {c.name for c in store.connections.list()}
    fresh = "demo-crm" not in names
    if fresh:
        store.connections.add("demo-crm", "memory", {}, {})
        store.connections.add("demo-books", "memory", {}, {})
    if DEMO_INTEGRATION not in {i.name for i in store.integrations.list()}:
        store.integrations.create(starter_config(DEMO_INTEGRATION, "demo-crm", "demo-books"))
    integration = store.integrations.get(DEMO_INTEGRATION)
    systems = app.systems(integration)
    facts = None
    if fresh:
        assert isinstance(systems.crm, MemoryConnector)
        assert isinstance(systems.books, MemoryConnector)
        facts = seed_starter(systems.crm, systems.books, seed=seed, accounts=accounts)
    matched = fetch(app.engine, integration, systems, progress=progress)
    first = app.engine.run(integration, systems, SyncRequest(), progress)
    again = app.engine.run(integration, systems, SyncRequest(), progress)
    app.save()
    return DemoResult(facts, matched, first, again)
