"""CRM v8 record endpoints: list, get, insert, update, upsert, delete (search, count, related
lists and the recycle bin are in crm_search.py)."""

from __future__ import annotations

from math import ceil
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from zsync_tui.sandbox.catalog import UPSERT_DEFAULT_KEYS
from zsync_tui.sandbox.crm_common import (
    MAX_PER_PAGE,
    NO_CONTENT,
    crm_module,
    data_list,
    empty_reply,
    int_param,
    json_body,
    known_fields,
    modified_since,
    parse_fields,
    path_record_id,
    project,
    sandbox_of,
    set_credits,
)
from zsync_tui.sandbox.crm_pages import (
    SORT_FIELDS,
    ViewSpec,
    page_by_number,
    page_by_token,
)
from zsync_tui.sandbox.crm_walk_ahead import WalkAhead, list_body
from zsync_tui.sandbox.crm_write import (
    RecordError,
    check_unique,
    clean_fields,
    delete,
    insert,
    success,
    unique_key,
    update,
)
from zsync_tui.sandbox.custom_views import view_predicate
from zsync_tui.sandbox.read_ahead import walk_key
from zsync_tui.sandbox.responses import (
    JSON_TYPE,
    crm_error,
    invalid_param,
    json_reply,
    required_param,
)
from zsync_tui.sandbox.state import Sandbox
from zsync_tui.sandbox.world import CrmModule, Record


async def list_records(request: Request) -> Response:
    """GET /crm/v8/{module}."""
    sandbox = sandbox_of(request)
    module = crm_module(request, "READ")
    query = request.query_params
    if_modified_since = request.headers.get("if-modified-since", "")
    rendered = sandbox.read_ahead.take(
        walk_key(module.name, query.multi_items(), if_modified_since), module, sandbox.now()
    )
    if rendered is not None:
        return Response(rendered, media_type=JSON_TYPE)
    fields = parse_fields(query.get("fields"), module.name, required=True)
    per_page = int_param(request, "per_page", MAX_PER_PAGE, 1, MAX_PER_PAGE)
    modified_after = modified_since(request)
    if "ids" in query:
        return _by_ids(module, query["ids"], fields, modified_after)
    cvid = query.get("cvid", "")
    sort_by = query.get("sort_by", "")
    if cvid and sort_by:
        raise crm_error(
            400, "INVALID_DATA", "sort_by cannot be used together with cvid", {"param": "sort_by"}
        )
    if sort_by and sort_by not in SORT_FIELDS:
        raise invalid_param("sort_by")
    sort_order = query.get("sort_order", "desc")
    if sort_order not in ("asc", "desc"):
        raise invalid_param("sort_order")
    predicate = view_predicate(sandbox, module.name, cvid) if cvid else None
    spec = ViewSpec(sort_by or "id", sort_order == "asc", modified_after, cvid, predicate)
    token = query.get("page_token")
    if token and "page" in query:
        raise crm_error(
            400, "INVALID_DATA", "page and page_token cannot be used together", {"param": "page"}
        )
    if token:
        page = page_by_token(sandbox, module, spec, token, per_page)
    else:
        page = page_by_number(
            sandbox, module, spec, int_param(request, "page", 1, 1, 10**6), per_page
        )
    if not page.records:
        return empty_reply(modified_after)
    if page.next_token and not cvid:
        ahead = WalkAhead(
            sandbox, module, spec, per_page, fields, query.multi_items(), if_modified_since
        )
        ahead.plan_after(page)
    return Response(list_body(sandbox, page, per_page, spec, fields), media_type=JSON_TYPE)


def _by_ids(module: CrmModule, raw: str, fields: list[str] | None, modified_after: str) -> Response:
    ids = [part.strip() for part in raw.split(",") if part.strip()]
    if len(ids) > 100:
        raise crm_error(400, "LIMIT_EXCEEDED", "ids limit exceeded", {"param": "ids", "limit": 100})
    found = [module.records[i] for i in ids if i in module.records]
    if modified_after:
        found = [r for r in found if r["Modified_Time"] > modified_after]
    if not found:
        return empty_reply(modified_after)
    info = {"per_page": len(ids), "count": len(found), "page": 1, "more_records": False}
    return json_reply({"data": [project(r, fields) for r in found], "info": info})


