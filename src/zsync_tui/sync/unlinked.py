"""Records with no partner yet: duplicate matching (with what earlier runs and the admin
decided), then a link or a create."""

from __future__ import annotations

from typing import Any

from zsync_tui.store import DuplicateMatch
from zsync_tui.sync.config import FieldMapEntry
from zsync_tui.sync.duplicates import DuplicateIndex, DuplicateScore, Party
from zsync_tui.sync.events import PlanItem
from zsync_tui.sync.linked import LinkedPairs
from zsync_tui.sync.mapping import crm_values
from zsync_tui.sync.page_work import PageWork
from zsync_tui.zoho.errors import NotFound


class UnlinkedRecords(LinkedPairs):
    """The engine's handling of CRM records that have no link yet."""

    index: DuplicateIndex

    async def handle_crm_record(
        self,
        module: str,
        record: dict[str, Any],
        link: Any,
        parents: dict[str, Any],
        work: PageWork,
    ) -> None:
        raise NotImplementedError

    async def handle_unlinked(
        self, module: str, record: dict[str, Any], entries: list[FieldMapEntry], work: PageWork
    ) -> None:
        crm_id = str(record["id"])
        crm_now = crm_values(record, entries)
        name = record_name(record)
        party = Party(
            crm_id,
            name,
            _text(record.get("Email")),
            _text(record.get("Phone") or record.get("Mobile")),
        )
        earlier = self.earlier_match(module, crm_id)
        if earlier is not None and earlier.state != "rejected":
            if await self.act_on_earlier_match(module, record, entries, crm_now, earlier, work):
                return
        elif earlier is None:
            match = self.index.best_match(party, by_email=module == "Contacts")
            if match is not None:
                billing_party, scored = match
                policy = self.config.duplicates
                handled = await self.crm_writer.handle_duplicate(
                    module, record, entries, crm_now, billing_party, scored, policy, work
                )
                if handled:
                    return
        await self.crm_writer.create_in_billing(module, record, entries, crm_now, work)

    async def apply_admin_decisions(self, module: str) -> None:
        """Matches the admin approved or rejected since, whose CRM record did not change (so
        was not read): fetch each and link it, or create its customer."""
        decided = [
            row
            for (row_module, _), row in self.ledger.duplicate_decisions().items()
            if row_module == module and row.state in ("approved", "rejected")
        ]
        if not decided:
            return
        self._decisions = None  # re-read: this run may have recorded new matches
        with self.ledger.store.read() as session:
            linked = self.ledger.links_by_crm(session, module, [row.crm_id for row in decided])
        # A dry run stores no links, so the records this run already planned for count as
        # linked too; otherwise the plan would show each approved match twice.
        planned = {item.crm_id for item in self.report.items if item.crm_module == module}
        work = PageWork()
        for row in decided:
            if row.crm_id in linked or row.crm_id in planned:
                continue
            try:
                record = await self.crm.get_record(module, row.crm_id)
            except NotFound:
                continue
            with self.ledger.store.read() as session:
                parents = self.parent_links(session, module, [record])
            await self.handle_crm_record(module, record, None, parents, work)
        await self.crm_writer.flush(work)
        self.commit(work, None, None)

    async def act_on_earlier_match(
        self,
        module: str,
        record: dict[str, Any],
        entries: list[FieldMapEntry],
        crm_now: dict[str, Any],
        earlier: DuplicateMatch,
        work: PageWork,
    ) -> bool:
        """A match found by an earlier run: still waiting or skipped, or approved by the admin
        (link now). False when the record should be created after all."""
        crm_id = str(record["id"])
        if earlier.state == "unlinked":
            # The admin unlinked this pair (sync/actions.py): neither re-link nor copy it.
            self.emit(
                PlanItem("skip", record_name(record), module, crm_id, None, "unlinked by the admin")
            )
            return True
        reasons = [r for r in earlier.reasons.split("; ") if r]
        policy = self.config.duplicates
        if earlier.state in ("waiting", "skipped"):
            # The policy may have changed since the match was recorded: follow the current one.
            if policy in ("review", "skip"):
                state = "waiting" if policy == "review" else "skipped"
                if state != earlier.state:
                    work.decided.append((int(earlier.id or 0), earlier.state, state))
                reason = (
                    "duplicate waiting for review" if policy == "review" else ("duplicate skipped")
                )
                item = PlanItem(
                    "skip", record_name(record), module, crm_id, earlier.billing_id, reason
                )
                item.score, item.reasons = earlier.score, reasons
                self.emit(item)
                return True
            if policy == "clone":
                work.decided.append((int(earlier.id or 0), earlier.state, "cloned"))
                return False
        elif earlier.state != "approved":
            return False
        with self.ledger.store.read() as session:
            taken = self.ledger.links_by_billing(session, [earlier.billing_id])
        if taken:
            self.emit(
                PlanItem(
                    "skip",
                    record_name(record),
                    module,
                    crm_id,
                    earlier.billing_id,
                    "approved match is already linked to another record",
                )
            )
            return True
        party = Party(earlier.billing_id, None)
        scored = DuplicateScore(earlier.score, tuple(reasons))
        await self.crm_writer.handle_duplicate(
            module, record, entries, crm_now, party, scored, "overwrite", work
        )
        work.decided.append((int(earlier.id or 0), earlier.state, "linked"))
        return True


def record_name(record: dict[str, Any]) -> str | None:
    """The name a CRM record is shown by."""
    for key in ("Account_Name", "Full_Name", "Last_Name", "display_name"):
        value = record.get(key)
        if isinstance(value, str) and value.strip():
            return value
    return None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None
