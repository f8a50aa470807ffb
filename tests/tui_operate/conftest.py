"""The operating screens' test bench: a profile with state written straight into the store (for
display), the app built the way the command line builds it, deterministic for snapshots.

80×24 (the smallest terminal the screens promise), no blinking cursor, no animations, no
clock; every file under tmp_path (the root conftest sets ZSYNC_HOME).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from zsync_tui.app import UiOptions, ZsyncApp, make_app
from zsync_tui.operate_backend import OperateBackend
from zsync_tui.operate_runner import install_runner
from zsync_tui.runtime import Runtime
from zsync_tui.setup_services import ServiceBackend
from zsync_tui.store import (
    Conflict,
    DealAction,
    DealLink,
    DuplicateMatch,
    JournalEntry,
    Profile,
    RecordError,
    RecordLink,
    SyncRun,
)
from zsync_tui.sync.config import IntegrationConfig

SIZE = (80, 24)
DETERMINISTIC = UiOptions(cursor_blink=False, animations=False)
#: A fixed "now" for every stored time, so snapshots never depend on the clock.
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def values(name: str, email: str, phone: str) -> str:
    side = {"display_name": name, "email": email, "phone": phone}
    return json.dumps({"base": side, "crm": side, "billing": side}, sort_keys=True)


@dataclass
class Seeded:
    """What the seeded store holds, for assertions."""

    profile_id: int
    link_ids: list[int]
    conflict_ids: list[int]
    duplicate_count: int
    run_ids: list[int]


def seed_store(runtime: Runtime, *, duplicates: int = 30, links: int = 12) -> Seeded:
    """A connected, configured profile with links, two conflicts, duplicate matches, two runs
    (one with errors), journal entries and deal links: everything the screens display."""
    config = IntegrationConfig.defaults().model_copy(update={"duplicates": "review"})
    store = runtime.store
    with store.write() as session:
        profile = Profile(
            name=runtime.profile_name,
            data_centre="us",
            client_id="1000.TESTCLIENT",
            billing_org_id="700001",
            billing_org_name="Demo Billing Org",
            crm_org_id="900001",
            crm_org_name="Demo CRM Org",
            owner_email="owner@example.com",
            config_toml=config.to_toml(),
        )
        session.add(profile)
        session.flush()
        pid = int(profile.id or 0)
        link_rows = []
        for n in range(links):
            link = RecordLink(
                profile_id=pid,
                crm_module="Accounts",
                crm_id=f"51{n:05d}",
                billing_id=f"46{n:05d}",
                origin="crm" if n % 3 else "billing",
                state="crm_deleted" if n == links - 1 else "linked",
                last_values_json=values(
                    f"Company {n:02d} Ltd", f"ap{n}@example.com", f"555-01{n:02d}"
                ),
                last_synced_at=T0 - timedelta(hours=1),
            )
            session.add(link)
            link_rows.append(link)
        session.flush()
        conflicts = [
            Conflict(
                profile_id=pid,
                link_id=int(link_rows[0].id or 0),
                field="phone",
                base_value="555-0100",
                crm_value="555-9999",
                billing_value="555-1234",
                created_at=T0,
            ),
            Conflict(
                profile_id=pid,
                link_id=int(link_rows[1].id or 0),
                field="phone",
                base_value="555-0101",
                crm_value="555-7777",
                billing_value="555-3333",
                created_at=T0,
            ),
        ]
        session.add_all(conflicts)
        for n in range(duplicates):
            session.add(
                DuplicateMatch(
                    profile_id=pid,
                    crm_module="Accounts",
                    crm_id=f"52{n:05d}",
                    billing_id=f"47{n:05d}",
                    score=round(0.5 + (n % 50) / 100, 2),
                    reasons="same normalised name; same email domain",
                    created_at=T0,
                )
            )
        ok = SyncRun(
            profile_id=pid,
            status="ok",
            started_at=T0 - timedelta(hours=3),
            finished_at=T0 - timedelta(hours=3) + timedelta(seconds=42),
            counts_json=json.dumps(
                {
                    "created": {"crm": 1, "billing": 10},
                    "updated": {"crm": 0, "billing": 2},
                    "linked": 3,
                    "skipped_by_reason": {"outside the view": 4},
                }
            ),
            crm_calls=120,
            billing_calls=80,
            write_calls=13,
        )
        failed = SyncRun(
            profile_id=pid,
            status="finished_with_errors",
            started_at=T0 - timedelta(hours=1),
            finished_at=T0 - timedelta(hours=1) + timedelta(seconds=7),
            counts_json=json.dumps(
                {
                    "created": {"crm": 0, "billing": 0},
                    "updated": {"crm": 1, "billing": 0},
                    "linked": 0,
                    "skipped_by_reason": {"outside the view": 4, "one-way": 1},
                }
            ),
            crm_calls=30,
            billing_calls=25,
            write_calls=1,
            error_count=2,
        )
        session.add_all([ok, failed])
        session.flush()
        for record_id in ("5100003", "5100004"):
            session.add(
                RecordError(
                    run_id=int(failed.id or 0),
                    side="crm",
                    record_id=record_id,
                    reason="email is not valid",
                    message="Billing refused the customer: email is not valid",
                )
            )
        session.add(
            JournalEntry(
                profile_id=pid,
                run_id=int(ok.id or 0),
                side="billing",
                entity="customer",
                remote_id="4600000",
                action="update",
                before_json=json.dumps({"phone": "555-0000"}),
                after_json=json.dumps({"phone": "555-0100"}),
                at=T0 - timedelta(hours=3),
            )
        )
        session.add(
            DealLink(
                profile_id=pid,
                deal_id="3300001",
                billing_entity="invoice",
                billing_id="INV-000017",
                origin="trigger",
                created_at=T0,
            )
        )
        session.add(
            DealAction(
                profile_id=pid,
                deal_id="3300001",
                action="invoice_on_won",
                state="done",
                billing_entity="invoice",
                billing_id="INV-000017",
                created_at=T0,
                updated_at=T0,
            )
        )
        session.flush()
        return Seeded(
            pid,
            [int(link.id or 0) for link in link_rows],
            [int(c.id or 0) for c in conflicts],
            duplicates,
            [int(ok.id or 0), int(failed.id or 0)],
        )


@pytest.fixture
def seeded_runtime(isolated_home: Path) -> tuple[Runtime, Seeded]:
    runtime = Runtime.start(str(isolated_home))
    return runtime, seed_store(runtime)


@pytest.fixture
def make_operate_app(
    seeded_runtime: tuple[Runtime, Seeded], memory_keyring: Any
) -> Iterator[Callable[..., ZsyncApp]]:
    """Builds the app on the seeded store; it opens on the dashboard (operate mode)."""
    built: list[ZsyncApp] = []

    def build(backend: OperateBackend | None = None) -> ZsyncApp:
        runtime = seeded_runtime[0]
        app = make_app(runtime, ServiceBackend(runtime), DETERMINISTIC)
        install_runner(
            app, backend or OperateBackend(runtime, clock=lambda: T0), periodic=False, prewarm=False
        )
        built.append(app)
        return app

    yield build


class Keys:
    """Keyboard helpers (a fixture: tests cannot import conftest)."""

    size = SIZE

    async def settle(self, pilot: Pilot[None]) -> None:
        """Wait for every worker and the repaint after it."""
        for _ in range(3):
            await pilot.pause()
            await pilot.app.workers.wait_for_complete()
        await pilot.pause()

    @asynccontextmanager
    async def running(self, app: ZsyncApp) -> AsyncIterator[Pilot[None]]:
        """The app at the bench's size, settled after its first screen's workers."""
        async with app.run_test(size=self.size) as pilot:
            await self.settle(pilot)
            yield pilot

    async def press(self, pilot: Pilot[None], *keys: str) -> None:
        await pilot.press(*keys)
        await self.settle(pilot)

    @staticmethod
    def screen_name(pilot: Pilot[None]) -> str:
        return type(pilot.app.screen).__name__

    @staticmethod
    def text(pilot: Pilot[None], selector: str | None = None) -> str:
        """What the screen (or the widget `selector` names) shows, as plain lines."""
        strips = pilot.app.screen._compositor.render_strips()
        if selector is None:
            return "\n".join(strip.text.rstrip() for strip in strips)
        region = pilot.app.screen.query_one(selector).region
        rows = strips[region.y : region.y + region.height]
        return "\n".join(row.crop(region.x, region.right).text.rstrip() for row in rows)

    @staticmethod
    def notes(pilot: Pilot[None]) -> list[str]:
        return [str(n.message) for n in pilot.app._notifications]


@pytest.fixture
def keys() -> Keys:
    return Keys()


@dataclass
class Live:
    """A profile connected to a seeded sandbox on loopback (nothing synced yet)."""

    runtime: Runtime
    sandbox: Any  # zsync_tui.sandbox.server.RunningSandbox

    @property
    def world(self) -> Any:
        return self.sandbox.sandbox.world

    def app(self) -> ZsyncApp:
        app = make_app(self.runtime, ServiceBackend(self.runtime), DETERMINISTIC)
        install_runner(app, OperateBackend(self.runtime), periodic=False, prewarm=False)
        return app


def start_live(
    isolated_home: Path, monkeypatch: pytest.MonkeyPatch, **world: Any
) -> Iterator[Live]:
    import asyncio

    from zsync_tui.connection import ConnectRequest, connect
    from zsync_tui.sandbox.options import SandboxOptions
    from zsync_tui.sandbox.server import run_in_thread
    from zsync_tui.sync.service import SyncService

    options = dict(seed=7, accounts=12, contacts=20, customers=10, duplicates=4, deals=6)
    with run_in_thread(SandboxOptions(**{**options, **world})) as sandbox:  # type: ignore[arg-type]
        creds = sandbox.credentials
        runtime = Runtime.start(str(isolated_home))
        request = ConnectRequest.for_custom(creds, runtime.profile_name, pick_first_org=True)
        asyncio.run(connect(runtime, request))
        # The App's sync child gets the secrets from the App (this memory keyring); what it
        # would cache in a keyring goes to one that keeps nothing, never the machine's.
        monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")
        config = IntegrationConfig.defaults().model_copy(update={"duplicates": "review"})
        asyncio.run(SyncService(runtime).save_config(config, check_remote=False))
        yield Live(runtime, sandbox)


@pytest.fixture
def live(
    isolated_home: Path, memory_keyring: Any, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Live]:
    """The sandbox answers at once."""
    yield from start_live(isolated_home, monkeypatch)


@pytest.fixture
def slow_live(
    isolated_home: Path, memory_keyring: Any, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Live]:
    """Every sandbox call takes 150 ms, so a sync is still running when a key arrives."""
    yield from start_live(isolated_home, monkeypatch, latency_ms=150.0)
