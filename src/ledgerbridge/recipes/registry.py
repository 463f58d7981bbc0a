"""Recipes by name: the default flows for a pair of systems, some with options."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from ledgerbridge.domain.config import IntegrationConfig
from ledgerbridge.domain.errors import ConfigError
from ledgerbridge.recipes import zoho_books, zoho_xero
from ledgerbridge.recipes.starter import starter_config
from ledgerbridge.recipes.zoho_books import zoho_books_config
from ledgerbridge.recipes.zoho_xero import zoho_xero_config

Builder = Callable[[str, str, str], IntegrationConfig]
OptionBuilder = Callable[[str, str, str, Mapping[str, str]], IntegrationConfig]

RECIPES: dict[str, Builder] = {
    "starter": starter_config,
    "zoho_books": zoho_books_config,
    "zoho_xero": zoho_xero_config,
}

# Recipes that take options, with each option's allowed values and meaning.
WITH_OPTIONS: dict[str, tuple[OptionBuilder, Mapping[str, tuple[tuple[str, ...], str]]]] = {
    "zoho_books": (zoho_books_config, zoho_books.OPTIONS),
    "zoho_xero": (zoho_xero_config, zoho_xero.OPTIONS),
}


def options_of(recipe: str) -> Mapping[str, tuple[tuple[str, ...], str]]:
    """The options a recipe takes (empty when it takes none)."""
    found = WITH_OPTIONS.get(recipe)
    return found[1] if found else {}


def parse_option_args(args: list[str] | None) -> dict[str, str]:
    """``["customers=contacts", ...]`` from the command line, as a mapping."""
    out: dict[str, str] = {}
    for arg in args or ():
        key, sep, value = arg.partition("=")
        if not sep or not key.strip():
            raise ConfigError(
                f"an option is written KEY=VALUE, e.g. customers=contacts; not {arg!r}"
            )
        out[key.strip()] = value.strip()
    return out


def build(
    recipe: str,
    *,
    name: str,
    crm_connection: str,
    books_connection: str,
    options: Mapping[str, str] | None = None,
) -> IntegrationConfig:
    builder = RECIPES.get(recipe)
    if builder is None:
        raise ConfigError(f"unknown recipe {recipe!r}; choose one of: {', '.join(sorted(RECIPES))}")
    if options:
        optioned = WITH_OPTIONS.get(recipe)
        if optioned is None:
            raise ConfigError(f"recipe {recipe} takes no options")
        return optioned[0](name, crm_connection, books_connection, options)
    return builder(name, crm_connection, books_connection)
