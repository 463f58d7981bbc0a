"""Key accounting figures carried back to the CRM (receivables, total sales): the pure part.

The books side computes figures the CRM cannot (an account's outstanding receivables, its sales
to date). After a run, the engine reads them for the bound records that may have moved and
writes the ones that differ to CRM fields with a normal update. Only differing figures are
written, and figure fields are not mapped fields, so the write never comes back as a change:
a second run writes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from ledgerbridge.domain.config import FigureRule, FlowConfig, LookupTransform
from ledgerbridge.domain.paths import get_path
from ledgerbridge.domain.records import Side
from ledgerbridge.domain.values import canon

# Figures are money: compared and written at two decimals, so 1.005 read twice is one value.
_CENT = Decimal("0.01")


def money(value: Any) -> float | None:
    """``value`` as money at two decimals; ``None`` for no value (never a made-up zero)."""
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        amount = Decimal(str(value)).quantize(_CENT, rounding=ROUND_HALF_UP)
    except (InvalidOperation, ValueError):
        return None
    return float(amount)


def figures_patch(
    rules: Iterable[FigureRule], current: Mapping[str, Any], figures: Mapping[str, Any]
) -> dict[str, Any]:
    """The CRM fields whose value differs from the figure read on the books side.

    A figure the books side did not report is left alone: an unknown is not a zero.
    """
    patch: dict[str, Any] = {}
    for rule in rules:
        if rule.figure not in figures:
            continue
        found = figures[rule.figure]
        if isinstance(found, str):
            # Text figures (an online invoice URL, a branding theme's name) as they are.
            text = found.strip()
            have_text = get_path(current, rule.crm)
            if text and canon(text) != canon(str(have_text or "").strip()):
                patch[rule.crm] = text
            continue
        wanted = money(found)
        if wanted is None:
            continue
        have = money(get_path(current, rule.crm))
        if canon(have) != canon(wanted):
            patch[rule.crm] = wanted
    return patch


@dataclass(frozen=True, slots=True)
class FigureSource:
    """A flow whose records refer to a figures flow (an invoice to its account).

    ``crm_path``/``books_path`` name the reference field on each side; ``crm_id_path`` and
    ``books_id_path`` where the id sits inside it (as in a lookup rule).
    """

    flow: str  # the referring flow
    target: str  # the figures flow referred to
    crm_path: str | None
    books_path: str | None
    crm_id_path: str
    books_id_path: str

    def reference(self, side: Side, data: Mapping[str, Any]) -> str | None:
        """The id of the referred record on ``side`` held by ``data`` (a referring record)."""
        path = self.crm_path if side is Side.CRM else self.books_path
        if path is None:
            return None
        value = get_path(data, path)
        inner = self.crm_id_path if side is Side.CRM else self.books_id_path
        if inner and isinstance(value, Mapping):
            value = get_path(value, inner)
        if isinstance(value, str | int) and str(value).strip():
            return str(value).strip()
        return None


def figure_sources(flows: Iterable[FlowConfig]) -> list[FigureSource]:
    """Every top-level lookup into a flow with figures: its changes may move those figures."""
    flows = list(flows)
    with_figures = {f.name for f in flows if f.figures}
    out: list[FigureSource] = []
    for flow in flows:
        for rule in flow.fields:
            t = rule.transform
            if isinstance(t, LookupTransform) and t.flow in with_figures and not t.books_key:
                out.append(
                    FigureSource(
                        flow=flow.name,
                        target=t.flow,
                        crm_path=rule.crm,
                        books_path=rule.books,
                        crm_id_path=t.crm_id_path,
                        books_id_path=t.books_id_path,
                    )
                )
    return out


@dataclass(slots=True)
class Touched:
    """Ids on each side, per figures flow, whose figures may have moved in this run."""

    ids: dict[str, dict[Side, set[str]]] = field(default_factory=dict)

    def add(self, flow: str, side: Side, record_id: str) -> None:
        sides = self.ids.setdefault(flow, {Side.CRM: set(), Side.BOOKS: set()})
        sides[side].add(record_id)

    def on(self, flow: str, side: Side) -> set[str]:
        return set(self.ids.get(flow, {}).get(side, set()))
