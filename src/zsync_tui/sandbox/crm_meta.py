"""CRM v8 layout metadata: modules, fields (the Deals Stage picklist with probabilities) and
layouts. Custom views, the pipeline, org and users are in crm_settings.py."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from zsync_tui.sandbox.catalog import (
    DEAL_STAGES,
    FORECAST_CATEGORY,
    MODULE_FIELDS,
    MODULE_IDS,
    SINGULAR,
    FieldDef,
)
from zsync_tui.sandbox.crm_common import (
    module_named,
    require_scope,
    sandbox_of,
)
from zsync_tui.sandbox.responses import json_reply, required_param
from zsync_tui.sandbox.world import Record

LAYOUT_IDS = {
    "Accounts": "4876876000000091055",
    "Contacts": "4876876000000091033",
    "Deals": "4876876000000091023",
}
JSON_TYPES = {
    "text": "string",
    "textarea": "string",
    "email": "string",
    "phone": "string",
    "website": "string",
    "picklist": "string",
    "integer": "integer",
    "currency": "double",
    "boolean": "boolean",
    "date": "string",
    "datetime": "string",
    "lookup": "jsonobject",
    "ownerlookup": "jsonobject",
    "multiselectlookup": "jsonarray",
}
# Neutral values for the many properties the OAS marks required but the sandbox has no use for.
FIELD_DEFAULTS: dict[str, Any] = {
    "operation_type": {
        "web_update": True,
        "api_create": True,
        "web_create": True,
        "api_update": True,
    },
    "webhook": True,
    "blueprint_supported": False,
    "virtual_field": False,
    "field_read_only": False,
    "customizable_properties": [],
    "businesscard_supported": True,
    "filterable": True,
    "available_in_user_layout": True,
    "display_field": False,
    "pick_list_values_sorted_lexically": False,
    "sortable": True,
    "layout_associations": [],
    "separator": False,
    "searchable": True,
    "enable_colour_code": False,
    "mass_update": False,
    "created_source": "default",
    "type": "used",
    "column_name": "",
    "display_type": -1,
    "ui_type": 1,
    "colour_code_enabled_by_system": False,
    "decimal_place": None,
    "quick_sequence_number": "1",
    "email_parser": {"fields_update_supported": False, "record_operations_supported": False},
    "rollup_summary": None,
    "refer_from_field": None,
    "created_time": None,
    "modified_time": None,
    "show_type": 7,
    "category": 0,
    "multi_module_lookup": None,
    "sharing_properties": {},
    "currency": None,
    "file_upolad_optionlist": [],
    "profiles": [],
    "view_type": {"view": True, "edit": True, "quick_create": False, "create": True},
    "sub_module": None,
    "subform": None,
    "external": None,
    "formula": None,
    "convert_mapping": {},
    "multiselectlookup": None,
    "multiuserlookup": None,
    "autonumber": None,
    "auto_number": None,
    "crypt": None,
    "tooltip": None,
    "history_tracking": None,
    "association_details": None,
    "allowed_modules": [],
    "additional_column": None,
    "common.picklist": None,
    "hipaa_compliance_enabled": False,
    "hipaa_compliance": None,
    "_update_existing_records": False,
    "number_separator": False,
    "textarea": {},
    "static_field": False,
}
MODULE_DEFAULTS: dict[str, Any] = {
    "common.search_supported": True,
    "deletable": True,
    "description": None,
    "creatable": True,
    "recycle_bin_on_delete": True,
    "inventory_template_supported": False,
    "modified_time": None,
    "presence_sub_menu": True,
    "triggers_supported": True,
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
    "viewable": True,
    "api_supported": True,
    "quick_create": True,
    "generated_type": "default",
    "feeds_required": False,
    "scoring_supported": True,
    "webform_supported": True,
    "arguments": [],
    "chart_view_supported": True,
    "profile_count": 2,
    "business_card_field_limit": 5,
    "track_current_data": False,
    "modified_by": None,
    "profiles": [],
    "parent_module": None,
    "activity_badge": "Enabled",
    "$field_states": [],
    "business_card_fields": [],
    "per_page": 200,
    "$properties": [],
    "$on_demand_properties": [],
    "search_layout_fields": [],
    "kanban_view_supported": True,
    "lookup_field_properties": {},
    "kanban_view": False,
    "related_lists": [],
    "filter_status": True,
    "related_list_properties": {},
    "display_field": None,
    "layouts": [],
    "fields": [],
    "custom_view": {},
    "zia_view": False,
    "default_mapping_fields": [],
    "layout_associations": [],
}


def _picklist(field: FieldDef) -> list[Record]:
    if field.api_name == "Stage":
        return [
            {
                "display_value": name,
                "actual_value": name,
                "sequence_number": position + 1,
                "id": str(4876876000000091100 + position),
                "type": "used",
                "colour_code": None,
                "reference_value": name,
                "probability": probability,
                "forecast_type": forecast,
                "forecast_category": {
                    "name": FORECAST_CATEGORY[forecast],
                    "id": str(4876876000000091200 + position),
                },
                "deal_category": forecast,
                "expected_data_type": "string",
            }
            for position, (name, probability, forecast) in enumerate(DEAL_STAGES)
        ]
    return [
        {
            "display_value": value,
            "actual_value": value,
            "sequence_number": position + 1,
            "id": str(4876876000000092000 + position),
            "type": "used",
            "colour_code": None,
            "reference_value": value,
            "expected_data_type": "string",
        }
        for position, value in enumerate(field.picklist)
    ]


def field_id(module: str, position: int) -> str:
    """The id of the module's field at `position` (fields API and view criteria agree)."""
    return str(4876876000000093000 + position + 100 * list(MODULE_FIELDS).index(module))


