"""What a run knows about records before deciding anything: which fields to read, which map
applies, the parent account of a contact, earlier duplicate decisions, times."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlmodel import Session

from zsync_tui.store import DuplicateMatch, RecordLink
from zsync_tui.sync.config import FieldMapEntry, IntegrationConfig
from zsync_tui.sync.field_defaults import CONTACT_PERSON_PAIRS

ALWAYS_READ = ("Modified_Time",)


def parse_time(value: Any) -> datetime | None:
    """Zoho times (`2026-01-02T03:04:05+05:30`, `...-0700`) as aware datetimes; None if not."""
    if not isinstance(value, str) or not value:
        return None
    text = value.strip().replace("Z", "+00:00")
    if len(text) >= 5 and text[-5] in "+-" and text[-3] != ":":
        text = f"{text[:-2]}:{text[-2:]}"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


UNSETTLED = "~"


def billing_time_mark(updated_time: Any, *, ours: bool) -> str | None:
    """What a link remembers of a customer's `updated_time`.

    Billing's times have whole seconds, so an edit made in the same second as our own write
    would keep the same `updated_time` and go unseen. A time from our own write, or one that
    is not yet two seconds old, is kept with a mark: the next run compares what the list
    shows of the customer with the stored values (or, when they differ, reads the customer:
    a GET, never a write) before trusting the time.
    """
    if not isinstance(updated_time, str) or not updated_time:
        return None
    if ours:
        return f"{updated_time}{UNSETTLED}"
    moment = parse_time(updated_time)
    fresh = moment is None or moment > datetime.now(UTC) - timedelta(seconds=2)
    return f"{updated_time}{UNSETTLED}" if fresh else updated_time


class CustomerRecords:
    """Shared knowledge of a run; the engine and its writers build on it."""

    ledger: Any

    def __init__(self, config: IntegrationConfig, crm: Any, billing: Any, *, one_way: bool) -> None:
        self.config = config
        self.crm = crm
        self.billing = billing
        self.one_way = one_way
        self._entries = config.effective_field_map()
        self._standalone = config.standalone_contact_field_map()
        self._decisions: dict[tuple[str, str], DuplicateMatch] | None = None

    def entries_for(self, module: str) -> list[FieldMapEntry]:
        """The field map of records of `module` that are customers."""
        if module == "Contacts" and self.config.module == "accounts_and_contacts":
            return self._standalone
        return self._entries

    def crm_fields(self, module: str) -> list[str]:
        names = [entry.crm for entry in self.entries_for(module)]
        if module == "Contacts":
            names += [crm for crm, _ in CONTACT_PERSON_PAIRS] + ["Account_Name", "Full_Name"]
        names += ["Email", "Phone"] if module == "Contacts" else ["Account_Name", "Phone"]
        return list(dict.fromkeys([*names, *ALWAYS_READ]))

    def parent_links(
        self, session: Session, module: str, page: list[dict[str, Any]]
    ) -> dict[str, RecordLink]:
        """The customer links of the accounts this page's contacts belong to."""
        if module != "Contacts" or self.config.module != "accounts_and_contacts":
            return {}
        account_ids = {
            str(record["Account_Name"]["id"])
            for record in page
            if isinstance(record.get("Account_Name"), dict) and record["Account_Name"].get("id")
        }
        return self.ledger.links_by_crm(session, "Accounts", account_ids)

    def earlier_match(self, module: str, crm_id: str) -> DuplicateMatch | None:
        """The duplicate match recorded for this CRM record by an earlier run, if any."""
        if self._decisions is None:
            self._decisions = self.ledger.duplicate_decisions()
        return self._decisions.get((module, crm_id))
