"""Module and field metadata of ``/settings/modules`` and ``/settings/fields``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ledgerbridge.domain.records import FieldInfo

# Zoho data types in the words of the mapping editor.
_TYPES = {
    "text": "text",
    "textarea": "text",
    "website": "text",
    "autonumber": "text",
    "email": "email",
    "phone": "phone",
    "integer": "number",
    "bigint": "number",
    "long": "number",
    "double": "decimal",
    "currency": "decimal",
    "decimal": "decimal",
    "boolean": "boolean",
    "date": "date",
    "datetime": "datetime",
    "picklist": "picklist",
    "multiselectpicklist": "picklist",
    "lookup": "lookup",
    "ownerlookup": "lookup",
    "userlookup": "lookup",
    "subform": "subform",
}


@dataclass(frozen=True, slots=True)
class ModuleSummary:
    """One module of ``/settings/modules``."""

    api_name: str
    label: str
    singular: str
    display_field: str | None
    api_supported: bool
    creatable: bool


@dataclass(frozen=True, slots=True)
class FieldMeta:
    """One field of ``/settings/fields``: the domain view plus what the connector needs."""

    info: FieldInfo
    data_type: str
    unique: bool


def module_summary(raw: Mapping[str, Any]) -> ModuleSummary:
    display = raw.get("display_field")
    return ModuleSummary(
        api_name=str(raw["api_name"]),
        label=str(raw.get("plural_label") or raw.get("module_name") or raw["api_name"]),
        singular=str(raw.get("singular_label") or raw["api_name"]),
        display_field=str(display["api_name"]) if isinstance(display, Mapping) else None,
        api_supported=bool(raw.get("api_supported", True)),
        creatable=bool(raw.get("creatable", True)),
    )


def field_meta(raw: Mapping[str, Any]) -> FieldMeta:
    data_type = str(raw.get("data_type") or "text")
    lookup = raw.get("lookup")
    target = None
    if isinstance(lookup, Mapping) and isinstance(lookup.get("module"), Mapping):
        target = lookup["module"].get("api_name")
    picklist = tuple(
        str(v.get("actual_value") or v.get("display_value"))
        for v in raw.get("pick_list_values") or []
        if isinstance(v, Mapping)
    )
    info = FieldInfo(
        name=str(raw["api_name"]),
        label=str(raw.get("field_label") or raw.get("display_label") or raw["api_name"]),
        type=_TYPES.get(data_type, data_type),
        required=bool(raw.get("system_mandatory")),
        read_only=bool(raw.get("read_only") or raw.get("field_read_only")),
        custom=bool(raw.get("custom_field")),
        picklist=picklist,
        lookup_module=str(target) if target else None,
    )
    return FieldMeta(info=info, data_type=data_type, unique=raw.get("unique") not in (None, {}))
