"""The ASGI layer in front of the routes: stats, authentication, budgets and faults.

Order per API request: count it; add latency; maybe inject a random 429/5xx or a malformed
body (no handler runs); check the token; admit it against budgets; run the handler; maybe drop
the connection after a write was applied; maybe trickle the reply out slowly."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from zsync_tui.sandbox.connections import CoalescingTransport
from zsync_tui.sandbox.responses import (
    BILLING_INTERNAL,
    BILLING_NOT_AUTHORIZED,
    BILLING_TOO_MANY_PER_DAY,
    BILLING_TOO_MANY_PER_MINUTE,
    JSON_TYPE,
    crm_error_body,
    dumps,
)
from zsync_tui.sandbox.state import Sandbox

HTML_PAGE = (
    b"<!DOCTYPE html><html><head><title>Zoho</title></head><body><h1>We'll be back soon</h1>"
    b"<p>Our service is temporarily unavailable. Please try again later.</p></body></html>"
)
GATEWAY_PAGE = (
    b"<html><head><title>%d</title></head><body><center><h1>%d %s</h1></center></body></html>"
)
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
HEAVY_PATHS = ("/crm/v8/coql",)
#: How much of an injected delay is waited by yielding rather than on a timer (see `_delay`).
TIMER_SLACK_S = 0.001


class ConnectionDropped(Exception):
    """Raised in process when a fault drops the connection after a write was applied."""


def _family(path: str) -> str:
    if path.startswith("/crm/"):
        return "crm"
    if path.startswith("/billing/"):
        return "billing"
    return ""


def _template(scope: Scope) -> str:
    path: str = scope["path"]
    params: dict[str, Any] = scope.get("path_params") or {}
    for name, value in params.items():
        if name == "module":
            continue
        path = path.replace(f"/{value}", "/{" + name + "}", 1)
    return path


class SandboxPipeline:
    """Wraps the router; one instance per sandbox app."""

    def __init__(self, app: ASGIApp, sandbox: Sandbox) -> None:
        self.app = app
        self.sandbox = sandbox

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        family = _family(scope["path"])
        status_box = [0]

        async def counting_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_box[0] = message["status"]
            await send(message)

        started = time.perf_counter()
        try:
            if family:
                await self._api(scope, receive, counting_send, family)
            else:
                await self.app(scope, receive, counting_send)
        finally:
            stats = self.sandbox.stats
            if family:
                stats.add_api_time(time.perf_counter() - started)
            if not scope["path"].startswith("/_sandbox/"):
                key = (scope["method"], _template(scope), status_box[0])
                stats.requests[key] += 1

    async def _reply(
        self,
        send: Send,
        status: int,
        body: bytes,
        content_type: str = JSON_TYPE,
        headers: list[tuple[bytes, bytes]] | None = None,
    ) -> None:
        raw_headers = [
            (b"content-type", content_type.encode()),
            (b"content-length", str(len(body)).encode()),
        ]
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": raw_headers + (headers or []),
            }
        )
        await send({"type": "http.response.body", "body": body})

    async def _api(self, scope: Scope, receive: Receive, send: Send, family: str) -> None:
        sandbox = self.sandbox
        if await self._random_fault(scope, send, family):
            return
        now = sandbox.now()
        authorization = next(
            (v.decode("latin-1") for k, v in scope["headers"] if k.lower() == b"authorization"),
            None,
        )
        token = sandbox.tokens.check(authorization, now)
        if not token or isinstance(token, str):
            await self._unauthorized(send, family, missing=token == "missing")
            return
        scope["zsync.token"] = token
        if family == "billing":
            refused = sandbox.budgets.billing_admit(now)
            if refused:
                sandbox.stats.throttled[f"billing_{refused}"] += 1
                code = BILLING_TOO_MANY_PER_DAY if refused == "day" else BILLING_TOO_MANY_PER_MINUTE
                message = (
                    "You have reached the maximum number of API calls allowed per day."
                    if refused == "day"
                    else "You have made too many requests. Please try again after some time."
                )
                await self._reply(send, 429, dumps({"code": code, "message": message}))
                return
            await self._handle(scope, receive, send, [])
            return
        heavy = scope["path"] in HEAVY_PATHS
        refused = sandbox.budgets.crm_admit(now, heavy)
        if refused:
            sandbox.stats.throttled[f"crm_{refused}"] += 1
            message = (
                "You have exceeded the API credits allowed for the day (rolling 24 hours)."
                if refused == "credits"
                else "You have exceeded the concurrency limit of your edition."
            )
            extra = []
            if refused == "credits":
                extra.append((b"x-api-credits-remaining", b"0"))
            await self._reply(
                send, 429, dumps(crm_error_body("TOO_MANY_REQUESTS", message, {})), headers=extra
            )
            return
        try:
            await self._handle(scope, receive, send, [], crm=True)
        finally:
            sandbox.budgets.crm_release(heavy)

    async def _handle(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        extra: list[tuple[bytes, bytes]],
        crm: bool = False,
    ) -> None:
        """Run the route, buffering the reply so faults and headers can be applied to it."""
        sandbox = self.sandbox
        faults = sandbox.faults
        rng = sandbox.fault_rng
        if faults.latency_ms or faults.jitter_ms:
            # Inside admission: a slow answer holds its CRM concurrency slot, as on Zoho.
            jitter = rng.uniform(0, faults.jitter_ms) if faults.jitter_ms else 0.0
            await self._delay((faults.latency_ms + jitter) / 1000.0)
        start: dict[str, Any] = {}
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, capture)
        body = b"".join(chunks)
        status = int(start.get("status", 500))
        headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
        if crm:
            now = sandbox.now()
            sandbox.budgets.crm_charge(now, int(scope.get("zsync.credits", 1)))
            remaining = sandbox.budgets.crm_header(now)
            if remaining is not None:
                headers.append((b"x-api-credits-remaining", remaining.encode()))
        is_write = scope["method"] in WRITE_METHODS
        if (
            is_write
            and status < 400
            and faults.commit_then_drop
            and rng.random() < faults.commit_then_drop
        ):
            sandbox.stats.faults["commit_then_drop"] += 1
            await self._drop(scope)
            return
        if not is_write and status == 200 and faults.truncated and rng.random() < faults.truncated:
            sandbox.stats.faults["truncated"] += 1
            body = body[: max(1, len(body) // 2)]
        headers.append((b"content-length", str(len(body)).encode()))
        # The status line and headers leave with the (first part of the) body, in one write.
        transport = sandbox.connections.transport_for(scope.get("client"))
        if transport is not None:
            transport.hold()
        try:
            await send(
                {"type": "http.response.start", "status": status, "headers": headers + extra}
            )
            if body and faults.trickle and rng.random() < faults.trickle:
                sandbox.stats.faults["trickle"] += 1
                await self._trickle(send, body, transport)
                return
            await send({"type": "http.response.body", "body": body})
        finally:
            if transport is not None:
                transport.release()
            if sandbox.read_ahead.planned:
                # After the reply has left, and after uvicorn's own bookkeeping for it.
                asyncio.get_running_loop().call_soon(sandbox.read_ahead.run_planned)

    async def _trickle(
        self, send: Send, body: bytes, transport: CoalescingTransport | None
    ) -> None:
        faults = self.sandbox.faults
        step = max(1, faults.trickle_chunk)
        for offset in range(0, len(body), step):
            await send(
                {
                    "type": "http.response.body",
                    "body": body[offset : offset + step],
                    "more_body": offset + step < len(body),
                }
            )
            if transport is not None:
                transport.release()
            await asyncio.sleep(faults.trickle_delay_ms / 1000.0)

    async def _delay(self, seconds: float) -> None:
        """Wait `seconds`, never less, on top of the call's own work; count what was waited.

        A timer fires late (0.2 ms on a quiet machine, several on a busy one) and uvloop's may
        fire early, as it counts whole milliseconds. So the timer is set `TIMER_SLACK_S` short
        and the rest is waited by yielding to the loop (other requests still run) until the
        deadline: the delay is what was asked, not what the timer happened to give.
        """
        started = time.perf_counter()
        deadline = started + seconds
        if seconds > TIMER_SLACK_S:
            await asyncio.sleep(seconds - TIMER_SLACK_S)
        while time.perf_counter() < deadline:
            await asyncio.sleep(0)
        self.sandbox.stats.add_latency(seconds, time.perf_counter() - started)

    async def _drop(self, scope: Scope) -> None:
        faults = self.sandbox.faults
        if faults.drop_mode == "stall":
            await asyncio.sleep(faults.stall_s)
        transport = self.sandbox.connections.transport_for(scope.get("client"))
        if transport is not None:
            transport.abort()
            return
        raise ConnectionDropped("the sandbox dropped the connection after applying the write")

    async def _random_fault(self, scope: Scope, send: Send, family: str) -> bool:
        faults = self.sandbox.faults
        rng = self.sandbox.fault_rng
        stats = self.sandbox.stats
        for status, probability in (
            (429, faults.p429),
            (500, faults.p500),
            (502, faults.p502),
            (503, faults.p503),
        ):
            if probability and rng.random() < probability:
                stats.faults[f"http_{status}"] += 1
                if status in (502, 503):
                    reason = "Bad Gateway" if status == 502 else "Service Unavailable"
                    await self._reply(
                        send, status, GATEWAY_PAGE % (status, status, reason.encode()), "text/html"
                    )
                elif family == "crm":
                    crm_code = "TOO_MANY_REQUESTS" if status == 429 else "INTERNAL_ERROR"
                    message = "too many requests" if status == 429 else "Internal Server Error"
                    await self._reply(send, status, dumps(crm_error_body(crm_code, message, {})))
                else:
                    code = BILLING_TOO_MANY_PER_MINUTE if status == 429 else BILLING_INTERNAL
                    message = (
                        "You have made too many requests." if status == 429 else "Internal error"
                    )
                    await self._reply(send, status, dumps({"code": code, "message": message}))
                return True
        if scope["method"] == "GET" and faults.html and rng.random() < faults.html:
            stats.faults["html"] += 1
            await self._reply(send, 200, HTML_PAGE, "text/html;charset=UTF-8")
            return True
        return False

    async def _unauthorized(self, send: Send, family: str, missing: bool) -> None:
        if family == "crm":
            body = (
                crm_error_body("AUTHENTICATION_FAILURE", "Authentication failed", {})
                if missing
                else crm_error_body("INVALID_TOKEN", "invalid oauth token", {})
            )
        else:
            body = {
                "code": BILLING_NOT_AUTHORIZED,
                "message": "You are not authorized to perform this operation",
            }
        await self._reply(send, 401, dumps(body))
