"""The product's own traffic: a two-way sync against the sandbox, every exchange checked.

The client tests call each method with bodies we chose; here the sync engine chooses them
(connect, configure, first sync, an edit on each side, the next sync), so what real Zoho would
receive from zsync is what gets validated against the specs.
"""

from __future__ import annotations

from typing import Any

import httpx

from zsync_tui.connection import ConnectRequest, connect
from zsync_tui.sync.config import IntegrationConfig
from zsync_tui.sync.service import SyncService
from zsync_tui.zoho.session import ZohoOptions
from zsync_tui.zoho.transport import RetryPolicy


async def test_two_way_sync_sends_only_what_the_specs_define(
    sandbox_app: Any, checker: Any, runtime: Any, memory_keyring: Any, beyond_known_gaps: Any
) -> None:
    oas_checks = __import__("oas_checks")
    transport = oas_checks.CheckingTransport(httpx.ASGITransport(app=sandbox_app), checker)
    options = ZohoOptions(
        http_transport=transport,
        retry=RetryPolicy(attempts=1),
        billing_per_minute=100_000,
        billing_per_day=1_000_000,
    )
    creds = sandbox_app.state.sandbox.credentials
    await connect(
        runtime,
        ConnectRequest.for_custom(creds, "default"),
        options=options,
    )
    service = SyncService(runtime, options=options)
    config = {
        "module": "accounts_and_contacts",
        "direction": "both_ways",
        "duplicates": "overwrite",
    }
    await service.save_config(IntegrationConfig.from_mapping(config))
    first = await service.run()
    assert first.status in ("ok", "finished_with_errors"), first.as_dict()

    world = sandbox_app.state.sandbox.world
    linked = next(c for c in world.customers.values() if c.get("zcrm_account_id"))
    linked["phone"] = "+1 555 0142"
    linked["updated_time"] = "2099-01-01T00:00:00+0000"
    account = next(iter(world.crm["Accounts"].records.values()))
    account["Website"] = "https://changed.example"
    account["Modified_Time"] = "2099-01-01T00:00:00+00:00"
    world.crm["Accounts"].touch()
    second = await service.run()
    assert second.status in ("ok", "finished_with_errors"), second.as_dict()

    methods = {(e.method, e.operation) for e in transport.exchanges}
    assert ("POST", "billing POST /billing/v1/customers") in methods
    assert any(method == "PUT" for method, _ in methods), sorted(methods, key=str)
    problems = beyond_known_gaps(transport.problems)
    assert not problems, "\n".join(problems)
