"""An integration's config document checked before anything is saved.

Pydantic checks the document itself (every flow, field rule and transform); then come the
checks that need the store: the schedule can be followed, its flows exist, and both
connections exist, are visible to the caller and are of the right kind of system; last,
``engine.validate.validate_config`` checks each enabled flow's mapping against both systems'
field lists. Its errors refuse the document; its warnings are answered with the saved one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pydantic

from ledgerbridge.bootstrap import App
from ledgerbridge.domain.config import IntegrationConfig, ScheduleConfig
from ledgerbridge.domain.errors import ConfigError
from ledgerbridge.domain.validation import Severity
from ledgerbridge.engine.validate import validate_config
from ledgerbridge.jobs import schedule as schedules
from ledgerbridge.store import Store
from ledgerbridge.web.access import Principal, visible_connections
from ledgerbridge.web.api.problems import invalid, invalid_model

CRM_SYSTEMS = ("zoho_crm", "memory")
BOOKS_SYSTEMS = ("xero", "zoho_books", "memory")


def _at(prefix: Sequence[str], name: str) -> str:
    return ".".join([*prefix, name])


def check_schedule(
    schedule: ScheduleConfig, flows: Sequence[str], prefix: Sequence[str] = ()
) -> None:
    """Refuse (422) a schedule that cannot be followed or names flows that do not exist."""
    problems: list[tuple[str, str]] = []
    try:
        schedules.validate(schedule)
    except ConfigError as exc:
        problems.append((".".join(prefix) or "schedule", str(exc)))
    unknown = [f for f in schedule.flows if f not in flows]
    if unknown:
        problems.append(
            (
                _at(prefix, "flows"),
                f"no flow named {', '.join(map(repr, unknown))}; use some of: "
                f"{', '.join(flows) or 'none'} (or none for all)",
            )
        )
    if problems:
        raise invalid(problems)


def check_connections(
    store: Store, principal: Principal, config: IntegrationConfig, prefix: Sequence[str] = ()
) -> None:
    """Refuse (422) connections that do not exist, are not the caller's, or are the wrong kind."""
    # Only connections the caller may use: its own and those its integrations use.
    known = {row.name: row.system for row in visible_connections(store, principal)}
    problems: list[tuple[str, str]] = []
    for field, name, kinds, role in (
        ("crm_connection", config.crm_connection, CRM_SYSTEMS, "a CRM"),
        ("books_connection", config.books_connection, BOOKS_SYSTEMS, "an accounting"),
    ):
        system = known.get(name)
        if system is None:
            problems.append(
                (
                    _at(prefix, field),
                    f"no connection named {name!r}; `GET /api/v1/connections` lists the ones "
                    "you can use",
                )
            )
        elif system not in kinds:
            problems.append(
                (
                    _at(prefix, field),
                    f"connection {name!r} is {system}, not {role} system ({' or '.join(kinds)})",
                )
            )
    if problems:
        raise invalid(problems)


def validated(
    application: App,
    principal: Principal,
    document: Mapping[str, Any],
    prefix: Sequence[str] = (),
) -> tuple[IntegrationConfig, list[str]]:
    """The document as a config that may be saved, with its warnings; or a 422 naming every
    bad field."""
    try:
        config = IntegrationConfig.model_validate(dict(document))
    except pydantic.ValidationError as exc:
        raise invalid_model(exc, *prefix) from None
    return config, checked(application, principal, config, prefix)


def checked(
    application: App,
    principal: Principal,
    config: IntegrationConfig,
    prefix: Sequence[str] = (),
    flow_field: Callable[[int], str] | None = None,
) -> list[str]:
    """The checks past pydantic's: a 422 for errors, the warnings returned.

    ``flow_field`` names where a flow's problems are reported (default ``flows.N``).
    """
    check_schedule(config.schedule, [f.name for f in config.flows], (*prefix, "schedule"))
    check_connections(application.store, principal, config, prefix)
    index = {f.name: i for i, f in enumerate(config.flows)}
    errors: list[tuple[str, str]] = []
    warnings: list[str] = []
    for found in validate_config(application, config):
        if found.severity is Severity.WARNING:
            warnings.append(str(found))
            continue
        if found.flow in index:
            at = flow_field(index[found.flow]) if flow_field else f"flows.{index[found.flow]}"
            where = _at(prefix, at)
        else:
            where = ".".join(prefix) or "body"
        errors.append((where, str(found)))
    if errors:
        raise invalid(errors)
    return warnings


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7396 JSON merge patch: objects merge, ``null`` removes, anything else replaces."""
    if not isinstance(patch, Mapping):
        return patch
    merged = dict(target) if isinstance(target, Mapping) else {}
    for key, value in patch.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = merge_patch(merged.get(key), value)
    return merged
