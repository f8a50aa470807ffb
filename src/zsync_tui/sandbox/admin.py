"""`/_sandbox/...`: what tests and the demo use to look at and steer a running sandbox.

Not part of Zoho: no token needed, no budget spent, no fault injected, not counted."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from zsync_tui.sandbox.clock import billing_time
from zsync_tui.sandbox.crm_common import sandbox_of
from zsync_tui.sandbox.oauth import GRANT_CODE_TTL_S
from zsync_tui.sandbox.options import OptionsError
from zsync_tui.sandbox.responses import json_reply
from zsync_tui.sandbox.world import StateFileError, World


def _problem(message: str, status: int = 400) -> Response:
    return json_reply({"error": message}, status)


async def _json(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if not raw:
        return {}
    try:
        body = json.loads(raw)
    except json.JSONDecodeError:
        body = None
    if not isinstance(body, dict):
        raise OptionsError("the admin body must be a JSON object")
    return body


async def stats(request: Request) -> Response:
    """GET /_sandbox/stats: requests, credits, 429s, faults, connections."""
    sandbox = sandbox_of(request)
    report = sandbox.stats.as_dict()
    report["connections_accepted"] = sandbox.connections.accepted
    report["budgets"] = sandbox.budgets.snapshot(sandbox.now())
    report["crm_credits_used"] = report["budgets"]["crm_credits_used_total"]
    report["records"] = {name: len(m.records) for name, m in sandbox.world.crm.items()}
    report["records"]["customers"] = len(sandbox.world.customers)
    report["clock"] = {"now": sandbox.now(), "frozen": sandbox.clock.frozen}
    return json_reply(report)


async def reset(request: Request) -> Response:
    """POST /_sandbox/reset: the seeded world again, counters and usage cleared."""
    sandbox_of(request).reset()
    return json_reply({"status": "reset"})


async def faults(request: Request) -> Response:
    """GET shows, POST changes the faults (`{"p429": 0.2, "latency_ms": 50, ...}`)."""
    sandbox = sandbox_of(request)
    if request.method == "POST":
        try:
            body = await _json(request)
            sandbox.set_faults(sandbox.faults.update(body))
        except OptionsError as exc:
            return _problem(str(exc))
    return json_reply(sandbox.faults.as_dict())


async def budgets(request: Request) -> Response:
    """GET shows, POST changes the limits (`{"crm_credits_per_day": 10, ...}`)."""
    sandbox = sandbox_of(request)
    limits = sandbox.budgets.limits
    if request.method == "POST":
        try:
            body = await _json(request)
        except OptionsError as exc:
            return _problem(str(exc))
        for key, value in body.items():
            if key == "reset_usage":
                if value:
                    sandbox.budgets.reset()
                continue
            if not hasattr(limits, key) or not isinstance(value, int) or value < 0:
                return _problem(f"{key!r} is not a budget limit or not a non-negative integer")
            setattr(limits, key, value)
    return json_reply(sandbox.budgets.snapshot(sandbox.now()))


async def clock(request: Request) -> Response:
    """GET shows; POST `{"set": epoch, "advance": seconds, "freeze": bool}` moves the clock."""
    sandbox = sandbox_of(request)
    if request.method == "POST":
        try:
            body = await _json(request)
            if "set" in body:
                sandbox.clock.set(
                    float(body["set"]), frozen=bool(body.get("freeze", sandbox.clock.frozen))
                )
            if "advance" in body:
                sandbox.clock.advance(float(body["advance"]))
            if "freeze" in body and "set" not in body:
                sandbox.clock.freeze(bool(body["freeze"]))
        except (OptionsError, TypeError, ValueError) as exc:
            return _problem(f"bad clock change: {exc}")
    return json_reply({"now": sandbox.now(), "frozen": sandbox.clock.frozen})


async def _state_path(request: Request, verb: str) -> Path | Response:
    """The `path` of the body (or the `--state` file), else the problem to answer with."""
    try:
        body = await _json(request)
    except OptionsError as exc:
        return _problem(str(exc))
    path = body.get("path") or sandbox_of(request).options.state_file
    return Path(path) if path else _problem(f"give a path to {verb}")


async def save_state(request: Request) -> Response:
    """POST /_sandbox/state/save `{"path": "..."}`: write the world to a file."""
    path = await _state_path(request, "save to")
    if isinstance(path, Response):
        return path
    try:
        sandbox_of(request).world.save(path)
    except OSError as exc:
        return _problem(f"cannot write {path}: {exc.strerror}")
    return json_reply({"saved": str(path)})


async def load_state(request: Request) -> Response:
    """POST /_sandbox/state/load `{"path": "..."}`: replace the world with a saved one."""
    path = await _state_path(request, "load from")
    if isinstance(path, Response):
        return path
    sandbox = sandbox_of(request)
    try:
        sandbox.world = World.load(path)
    except StateFileError as exc:
        return _problem(str(exc))
    sandbox.settle()
    return json_reply({"loaded": str(path)})


async def grant_code(request: Request) -> Response:
    """POST /_sandbox/grant_code `{"scopes": [...], "ttl_s": 180}`: a self-client grant code."""
    sandbox = sandbox_of(request)
    try:
        body = await _json(request)
    except OptionsError as exc:
        return _problem(str(exc))
    scopes = body.get("scopes") or []
    if not isinstance(scopes, list) or not all(isinstance(s, str) for s in scopes):
        return _problem("scopes must be a list of scope names")
    ttl = float(body.get("ttl_s", GRANT_CODE_TTL_S))
    code = sandbox.tokens.mint_grant_code(tuple(scopes), sandbox.now(), ttl)
    return json_reply({"code": code, "expires_in": ttl})


async def expire_tokens(request: Request) -> Response:
    """POST /_sandbox/tokens/expire: every access token stops working now."""
    return json_reply({"expired": sandbox_of(request).tokens.expire_all()})


async def credentials(request: Request) -> Response:
    """GET /_sandbox/credentials: the serve command's JSON line again."""
    return json_reply(sandbox_of(request).credentials)


async def duplicates(request: Request) -> Response:
    """GET /_sandbox/duplicates: the planted CRM/Billing duplicate pairs (for tests and demos)."""
    return json_reply({"duplicates": sandbox_of(request).world.planted_duplicates})


async def pay_invoice(request: Request) -> Response:
    """POST /_sandbox/invoices/{invoice_id}/pay: record a full payment (Billing's payments API is
    not emulated; this stands in for a customer paying)."""
    sandbox = sandbox_of(request)
    invoice = sandbox.world.invoices.get(request.path_params["invoice_id"])
    if invoice is None:
        return _problem("no such invoice", 404)
    if invoice["status"] in ("void", "draft"):
        return _problem(f"a {invoice['status']} invoice cannot be paid")
    invoice.update({"status": "paid", "balance": 0.0, "payment_made": invoice["total"]})
    stamp = billing_time(sandbox.now())
    invoice["updated_time"] = invoice["last_modified_time"] = stamp
    return json_reply({"invoice_id": invoice["invoice_id"], "status": "paid"})
