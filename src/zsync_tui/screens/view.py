"""Step 5: which CRM view's records are synced, listed live from the CRM."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Label, Select, Static

from zsync_tui.messages import LookupFailed, LookupFinished
from zsync_tui.screens.step import SetupStep
from zsync_tui.setup_flow import ViewChoice

ALL_RECORDS = "__all__"


class ViewStep(SetupStep):
    """One view per CRM module synced: Accounts, Contacts, or both for Accounts & Contacts."""

    STEP_ID = "view"
    HEADING = "Sync only the records of a CRM view"

    def body(self) -> ComposeResult:
        yield Static(self.HEADING, classes="step-title")
        yield Static(
            "Views are the CRM's own lists (predefined ones such as All Accounts, and the ones "
            "your users made). Only the records in the view you pick are synced.",
            classes="note",
        )
        for module in self.draft.needs_views():
            with Horizontal(classes="field-row"):
                yield Label(f"{module[:-1]} view", classes="field-label")
                yield Select[str](
                    [], prompt=f"Loading {module} views…", id=f"view-{module}", compact=True
                )
        yield Static("", id="view-status", classes="note")

    def on_mount(self) -> None:
        super().on_mount()
        self.pending = set(self.draft.needs_views())
        for module in self.draft.needs_views():
            self._list_views(module)
        self.query_one(Select).focus()

    def _list_views(self, module: str) -> None:
        backend = self.zsync.backend
        self.zsync.lookup(self, f"views-{module}", lambda: backend.list_views(module))

    def _saved(self, module: str) -> str:
        return self.draft.account_view if module == "Accounts" else self.draft.contact_view

    @on(LookupFinished)
    def _listed(self, event: LookupFinished) -> None:
        event.stop()
        module = event.what.removeprefix("views-")
        self.pending.discard(module)
        views = tuple(v for v in event.value if isinstance(v, ViewChoice))  # type: ignore[attr-defined]
        select = self.query_one(f"#view-{module}", Select)
        select.set_options(
            [(f"All {module} (no view)", ALL_RECORDS)]
            + [
                (f"{v.name}{'' if v.system_defined else '  (made by a user)'}", v.view_id)
                for v in views
            ]
        )
        select.prompt = f"Choose a {module} view"
        saved = self._saved(module)
        known = {v.view_id for v in views} | {ALL_RECORDS}
        by_name = {v.name: v.view_id for v in views}
        select.value = (
            by_name.get(saved, saved)
            if saved and (saved in known or saved in by_name)
            else ALL_RECORDS
        )
        self.query_one("#view-status", Static).update(
            f"{len(views)} {module} view(s) listed by the CRM."
        )

    @on(LookupFailed)
    def _failed(self, event: LookupFailed) -> None:
        event.stop()
        module = event.what.removeprefix("views-")
        self.pending.discard(module)
        self.query_one(f"#view-{module}", Select).prompt = "Could not list the views"
        self.show_problems(
            [f"Listing the {module} views failed: {event.reason} Go Back and Next to try again."]
        )

    def problems(self) -> list[str]:
        if self.pending:
            return ["Wait: the CRM views are still being listed."]
        found = []
        for module in self.draft.needs_views():
            if self.query_one(f"#view-{module}", Select).is_blank():
                found.append(f"{module} view: choose one, or All {module} to sync every record.")
        return found

    def save(self) -> None:
        for module in self.draft.needs_views():
            value = str(self.query_one(f"#view-{module}", Select).value)
            chosen = "" if value == ALL_RECORDS else value
            if module == "Accounts":
                self.draft.account_view = chosen
            else:
                self.draft.contact_view = chosen
        self.draft.plan = None  # the view changes what the dry run counts
