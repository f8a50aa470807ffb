"""What a run knows about records before deciding anything: which fields to read, which map
applies, the parent account of a contact, earlier duplicate decisions, times."""

from __future__ import annotations

from datetime import UTC, datetime
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

    def duplicate_decision(self, module: str, crm_id: str) -> str:
        """`create` when the admin rejected a match (create a new customer), `link` when the
        admin approved it, else the configured policy."""
        if self._decisions is None:
            self._decisions = self.ledger.duplicate_decisions()
        decided = self._decisions.get((module, crm_id))
        if decided is not None and decided.state == "rejected":
            return "create"
        if decided is not None and decided.state == "approved":
            return "link"
        return self.config.duplicates
