"""Field maps compiled for use: read a side into canonical values, render values for a side.

Canonical values are in CRM terms (after :func:`~ledgerbridge.domain.values.canon`), keyed by
the rule key. A lookup's canonical value is the CRM id of the referenced record; a value map's
is the CRM value. Rules without a CRM field (one-way into the accounting side) keep the value
they would write.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ledgerbridge.domain.config import (
    ComputedTransform,
    ConstantTransform,
    DefaultTransform,
    Direction,
    FieldRule,
    FlowConfig,
    LookupTransform,
    ValueMapTransform,
)
from ledgerbridge.domain.lookups import LookupNeed, LookupTable
from ledgerbridge.domain.paths import get_path, set_path
from ledgerbridge.domain.records import Side
from ledgerbridge.domain.values import canon, is_empty

_PLACEHOLDER = re.compile(r"\{([^{}]+)\}")
_SIDE_NAMES = {Side.CRM: "the CRM", Side.BOOKS: "the accounting system"}


class MappingError(Exception):
    """A value cannot be carried across; the message is meant for a person."""


@dataclass(frozen=True, slots=True)
class Rendered:
    """Fields rendered for one side, plus warnings (e.g. items dropped over a limit)."""

    fields: dict[str, Any]
    warnings: tuple[str, ...] = ()


@dataclass(slots=True)
class CompiledRule:
    rule: FieldRule
    direction: Direction  # rule direction narrowed by the flow's and the run's
    children: list[CompiledRule] = field(default_factory=list)
    # False when the run's direction excludes the field: it neither sends nor receives.
    enabled: bool = True
    _inverse: dict[str, Any] = field(default_factory=dict)
    # Worked out once at compile time: these sit on the hot path of every record.
    _sends: dict[Side, bool] = field(default_factory=dict)
    _receives: dict[Side, bool] = field(default_factory=dict)
    _parts: dict[Side, tuple[str, ...] | None] = field(default_factory=dict)

    def finalise(self) -> None:
        for side in Side:
            path = self.path(side)
            self._parts[side] = tuple(path.split(".")) if path else None
            self._sends[side] = self._compute_sends(side)
            self._receives[side] = self.enabled and self.direction.writes(side) and path is not None

    @property
    def key(self) -> str:
        return self.rule.key

    def path(self, side: Side) -> str | None:
        return self.rule.crm if side is Side.CRM else self.rule.books

    def sends(self, side: Side) -> bool:
        """Whether a change of this field on ``side`` is carried to the other side."""
        return self._sends[side]

    def _compute_sends(self, side: Side) -> bool:
        if not self.enabled or not self.direction.reads(side):
            return False
        t = self.rule.transform
        if isinstance(t, ComputedTransform | ConstantTransform):
            return True  # the source fields live on ``side``; the rule's own field is the target's
        return self.path(side) is not None

    def receives(self, side: Side) -> bool:
        return self._receives[side]

    # -- reading ---------------------------------------------------------------------------

    def raw(self, side: Side, fields: Mapping[str, Any]) -> Any:
        """The field's own value on ``side``, canonical, for echo hashes."""
        parts = self._parts[side]
        if parts is None:
            return None
        if len(parts) == 1:
            return canon(fields.get(parts[0]))
        return canon(get_path(fields, ".".join(parts)))

    def read(self, side: Side, fields: Mapping[str, Any], lookups: LookupTable) -> Any:
        """The canonical value this field has on ``side``."""
        t = self.rule.transform
        if isinstance(t, ComputedTransform):
            return canon(_render_template(t.template, fields))
        if isinstance(t, ConstantTransform):
            return canon(t.value)
        path = self.path(side)
        if path is None:
            return None
        value = get_path(fields, path)
        if self.children:
            return self._read_children(side, value, lookups)
        if isinstance(t, LookupTransform):
            return self._read_lookup(side, value, t, lookups)
        if isinstance(t, ValueMapTransform):
            if side is Side.BOOKS:
                return self._reverse_map(value, t)
            # The map's keys are text, and so is what the way back reads: a CRM number (a tax
            # rate of 20) must compare equal to the "20" read back from the accounting side.
            return None if is_empty(value) else str(canon(value))
        if isinstance(t, DefaultTransform) and is_empty(value) and self.direction.reads(side):
            return canon(t.value)
        return canon(value)

    def _read_children(self, side: Side, value: Any, lookups: LookupTable) -> Any:
        if not isinstance(value, list):
            return None
        senders = [c for c in self.children if c.sends(side)]
        out: list[Any] = []
        for item in value:
            if not isinstance(item, Mapping):
                continue
            out.append({c.key: c.read(side, item, lookups) for c in senders})
        return canon(out)

    def fill_from_base(self, side: Side, value: Any, base: Any) -> Any:
        """What ``side`` holds, completed from the base where it cannot hold it.

        Child fields that ``side`` does not send keep their base value, item by item: a line's
        product flows CRM -> accounting only, so the accounting side's lines still count as
        unchanged when only that field is absent from what it sends. While the accounting side's
        list is full (``max_items``), the items past it were never sent there, so it cannot have
        changed them either; a list with room left holds everything there is.
        """
        if not self.children or not isinstance(base, list):
            return value
        limit = self.rule.max_items
        hidden: list[Any] = []
        if (
            side is Side.BOOKS
            and limit is not None
            and len(base) > limit
            and isinstance(value, list)
            and len(value) == limit
        ):
            hidden = base[limit:]
        if not isinstance(value, list):
            return value
        silent = [c.key for c in self.children if not c.sends(side)]
        if not silent:
            return canon(value + hidden) if hidden else value
        out = []
        for i, item in enumerate(value):
            merged = dict(item) if isinstance(item, dict) else {}
            old = base[i] if i < len(base) and isinstance(base[i], dict) else {}
            for key in silent:
                if key in old:
                    merged[key] = old[key]
            out.append(canon(merged))
        return canon(out + hidden)

    def _read_lookup(self, side: Side, value: Any, t: LookupTransform, lookups: LookupTable) -> Any:
        if side is Side.CRM:
            ref = get_path(value, t.crm_id_path) if isinstance(value, Mapping) else value
            return None if is_empty(ref) else str(ref)
        read_path = t.books_id_path
        ref = get_path(value, read_path) if isinstance(value, Mapping) and read_path else value
        if is_empty(ref):
            return None
        return lookups.partner(t.flow, Side.BOOKS, str(ref))

    def _reverse_map(self, value: Any, t: ValueMapTransform) -> Any:
        if is_empty(value):
            return None
        key = str(canon(value))
        if key in self._inverse:
            return canon(self._inverse[key])
        if t.has_default_to_crm:
            default = canon(t.default_to_crm)
            return None if default is None else str(default)
        known = ", ".join(sorted(self._inverse)) or "none"
        raise MappingError(
            f"{self.rule.books} is {value!r}, which the value map does not know "
            f"(known: {known}); add it to the map of field {self.key}"
        )

    # -- writing ---------------------------------------------------------------------------

    def render(self, side: Side, value: Any, lookups: LookupTable, warnings: list[str]) -> Any:
        """The value to write on ``side`` for the canonical ``value``."""
        t = self.rule.transform
        if self.children:
            return self._render_children(side, value, lookups, warnings)
        if isinstance(t, LookupTransform):
            return self._render_lookup(side, value, t, lookups)
        if isinstance(t, ValueMapTransform) and side is Side.BOOKS:
            if is_empty(value):
                return None
            key = str(value)
            if key in t.map:
                return t.map[key]
            if t.has_default_to_books:
                return t.default_to_books
            known = ", ".join(sorted(t.map)) or "none"
            raise MappingError(
                f"{self.rule.crm} is {value!r}, which the value map does not know "
                f"(known: {known}); add it to the map of field {self.key}"
            )
        if isinstance(t, DefaultTransform) and is_empty(value):
            return t.value
        return value

    def _render_children(
        self, side: Side, value: Any, lookups: LookupTable, warnings: list[str]
    ) -> Any:
        items = value if isinstance(value, list) else []
        limit = self.rule.max_items
        if limit is not None and side is Side.BOOKS and len(items) > limit:
            dropped = len(items) - limit
            warnings.append(
                f"{self.rule.books} holds at most {limit}; {dropped} more were not synced"
            )
            items = items[:limit]
        out: list[dict[str, Any]] = []
        for item in items:
            child: dict[str, Any] = {}
            for c in self.children:
                if not c.receives(side):
                    continue
                path = c.path(side)
                assert path is not None
                rendered = c.render(
                    side, item.get(c.key) if isinstance(item, dict) else None, lookups, warnings
                )
                if rendered is not None:
                    set_path(child, path, rendered)
            out.append(child)
        return out

    def _render_lookup(
        self, side: Side, value: Any, t: LookupTransform, lookups: LookupTable
    ) -> Any:
        if is_empty(value):
            return None
        crm_id = str(value)
        if side is Side.CRM:
            if not t.crm_id_path:
                return crm_id
            out: dict[str, Any] = {}
            set_path(out, t.crm_id_path, crm_id)
            return out
        if t.books_key:
            return lookups.extra(t.flow, crm_id, t.books_key)
        books_id = lookups.partner(t.flow, Side.CRM, crm_id)
        if not t.books_id_path:
            return books_id
        out = {}
        set_path(out, t.books_id_path, books_id)
        return out

    # -- references ------------------------------------------------------------------------

    def needs(self, side: Side, fields: Mapping[str, Any]) -> list[LookupNeed]:
        """Referenced records that reading or rendering this field from ``side`` needs."""
        t = self.rule.transform
        path = self.path(side)
        if path is None:
            return []
        value = get_path(fields, path)
        if self.children:
            out: list[LookupNeed] = []
            if isinstance(value, list):
                for item in value:
                    if isinstance(item, Mapping):
                        for c in self.children:
                            if c.sends(side) or c.receives(side.other):
                                out.extend(c.needs(side, item))
            return out
        if not isinstance(t, LookupTransform):
            return []
        id_path = t.crm_id_path if side is Side.CRM else t.books_id_path
        ref = get_path(value, id_path) if isinstance(value, Mapping) and id_path else value
        if is_empty(ref) or isinstance(ref, Mapping):
            return []
        return [LookupNeed(t.flow, side, str(ref))]


