"""The access token shared by a profile's processes through the keyring: counted at the
sandbox's token endpoint over loopback."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import httpx
import keyring
import keyring.backends.fail
import pytest
from click.testing import CliRunner

from zsync_tui.cli import main
from zsync_tui.connection import ConnectRequest, connect, open_clients
from zsync_tui.runtime import Runtime
from zsync_tui.secrets import SERVICE
from zsync_tui.zoho.datacentres import resolve_data_centre
from zsync_tui.zoho.errors import AuthenticationError
from zsync_tui.zoho.oauth import Secret
from zsync_tui.zoho.token_cache import cache_binding

ENTRY = (SERVICE, "default:access_token")


def refreshes(sandbox: Any) -> int:
    """Token requests the sandbox answered."""
    stats = httpx.get(f"{sandbox.admin_url}/stats").json()
    return sum(
        row["count"]
        for row in stats["requests"]
        if row["method"] == "POST" and row["path"] == "/oauth/v2/token"
    )


def request_for(sandbox: Any) -> ConnectRequest:
    creds = sandbox.credentials
    return ConnectRequest.for_custom(creds, "default")


async def one_session(runtime: Runtime) -> int:
    """A session as a process would open it: read the CRM org; this session's refreshes."""
    async with open_clients(runtime) as clients:
        await clients.crm.org()
        return clients.tokens.refresh_count


def cached(memory_keyring: Any) -> dict[str, Any]:
    return dict(json.loads(memory_keyring.entries[ENTRY]))


async def test_sessions_and_commands_in_a_row_share_one_refresh(
    live: Any, runtime: Runtime, memory_keyring: Any
) -> None:
    before = refreshes(live)
    await connect(runtime, request_for(live))
    # The token `connect` got is kept: the sessions and commands after it refresh none.
    assert [await one_session(runtime), await one_session(runtime)] == [0, 0]
    # Each command builds its own runtime and event loop, as a new process would.
    for _ in range(2):
        result = await asyncio.to_thread(CliRunner().invoke, main, ["crm", "search", "a"])
        assert result.exit_code == 0, result.output
    assert refreshes(live) - before == 1
    saved = cached(memory_keyring)
    assert saved["expires_at"] > time.time() + 600
    assert "refresh_token" not in json.dumps(saved)
    assert live.credentials["refresh_token"] not in json.dumps(saved)
    # The keyring only: no file under the data directory (store, WAL, logs) holds the token.
    token = saved["access_token"].encode()
    files = [path for path in runtime.paths.data_dir.parent.rglob("*") if path.is_file()]
    assert files and not [path for path in files if token in path.read_bytes()]


async def test_an_expired_cached_token_is_refreshed_once_and_replaced(
    live: Any, runtime: Runtime, memory_keyring: Any
) -> None:
    await connect(runtime, request_for(live))
    await one_session(runtime)
    stale = cached(memory_keyring)
    stale["expires_at"] = time.time() + 30  # inside the safety margin: not used
    memory_keyring.entries[ENTRY] = json.dumps(stale)
    before = refreshes(live)
    assert await one_session(runtime) == 1
    assert refreshes(live) - before == 1
    fresh = cached(memory_keyring)
    assert fresh["access_token"] != stale["access_token"]
    assert fresh["expires_at"] > time.time() + 600


async def test_a_cached_token_zoho_refuses_is_refreshed_once_and_the_cache_overwritten(
    live: Any, runtime: Runtime, memory_keyring: Any
) -> None:
    await connect(runtime, request_for(live))
    await one_session(runtime)
    refused = cached(memory_keyring)["access_token"]
    httpx.post(f"{live.admin_url}/tokens/expire").raise_for_status()  # 401 INVALID_TOKEN next
    before = refreshes(live)
    assert await one_session(runtime) == 1
    assert refreshes(live) - before == 1
    assert cached(memory_keyring)["access_token"] != refused


async def test_a_revoked_refresh_token_gives_the_usual_message_and_clears_the_cache(
    live: Any, runtime: Runtime, memory_keyring: Any
) -> None:
    await connect(runtime, request_for(live))
    await one_session(runtime)
    revoked = httpx.post(
        f"{live.credentials['accounts_url']}/oauth/v2/token/revoke",
        params={"token": live.credentials["refresh_token"]},
    )
    revoked.raise_for_status()
    with pytest.raises(AuthenticationError, match="refresh token or grant code is not valid"):
        await one_session(runtime)
    assert ENTRY not in memory_keyring.entries


async def test_a_token_cached_for_other_credentials_is_never_used(
    live: Any, runtime: Runtime, memory_keyring: Any
) -> None:
    await connect(runtime, request_for(live))
    await one_session(runtime)
    creds = live.credentials
    dc = resolve_data_centre("custom", creds["accounts_url"], creds["api_domain"])
    refresh = Secret(creds["refresh_token"])
    mine = cache_binding(dc, creds["client_id"], refresh)
    others = {
        cache_binding(dc, "1000.ANOTHERCLIENT", refresh),
        cache_binding(resolve_data_centre("eu"), creds["client_id"], refresh),
        cache_binding(dc, creds["client_id"], Secret("1000.another.refresh")),
    }
    assert mine not in others and len(others) == 3
    for binding in others:
        foreign = cached(memory_keyring) | {"binding": binding}
        memory_keyring.entries[ENTRY] = json.dumps(foreign)
        assert await one_session(runtime) == 1
        assert cached(memory_keyring)["binding"] == mine


async def test_without_a_keyring_each_process_refreshes_as_before(
    live: Any, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    creds = live.credentials
    monkeypatch.setenv("ZSYNC_CLIENT_SECRET", creds["client_secret"])
    monkeypatch.setenv("ZSYNC_REFRESH_TOKEN", creds["refresh_token"])
    previous = keyring.get_keyring()
    keyring.set_keyring(keyring.backends.fail.Keyring())
    try:
        await connect(runtime, request_for(live))
        before = refreshes(live)
        assert [await one_session(runtime), await one_session(runtime)] == [1, 1]
        assert refreshes(live) - before == 2
    finally:
        keyring.set_keyring(previous)
