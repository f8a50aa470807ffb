"""Zoho Accounts endpoints: `/oauth/v2/token` and `/oauth/v2/token/revoke`."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from zsync_tui.sandbox.crm_common import sandbox_of
from zsync_tui.sandbox.responses import json_reply


async def _params(request: Request) -> dict[str, str]:
    """Query string and form body together; Zoho accepts the parameters in either."""
    params = {k: v for k, v in request.query_params.items()}
    if request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        form = await request.form()
        params.update({k: v for k, v in form.items() if isinstance(v, str)})
    return params


async def token(request: Request) -> Response:
    """POST /oauth/v2/token: errors are 200 answers with an `error` key, as Zoho sends them."""
    sandbox = sandbox_of(request)
    answer = sandbox.tokens.token_request(await _params(request), sandbox.now(), sandbox.base_url)
    return json_reply(answer)


async def revoke(request: Request) -> Response:
    """POST /oauth/v2/token/revoke?token=<refresh token>."""
    sandbox = sandbox_of(request)
    params = await _params(request)
    if sandbox.tokens.revoke(params.get("token", "")):
        return json_reply({"status": "success"})
    return json_reply({"error": "invalid_token", "status": "failure"}, 400)
