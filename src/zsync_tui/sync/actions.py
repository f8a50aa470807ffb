"""What an admin does to chosen links outside a scheduled run: push and unlink.

Push sends the mapped Billing values of linked customers to CRM now, for every field whose
direction lets Billing lead (`both`, `to_crm`): Billing wins those fields, even where CRM changed
since the last sync (that is what the admin asked for). It runs as a small run of its own (a
`SyncRun` of kind `push`, in History): CRM records are read a hundred per call, each Billing
customer once, and CRM is updated a hundred records per call. The links then store what both
sides hold, with their hashes and times, so the next run sees nothing to write (no echo).

Unlink forgets links and leaves both records where they are. So that the next run neither pairs
them again by itself nor creates a second copy of either, each unlinked pair is remembered as a
duplicate match in state `unlinked` ("do not auto-match"): the CRM record is skipped with that
reason, and the Billing customer is neither matched nor created in CRM. Importing a CSV row that
links the pair again (`zsync links import`) lifts the mark.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterable, Sequence
from typing import Any

from sqlmodel import Session, col, select

from zsync_tui.store import Conflict, DuplicateMatch, RecordLink
from zsync_tui.sync.config import ConfigError, FieldMapEntry
from zsync_tui.sync.engine import CustomerSync
from zsync_tui.sync.events import PlanItem, RunReport
from zsync_tui.sync.ledger import Ledger, link_values, store_link_values
from zsync_tui.sync.linked import snapshot
from zsync_tui.sync.mapping import (
    billing_values,
    crm_payload,
    crm_values,
    diff,
    values_hash,
)
from zsync_tui.sync.page_work import PageWork
from zsync_tui.sync.records import billing_time_mark
from zsync_tui.zoho.crm_query import field_chunks, module_name
from zsync_tui.zoho.errors import RateLimited, ZohoError

#: CRM reads ids and takes updates a hundred records per call.
PUSH_BATCH = 100
#: The reason an unlinked CRM record is skipped with, and the duplicate-match state that marks it.
UNLINKED_STATE = "unlinked"
UNLINKED_REASON = "unlinked by the admin"


def pushable(entries: Iterable[FieldMapEntry]) -> list[FieldMapEntry]:
    """The fields Billing may write to CRM."""
    return [entry for entry in entries if entry.direction in ("both", "to_crm")]


async def crm_records_by_id(
    crm: Any, module: str, ids: Sequence[str], fields: Sequence[str]
) -> dict[str, dict[str, Any]]:
    """The CRM records among `ids` that exist, by id: one call per hundred ids and per 50
    fields (CRM's limits on `ids` and `fields`)."""
    found: dict[str, dict[str, Any]] = {}
    for start in range(0, len(ids), PUSH_BATCH):
        chunk_ids = ",".join(ids[start : start + PUSH_BATCH])
        for chunk in field_chunks(fields):
            body = await crm.transport.read_json(
                f"/{module_name(module)}", params={"ids": chunk_ids, "fields": ",".join(chunk)}
            )
            data = body.get("data") if isinstance(body, dict) else None
            for record in data or ():
                if isinstance(record, dict) and record.get("id") is not None:
                    found.setdefault(str(record["id"]), {}).update(record)
    return found


class LinkActions(CustomerSync):
    """A push of chosen links, run like a small sync run (its counts, calls and errors are
    reported and kept like a run's)."""

    async def push(self, link_ids: Sequence[int]) -> RunReport:
        """Send these links' mapped Billing values to CRM (see the module docstring)."""

        async def phases() -> None:
            links = self._pushable_links(link_ids)
            by_module: dict[str, list[RecordLink]] = {}
            for link in links:
                by_module.setdefault(link.crm_module, []).append(link)
            for module, module_links in by_module.items():
                for start in range(0, len(module_links), PUSH_BATCH):
                    await self._push_batch(module, module_links[start : start + PUSH_BATCH])

        return await self._run("push", phases)

    def _pushable_links(self, link_ids: Sequence[int]) -> list[RecordLink]:
        """The links that can be pushed; the others are reported with the reason."""
        chosen: list[RecordLink] = []
        with self.ledger.store.read() as session:
            for link_id in dict.fromkeys(link_ids):
                link = self.ledger.link_by_id(session, link_id)
                if link is None:
                    self.emit(
                        PlanItem(
                            "error",
                            f"link {link_id}",
                            reason="no such link: unlinked meanwhile, or never made",
                        )
                    )
                elif link.billing_entity != "customer":
                    self.emit(
                        PlanItem(
                            "skip",
                            None,
                            link.crm_module,
                            link.crm_id,
                            link.billing_id,
                            "contact persons sync from CRM only; push their customer",
                        )
                    )
                elif link.state == "crm_deleted":
                    self._error(link, "deleted in CRM: there is no record to push to")
                else:
                    chosen.append(link)
        return chosen

    def _error(self, link: RecordLink, reason: str) -> None:
        self.emit(PlanItem("error", None, link.crm_module, link.crm_id, link.billing_id, reason))

    async def _push_batch(self, module: str, links: list[RecordLink]) -> None:
        entries = self.entries_for(module)
        fields = list(dict.fromkeys([*(entry.crm for entry in entries), "Modified_Time"]))
        records = await crm_records_by_id(self.crm, module, [link.crm_id for link in links], fields)
        work = PageWork()
        pushed: list[tuple[RecordLink, list[str], PlanItem]] = []
        present = [link for link in links if link.crm_id in records]
        for link in links:
            if link.crm_id not in records:
                self._error(link, f"CRM {module} {link.crm_id} was not found (deleted?)")
        # Billing's budget bounds how many of these reads are in flight at once.
        customers = await asyncio.gather(
            *(self.billing.get_customer(link.billing_id) for link in present),
            return_exceptions=True,
        )
        try:
            for link, customer in zip(present, customers, strict=True):
                if isinstance(customer, RateLimited):
                    raise customer
                if isinstance(customer, ZohoError):
                    self._error(link, f"Billing customer {link.billing_id}: {customer}")
                    continue
                if isinstance(customer, BaseException):
                    raise customer
                record = records[link.crm_id]
                pushed.append((link, *self._push_one(module, link, entries, record, customer)))
                self.tick("writing")
            await self.crm_writer.flush_updates(work)
        except RateLimited:
            self.crm_writer.discard_updates()
            raise
        errors = [item for item in self.report.items if item.action == "error"]
        refused = {item.crm_id for item in errors}
        whole_batch = [i.reason or "" for i in errors if (i.reason or "").startswith("CRM update")]
        for link, agreed, outcome in pushed:
            if link.crm_hash is None:
                # The CRM did not take the update: the link went back to its old state.
                if link.crm_id not in refused:
                    self._error(link, whole_batch[-1] if whole_batch else "CRM refused the update")
                continue
            self.emit(outcome)  # counted once CRM took it
            work.agreed.append((link, agreed))
            work.changed_links.append(link)
        self.commit(work, None, None)

    def _push_one(
        self,
        module: str,
        link: RecordLink,
        entries: list[FieldMapEntry],
        record: dict[str, Any],
        customer: dict[str, Any],
    ) -> tuple[list[str], PlanItem]:
        """Queue one link's CRM update and store what both sides will hold; the fields that
        now agree on both sides (their open conflicts close), and what was done."""
        before = snapshot(link)
        crm_now = crm_values(record, entries)
        billing_now = billing_values(customer, entries)
        paths = [entry.billing for entry in pushable(entries)]
        to_crm = {p: billing_now.get(p) for p in paths if billing_now.get(p) != crm_now.get(p)}
        stored = link_values(link)
        base = dict(stored["base"]) | {path: billing_now.get(path) for path in paths}
        override = {k: v for k, v in stored["override"].items() if k not in paths}
        crm_after = crm_now | to_crm
        name = billing_now.get("display_name") or crm_now.get("display_name") or link.crm_id
        outcome = PlanItem("skip", name, module, link.crm_id, link.billing_id, "CRM already agrees")
        if to_crm:
            outcome = PlanItem(
                "update_crm",
                name,
                module,
                link.crm_id,
                link.billing_id,
                "pushed from Billing",
                diff(crm_now, to_crm),
            )
            self.crm_writer.queue_update(
                module, link, crm_payload(to_crm, entries), crm_now, before
            )
        link.crm_modified_time = record.get("Modified_Time")
        link.billing_modified_time = billing_time_mark(customer.get("updated_time"), ours=False)
        link.crm_hash = values_hash(crm_after)
        link.billing_hash = values_hash(billing_now)
        store_link_values(link, base, crm_after, billing_now, override)
        return [p for p in paths if crm_after.get(p) == billing_now.get(p)], outcome


def unlink_links(ledger: Ledger, link_ids: Sequence[int]) -> int:
    """Forget these links in one transaction (a customer's contact persons with it), journal
    each, and mark each pair "do not auto-match"; how many links were forgotten."""
    forgotten = 0
    with ledger.store.write() as session:
        for link_id in dict.fromkeys(link_ids):
            link = ledger.link_by_id(session, link_id)
            if link is None:
                continue
            family = [link]
            if link.billing_entity == "customer":
                family += session.exec(
                    select(RecordLink).where(
                        RecordLink.profile_id == ledger.profile_id,
                        RecordLink.billing_entity == "contact_person",
                        RecordLink.billing_parent_id == link.billing_id,
                    )
                ).all()
            for member in family:
                _forget(session, ledger, member)
                forgotten += 1
    return forgotten


def _forget(session: Session, ledger: Ledger, link: RecordLink) -> None:
    conflicts = session.exec(select(Conflict).where(Conflict.link_id == link.id)).all()
    ledger.journal(
        session,
        None,
        "crm",
        link.crm_module,
        link.crm_id,
        "unlink",
        {
            "crm_module": link.crm_module,
            "crm_id": link.crm_id,
            "billing_entity": link.billing_entity,
            "billing_id": link.billing_id,
            "billing_parent_id": link.billing_parent_id,
            "origin": link.origin,
            "state": link.state,
            "last_values": json.loads(link.last_values_json or "{}"),
            "open_conflicts": [c.field for c in conflicts if c.state == "open"],
        },
        None,
    )
    for conflict in conflicts:
        session.delete(conflict)
    ledger.settle_issue(session, "crm", link.crm_module, link.crm_id)
    mark_unlinked(session, ledger.profile_id, link.crm_module, link.crm_id, link.billing_id)
    session.delete(link)


def mark_unlinked(
    session: Session, profile_id: int, crm_module: str, crm_id: str, billing_id: str
) -> None:
    """Remember the pair as "do not auto-match" (one match row per CRM record)."""
    rows = session.exec(
        select(DuplicateMatch).where(
            DuplicateMatch.profile_id == profile_id,
            DuplicateMatch.crm_module == crm_module,
            DuplicateMatch.crm_id == crm_id,
        )
    ).all()
    row = rows[0] if rows else None
    for extra in rows[1:]:
        session.delete(extra)
    if row is None:
        row = DuplicateMatch(
            profile_id=profile_id,
            crm_module=crm_module,
            crm_id=crm_id,
            billing_id=billing_id,
            score=0.0,
            reasons=UNLINKED_REASON,
        )
    row.billing_id = billing_id
    row.state = UNLINKED_STATE
    session.add(row)


def lift_unlinked(
    session: Session, profile_id: int, crm_module: str, crm_ids: Iterable[str]
) -> None:
    """The admin linked these CRM records again: their "do not auto-match" marks go."""
    wanted = list(crm_ids)
    if not wanted:
        return
    for row in session.exec(
        select(DuplicateMatch).where(
            DuplicateMatch.profile_id == profile_id,
            DuplicateMatch.crm_module == crm_module,
            DuplicateMatch.state == UNLINKED_STATE,
            col(DuplicateMatch.crm_id).in_(wanted),
        )
    ).all():
        row.state = "linked"
        session.add(row)


def push_refusal(direction: str, secondary_org: bool) -> ConfigError | None:
    """Why this profile may not push to CRM, if it may not."""
    if secondary_org:
        return ConfigError(
            [
                (
                    "direction",
                    "push is refused: this Billing organization is a second one linked to the "
                    "same CRM organization, so it only fetches from CRM (the first profile's "
                    "Billing organization leads CRM)",
                )
            ]
        )
    if direction != "both_ways":
        return ConfigError(
            [
                (
                    "direction",
                    "push is refused: this profile only fetches from CRM; set direction = "
                    "both_ways (Settings → Edit configuration, or `zsync configure`) to let "
                    "Billing values reach CRM",
                )
            ]
        )
    return None


def link_ids_for(ledger: Ledger, record_ids: Sequence[str]) -> list[int]:
    """The links of these records (a CRM id or a Billing id each), in the order given;
    LookupError naming every id that is not linked."""
    found: list[int] = []
    unknown: list[str] = []
    with ledger.store.read() as session:
        for record_id in record_ids:
            rows = session.exec(
                select(RecordLink.id).where(
                    RecordLink.profile_id == ledger.profile_id,
                    (RecordLink.crm_id == record_id) | (RecordLink.billing_id == record_id),
                )
            ).all()
            if not rows:
                unknown.append(record_id)
            found += [int(row or 0) for row in rows]
    if unknown:
        raise LookupError(
            f"not linked: {', '.join(unknown)}; give a CRM id or a Billing customer id from "
            "`zsync links list`"
        )
    return list(dict.fromkeys(found))