async def get_record(request: Request) -> Response:
    """GET /crm/v8/{module}/{id}: 204 when there is no such record, as Zoho answers."""
    module = crm_module(request, "READ")
    record = module.records.get(path_record_id(request))
    if record is None:
        return Response(status_code=NO_CONTENT)
    fields = parse_fields(request.query_params.get("fields"), module.name, required=False)
    return json_reply({"data": [project(record, fields)]})


def _batch_status(results: list[Record], ok: int) -> int:
    if all(r["status"] == "success" for r in results):
        return ok
    if any(r["status"] == "success" for r in results):
        return 207
    return 400


async def insert_records(request: Request) -> Response:
    """POST /crm/v8/{module}: 201 all added, 207 some, 400 none."""
    sandbox = sandbox_of(request)
    module = crm_module(request, "CREATE")
    data = data_list(await json_body(request))
    set_credits(request, ceil(len(data) / 10))
    results: list[Record] = []
    for index, item in enumerate(data):
        try:
            cleaned = clean_fields(sandbox, module.name, item, index, creating=True)
            check_unique(sandbox, module, cleaned, index, None)
        except RecordError as exc:
            results.append(exc.body)
            continue
        results.append(success(insert(sandbox, module, cleaned), "record added"))
    return json_reply({"data": results}, _batch_status(results, 201))


def _update_one(
    sandbox: Sandbox, module: CrmModule, item: Any, index: int, record_id: str | None
) -> Record:
    try:
        if record_id is None:
            raw_id = item.get("id") if isinstance(item, dict) else None
            if not raw_id:
                raise RecordError(
                    "MANDATORY_NOT_FOUND",
                    "required field not found",
                    {"api_name": "id", "json_path": f"$.data[{index}].id"},
                )
            record_id = str(raw_id)
        record = module.records.get(record_id)
        if record is None:
            raise RecordError(
                "INVALID_DATA",
                "the id given seems to be invalid",
                {"api_name": "id", "json_path": f"$.data[{index}].id"},
            )
        cleaned = clean_fields(sandbox, module.name, item, index, creating=False)
        check_unique(sandbox, module, cleaned, index, record_id)
    except RecordError as exc:
        return exc.body
    return success(update(sandbox, module, record, cleaned), "record updated")


async def update_records(request: Request) -> Response:
    """PUT /crm/v8/{module}: each data element carries its id."""
    sandbox = sandbox_of(request)
    module = crm_module(request, "UPDATE")
    data = data_list(await json_body(request))
    set_credits(request, ceil(len(data) / 10))
    results = [_update_one(sandbox, module, item, i, None) for i, item in enumerate(data)]
    return json_reply({"data": results}, _batch_status(results, 200))


async def update_record(request: Request) -> Response:
    """PUT /crm/v8/{module}/{id}; with If-Modified-Since, 412 if it changed since."""
    sandbox = sandbox_of(request)
    module = crm_module(request, "UPDATE")
    record_id = path_record_id(request)
    data = data_list(await json_body(request), limit=1)
    modified_after = modified_since(request)
    record = module.records.get(record_id)
    if modified_after and record is not None and record["Modified_Time"] > modified_after:
        raise crm_error(
            412,
            "RECORD_MODIFIED",
            "the record has been modified since the given time",
            {"id": record_id},
        )
    results = [_update_one(sandbox, module, data[0], 0, record_id)]
    return json_reply({"data": results}, _batch_status(results, 200))


