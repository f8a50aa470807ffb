"""CRM v8 settings beyond the layout: custom views (their criteria evaluated elsewhere), the
Deals pipeline, the org and its users."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from zsync_tui.sandbox.catalog import (
    DEAL_STAGES,
    FORECAST_CATEGORY,
    MODULE_FIELDS,
    PIPELINE_NAME,
)
from zsync_tui.sandbox.crm_common import (
    int_param,
    module_named,
    require_scope,
    sandbox_of,
)
from zsync_tui.sandbox.crm_meta import LAYOUT_IDS, field_id
from zsync_tui.sandbox.custom_views import find_view
from zsync_tui.sandbox.responses import crm_error, json_reply, required_param
from zsync_tui.sandbox.world import Record

PIPELINE_ID = "4876876000000091301"


def _criteria_with_field_ids(module: str, criteria: Any) -> Any:
    """A view's criteria with each field's id, as Zoho names a criterion field."""
    if not isinstance(criteria, dict):
        return criteria
    out = dict(criteria)
    names = [f.api_name for f in MODULE_FIELDS[module]]
    field = out.get("field")
    if isinstance(field, dict) and field.get("api_name") in names:
        out["field"] = {**field, "id": field_id(module, names.index(field["api_name"]))}
    if isinstance(out.get("group"), list):
        out["group"] = [_criteria_with_field_ids(module, part) for part in out["group"]]
    return out


def _view_json(module: str, view: Record) -> Record:
    return {**view, "criteria": _criteria_with_field_ids(module, view.get("criteria"))}


def _view_module(request: Request) -> str:
    name = request.query_params.get("module")
    if not name:
        raise required_param("module")
    return module_named(sandbox_of(request), name).name


async def custom_views(request: Request) -> Response:
    """GET /crm/v8/settings/custom_views?module=Accounts."""
    require_scope(request, "ZohoCRM.settings.custom_views.READ")
    module = _view_module(request)
    views = sandbox_of(request).world.custom_views.get(module, [])
    per_page = int_param(request, "per_page", 200, 1, 200)
    page = int_param(request, "page", 1, 1, 10**6)
    chunk = views[(page - 1) * per_page : page * per_page]
    default = next((v for v in views if v.get("default")), views[0] if views else None)
    info: dict[str, Any] = {
        "per_page": per_page,
        "count": len(chunk),
        "page": page,
        "more_records": page * per_page < len(views),
        "default": default["id"] if default else None,
        "translation": {
            "public_views": "Public Views",
            "other_users_views": "Other Users' Views",
            "shared_with_me": "Shared With Me",
            "created_by_me": "Created By Me",
        },
    }
    return json_reply({"custom_views": [_view_json(module, v) for v in chunk], "info": info})


async def custom_view(request: Request) -> Response:
    """GET /crm/v8/settings/custom_views/{id}?module=Accounts."""
    require_scope(request, "ZohoCRM.settings.custom_views.READ")
    module = _view_module(request)
    view = find_view(sandbox_of(request), module, request.path_params["view_id"])
    return json_reply({"custom_views": [_view_json(module, view)]})


async def pipeline(request: Request) -> Response:
    """GET /crm/v8/settings/pipeline?layout_id=<Deals layout>."""
    require_scope(request, "ZohoCRM.settings.pipeline.READ")
    layout_id = request.query_params.get("layout_id")
    if not layout_id:
        raise required_param("layout_id")
    if layout_id != LAYOUT_IDS["Deals"]:
        raise crm_error(
            400, "INVALID_DATA", "the layout_id given seems to be invalid", {"param": "layout_id"}
        )
    maps = [
        {
            "display_value": name,
            "actual_value": name,
            "sequence_number": position + 1,
            "id": str(4876876000000091100 + position),
            "forecast_type": forecast,
            "forecast_category": {
                "name": FORECAST_CATEGORY[forecast],
                "id": str(4876876000000091200 + position),
            },
            # The pipeline OAS types a stage's colour as a string, never null.
            "colour_code": "#D3E4F8",
        }
        for position, (name, _probability, forecast) in enumerate(DEAL_STAGES)
    ]
    entry = {
        "id": PIPELINE_ID,
        "display_value": PIPELINE_NAME,
        "actual_value": PIPELINE_NAME,
        "default": True,
        "child_available": False,
        "parent": None,
        "maps": maps,
    }
    return json_reply({"pipeline": [entry]})


async def org(request: Request) -> Response:
    """GET /crm/v8/org: name, base currency, multi-currency flag, edition."""
    require_scope(request, "ZohoCRM.org.READ")
    info = dict(sandbox_of(request).world.crm_org)
    for key in (
        "photo_id",
        "city",
        "description",
        "street",
        "alias",
        "state",
        "fax",
        "zip",
        "mobile",
        "zia_portal_id",
    ):
        info.setdefault(key, None)
    info.setdefault("gapps_enabled", False)
    info.setdefault("translation_enabled", False)
    info.setdefault("currency_locale", "en_US")
    info.setdefault("deletable_org_account", False)
    info.setdefault(
        "hierarchy_preferences", {"type": "Role_Hierarchy", "strictly_reporting": False}
    )
    info.setdefault("phone", "")
    info.setdefault("privacy_settings", False)
    info.setdefault("hipaa_compliance_enabled", False)
    info.setdefault("lite_users_enabled", False)
    info.setdefault("max_per_page", 200)
    info.setdefault("ezgid", info.get("zgid", ""))
    info.setdefault("call_icon", "")
    info.setdefault("oauth_presence", True)
    info.setdefault("zia_zgid", 0)
    # The OAS requires every licence key; the sandbox licence never runs out.
    info["license_details"] = {
        "paid_expiry": "2099-12-31T00:00:00+00:00",
        "trial_type": None,
        "trial_expiry": None,
        "trial_action": "",
        **(info.get("license_details") or {}),
    }
    info.setdefault(
        "checkin_preferences",
        {"location_data_type": "latitude_longitude", "restricted_event_types": None},
    )
    return json_reply({"org": [info]})


USER_TYPES = {
    "AllUsers",
    "ActiveUsers",
    "DeactiveUsers",
    "ConfirmedUsers",
    "NotConfirmedUsers",
    "DeletedUsers",
    "ActiveConfirmedUsers",
    "AdminUsers",
    "ActiveConfirmedAdmins",
    "CurrentUser",
}


async def users(request: Request) -> Response:
    """GET /crm/v8/users?type=CurrentUser|AllUsers|... ; `email` filters by address."""
    require_scope(request, "ZohoCRM.users.READ")
    sandbox = sandbox_of(request)
    kind = request.query_params.get("type", "AllUsers")
    if kind not in USER_TYPES:
        raise crm_error(400, "INVALID_DATA", "invalid data", {"param": "type"})
    everyone = sandbox.world.crm_users
    if kind == "CurrentUser":
        chosen = [sandbox.world.current_user()]
    elif kind in ("AdminUsers", "ActiveConfirmedAdmins"):
        chosen = [u for u in everyone if u["profile"]["name"] == "Administrator"]
    elif kind in ("DeactiveUsers", "NotConfirmedUsers", "DeletedUsers"):
        chosen = []
    else:
        chosen = list(everyone)
    email = request.query_params.get("email")
    if email:
        chosen = [u for u in chosen if u["email"].lower() == email.strip().lower()]
    per_page = int_param(request, "per_page", 200, 1, 200)
    page = int_param(request, "page", 1, 1, 10**6)
    chunk = chosen[(page - 1) * per_page : page * per_page]
    if not chunk:
        return Response(status_code=204)
    info = {
        "per_page": per_page,
        "count": len(chunk),
        "page": page,
        "more_records": page * per_page < len(chosen),
    }
    return json_reply({"users": chunk, "info": info})


async def user(request: Request) -> Response:
    """GET /crm/v8/users/{id}."""
    require_scope(request, "ZohoCRM.users.READ")
    user_id = request.path_params["user_id"]
    for candidate in sandbox_of(request).world.crm_users:
        if candidate["id"] == user_id:
            return json_reply({"users": [candidate]})
    return Response(status_code=204)
