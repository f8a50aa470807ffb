"""`zsync demo`: the TUI against a seeded sandbox on a loopback port, nothing to set up.

The sandbox plays Zoho on 127.0.0.1 (an ephemeral port); the Connect step comes pre-filled
with its credentials. The demo's secrets live in this process's memory only (a keyring backend
that forgets on exit), so a demo never writes to the real keyring, and its files go to a
throwaway directory unless `--data-dir` is given.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import click
import keyring
import keyring.backend
import keyring.errors

from zsync_tui.runtime import Runtime

if TYPE_CHECKING:
    from zsync_tui.setup_flow import ConnectionForm

DEMO_PROFILE = "demo"


class ProcessMemoryKeyring(keyring.backend.KeyringBackend):
    """Keeps the demo's secrets in this process's memory; they are gone when it exits."""

    priority = 0  # never chosen by keyring on its own

    def __init__(self) -> None:
        super().__init__()
        self._entries: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self._entries.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self._entries[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self._entries.pop((service, username), None) is None:
            raise keyring.errors.PasswordDeleteError(username)


def demo_prefill(credentials: Mapping[str, str]) -> ConnectionForm:
    """The Connect step's fields filled from the sandbox's credentials."""
    from zsync_tui.setup_flow import ConnectionForm

    return ConnectionForm(
        data_centre="custom",
        accounts_url=credentials["accounts_url"],
        api_domain=credentials["api_domain"],
        client_id=credentials["client_id"],
        client_secret=credentials["client_secret"],
        token_kind="refresh_token",
        token=credentials["refresh_token"],
    )


@contextmanager
def demo_home(data_dir: str | None) -> Iterator[Path]:
    """`--data-dir` when given (kept), else a temporary directory removed on exit."""
    if data_dir:
        yield Path(data_dir).expanduser().resolve()
        return
    with tempfile.TemporaryDirectory(prefix="zsync-demo-") as root:
        yield Path(root)


@click.command("demo")
@click.option(
    "--data-dir",
    "demo_dir",
    type=click.Path(file_okay=False),
    default=None,
    help="Keep the demo's files here (default: a throwaway directory, removed on exit).",
)
@click.option("--seed", type=int, default=7, show_default=True, help="Seed of the demo data.")
@click.option("--accounts", type=int, default=40, show_default=True, help="CRM Accounts.")
@click.option("--contacts", type=int, default=80, show_default=True, help="CRM Contacts.")
@click.option("--customers", type=int, default=25, show_default=True, help="Billing customers.")
@click.option("--duplicates", type=int, default=8, show_default=True, help="Planted duplicates.")
@click.option("--deals", type=int, default=20, show_default=True, help="CRM Deals.")
def demo(
    demo_dir: str | None,
    seed: int,
    accounts: int,
    contacts: int,
    customers: int,
    duplicates: int,
    deals: int,
) -> None:
    """Open the TUI on a seeded Zoho sandbox (loopback only, throwaway data)."""
    from zsync_tui.app import make_app
    from zsync_tui.sandbox.options import SandboxOptions
    from zsync_tui.sandbox.server import run_in_thread
    from zsync_tui.setup_services import ServiceBackend

    options = SandboxOptions(
        seed=seed,
        accounts=accounts,
        contacts=contacts,
        customers=customers,
        duplicates=duplicates,
        deals=deals,
    )
    keyring.set_keyring(ProcessMemoryKeyring())
    with demo_home(demo_dir) as home, run_in_thread(options) as sandbox:
        runtime = Runtime.start(str(home), DEMO_PROFILE)
        backend = ServiceBackend(runtime, prefill=demo_prefill(sandbox.credentials))
        make_app(runtime, backend).run()
