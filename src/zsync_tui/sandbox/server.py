"""Serving the sandbox over loopback with uvicorn: in a daemon thread, or in the foreground."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from types import TracebackType
from typing import Any

import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

try:  # httptools parses HTTP in C: a fraction of h11's cost per request
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol as FastProtocol
except ImportError:  # pragma: no cover - httptools is a dependency; h11 still works
    FastProtocol = H11Protocol  # type: ignore[assignment,misc]

from zsync_tui.sandbox.app import create_app
from zsync_tui.sandbox.connections import CoalescingTransport, ConnectionTracker
from zsync_tui.sandbox.options import SandboxOptions
from zsync_tui.sandbox.state import Sandbox

START_TIMEOUT_S = 10.0


class SandboxStartError(RuntimeError):
    """The server did not come up (port taken, bad host); the message says which."""


def tracked_protocol(
    tracker: ConnectionTracker, base: type[Any] = FastProtocol
) -> type[asyncio.Protocol]:
    """uvicorn's HTTP protocol (`base`), reporting each connection so faults can cut one."""

    class TrackedProtocol(base):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            coalescing = CoalescingTransport(transport)
            super().connection_made(coalescing)
            tracker.opened(self.client, coalescing)

        def connection_lost(self, exc: Exception | None) -> None:
            tracker.closed(self.client)
            super().connection_lost(exc)

    return TrackedProtocol


def make_server(sandbox: Sandbox, host: str, port: int) -> uvicorn.Server:
    """A uvicorn server for `sandbox` (not started)."""
    config = uvicorn.Config(
        create_app(sandbox=sandbox),
        host=host,
        port=port,
        http=tracked_protocol(sandbox.connections),
        lifespan="off",
        log_level="warning",
        access_log=False,
        # Clients reach the sandbox directly: no proxy headers to trust, none to parse.
        proxy_headers=False,
        timeout_keep_alive=30,
    )
    return uvicorn.Server(config)


def bound_port(server: uvicorn.Server) -> int:
    """The port the server listens on (useful with port 0)."""
    for listener in server.servers:
        for sock in listener.sockets:
            return int(sock.getsockname()[1])
    raise SandboxStartError("the server has no listening socket")


def url_for(host: str, port: int) -> str:
    """The base URL clients use; IPv6 literals get brackets."""
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}"


class RunningSandbox:
    """A sandbox served by uvicorn on loopback in a daemon thread; a context manager."""

    def __init__(
        self,
        options: SandboxOptions,
        host: str = "127.0.0.1",
        port: int = 0,
        settle_heap: bool = False,
    ) -> None:
        self.sandbox = Sandbox(options)
        self.sandbox.world.build_indexes()
        self.sandbox.settle_heap = settle_heap
        self.sandbox.settle()
        self.options = options
        self._server = make_server(self.sandbox, host, port)
        self._host = host
        self._thread = threading.Thread(target=self._serve, name="zsync-sandbox", daemon=True)
        self._error: BaseException | None = None
        self.url = ""

    def _serve(self) -> None:
        try:
            self._server.run()
        except BaseException as exc:  # noqa: BLE001 - reported to the starting thread
            self._error = exc

    def start(self) -> RunningSandbox:
        """Start serving; returns once the port is bound."""
        logging.getLogger("uvicorn.error").setLevel(logging.WARNING)
        self._thread.start()
        deadline = time.monotonic() + START_TIMEOUT_S
        while not self._server.started:
            if self._error is not None or not self._thread.is_alive():
                raise SandboxStartError(
                    f"the sandbox could not start: {self._error or 'server exited'}"
                )
            if time.monotonic() > deadline:
                raise SandboxStartError("the sandbox did not start within 10 s")
            time.sleep(0.002)
        self.url = url_for(self._host, bound_port(self._server))
        self.sandbox.base_url = self.url
        return self

    @property
    def credentials(self) -> dict[str, str]:
        """`url`, `accounts_url`, `api_domain`, `client_id`, `client_secret`, `refresh_token`,
        `billing_organization_id`: what a client needs to connect."""
        return self.sandbox.credentials

    @property
    def admin_url(self) -> str:
        """The base of the `/_sandbox/` admin endpoints."""
        return self.url + "/_sandbox"

    def stop(self) -> None:
        """Stop serving and wait for the thread (idempotent)."""
        self._server.should_exit = True
        # Keep-alive connections would hold a graceful shutdown open; the sandbox owes no one.
        self._server.force_exit = True
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def __enter__(self) -> RunningSandbox:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def run_in_thread(
    options: SandboxOptions | None = None,
    host: str = "127.0.0.1",
    port: int = 0,
    settle_heap: bool = False,
    **overrides: Any,
) -> RunningSandbox:
    """Start a sandbox on `host:port` (0: an ephemeral port) in a daemon thread.

    `settle_heap` freezes the world out of the garbage collector's rounds (`Sandbox.settle`):
    for a process that serves one sandbox, as `zsync sandbox serve` does."""
    if options is None:
        options = SandboxOptions(**overrides)
    return RunningSandbox(options, host, port, settle_heap).start()
