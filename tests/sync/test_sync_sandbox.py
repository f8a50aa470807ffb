"""The headless path over loopback against the sandbox: connect, configure, sync twice."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from click.testing import CliRunner

from zsync_tui.cli import main

sandbox_server = pytest.importorskip("zsync_tui.sandbox.server")


@pytest.fixture
def served() -> Iterator[Any]:
    try:
        running = start_sandbox()
    except ImportError as exc:  # the sandbox app is still being assembled
        pytest.skip(f"sandbox app not complete yet: {exc}")
    try:
        yield running
    finally:
        running.stop()


def start_sandbox() -> Any:
    return sandbox_server.run_in_thread(
        accounts=12,
        contacts=10,
        deals=0,
        customers=8,
        duplicates=3,
        billing_calls_per_minute=10_000,
        billing_calls_per_day=100_000,
    )


def invoke(args: list[str], env: dict[str, str] | None = None) -> Any:
    return CliRunner().invoke(main, args, env=env, catch_exceptions=False)


def test_connect_configure_sync_then_a_second_sync_writes_nothing(served, memory_keyring):
    creds = served.credentials
    env = {
        "ZSYNC_CLIENT_SECRET": creds["client_secret"],
        "ZSYNC_REFRESH_TOKEN": creds["refresh_token"],
    }
    connected = invoke(
        [
            "connect",
            "--dc",
            "custom",
            "--accounts-url",
            creds["accounts_url"],
            "--api-domain",
            creds["api_domain"],
            "--client-id",
            creds["client_id"],
            "--billing-org",
            creds["billing_organization_id"],
        ],
        env,
    )
    assert connected.exit_code == 0, connected.output
    configured = invoke(["configure", "--defaults"])
    assert configured.exit_code == 0, configured.output
    shown = invoke(["config", "show", "--toml"])
    assert 'direction = "both_ways"' in shown.output

    plan = invoke(["sync", "--dry-run", "--json"])
    planned = json.loads(plan.stdout)
    assert planned["write_calls"] == 0 and planned["dry_run"]

    first = invoke(["sync", "--json"])
    report = json.loads(first.stdout)
    assert report["created"]["billing"] + report["created"]["crm"] > 0, report
    assert report["created"]["billing"] == planned["created"]["billing"]
    second = json.loads(invoke(["sync", "--json"]).stdout)
    assert second["write_calls"] == 0, second
    status = json.loads(invoke(["status", "--json"]).stdout)
    assert status["in_sync"] >= report["created"]["billing"]
