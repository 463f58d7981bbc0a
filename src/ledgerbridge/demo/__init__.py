"""``ledgerbridge demo``: the sandbox's Zoho CRM and Xero synced both ways, then served."""

from ledgerbridge.demo.live import DemoOptions, DemoSetup, DemoSummary, prepare, sync
from ledgerbridge.demo.starter import DemoResult, run_demo

__all__ = ["DemoOptions", "DemoResult", "DemoSetup", "DemoSummary", "prepare", "run_demo", "sync"]
