"""`zsync connect` and the connect service against the sandbox: what is stored, and when not."""

from __future__ import annotations

import socket
from collections.abc import Callable
from typing import Any

import pytest
from click.testing import CliRunner
from sqlmodel import select

from zsync_tui.cli import main
from zsync_tui.connection import ConnectFailed, ConnectRequest, connect, open_clients
from zsync_tui.runtime import Runtime
from zsync_tui.store.models import Profile


def _profiles(runtime: Runtime) -> list[Profile]:
    with runtime.store.read() as session:
        return list(session.exec(select(Profile)).all())


def _args(sandbox: Any, *extra: str) -> list[str]:
    creds = sandbox.credentials
    return [
        "connect",
        "--dc",
        "custom",
        "--accounts-url",
        creds["accounts_url"],
        "--api-domain",
        creds["api_domain"],
        "--client-id",
        creds["client_id"],
        *extra,
    ]


def _env(sandbox: Any, **overrides: str) -> dict[str, str]:
    creds = sandbox.credentials
    env = {
        "ZSYNC_CLIENT_SECRET": creds["client_secret"],
        "ZSYNC_REFRESH_TOKEN": creds["refresh_token"],
    }
    env.update(overrides)
    return env


def test_connect_prints_what_it_reached_and_keeps_the_secrets(
    live: Any, memory_keyring: Any, runtime: Runtime
):
    result = CliRunner().invoke(main, _args(live, "--profile", "acme"), env=_env(live))
    assert result.exit_code == 0, result.output
    creds = live.credentials
    assert "CRM: " in result.output and "edition enterprise" in result.output
    assert "base currency USD" in result.output
    assert f"(org {creds['billing_organization_id']}), currency USD" in result.output
    for secret in (creds["client_secret"], creds["refresh_token"]):
        assert secret not in result.output
    assert memory_keyring.entries[("zsync", "acme:refresh_token")] == creds["refresh_token"]
    assert memory_keyring.entries[("zsync", "acme:client_secret")] == creds["client_secret"]
    (profile,) = _profiles(runtime)
    assert (profile.name, profile.data_centre, profile.client_id) == (
        "acme",
        "custom",
        creds["client_id"],
    )
    assert profile.billing_org_id == creds["billing_organization_id"] and profile.crm_org_name
    assert profile.api_domain == creds["api_domain"] and profile.owner_email


def test_prompts_without_echo_when_the_environment_has_no_secrets(live: Any, memory_keyring: Any):
    creds = live.credentials
    typed = f"{creds['client_secret']}\n{creds['refresh_token']}\n"
    result = CliRunner().invoke(main, _args(live), input=typed)
    assert result.exit_code == 0, result.output
    assert creds["refresh_token"] not in result.output  # hidden input is not echoed
    assert ("zsync", "default:refresh_token") in memory_keyring.entries


def test_a_grant_code_is_exchanged_for_a_refresh_token(
    live: Any, memory_keyring: Any, sandbox_admin: Callable[..., Any]
):
    code = sandbox_admin(live, "grant_code", {})["code"]
    env = _env(live, ZSYNC_GRANT_CODE=code)
    del env["ZSYNC_REFRESH_TOKEN"]
    result = CliRunner().invoke(main, _args(live), env=env)
    assert result.exit_code == 0, result.output
    stored = memory_keyring.entries[("zsync", "default:refresh_token")]
    assert stored != live.credentials["refresh_token"] and stored.startswith("1000.")
    again = CliRunner().invoke(main, _args(live), env=env)  # a grant code works once
    assert again.exit_code == 2 and "grant code" in again.output


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"ZSYNC_CLIENT_SECRET": "wrong-secret-value"}, "client ID and client secret"),
        ({"ZSYNC_REFRESH_TOKEN": "1000.revoked.token"}, "refresh token"),
    ],
)
def test_wrong_credentials_exit_2_with_one_line_and_store_nothing(
    live: Any, memory_keyring: Any, runtime: Runtime, change: dict[str, str], expected: str
):
    result = CliRunner().invoke(main, _args(live), env=_env(live, **change))
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and expected in lines[0] and lines[0].startswith("zsync connect:")
    assert memory_keyring.entries == {} and _profiles(runtime) == []


def test_an_unreachable_host_exits_2(memory_keyring: Any, runtime: Runtime):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    args = [
        "connect",
        "--dc",
        "custom",
        "--accounts-url",
        url,
        "--api-domain",
        url,
        "--client-id",
        "1000.X",
    ]
    env = {"ZSYNC_CLIENT_SECRET": "s3cret-value", "ZSYNC_REFRESH_TOKEN": "1000.r.t"}
    result = CliRunner().invoke(main, args, env=env)
    assert result.exit_code == 2 and "cannot reach http://127.0.0.1" in result.output
    assert memory_keyring.entries == {} and _profiles(runtime) == []


