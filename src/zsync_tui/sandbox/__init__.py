"""A faithful emulator of Zoho Accounts, CRM v8 and Billing v1; the other side of the wire.

Public API (keep these names stable; other parts of the project build on them):

- `SandboxOptions`: what the world is made of (seed, sizes, edition, budgets, faults, ...).
- `create_app(options) -> Starlette`: the ASGI app, for in-process use (httpx.ASGITransport).
- `run_in_thread(options, host="127.0.0.1", port=0) -> RunningSandbox`: uvicorn on loopback in
  a daemon thread; `.url`, `.credentials`, `.admin_url`, `.stop()`, usable as a context manager.

Nothing here imports the rest of zsync_tui: the sandbox is the other side of the wire."""

from zsync_tui.sandbox.app import create_app
from zsync_tui.sandbox.options import FaultSettings, OptionsError, SandboxOptions, parse_fault_spec
from zsync_tui.sandbox.server import RunningSandbox, SandboxStartError, run_in_thread
from zsync_tui.sandbox.state import Sandbox

__all__ = [
    "FaultSettings",
    "OptionsError",
    "RunningSandbox",
    "Sandbox",
    "SandboxOptions",
    "SandboxStartError",
    "create_app",
    "parse_fault_spec",
    "run_in_thread",
]