async def upsert_records(request: Request) -> Response:
    """POST /crm/v8/{module}/upsert with optional duplicate_check_fields."""
    sandbox = sandbox_of(request)
    module = crm_module(request, "CREATE")
    body = await json_body(request)
    data = data_list(body)
    set_credits(request, ceil(len(data) / 10))
    keys = body.get("duplicate_check_fields")
    if keys is None:
        keys = list(sandbox.options.unique_fields.get(module.name, ())) + [
            k
            for k in UPSERT_DEFAULT_KEYS[module.name]
            if k not in sandbox.options.unique_fields.get(module.name, ())
        ]
    if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
        raise invalid_param("duplicate_check_fields")
    for key in keys:
        if key not in known_fields(module.name):
            raise crm_error(
                400,
                "INVALID_DATA",
                "invalid data",
                {"param": "duplicate_check_fields", "api_name": key},
            )
    results: list[Record] = []
    indexes: dict[str, dict[str, str]] = {}
    for index, item in enumerate(data):
        match_id, match_field = _find_match(module, item, keys, indexes)
        if match_id is None:
            try:
                cleaned = clean_fields(sandbox, module.name, item, index, creating=True)
                check_unique(sandbox, module, cleaned, index, None)
            except RecordError as exc:
                results.append(exc.body)
                continue
            created = insert(sandbox, module, cleaned)
            _remember(indexes, created)
            results.append(success(created, "record added", action="insert", duplicate_field=None))
        else:
            result = _update_one(sandbox, module, item, index, match_id)
            if result["status"] == "success":
                result.update({"action": "update", "duplicate_field": match_field})
                _remember(indexes, module.records[match_id])
            results.append(result)
    return json_reply({"data": results}, _batch_status(results, 200))


def _find_match(
    module: CrmModule, item: Any, keys: list[str], indexes: dict[str, dict[str, str]]
) -> tuple[str | None, str | None]:
    """The record an upsert item matches: by id, else by the first duplicate-check field whose
    value a record already has (trimmed, case-insensitive; the oldest record wins). `indexes`
    lives for one request: value → id per field, built on first use."""
    if not isinstance(item, dict):
        return None, None
    if item.get("id") and str(item["id"]) in module.records:
        return str(item["id"]), "id"
    for key in keys:
        wanted = unique_key(item.get(key))
        if wanted is None:
            continue
        index = indexes.get(key)
        if index is None:
            index = {}
            for record in module.records.values():
                value = unique_key(record.get(key))
                if value is not None:
                    index.setdefault(value, record["id"])
            indexes[key] = index
        found = index.get(wanted)
        if found is not None and unique_key(module.records.get(found, {}).get(key)) == wanted:
            return found, key
        if found is not None:  # the value moved in this request: look again the slow way
            for record in module.records.values():
                if unique_key(record.get(key)) == wanted:
                    return record["id"], key
    return None, None


def _remember(indexes: dict[str, dict[str, str]], record: Record) -> None:
    """Let later items of the same upsert find a record this one wrote."""
    for key, index in indexes.items():
        value = unique_key(record.get(key))
        if value is not None:
            index.setdefault(value, record["id"])


def _delete_many(sandbox: Sandbox, module: CrmModule, ids: list[str]) -> list[Record]:
    results: list[Record] = []
    for record_id in ids:
        if record_id not in module.records:
            results.append(
                {
                    "code": "INVALID_DATA",
                    "details": {"id": record_id},
                    "message": "the id given seems to be invalid",
                    "status": "error",
                }
            )
            continue
        delete(sandbox, module, record_id)
        results.append(
            {
                "code": "SUCCESS",
                "details": {"id": record_id},
                "message": "record deleted",
                "status": "success",
            }
        )
    return results


async def delete_records(request: Request) -> Response:
    """DELETE /crm/v8/{module}?ids=a,b (at most 100)."""
    sandbox = sandbox_of(request)
    module = crm_module(request, "DELETE")
    raw = request.query_params.get("ids", "")
    ids = [part.strip() for part in raw.split(",") if part.strip()]
    if not ids:
        raise required_param("ids")
    if len(ids) > 100:
        raise crm_error(
            400, "LIMIT_EXCEEDED", "Cannot process more than 100 records at a time.", {"limit": 100}
        )
    results = _delete_many(sandbox, module, ids)
    return json_reply({"data": results}, _batch_status(results, 200))


async def delete_record(request: Request) -> Response:
    """DELETE /crm/v8/{module}/{id}."""
    sandbox = sandbox_of(request)
    module = crm_module(request, "DELETE")
    results = _delete_many(sandbox, module, [path_record_id(request)])
    return json_reply({"data": results}, _batch_status(results, 200))