def test_a_missing_scope_exits_2(
    sandbox_factory: Callable[..., Any], memory_keyring: Any, runtime: Runtime
):
    crm_only = sandbox_factory(
        seed=5,
        scopes=(
            "ZohoCRM.modules.ALL",
            "ZohoCRM.settings.ALL",
            "ZohoCRM.users.ALL",
            "ZohoCRM.org.ALL",
        ),
    )
    result = CliRunner().invoke(main, _args(crm_only), env=_env(crm_only))
    assert result.exit_code == 2 and "scope" in result.output
    assert memory_keyring.entries == {} and _profiles(runtime) == []


def test_custom_without_urls_and_an_unknown_owner_are_refused(live: Any, memory_keyring: Any):
    result = CliRunner().invoke(
        main, ["connect", "--dc", "custom", "--client-id", "x"], env=_env(live)
    )
    assert result.exit_code == 2 and "--accounts-url" in result.output
    result = CliRunner().invoke(
        main, _args(live, "--owner-email", "ghost@nowhere.example"), env=_env(live)
    )
    assert result.exit_code == 2 and "no active CRM user" in result.output
    result = CliRunner().invoke(main, _args(live, "--billing-org", "999"), env=_env(live))
    assert result.exit_code == 2 and "no Billing organization 999" in result.output
    assert memory_keyring.entries == {}


async def test_stored_profiles_open_ready_clients(live: Any, memory_keyring: Any, runtime: Runtime):
    creds = live.credentials
    request = ConnectRequest.for_custom(creds, "default", pick_first_org=True)
    report = await connect(runtime, request)
    assert report.billing_org.id == creds["billing_organization_id"]
    async with open_clients(runtime) as (crm, billing):
        assert (await crm.org()).id == report.crm_org.id
        assert [c async for page in billing.list_customers() for c in page]
    with pytest.raises(ConnectFailed, match="zsync connect"):
        async with open_clients(runtime, profile="other"):
            pass


def test_no_secret_and_no_terminal_exits_2_with_what_to_set(live: Any, memory_keyring: Any):
    result = CliRunner().invoke(main, _args(live), input="")
    assert result.exit_code == 2
    assert result.output.strip().splitlines()[-1] == (
        "zsync connect: no client secret given: set ZSYNC_CLIENT_SECRET or type it at the prompt"
    )
    assert memory_keyring.entries == {}


@pytest.mark.keyring
def test_connect_keeps_working_credentials_in_the_real_keyring(live: Any, runtime: Runtime):
    """The issue's "done when": against gnome-keyring under D-Bus (CI); skips elsewhere."""
    import asyncio
    import os

    from zsync_tui.secrets import CredentialStore, SecretKind

    profile = f"e2e-{os.getpid()}"
    store = CredentialStore(profile)
    status = store.status()
    if not status.usable or "SecretService" not in status.backend:
        reason = f"no real Secret Service here ({status.backend}: {status.reason})"
        if os.environ.get("ZSYNC_REQUIRE_KEYRING"):
            pytest.fail(reason)
        pytest.skip(reason)
    try:
        result = CliRunner().invoke(main, _args(live, "--profile", profile), env=_env(live))
        assert result.exit_code == 0, result.output
        assert store.get(SecretKind.REFRESH_TOKEN) == live.credentials["refresh_token"]

        async def reopen() -> str:
            async with open_clients(runtime, profile=profile) as (crm, _billing):
                return (await crm.org()).name

        assert asyncio.run(reopen()) in result.output
    finally:
        for kind in SecretKind:
            store.delete(kind)


def test_a_missing_client_id_is_asked_for_then_refused_in_one_line(live: Any, memory_keyring: Any):
    args = [a for a in _args(live) if a not in ("--client-id", live.credentials["client_id"])]
    result = CliRunner().invoke(main, args, env=_env(live), input="")
    assert result.exit_code == 2
    assert (
        "zsync connect: no client ID given: pass --client-id (from api-console.zoho.com)\n"
        in result.output
    )
    typed = CliRunner().invoke(
        main, args, env=_env(live), input=live.credentials["client_id"] + "\n"
    )
    assert typed.exit_code == 0, typed.output


@pytest.fixture
def no_keyring() -> Any:
    import keyring
    import keyring.backends.fail

    previous = keyring.get_keyring()
    keyring.set_keyring(keyring.backends.fail.Keyring())
    yield
    keyring.set_keyring(previous)


def test_without_a_keyring_secrets_from_the_environment_still_connect(
    live: Any, no_keyring: Any, runtime: Runtime
):
    result = CliRunner().invoke(main, _args(live), env=_env(live))
    assert result.exit_code == 0, result.output
    assert "no secret was kept" in result.output and "ZSYNC_REFRESH_TOKEN" in result.output
    assert [p.client_id for p in _profiles(runtime)] == [live.credentials["client_id"]]


def test_without_a_keyring_a_grant_code_cannot_be_kept_and_nothing_is_stored(
    live: Any, no_keyring: Any, runtime: Runtime, sandbox_admin: Callable[..., Any]
):
    code = sandbox_admin(live, "grant_code", {})["code"]
    env = _env(live, ZSYNC_REFRESH_TOKEN="", ZSYNC_GRANT_CODE=code)
    result = CliRunner().invoke(main, _args(live), env=env)
    assert result.exit_code == 2
    assert "No usable keyring" in result.output
    assert _profiles(runtime) == []
