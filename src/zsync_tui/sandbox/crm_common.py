"""What every CRM handler needs: the module, the scope check, parameters and bodies."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from zsync_tui.sandbox.catalog import EXTRA_READABLE, FIELD_INDEX
from zsync_tui.sandbox.clock import to_crm_time
from zsync_tui.sandbox.oauth import AccessToken, has_scope
from zsync_tui.sandbox.responses import (
    ApiError,
    crm_error,
    invalid_param,
    loads,
    required_param,
)
from zsync_tui.sandbox.state import Sandbox
from zsync_tui.sandbox.world import CRM_MODULES, CrmModule, Record

MAX_FIELDS = 50
MAX_PER_PAGE = 200
_MODULE_NAMES = {name.lower(): name for name in CRM_MODULES}


def sandbox_of(request: Request) -> Sandbox:
    """The sandbox serving this request."""
    sandbox: Sandbox = request.app.state.sandbox
    return sandbox


def token_of(request: Request) -> AccessToken:
    """The access token the middleware checked for this request."""
    token: AccessToken = request.scope["zsync.token"]
    return token


def require_scope(request: Request, scope: str) -> None:
    """Refuse with OAUTH_SCOPE_MISMATCH unless the token carries `scope` (or a wider one)."""
    if not has_scope(token_of(request), scope):
        raise crm_error(401, "OAUTH_SCOPE_MISMATCH", "invalid oauth scope to access this URL", {})


def set_credits(request: Request, credits: int) -> None:
    """Tell the middleware what this call costs (default 1)."""
    request.scope["zsync.credits"] = max(1, credits)


def module_named(sandbox: Sandbox, name: str) -> CrmModule:
    """The module for a URL segment; INVALID_MODULE when the sandbox does not serve it."""
    canonical = _MODULE_NAMES.get(name.lower())
    if canonical is None:
        raise crm_error(400, "INVALID_MODULE", "the module name given seems to be invalid", {})
    return sandbox.world.crm[canonical]


def crm_module(request: Request, operation: str) -> CrmModule:
    """The path's module, after checking the token may do `operation` (READ, CREATE, ...) on it."""
    module = module_named(sandbox_of(request), request.path_params["module"])
    require_scope(request, f"ZohoCRM.modules.{module.name.lower()}.{operation}")
    return module


@lru_cache(maxsize=16)
def known_fields(module: str) -> frozenset[str]:
    """Field API names a client may ask for in `module`."""
    return frozenset(FIELD_INDEX[module]) | EXTRA_READABLE


def parse_fields(raw: str | None, module: str, required: bool) -> list[str] | None:
    """The `fields` parameter: mandatory for lists, at most 50 known API names."""
    if raw is None or not raw.strip():
        if required:
            raise required_param("fields")
        return None
    names = [name.strip() for name in raw.split(",") if name.strip()]
    if len(names) > MAX_FIELDS:
        raise crm_error(
            400, "LIMIT_EXCEEDED", "fields limit exceeded", {"param": "fields", "limit": MAX_FIELDS}
        )
    allowed = known_fields(module)
    for name in names:
        if name not in allowed:
            raise crm_error(
                400, "INVALID_DATA", "invalid data", {"param": "fields", "api_name": name}
            )
    return names


def int_param(request: Request, name: str, default: int, low: int, high: int) -> int:
    """An integer query parameter within bounds, else INVALID_DATA naming it."""
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise invalid_param(name) from None
    if not low <= value <= high:
        raise invalid_param(name, f"{name} must be between {low} and {high}")
    return value


def project(record: Record, fields: list[str] | None) -> Record:
    """The record as the API returns it: `id` plus the asked fields (null when unset)."""
    return projector(fields)(record)


def projector(fields: list[str] | None) -> Callable[[Record], Record]:
    """`project` for many records with the same fields (the names are prepared once)."""
    if fields is None:
        return dict
    names = [name for name in fields if name != "id"]

    def one(record: Record) -> Record:
        out: Record = {"id": record["id"]}
        get = record.get
        for name in names:
            out[name] = get(name)
        return out

    return one


async def json_body(request: Request) -> dict[str, Any]:
    """The request's JSON object; INVALID_DATA when it is not one."""
    raw = await request.body()
    try:
        body = loads(raw) if raw else None
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise crm_error(400, "INVALID_DATA", "the body is not a JSON object", {"param": "body"})
    return body


def data_list(body: dict[str, Any], limit: int = 100) -> list[Any]:
    """The body's `data` array: present, not empty, at most `limit` entries."""
    data = body.get("data")
    if not isinstance(data, list) or not data:
        raise ApiError(
            400,
            {
                "code": "REQUIRED_PARAM_MISSING",
                "details": {"param": "data"},
                "message": "One of the expected parameter is missing",
                "status": "error",
            },
        )
    if len(data) > limit:
        raise crm_error(
            400,
            "LIMIT_EXCEEDED",
            f"Cannot process more than {limit} records at a time.",
            {"limit": limit},
        )
    return data


NO_CONTENT = 204
NOT_MODIFIED = 304


def modified_since(request: Request) -> str:
    """`If-Modified-Since` as a CRM timestamp string ("" without one); INVALID_DATA if bad."""
    raw = request.headers.get("if-modified-since")
    if not raw:
        return ""
    try:
        return to_crm_time(raw)
    except ValueError:
        raise crm_error(
            400,
            "INVALID_DATA",
            "If-Modified-Since is not an ISO 8601 date-time",
            {"header": "If-Modified-Since"},
        ) from None


def empty_reply(modified_after: str) -> Response:
    """Nothing to list: 304 when asked If-Modified-Since, else 204 (both without a body)."""
    return Response(status_code=NOT_MODIFIED if modified_after else NO_CONTENT)


def path_record_id(request: Request) -> str:
    """The `{record_id}` of the path; INVALID_DATA unless it is all digits."""
    record_id = request.path_params["record_id"]
    if not record_id.isdigit():
        raise crm_error(400, "INVALID_DATA", "the id given seems to be invalid", {"param": "id"})
    return str(record_id)


def numbered_page(items: list[Any], page: int, per_page: int) -> tuple[list[Any], dict[str, Any]]:
    """One `page` of `items` and its `info` (for the lists that page by number only)."""
    start = (page - 1) * per_page
    chunk = items[start : start + per_page]
    info = {
        "per_page": per_page,
        "count": len(chunk),
        "page": page,
        "more_records": start + per_page < len(items),
    }
    return chunk, info
