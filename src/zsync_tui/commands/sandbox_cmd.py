"""`zsync sandbox serve`: the Zoho emulator on a loopback port, for the demo, tests and scripts.

Prints ONE JSON line (url, accounts_url, api_domain, client_id, client_secret, refresh_token,
billing_organization_id) on stdout once it listens, then serves until interrupted. The
credentials are generated from the seed: throwaway values that only this sandbox accepts."""

from __future__ import annotations

import json
import signal
import threading
from pathlib import Path
from types import FrameType

import click

from zsync_tui.sandbox.options import CRM_EDITIONS, OptionsError, SandboxOptions, parse_fault_spec

LOOPBACK = ("127.0.0.1", "localhost", "::1")


@click.group("sandbox")
def sandbox_group() -> None:
    """A local emulator of Zoho Accounts, CRM v8 and Billing v1 (seeded fake data)."""


@sandbox_group.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option("--port", default=0, type=click.IntRange(0, 65535), help="Port (0: any free one).")
@click.option("--seed", default=1, type=int, show_default=True, help="Same seed, same world.")
@click.option("--accounts", default=30, type=click.IntRange(0), show_default=True)
@click.option("--contacts", default=60, type=click.IntRange(0), show_default=True)
@click.option("--deals", default=20, type=click.IntRange(0), show_default=True)
@click.option("--customers", default=20, type=click.IntRange(0), show_default=True)
@click.option(
    "--duplicates",
    default=5,
    type=click.IntRange(0),
    show_default=True,
    help="Billing customers planted as exact or near copies of CRM records.",
)
@click.option(
    "--latency-ms", default=0.0, type=click.FloatRange(0), help="Added to every API call."
)
@click.option(
    "--faults",
    "fault_spec",
    default="",
    metavar="SPEC",
    help="e.g. 429=0.1,500=0.05,502=0.02,503=0.02,latency=40,jitter=20,token_ttl=60,"
    "drop=0.1,drop_mode=stall,html=0.02,truncate=0.02,trickle=0.05",
)
@click.option(
    "--crm-edition",
    default="enterprise",
    show_default=True,
    type=click.Choice(CRM_EDITIONS),
    help="Sets the CRM credit budget and concurrency.",
)
@click.option(
    "--crm-credits-per-day",
    default=None,
    type=click.IntRange(0),
    help="Override the edition's credits.",
)
@click.option("--billing-calls-per-minute", default=100, type=click.IntRange(0), show_default=True)
@click.option("--billing-calls-per-day", default=5000, type=click.IntRange(0), show_default=True)
@click.option(
    "--state",
    "state_file",
    default=None,
    type=click.Path(dir_okay=False),
    help="Load the world from FILE if it exists; save it there when stopped.",
)
def serve(
    host: str,
    port: int,
    seed: int,
    accounts: int,
    contacts: int,
    deals: int,
    customers: int,
    duplicates: int,
    latency_ms: float,
    fault_spec: str,
    crm_edition: str,
    crm_credits_per_day: int | None,
    billing_calls_per_minute: int,
    billing_calls_per_day: int,
    state_file: str | None,
) -> None:
    """Serve the sandbox; print one JSON line with the connection details; stop on Ctrl-C."""
    from zsync_tui.sandbox.server import SandboxStartError, run_in_thread
    from zsync_tui.sandbox.world import StateFileError

    try:
        faults = parse_fault_spec(fault_spec)
        options = SandboxOptions(
            seed=seed,
            accounts=accounts,
            contacts=contacts,
            deals=deals,
            customers=customers,
            duplicates=duplicates,
            latency_ms=latency_ms,
            faults=faults,
            crm_edition=crm_edition,
            crm_credits_per_day=crm_credits_per_day,
            billing_calls_per_minute=billing_calls_per_minute,
            billing_calls_per_day=billing_calls_per_day,
            state_file=state_file,
        )
    except OptionsError as exc:
        raise click.BadParameter(str(exc), param_hint="--faults") from exc
    if host not in LOOPBACK:
        click.echo(
            f"zsync sandbox: listening on {host}, not loopback: anyone who can reach it can use "
            "these throwaway credentials.",
            err=True,
        )
    try:
        running = run_in_thread(options, host=host, port=port, settle_heap=True)
    except (SandboxStartError, StateFileError, OSError) as exc:
        raise click.ClickException(
            f"{exc} (try another --port, or check --host / --state)"
        ) from exc
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    click.echo(json.dumps(running.credentials), nl=True)
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        running.stop()
        if state_file:
            running.sandbox.world.save(Path(state_file))
            click.echo(f"zsync sandbox: state saved to {state_file}", err=True)
