"""Which TCP connection a request came on, so a fault can cut exactly that one."""

from __future__ import annotations

import asyncio
import threading
from typing import Any


class ConnectionTracker:
    """Open transports by client address; counts connections accepted."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._open: dict[tuple[str, int], asyncio.BaseTransport] = {}
        self.accepted = 0

    def opened(self, client: Any, transport: asyncio.BaseTransport) -> None:
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

    def transport_for(self, client: Any) -> asyncio.BaseTransport | None:
        """The transport of the connection a request came on (None in process)."""
        if not client:
            return None
        with self._lock:
            return self._open.get((client[0], client[1]))
