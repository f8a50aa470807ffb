"""An in-memory stand-in for the two Zoho clients, used until the sandbox can serve the engine
tests over loopback. It keeps the documented shapes: short Billing list entries, CRM pages
sorted by Modified_Time, `If-Modified-Since` strictly after, 100-record batch writes."""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from zsync_tui.store import Profile, Store
from zsync_tui.sync.ledger import Ledger
from zsync_tui.zoho.models import CallCounts, RecordResult

LIST_KEYS = ("customer_id", "display_name", "email", "phone", "company_name", "updated_time")


@dataclass
class FakeClock:
    now: datetime = field(default_factory=lambda: datetime(2026, 1, 1, tzinfo=UTC))

    def tick(self) -> str:
        self.now += timedelta(seconds=2)
        return self.now.isoformat(timespec="seconds")


class FakeCrm:
    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.records: dict[str, dict[str, dict[str, Any]]] = {"Accounts": {}, "Contacts": {}}
        self.deleted: dict[str, list[dict[str, Any]]] = {"Accounts": [], "Contacts": []}
        self.calls = 0
        self.writes = 0
        self._next = 1000

    @property
    def counts(self) -> CallCounts:
        return CallCounts(self.calls, self.writes, 0)

    def add(self, module: str, **fields: Any) -> str:
        self._next += 1
        record_id = str(self._next)
        self.records[module][record_id] = {
            "id": record_id,
            **fields,
            "Modified_Time": self.clock.tick(),
        }
        return record_id

    def add_account(self, name: str, **fields: Any) -> str:
        """An Account with a contact that has an email: Billing needs one for its customer."""
        account_id = self.add("Accounts", Account_Name=name, **fields)
        slug = "".join(ch for ch in name.lower() if ch.isalnum())
        self.add(
            "Contacts",
            Last_Name="Accounts",
            Email=f"accounts@{slug}.example",
            Account_Name={"id": account_id, "name": name},
        )
        return account_id

    def edit(self, module: str, record_id: str, **fields: Any) -> None:
        self.records[module][record_id].update(fields, Modified_Time=self.clock.tick())

    def delete(self, module: str, record_id: str) -> None:
        self.records[module].pop(record_id)
        self.deleted[module].append({"id": record_id, "deleted_time": self.clock.tick()})

    async def iter_records(
        self,
        module: str,
        fields: Any,
        *,
        modified_since: str | None = None,
        cvid: str | None = None,
    ) -> AsyncIterator[list[dict[str, Any]]]:
        rows = sorted(self.records[module].values(), key=lambda r: (r["Modified_Time"], r["id"]))
        if modified_since:
            rows = [r for r in rows if r["Modified_Time"] > modified_since]
        self.calls += 1
        for start in range(0, len(rows), 200):
            if start:
                self.calls += 1
            yield [dict(r) for r in rows[start : start + 200]]

    async def deleted_records(
        self, module: str, *, modified_since: str | None = None
    ) -> AsyncIterator[list[dict[str, Any]]]:
        self.calls += 1
        rows = [
            r
            for r in self.deleted[module]
            if not modified_since or r["deleted_time"] > modified_since
        ]
        if rows:
            yield rows

    async def update(self, module: str, records: list[dict[str, Any]]) -> list[RecordResult]:
        self.calls += (len(records) + 99) // 100
        self.writes += (len(records) + 99) // 100
        results = []
        for record in records:
            stamp = self.clock.tick()
            self.records[module][record["id"]].update(record, Modified_Time=stamp)
            results.append(
                RecordResult(
                    "SUCCESS",
                    "success",
                    "record updated",
                    {"id": record["id"], "Modified_Time": stamp},
                )
            )
        return results

    async def insert(self, module: str, records: list[dict[str, Any]]) -> list[RecordResult]:
        self.calls += (len(records) + 99) // 100
        self.writes += (len(records) + 99) // 100
        results = []
        for record in records:
            record_id = self.add(module, **record)
            if module == "Contacts":
                stored = self.records[module][record_id]
                stored["Full_Name"] = " ".join(
                    p for p in (record.get("First_Name"), record.get("Last_Name")) if p
                )
            results.append(
                RecordResult(
                    "SUCCESS",
                    "success",
                    "record added",
                    {
                        "id": record_id,
                        "Modified_Time": self.records[module][record_id]["Modified_Time"],
                    },
                )
            )
        return results

    async def get_record(self, module: str, record_id: str) -> dict[str, Any]:
        from zsync_tui.zoho.errors import NotFound

        self.calls += 1
        if record_id not in self.records[module]:
            raise NotFound(f"no {module} {record_id}")
        return dict(self.records[module][record_id])

    async def account_contacts(self, account_id: str, fields: Any) -> list[dict[str, Any]]:
        self.calls += 1
        return [
            dict(r)
            for r in self.records["Contacts"].values()
            if (r.get("Account_Name") or {}).get("id") == account_id
        ]

    async def search(self, module: str, *, criteria: str) -> list[dict[str, Any]]:
        self.calls += 1
        field_name, _, value = criteria.strip("()").split(":", 2)
        return [dict(r) for r in self.records[module].values() if str(r.get(field_name)) == value]


