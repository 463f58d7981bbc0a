"""Dependency order of flows: Accounts before Contacts, Products before Invoices."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ledgerbridge.domain.config import FieldRule, FlowConfig


def order_flows(flows: Sequence[FlowConfig]) -> list[FlowConfig]:
    """Flows sorted so each comes after the flows it depends on (stable otherwise)."""
    by_name = {f.name: f for f in flows}
    done: list[FlowConfig] = []
    state: dict[str, int] = {}  # 1 = visiting, 2 = done

    def visit(name: str, path: tuple[str, ...]) -> None:
        if state.get(name) == 2:
            return
        if state.get(name) == 1:
            cycle = " -> ".join((*path, name))
            raise ValueError(f"flows depend on each other in a cycle: {cycle}")
        state[name] = 1
        flow = by_name[name]
        # A lookup into the flow itself (a parent account, a product's parts) is no dependency.
        deps = set(flow.depends_on) | (_lookup_flows(flow.fields) - {name})
        for dep in sorted(deps):
            if dep in by_name:
                visit(dep, (*path, name))
        state[name] = 2
        done.append(flow)

    for f in flows:
        visit(f.name, ())
    return done


def _lookup_flows(rules: Sequence[FieldRule]) -> set[str]:
    """Flows referred to by lookups among ``rules`` and their children, at any depth."""
    out: set[str] = set()
    for rule in rules:
        if rule.transform.kind == "lookup":
            out.add(rule.transform.flow)
        out |= _lookup_flows(rule.children)
    return out
