"""Deterministic, messy seed data for the emulators, and loaders that put it in place."""

from ledgerbridge.sandbox.seed.generate import OUTCOMES, SIZES, generate
from ledgerbridge.sandbox.seed.loaders import (
    SeedLoadError,
    load_xero,
    load_zoho_books,
    load_zoho_crm,
)
from ledgerbridge.sandbox.seed.world import (
    BooksSeed,
    Case,
    CrmSeed,
    Expected,
    Match,
    SeedRecord,
    SeedWorld,
    XeroSeed,
)

__all__ = [
    "OUTCOMES",
    "SIZES",
    "BooksSeed",
    "Case",
    "CrmSeed",
    "Expected",
    "Match",
    "SeedLoadError",
    "SeedRecord",
    "SeedWorld",
    "XeroSeed",
    "generate",
    "load_xero",
    "load_zoho_books",
    "load_zoho_crm",
]