def _render_template(template: str, fields: Mapping[str, Any]) -> str:
    def sub(match: re.Match[str]) -> str:
        value = get_path(fields, match.group(1).strip())
        return "" if value is None else str(value)

    return " ".join(_PLACEHOLDER.sub(sub, template).split())


def _compile(rule: FieldRule, direction: Direction, enabled: bool = True) -> CompiledRule:
    narrowed = rule.direction.narrow(direction)
    compiled = CompiledRule(
        rule=rule, direction=narrowed or rule.direction, enabled=enabled and narrowed is not None
    )
    t = rule.transform
    if isinstance(t, ValueMapTransform):
        compiled._inverse = {str(canon(v)): k for k, v in t.map.items()}
    compiled.children = [_compile(c, compiled.direction, compiled.enabled) for c in rule.children]
    compiled.finalise()
    return compiled


class FlowMap:
    """A flow's field map, compiled for one direction of a run."""

    def __init__(self, flow: FlowConfig, run_direction: Direction = Direction.BOTH) -> None:
        narrowed = flow.direction.narrow(run_direction)
        self.flow = flow
        self.direction: Direction | None = narrowed
        effective = narrowed if narrowed is not None else flow.direction
        self.rules = [_compile(r, effective, narrowed is not None) for r in flow.fields]
        self._projected = {
            side: [r for r in self.rules if r.path(side) is not None] for side in Side
        }
        # Rules that can refer to other records; most flows have none on most sides.
        self._referring = [
            r for r in self.rules if r.children or isinstance(r.rule.transform, LookupTransform)
        ]

    @property
    def keys(self) -> list[str]:
        return [r.key for r in self.rules]

    def reads(self, side: Side) -> bool:
        return self.direction is not None and self.direction.reads(side)

    def project(self, side: Side, fields: Mapping[str, Any]) -> dict[str, Any]:
        """The mapped fields as they stand on ``side`` (for echo hashes)."""
        return {r.key: r.raw(side, fields) for r in self._projected[side]}

    def read(
        self,
        side: Side,
        fields: Mapping[str, Any],
        lookups: LookupTable,
        base: Mapping[str, Any] | None = None,
    ) -> tuple[dict[str, Any], list[str]]:
        """Canonical values of every field ``side`` sends, and the reasons of those that fail."""
        values: dict[str, Any] = {}
        errors: list[str] = []
        for r in self.rules:
            if not r.sends(side):
                continue
            try:
                value = r.read(side, fields, lookups)
                if base is not None and r.children:
                    value = r.fill_from_base(side, value, base.get(r.key))
                values[r.key] = value
            except MappingError as exc:
                errors.append(str(exc))
        return values, errors

    def render(
        self, side: Side, values: Mapping[str, Any], keys: Sequence[str], lookups: LookupTable
    ) -> Rendered:
        """Fields to write on ``side`` for the canonical ``values`` of ``keys``.

        Raises :class:`MappingError` or :class:`~ledgerbridge.domain.lookups.MissingLookup`.
        """
        out: dict[str, Any] = {}
        warnings: list[str] = []
        wanted = set(keys)
        for r in self.rules:
            if r.key not in wanted or not r.receives(side):
                continue
            path = r.path(side)
            assert path is not None
            set_path(out, path, r.render(side, values.get(r.key), lookups, warnings))
        return Rendered(out, tuple(warnings))

    def needs(self, side: Side, fields: Mapping[str, Any]) -> list[LookupNeed]:
        out: list[LookupNeed] = []
        for r in self._referring:
            if r.sends(side) or r.receives(side.other):
                out.extend(r.needs(side, fields))
        return out

    def sending_keys(self, side: Side) -> list[str]:
        return [r.key for r in self.rules if r.sends(side)]

    def receiving_keys(self, side: Side) -> list[str]:
        return [r.key for r in self.rules if r.receives(side)]

    def rule(self, key: str) -> CompiledRule:
        for r in self.rules:
            if r.key == key:
                return r
        raise KeyError(key)

    def side_name(self, side: Side) -> str:
        return _SIDE_NAMES[side]
