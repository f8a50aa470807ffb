"""CRM v8 reads beyond the plain list: `/search`, `/actions/count`, related lists and the
recycle bin (`/deleted`)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from zsync_tui.sandbox.criteria import CriteriaError, parse_criteria
from zsync_tui.sandbox.crm_common import (
    MAX_PER_PAGE,
    NO_CONTENT,
    crm_module,
    empty_reply,
    int_param,
    known_fields,
    modified_since,
    numbered_page,
    parse_fields,
    path_record_id,
    project,
    require_scope,
    sandbox_of,
)
from zsync_tui.sandbox.custom_views import view_predicate
from zsync_tui.sandbox.responses import crm_error, invalid_param, json_reply, required_param
from zsync_tui.sandbox.state import Sandbox
from zsync_tui.sandbox.world import CrmModule


async def deleted_records(request: Request) -> Response:
    """GET /crm/v8/{module}/deleted: the recycle bin, newest first."""
    module = crm_module(request, "READ")
    kind = request.query_params.get("type", "all")
    if kind not in ("all", "recycle", "permanent"):
        raise invalid_param("type")
    per_page = int_param(request, "per_page", MAX_PER_PAGE, 1, MAX_PER_PAGE)
    page = int_param(request, "page", 1, 1, 10**6)
    modified_after = modified_since(request)
    entries = [e for e in reversed(module.deleted) if kind in ("all", e["type"])]
    if modified_after:
        entries = [e for e in entries if e["deleted_time"] > modified_after]
    chunk, info = numbered_page(entries, page, per_page)
    if not chunk:
        return empty_reply(modified_after)
    return json_reply({"data": chunk, "info": info})


def search_predicate(sandbox: Sandbox, module: CrmModule, request: Request, required: bool) -> Any:
    """The filter of `criteria` | `email` | `phone` | `word`; None when none is given."""
    query = request.query_params
    if query.get("criteria"):
        try:
            return parse_criteria(query["criteria"], known_fields(module.name))
        except CriteriaError as exc:
            raise crm_error(400, "INVALID_QUERY", str(exc), {"param": "criteria"}) from None
    if query.get("email"):
        wanted = query["email"].strip().lower()
        return lambda r: any(
            (r.get(f) or "").lower() == wanted for f in ("Email", "Secondary_Email")
        )
    if query.get("phone"):
        digits = "".join(ch for ch in query["phone"] if ch.isdigit())
        phone_fields = ("Phone", "Mobile", "Home_Phone", "Other_Phone", "Fax")
        return lambda r: (
            bool(digits)
            and any(
                digits in "".join(ch for ch in (r.get(f) or "") if ch.isdigit())
                for f in phone_fields
            )
        )
    if query.get("word"):
        word = query["word"].strip().lower()
        return lambda r: any(
            isinstance(v, str)
            and word in v.lower()
            or isinstance(v, dict)
            and word in str(v.get("name", "")).lower()
            for v in r.values()
        )
    if required:
        raise required_param("criteria")
    return None


async def search_records(request: Request) -> Response:
    """GET /crm/v8/{module}/search."""
    sandbox = sandbox_of(request)
    module = crm_module(request, "READ")
    predicate = search_predicate(sandbox, module, request, required=True)
    fields = parse_fields(request.query_params.get("fields"), module.name, required=False)
    per_page = int_param(request, "per_page", MAX_PER_PAGE, 1, MAX_PER_PAGE)
    page = int_param(request, "page", 1, 1, 10**6)
    if page * per_page > 2000:
        raise crm_error(
            400, "LIMIT_EXCEEDED", "search is limited to 2000 records; use COQL", {"limit": 2000}
        )
    matches = [r for r in module.records.values() if predicate(r)]
    chunk, info = numbered_page(matches, page, per_page)
    if not chunk:
        return Response(status_code=NO_CONTENT)
    return json_reply({"data": [project(r, fields) for r in chunk], "info": info})


async def count_records(request: Request) -> Response:
    """GET /crm/v8/{module}/actions/count."""
    sandbox = sandbox_of(request)
    module = crm_module(request, "READ")
    predicate = search_predicate(sandbox, module, request, required=False)
    cvid = request.query_params.get("cvid")
    view = view_predicate(sandbox, module.name, cvid) if cvid else None
    count = 0
    for record in module.records.values():
        if (predicate is None or predicate(record)) and (view is None or view(record)):
            count += 1
    return json_reply({"count": count})


RELATED = {
    ("Accounts", "Contacts"): "Account_Name",
    ("Accounts", "Deals"): "Account_Name",
    ("Contacts", "Deals"): "Contact_Name",
}


async def related_records(request: Request) -> Response:
    """GET /crm/v8/{module}/{id}/{related_list}: an account's Contacts and Deals, a contact's
    Deals."""
    sandbox = sandbox_of(request)
    module = crm_module(request, "READ")
    related_name = request.path_params["related"]
    link = RELATED.get((module.name, related_name))
    if link is None:
        raise crm_error(
            400,
            "INVALID_DATA",
            "the related list name given seems to be invalid",
            {"param": "related_list_api_name"},
        )
    related = sandbox.world.crm[related_name]
    require_scope(request, f"ZohoCRM.modules.{related_name.lower()}.READ")
    record_id = path_record_id(request)
    if record_id not in module.records:
        raise crm_error(400, "INVALID_DATA", "the id given seems to be invalid", {"param": "id"})
    fields = parse_fields(request.query_params.get("fields"), related.name, required=True)
    per_page = int_param(request, "per_page", MAX_PER_PAGE, 1, MAX_PER_PAGE)
    page = int_param(request, "page", 1, 1, 10**6)
    modified_after = modified_since(request)
    matches = [
        r
        for r in related.children(link, record_id)
        if not modified_after or r["Modified_Time"] > modified_after
    ]
    chunk, info = numbered_page(matches, page, per_page)
    if not chunk:
        return empty_reply(modified_after)
    return json_reply({"data": [project(r, fields) for r in chunk], "info": info})