class FakeBilling:
    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.customers: dict[str, dict[str, Any]] = {}
        self.persons: dict[str, dict[str, dict[str, Any]]] = {}
        self.calls = 0
        self.writes = 0
        self._next = 5000

    @property
    def counts(self) -> CallCounts:
        return CallCounts(self.calls, self.writes, 0)

    def add(self, **fields: Any) -> str:
        self._next += 1
        customer_id = str(self._next)
        stamp = self.clock.tick()
        self.customers[customer_id] = {
            "customer_id": customer_id,
            "billing_address": {},
            "shipping_address": {},
            "custom_fields": [],
            "customer_sub_type": "business" if fields.get("company_name") else "individual",
            **fields,
            "created_time": stamp,
            "updated_time": stamp,
        }
        return customer_id

    def edit(self, customer_id: str, **fields: Any) -> None:
        customer = self.customers[customer_id]
        for key, value in fields.items():
            if isinstance(value, dict):
                customer[key] = {**customer.get(key, {}), **value}
            else:
                customer[key] = value
        customer["updated_time"] = self.clock.tick()

    def list_customers(self) -> AsyncIterator[list[dict[str, Any]]]:
        async def pages() -> AsyncIterator[list[dict[str, Any]]]:
            rows = [
                {k: c.get(k) for k in LIST_KEYS} | {"customer_sub_type": c["customer_sub_type"]}
                for c in self.customers.values()
            ]
            self.calls += 1
            for start in range(0, len(rows), 200):
                if start:
                    self.calls += 1
                yield rows[start : start + 200]

        return pages()

    async def get_customer(self, customer_id: str) -> dict[str, Any]:
        self.calls += 1
        return _deep(self.customers[customer_id])

    async def create_customer(self, body: dict[str, Any]) -> dict[str, Any]:
        self.calls += 1
        self.writes += 1
        customer_id = self.add(**body)
        return _deep(self.customers[customer_id])

    async def update_customer(self, customer_id: str, body: dict[str, Any]) -> dict[str, Any]:
        self.calls += 1
        self.writes += 1
        self.edit(customer_id, **body)
        return _deep(self.customers[customer_id])

    async def create_contact_person(self, customer_id: str, body: dict[str, Any]) -> dict[str, Any]:
        self.calls += 1
        self.writes += 1
        self._next += 1
        person = {"contactperson_id": str(self._next), **body, "updated_time": self.clock.tick()}
        self.persons.setdefault(customer_id, {})[person["contactperson_id"]] = person
        return dict(person)

    async def update_contact_person(
        self, customer_id: str, person_id: str, body: dict[str, Any]
    ) -> dict[str, Any]:
        self.calls += 1
        self.writes += 1
        self.persons[customer_id][person_id].update(body)
        return dict(self.persons[customer_id][person_id])

    async def list_contact_persons(self, customer_id: str) -> list[dict[str, Any]]:
        self.calls += 1
        return [dict(p) for p in self.persons.get(customer_id, {}).values()]


def _deep(customer: dict[str, Any]) -> dict[str, Any]:
    return {k: (dict(v) if isinstance(v, dict) else v) for k, v in customer.items()}


@dataclass
class FakeWorld:
    clock: FakeClock
    crm: FakeCrm
    billing: FakeBilling
    ledger: Ledger


@pytest.fixture
def world(tmp_path: Path) -> FakeWorld:
    store = Store(tmp_path / "zsync.db")
    with store.write() as session:
        profile = Profile(name="default", client_id="x")
        session.add(profile)
        session.flush()
        profile_id = int(profile.id or 0)
    clock = FakeClock()
    return FakeWorld(clock, FakeCrm(clock), FakeBilling(clock), Ledger(store, profile_id))


# -- the sandbox over loopback ------------------------------------------------------------


