"""Reply bodies in Zoho's shapes: CRM `API_Exception`, Billing `{code, message}`, JSON fast."""

from __future__ import annotations

import json
from typing import Any

from starlette.responses import Response

try:
    import orjson
except ImportError:  # pragma: no cover - orjson is a dependency; stdlib json still works
    orjson = None  # type: ignore[assignment]

JSON_TYPE = "application/json;charset=UTF-8"


class ApiError(Exception):
    """Raised by a handler to answer with an error body; the app turns it into a reply."""

    def __init__(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None):
        super().__init__(body.get("message", ""))
        self.status = status
        self.body = body
        self.headers = headers or {}


def dumps(payload: Any) -> bytes:
    """Compact UTF-8 JSON (non-ASCII kept as is, as Zoho sends it); orjson when present, as
    encoding list pages is most of the sandbox's own work."""
    if orjson is not None:
        return orjson.dumps(payload)
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def loads(raw: bytes) -> Any:
    """Parse a request body; ValueError when it is not JSON."""
    if orjson is not None:
        return orjson.loads(raw)
    return json.loads(raw)


def json_reply(payload: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """A JSON response with Zoho's content type."""
    return Response(dumps(payload), status_code=status, media_type=JSON_TYPE, headers=headers)


def crm_error_body(
    code: str, message: str, details: dict[str, Any] | None = None
) -> dict[str, Any]:
    """CRM's error object: `{"code","details","message","status":"error"}`."""
    return {"code": code, "details": details or {}, "message": message, "status": "error"}


def crm_error(
    status: int, code: str, message: str, details: dict[str, Any] | None = None
) -> ApiError:
    """A CRM error to raise from a handler."""
    return ApiError(status, crm_error_body(code, message, details))


def billing_error(status: int, code: int, message: str) -> ApiError:
    """A Billing error to raise from a handler: `{"code": <non-zero>, "message"}`."""
    return ApiError(status, {"code": code, "message": message})


def required_param(param: str) -> ApiError:
    """CRM's answer to a missing mandatory parameter."""
    return crm_error(
        400, "REQUIRED_PARAM_MISSING", "One of the expected parameter is missing", {"param": param}
    )


def invalid_param(param: str, message: str = "invalid data") -> ApiError:
    """CRM's answer to a parameter with a value it does not accept."""
    return crm_error(400, "INVALID_DATA", message, {"param": param})


# Billing error codes. Zoho publishes no Billing list (zoho-api.md 3.2: NOT FOUND); these follow
# the Books numbering where one is known and are otherwise our own, always non-zero.
BILLING_INVALID_VALUE = 4
BILLING_NOT_AUTHORIZED = 57
BILLING_TOO_MANY_PER_MINUTE = 44
BILLING_TOO_MANY_PER_DAY = 45
BILLING_INTERNAL = 1000
BILLING_NOT_FOUND = 1002
BILLING_ORG_MISSING = 6041
BILLING_BAD_STATUS = 4083
BILLING_CANNOT_DELETE = 1040
