"""Which TCP connection a request came on, so a fault can cut exactly that one."""

from __future__ import annotations

import asyncio
import threading
from typing import Any


class CoalescingTransport:
    """A connection's transport that can hold a reply's writes and send them as one.

    uvicorn writes a reply's status line and headers, then its body, as two writes; on
    loopback the first wakes the client for a few hundred bytes and the second wakes it
    again, and the context switches in between cost more than writing the page. While
    `hold` is in force the writes are kept; `release` sends them in one write. Everything
    else is the wrapped transport's."""

    def __init__(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not `asyncio.Transport` subclasses, but write like one.
        self.transport: Any = transport
        self._held: list[bytes] | None = None

    def hold(self) -> None:
        """Keep writes until `release`."""
        if self._held is None:
            self._held = []

    def release(self) -> None:
        """Send what was kept, in one write; later writes go straight through."""
        held, self._held = self._held, None
        if held and not self.transport.is_closing():
            self.transport.write(b"".join(held))

    def write(self, data: bytes | bytearray | memoryview) -> None:
        """Write now, or keep it while held."""
        if self._held is None:
            self.transport.write(data)
        else:
            self._held.append(bytes(data))

    def abort(self) -> None:
        """Cut the connection; anything held is dropped with it."""
        self._held = None
        self.transport.abort()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.transport, name)


class ConnectionTracker:
    """Open transports by client address; counts connections accepted."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._open: dict[tuple[str, int], CoalescingTransport] = {}
        self.accepted = 0

    def opened(self, client: Any, transport: CoalescingTransport) -> None:
        """A connection was accepted."""
        with self._lock:
            self.accepted += 1
            if client:
                self._open[tuple(client)] = transport

    def closed(self, client: Any) -> None:
        """A connection went away."""
        with self._lock:
            if client:
                self._open.pop(tuple(client), None)

    def transport_for(self, client: Any) -> CoalescingTransport | None:
        """The transport of the connection a request came on (None in process)."""
        if not client:
            return None
        with self._lock:
            return self._open.get((client[0], client[1]))
