"""Value maps completed from a catalogue of the accounting system (its tax rates).

Pure: the flow and the catalogue in, the flow as this organisation can take it out.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ledgerbridge.domain.config import FieldRule, FlowConfig, RequiredRule, ValueMapTransform


def catalogues_used(flow: FlowConfig) -> set[str]:
    return {
        r.transform.catalogue
        for r in flow.fields
        if isinstance(r.transform, ValueMapTransform) and r.transform.catalogue
    }


def complete_map(static: Mapping[str, Any], entries: Mapping[str, str]) -> dict[str, Any]:
    """The static map restricted to codes the catalogue has, plus the catalogue's own names.

    Catalogue keys match CRM values case-insensitively; the static map wins where both have
    a value, as long as its code exists.
    """
    codes = {str(c).casefold() for c in entries.values()}
    # The recipe's own names first (people know them), then the organisation's.
    out: dict[str, Any] = {k: v for k, v in static.items() if str(v).casefold() in codes}
    taken = {k.casefold() for k in out}
    for key, code in entries.items():
        if key.casefold() not in taken:
            out[key] = code
            taken.add(key.casefold())
    return out


def resolve_catalogues(flow: FlowConfig, read: Callable[[str], Mapping[str, str]]) -> FlowConfig:
    """``flow`` with each catalogue value map completed by ``read(name)``.

    A required ``one_of`` rule on the same CRM field takes the completed map's keys, so its
    message and the map agree on what is allowed.
    """
    used = catalogues_used(flow)
    if not used:
        return flow
    found = {name: dict(read(name)) for name in used}
    maps: dict[str, dict[str, Any]] = {}
    fields: list[FieldRule] = []
    for rule in flow.fields:
        t = rule.transform
        if isinstance(t, ValueMapTransform) and t.catalogue and found[t.catalogue]:
            completed = complete_map(t.map, found[t.catalogue])
            if rule.crm is not None:
                maps[rule.crm] = completed
            rule = rule.model_copy(update={"transform": t.model_copy(update={"map": completed})})  # noqa: PLW2901
        fields.append(rule)
    required: list[RequiredRule] = []
    for req in flow.required:
        if req.check == "one_of" and req.field in maps:
            allowed = tuple(maps[req.field])
            # Names only: a code (OUTPUT) is allowed too, but a person picks by name.
            names = [k for k, v in maps[req.field].items() if k != v]
            shown = ", ".join(names) or "none (the organisation has no usable entry)"
            head = req.message.split(": pick one of", 1)[0]
            req = req.model_copy(  # noqa: PLW2901
                update={"values": allowed or ("\0none",), "message": f"{head}: pick one of {shown}"}
            )
        required.append(req)
    return flow.model_copy(update={"fields": tuple(fields), "required": tuple(required)})
