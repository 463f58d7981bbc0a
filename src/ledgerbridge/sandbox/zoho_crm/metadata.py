"""Wire shapes of ``/settings/modules``, ``/users`` and ``/org``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ledgerbridge.sandbox.zoho_crm import fields as f

if TYPE_CHECKING:
    from ledgerbridge.sandbox.zoho_crm.state import ZohoCrmState

_PROFILE = {"name": "Administrator", "id": "6051205000000026011"}
_ROLE = {"name": "CEO", "id": "6051205000000026005"}


def module_json(state: ZohoCrmState, module: f.ModuleDef) -> dict[str, Any]:
    admin = state.user()
    return {
        "has_more_profiles": False,
        "sub_menu_available": False,
        "common.search_supported": True,
        "deletable": False,
        "description": None,
        "creatable": True,
        "recycle_bin_on_delete": True,
        "inventory_template_supported": module.line_items is not None,
        "modified_time": None,
        "plural_label": module.plural,
        "presence_sub_menu": False,
        "triggers_supported": True,
        "id": module.module_id,
        "chart_view": False,
        "isBlueprintSupported": True,
        "visibility": 1,
        "visible": True,
        "convertable": False,
        "editable": True,
        "emailTemplate_support": True,
        "email_parser_supported": False,
        "filter_supported": True,
        "show_as_tab": True,
        "web_link": None,
        "sequence_number": list(state.modules).index(module.api_name) + 1,
        "singular_label": module.singular,
        "viewable": True,
        "api_supported": True,
        "api_name": module.api_name,
        "quick_create": True,
        "generated_type": "default",
        "feeds_required": False,
        "scoring_supported": True,
        "webform_supported": module.api_name in ("Accounts", "Contacts", "Vendors"),
        "arguments": [],
        "module_name": module.plural,
        "chart_view_supported": True,
        "profile_count": 1,
        "business_card_field_limit": 5,
        "track_current_data": False,
        "modified_by": {"name": admin["name"], "id": admin["id"]},
        "profiles": [_PROFILE],
        "parent_module": None,
        "activity_badge": "Disabled",
        "$field_states": [],
        "business_card_fields": [],
        "per_page": 200,
        "$properties": [],
        "$on_demand_properties": [],
        "search_layout_fields": [module.name_field],
        "kanban_view_supported": True,
        "lookup_field_properties": {"fields": []},
        "kanban_view": False,
        "related_lists": [],
        "filter_status": True,
        "related_list_properties": {
            "sort_by": {"api_name": "Modified_Time", "id": module.fields["Modified_Time"].field_id},
            "fields": [],
            "sort_order": "desc",
        },
        "display_field": {
            "api_name": module.name_field,
            "id": module.fields[module.name_field].field_id,
        },
        "layouts": [],
        "fields": [],
        "custom_view": None,
        "zia_view": False,
        "default_mapping_fields": [],
        "layout_associations": [],
        "status": "visible",
    }


def user_json(state: ZohoCrmState, user: dict[str, Any]) -> dict[str, Any]:
    first, _, last = str(user["name"]).partition(" ")
    admin = state.user()
    return {
        "id": user["id"],
        "full_name": user["name"],
        "first_name": first,
        "last_name": last or first,
        "email": user["email"],
        "status": "active",
        "confirm": True,
        "zuid": str(int(state.org.primary_zuid) + list(state.users).index(user["id"])),
        "profile": _PROFILE,
        "role": _ROLE,
        "country": None,
        "language": "en_US",
        "locale": "en_US",
        "country_locale": "en_US",
        "time_zone": None,
        "time_format": "HH:mm",
        "date_format": "MMM d, yyyy",
        "decimal_separator": "Period",
        "created_by": {"name": admin["name"], "id": admin["id"]},
        "Isonline": False,
        "personal_account": False,
        "sandboxDeveloper": False,
        "microsoft": False,
        "category": "regular_user",
        "offset": 0,
    }


def org_json(state: ZohoCrmState) -> dict[str, Any]:
    org = state.org
    return {
        "id": org.org_id,
        "company_name": org.company_name,
        "alias": None,
        "primary_email": org.primary_email,
        "primary_zuid": org.primary_zuid,
        "zgid": org.zgid,
        "domain_name": "org" + org.zgid,
        "time_zone": org.time_zone,
        "country_code": org.country_code,
        "currency": org.currency,
        "iso_code": org.iso_code,
        "currency_symbol": org.currency_symbol,
        "currency_locale": org.currency_locale,
        "mc_status": org.multi_currency,
        "gapps_enabled": False,
        "type": "production",
        "license_details": {
            "paid": org.edition != "free",
            "paid_type": org.edition,
            "users_license_purchased": org.licensed_users,
            "trial_type": None,
            "trial_expiry": None,
            "paid_expiry": None,
        },
        "hipaa_compliance_enabled": False,
        "privacy_settings": False,
    }