def field_json(
    sandbox_unique: tuple[str, ...], module: str, field: FieldDef, position: int
) -> Record:
    """One field as `GET /settings/fields` describes it."""
    out: Record = dict(FIELD_DEFAULTS)
    out.update(
        {
            "id": field_id(module, position),
            "api_name": field.api_name,
            "field_label": field.label,
            "display_label": field.label,
            "column_name": field.api_name.upper(),
            "data_type": field.data_type,
            "json_type": JSON_TYPES.get(field.data_type, "string"),
            "length": field.length,
            "system_mandatory": field.mandatory,
            "read_only": field.read_only,
            "field_read_only": field.read_only,
            "custom_field": field.api_name.endswith("__c"),
            "visible": True,
            "associated_module": {"api_name": module, "id": MODULE_IDS[module]},
            "pick_list_values": _picklist(field) if field.data_type == "picklist" else [],
            "lookup": {
                "module": {"api_name": field.lookup, "id": MODULE_IDS[field.lookup]},
                "display_label": field.label,
                "api_name": field.api_name,
            }
            if field.lookup
            else None,
            "unique": {"casesensitive": "0"} if field.api_name in sandbox_unique else None,
            "sequence_number": position + 1,
        }
    )
    return out


async def fields(request: Request) -> Response:
    """GET /crm/v8/settings/fields?module=Deals."""
    require_scope(request, "ZohoCRM.settings.fields.READ")
    name = request.query_params.get("module")
    if not name:
        raise required_param("module")
    sandbox = sandbox_of(request)
    module = module_named(sandbox, name).name
    unique = sandbox.options.unique_fields.get(module, ())
    return json_reply(
        {"fields": [field_json(unique, module, f, i) for i, f in enumerate(MODULE_FIELDS[module])]}
    )


def _module_json(position: int, name: str) -> Record:
    out: Record = dict(MODULE_DEFAULTS)
    out.update(
        {
            "id": MODULE_IDS[name],
            "api_name": name,
            "module_name": name,
            "plural_label": name,
            "singular_label": SINGULAR[name],
            "sequence_number": position + 2,
            "generated_type": "default",
        }
    )
    return out


async def modules(request: Request) -> Response:
    """GET /crm/v8/settings/modules: the modules this sandbox serves."""
    require_scope(request, "ZohoCRM.settings.modules.READ")
    return json_reply({"modules": [_module_json(i, n) for i, n in enumerate(MODULE_FIELDS)]})


async def module_detail(request: Request) -> Response:
    """GET /crm/v8/settings/modules/{api_name}."""
    require_scope(request, "ZohoCRM.settings.modules.READ")
    name = module_named(sandbox_of(request), request.path_params["module"]).name
    return json_reply({"modules": [_module_json(list(MODULE_FIELDS).index(name), name)]})


async def layouts(request: Request) -> Response:
    """GET /crm/v8/settings/layouts?module=...: the one Standard layout per module."""
    require_scope(request, "ZohoCRM.settings.layouts.READ")
    name = request.query_params.get("module")
    if not name:
        raise required_param("module")
    module = module_named(sandbox_of(request), name).name
    layout = {
        "id": LAYOUT_IDS[module],
        "name": "Standard",
        "display_label": "Standard",
        "api_name": "Standard",
        "status": "active",
        "visible": True,
        # The rest of what the layouts OAS requires; unknown audit data is null, as Zoho sends.
        "source": None,
        "mode": None,
        "generated_type": None,
        "created_time": None,
        "modified_time": None,
        "created_by": None,
        "modified_by": None,
        "created_for": None,
        "has_more_profiles": False,
        "profiles": [],
        "show_business_card": False,
        "subform_properties": {"pinned_column": False},
        "convert_mapping": None,
        "sections": [],
        "actions_allowed": {
            "edit": False,
            "rename": False,
            "clone": False,
            "downgrade": False,
            "delete": False,
            "deactivate": False,
            "set_layout_permissions": False,
        },
    }
    return json_reply({"layouts": [layout]})