class Harness:
    """A connected profile against a running sandbox, and ways to look at and poke both."""

    def __init__(self, sandbox: Any, runtime: Any) -> None:
        from zsync_tui.sync.service import SyncService
        from zsync_tui.zoho.session import ZohoOptions

        self.sandbox = sandbox
        self.runtime = runtime
        self.options = ZohoOptions(billing_per_minute=100_000, billing_per_day=1_000_000)
        self.service = SyncService(runtime, options=self.options)

    async def connect(self, profile: str = "default") -> None:
        from zsync_tui.connection import ConnectRequest, connect

        creds = self.sandbox.credentials
        request = ConnectRequest.for_custom(creds, profile)
        await connect(self.runtime, request, options=self.options)

    async def configure(self, **values: Any) -> None:
        from zsync_tui.sync.config import IntegrationConfig

        await self.service.save_config(IntegrationConfig.from_mapping(values))

    async def sync(self, **kwargs: Any) -> Any:
        return await self.service.run(**kwargs)

    def clients(self) -> Any:
        from zsync_tui.connection import open_clients

        return open_clients(self.runtime, options=self.options)

    def admin(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        import httpx

        response = httpx.request(method, f"{self.sandbox.admin_url}/{path}", json=body)
        response.raise_for_status()
        return response.json()

    def writes(self) -> int:
        """Write requests the sandbox received on the two APIs (token calls excluded)."""
        stats = self.admin("GET", "stats")
        return sum(
            row["count"]
            for row in stats["requests"]
            if row["method"] in ("POST", "PUT", "DELETE") and "/oauth/" not in row["path"]
        )

    def links(self) -> list[Any]:
        from sqlmodel import select

        from zsync_tui.store import RecordLink

        with self.runtime.store.read() as session:
            return list(session.exec(select(RecordLink)).all())

    @property
    def world(self) -> Any:
        return self.sandbox.sandbox.world


@pytest.fixture(scope="module")
def shared_sandbox() -> Any:
    """One small sandbox for a module's tests; each test resets it to the seeded world."""
    from zsync_tui.sandbox import SandboxOptions, run_in_thread

    running = run_in_thread(
        SandboxOptions(
            accounts=8,
            contacts=12,
            deals=0,
            customers=6,
            duplicates=3,
            billing_calls_per_minute=100_000,
            billing_calls_per_day=1_000_000,
            # Every run opens its clients and refreshes once; Zoho's 10 per 10 minutes is a
            # client-side concern tested with the clients.
            token_refreshes_per_10min=100_000,
        )
    )
    yield running
    running.stop()


@pytest.fixture
async def harness(shared_sandbox: Any, runtime: Any, memory_keyring: Any) -> Any:
    """A fresh data directory connected to the reset shared sandbox."""
    h = Harness(shared_sandbox, runtime)
    h.admin("POST", "reset")
    await h.connect()
    return h


@pytest.fixture
def make_harness(memory_keyring: Any) -> Any:
    """Build a Harness for any sandbox and runtime (several worlds in one test)."""

    def make(sandbox: Any, runtime: Any) -> Harness:
        return Harness(sandbox, runtime)

    return make


ForkedZsync = Callable[..., tuple[str, int, dict[str, str]]]


def _forked_zsync(
    args: list[str], env: dict[str, str], out_path: str, timeout_s: float = 120.0
) -> tuple[str, int, dict[str, str]]:
    pid = os.fork()
    if pid == 0:  # the child: never returns
        code = 70
        try:
            from click.testing import CliRunner

            from zsync_tui.cli import main
            from zsync_tui.sync import crashpoints

            crashpoints.reset()
            result = CliRunner().invoke(main, args, env=env)
            with open(out_path, "w", encoding="utf-8") as handle:
                json.dump({"stdout": result.stdout, "stderr": result.stderr}, handle)
            code = result.exit_code
        finally:
            os._exit(code)
    deadline = time.monotonic() + timeout_s
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            pytest.fail(f"the zsync child ({' '.join(args)}) hung")
        time.sleep(0.01)
    printed: dict[str, str] = {}
    if os.path.exists(out_path):
        with open(out_path, encoding="utf-8") as handle:
            printed = json.load(handle)
    if os.WIFSIGNALED(status):
        return "killed", os.WTERMSIG(status), printed
    return "exited", os.WEXITSTATUS(status), printed


@pytest.fixture
def forked_zsync() -> ForkedZsync:
    """`zsync ARGS` in a forked process (its own main thread, for signal handlers, and its
    own crash points): `(args, env, out_path)` -> ("killed", signal) or ("exited", code),
    with what it printed ({"stdout", "stderr"}; the file at out_path keeps it)."""
    return _forked_zsync
