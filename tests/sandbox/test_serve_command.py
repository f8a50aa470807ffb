"""`zsync sandbox serve` as a user runs it: a real process, one JSON line, then real HTTP."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

KEYS = {
    "url",
    "accounts_url",
    "api_domain",
    "client_id",
    "client_secret",
    "refresh_token",
    "billing_organization_id",
}


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], dict[str, str], Path]]:
    state = tmp_path / "state.json"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "zsync_tui",
            "sandbox",
            "serve",
            "--seed",
            "5",
            "--accounts",
            "2100",
            "--contacts",
            "10",
            "--deals",
            "5",
            "--customers",
            "5",
            "--crm-credits-per-day",
            "14",
            "--billing-calls-per-minute",
            "3",
            "--state",
            str(state),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    try:
        yield process, json.loads(line), state
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)


def test_serve_prints_one_json_line_and_answers(serve) -> None:
    process, creds, state = serve
    assert set(creds) == KEYS
    assert creds["url"].startswith("http://127.0.0.1:")
    with httpx.Client(timeout=10) as http:
        token = http.post(
            f"{creds['accounts_url']}/oauth/v2/token",
            data={
                "grant_type": "refresh_token",
                "client_id": creds["client_id"],
                "client_secret": creds["client_secret"],
                "refresh_token": creds["refresh_token"],
            },
        ).json()["access_token"]
        auth = {"Authorization": f"Zoho-oauthtoken {token}"}
        seen: set[str] = set()
        params = {"fields": "Account_Name", "per_page": 200}
        pages = 0
        while True:
            body = http.get(
                f"{creds['api_domain']}/crm/v8/Accounts", params=params, headers=auth
            ).json()
            pages += 1
            seen |= {r["id"] for r in body["data"]}
            if not body["info"]["more_records"]:
                break
            params = {
                "fields": "Account_Name",
                "per_page": 200,
                "page_token": body["info"]["next_page_token"],
            }
        assert len(seen) == 2100 and pages == 11
        billing = {
            **auth,
            "X-com-zoho-subscriptions-organizationid": creds["billing_organization_id"],
        }
        created = http.post(
            f"{creds['api_domain']}/billing/v1/customers",
            json={"display_name": "Served Ltd", "email": "s@example.org"},
            headers=billing,
        )
        assert created.status_code == 201 and created.json()["code"] == 0
        statuses = [
            http.get(f"{creds['api_domain']}/crm/v8/org", headers=auth).status_code
            for _ in range(4)
        ]
        assert statuses == [200, 200, 200, 429]
        assert [
            http.get(f"{creds['api_domain']}/billing/v1/customers", headers=billing).status_code
            for _ in range(3)
        ] == [200, 200, 429]
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=10) == 0
    assert "Served Ltd" in state.read_text(encoding="utf-8")
    assert process.stdout is not None and process.stdout.read() == ""


def test_bad_fault_spec_is_refused_with_the_reason() -> None:
    from click.testing import CliRunner

    from zsync_tui.cli import main

    done = CliRunner().invoke(main, ["sandbox", "serve", "--faults", "429=2"])
    assert done.exit_code == 2
    assert "probability" in done.output


def test_serve_help_lists_every_flag_of_the_issue() -> None:
    from click.testing import CliRunner

    from zsync_tui.cli import main

    done = CliRunner().invoke(main, ["sandbox", "serve", "--help"])
    assert done.exit_code == 0
    for flag in (
        "--host",
        "--port",
        "--seed",
        "--accounts",
        "--contacts",
        "--deals",
        "--customers",
        "--duplicates",
        "--latency-ms",
        "--faults",
        "--crm-edition",
        "--billing-calls-per-minute",
        "--state",
    ):
        assert flag in done.output


def test_port_in_use_is_a_clear_error() -> None:
    import socket

    from click.testing import CliRunner

    from zsync_tui.cli import main

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = CliRunner().invoke(main, ["sandbox", "serve", "--port", str(port)])
    assert done.exit_code == 1
    assert "could not start" in done.output and "another --port" in done.output
