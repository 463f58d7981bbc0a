"""Recipes by name: the default flows for a pair of systems."""

from __future__ import annotations

from collections.abc import Callable

from ledgerbridge.domain.config import IntegrationConfig
from ledgerbridge.domain.errors import ConfigError
from ledgerbridge.recipes.starter import starter_config
from ledgerbridge.recipes.zoho_books import zoho_books_config
from ledgerbridge.recipes.zoho_xero import zoho_xero_config

Builder = Callable[[str, str, str], IntegrationConfig]

RECIPES: dict[str, Builder] = {
    "starter": starter_config,
    "zoho_books": zoho_books_config,
    "zoho_xero": zoho_xero_config,
}


def build(
    recipe: str, *, name: str, crm_connection: str, books_connection: str
) -> IntegrationConfig:
    builder = RECIPES.get(recipe)
    if builder is None:
        raise ConfigError(f"unknown recipe {recipe!r}; choose one of: {', '.join(sorted(RECIPES))}")
    return builder(name, crm_connection, books_connection)
