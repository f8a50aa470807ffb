"""The writes of a run, each create behind a committed outbox intent.

Billing creates: the intent (natural key: the CRM id, payload: the body) commits first; a crash
or an ambiguous failure leaves it pending, and the next run's Billing scan adopts the customer
it finds with that display name created after the intent (never creating it twice).
CRM creates: the same, looked up by CRM search (Account_Name, or Email for contacts).
Updates are idempotent and need no intent.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from zsync_tui.store import DuplicateMatch, OutboxIntent, RecordLink, new_record_link
from zsync_tui.sync.config import FieldMapEntry
from zsync_tui.sync.crashpoints import checkpoint
from zsync_tui.sync.duplicates import DuplicateScore, Party
from zsync_tui.sync.events import PlanItem
from zsync_tui.sync.ledger import values_json
from zsync_tui.sync.linked import LinkSnapshot, restore
from zsync_tui.sync.mapping import (
    Values,
    billing_payload,
    billing_values,
    values_hash,
)
from zsync_tui.sync.records import billing_time_mark, parse_time
from zsync_tui.zoho.errors import AmbiguousWrite, RateLimited, ValidationFailed, ZohoError

#: Billing's customer create requires `email` (its OpenAPI specification and its answers).
EMAIL_REQUIRED = ValidationFailed("email is required", field="email", side="billing")

if TYPE_CHECKING:
    from zsync_tui.sync.engine import CustomerSync
    from zsync_tui.sync.page_work import PageWork

CRM_BATCH = 100


class CrmWriter:
    """Creates and updates on both sides for one run."""

    def __init__(self, run: CustomerSync) -> None:
        self.run = run
        self.updates: dict[str, list[tuple[RecordLink, dict[str, Any], Values, LinkSnapshot]]] = {}

    # -- Billing creates -------------------------------------------------------------------

    async def create_in_billing(
        self,
        module: str,
        record: dict[str, Any],
        entries: list[FieldMapEntry],
        crm_now: Values,
        work: PageWork,
    ) -> None:
        """Plan a Billing customer for a CRM record; sent with its batch by `flush`."""
        run = self.run
        crm_id = str(record["id"])
        values = {k: v for k, v in crm_now.items() if v is not None}
        body = billing_payload(values)
        body.setdefault("display_name", _display_name(record))
        body["customer_sub_type"] = "business" if module == "Accounts" else "individual"
        if module == "Accounts":
            body.setdefault("company_name", body["display_name"])
        if not body.get("email") and module == "Accounts":
            body["email"] = await self.account_email(crm_id)
        if not body.get("email"):
            # Billing would refuse it: an issue now, in the plan too, and no call spent.
            run.refuse(work, module, record, EMAIL_REQUIRED, sent=False)
            return
        run.emit(
            PlanItem(
                "create_in_billing",
                body["display_name"],
                module,
                crm_id,
                None,
                None,
                {k: [None, v] for k, v in values.items()},
            )
        )
        if not run.dry_run:
            work.billing_creates.append((module, record, entries, crm_now, body))

    async def flush(self, work: PageWork) -> None:
        """Send a batch's writes: Billing creates (intents first), then CRM updates."""
        from zsync_tui.sync.contact_persons import send_person_creates

        await self.send_billing_creates(work)
        await send_person_creates(self, work)
        await self.flush_updates(work)

    async def send_billing_creates(self, work: PageWork) -> None:
        """One transaction records every create's intent; then each is sent and linked.

        A refused record becomes an issue; an ambiguous one keeps its intent pending (the next
        run's Billing scan adopts the customer) and holds the cursor; a spent budget holds the
        cursor before every record not sent.
        """
        run = self.run
        creates, work.billing_creates = work.billing_creates, []
        if not creates:
            return
        intent_ids = run.ledger.record_intents(
            run.run_id,
            "billing",
            "create_customer",
            [(f"{module}:{record['id']}", body) for module, record, _, _, body in creates],
        )
        checkpoint("billing intents committed")
        for index, ((module, record, entries, crm_now, body), intent_id) in enumerate(
            zip(creates, intent_ids, strict=True)
        ):
            try:
                created = await run.billing.create_customer(body)
            except AmbiguousWrite as exc:
                run.fail(work, record, f"ambiguous write, looked up before any retry: {exc}")
                continue
            except RateLimited:
                unsent = [record for _, record, _, _, _ in creates[index:]]
                work.abandon_unsent(unsent, intent_ids[index:])
                raise
            except ValidationFailed as exc:
                work.intent_failed(intent_id, exc)
                run.refuse(work, module, record, exc)
                continue
            except ZohoError as exc:
                work.intent_failed(intent_id, exc)
                run.fail(work, record, str(exc))
                continue
            checkpoint("billing create sent, not committed")
            customer_id = str(created["customer_id"])
            link = self.new_link(
                module,
                str(record["id"]),
                customer_id,
                "crm",
                crm_now,
                billing_values(created, entries),
                record,
                created,
            )
            work.new_links.append(link)
            work.intents_done.append((intent_id, "done", customer_id, None))
            work.journal.append(("billing", "customer", customer_id, "create", None, body))

    async def account_email(self, account_id: str) -> str:
        """Billing requires an email; an account has none, so its first contact's is used."""
        known = self.run.account_emails
        if known is not None:
            return known.get(account_id, "")
        contacts = await self.run.crm.account_contacts(account_id, ["Email", "Last_Name"])
        for contact in contacts:
            if isinstance(contact.get("Email"), str) and contact["Email"].strip():
                return str(contact["Email"]).strip()
        return ""

    def new_link(
        self,
        module: str,
        crm_id: str,
        billing_id: str,
        origin: str,
        crm_now: Values,
        billing_now: Values,
        record: dict[str, Any] | None,
        customer: dict[str, Any] | None,
        entity: str = "customer",
        parent: str | None = None,
    ) -> RecordLink:
        crm_hash = values_hash(crm_now)
        link = new_record_link(
            profile_id=self.run.ledger.profile_id,
            crm_module=module,
            crm_id=crm_id,
            billing_entity=entity,
            billing_id=billing_id,
            billing_parent_id=parent,
            origin=origin,
            crm_hash=crm_hash,
            billing_hash=crm_hash if billing_now == crm_now else values_hash(billing_now),
            crm_modified_time=(record or {}).get("Modified_Time"),
            billing_modified_time=billing_time_mark(
                (customer or {}).get("updated_time"), ours=True
            ),
            last_values_json=values_json(dict(crm_now), dict(crm_now), dict(billing_now)),
        )
        return link

    def pending_billing_creates(self) -> list[OutboxIntent]:
        return [
            i
            for i in self.run.ledger.pending_intents()
            if i.side == "billing" and i.operation == "create_customer"
        ]

    def adopt_billing_create(self, customer: dict[str, Any], pending: list[OutboxIntent]) -> bool:
        """Adopt `customer` if a pending create names it: link it and settle the intent."""
        name = customer.get("display_name")
        created = parse_time(customer.get("created_time"))
        for intent in pending:
            body = json.loads(intent.payload_json)
            if body.get("display_name") != name or intent.state != "pending":
                continue
            made_at = intent.created_at
            if (
                created is not None
                and made_at.tzinfo is not None
                and created < made_at - timedelta(seconds=5)
            ):
                continue
            module, _, crm_id = intent.natural_key.partition(":")
            entries = self.run.entries_for(module)
            values = billing_values(customer, entries) | billing_values(body, entries)
            link = self.new_link(
                module, crm_id, str(customer["customer_id"]), "crm", values, values, None, customer
            )
            link.crm_hash = None  # re-compare with CRM on the next read of this record
            if not self.run.dry_run:
                with self.run.ledger.store.write() as session:
                    session.add(link)
                    self.run.ledger.finish_intent(
                        session, int(intent.id or 0), "adopted", str(customer["customer_id"])
                    )
                    self.run.ledger.journal(
                        session,
                        self.run.run_id,
                        "billing",
                        "customer",
                        str(customer["customer_id"]),
                        "adopt",
                        None,
                        body,
                    )
            intent.state = "adopted"
            return True
        return False

    def abandon_unadopted_billing_creates(self, pending: list[OutboxIntent]) -> None:
        """A pending create that Billing does not have was never made: let it be made again."""
        left = [i for i in pending if i.state == "pending"]
        if not left or self.run.dry_run:
            return
        with self.run.ledger.store.write() as session:
            for intent in left:
                self.run.ledger.finish_intent(
                    session, int(intent.id or 0), "abandoned", None, "not found in Billing"
                )

    # -- duplicates --------------------------------------------------------------------------

    async def handle_duplicate(
        self,
        module: str,
        record: dict[str, Any],
        entries: list[FieldMapEntry],
        crm_now: Values,
        party: Party,
        scored: DuplicateScore,
        policy: str,
        work: PageWork,
    ) -> bool:
        """Act on a match per the policy; False means "create anyway" (clone)."""
        run = self.run
        crm_id = str(record["id"])
        name = crm_now.get("display_name") or party.name
        if policy == "clone":
            return False
        run.index.take(party.record_id)
        run.unlinked.pop(party.record_id, None)
        if policy in ("skip", "review"):
            state = "skipped" if policy == "skip" else "waiting"
            reason = "duplicate skipped" if policy == "skip" else "duplicate waiting for review"
            run.emit(
                PlanItem(
                    "skip",
                    name,
                    module,
                    crm_id,
                    party.record_id,
                    reason,
                    score=scored.score,
                    reasons=list(scored.reasons),
                )
            )
            if not run.dry_run:
                with run.ledger.store.write() as session:
                    session.add(
                        DuplicateMatch(
                            profile_id=run.ledger.profile_id,
                            crm_module=module,
                            crm_id=crm_id,
                            billing_id=party.record_id,
                            score=scored.score,
                            reasons="; ".join(scored.reasons),
                            state=state,
                        )
                    )
            return True
        # overwrite, or a match the admin approved: link and merge.
        run.emit(
            PlanItem(
                "link",
                name,
                module,
                crm_id,
                party.record_id,
                None,
                score=scored.score,
                reasons=list(scored.reasons),
            )
        )
        current = await run.billing.get_customer(party.record_id)
        link = self.new_link(
            module,
            crm_id,
            party.record_id,
            "duplicate",
            crm_now,
            billing_values(current, entries),
            record,
            current,
        )
        await run.merge_and_write(
            module,
            record,
            link,
            entries,
            None,
            crm_now,
            billing_values(current, entries),
            current,
            work,
        )
        return True

    async def sync_contact_person(
        self,
        record: dict[str, Any],
        link: RecordLink | None,
        parents: dict[str, RecordLink],
        work: PageWork,
    ) -> None:
        from zsync_tui.sync.contact_persons import sync_contact_person

        await sync_contact_person(self, record, link, parents, work)

    # -- CRM updates, batched ----------------------------------------------------------------

    def queue_update(
        self,
        module: str,
        link: RecordLink,
        body: dict[str, Any],
        before: Values,
        saved: LinkSnapshot,
    ) -> None:
        """Queue a CRM update; `saved` restores the link if the CRM does not take it."""
        if self.run.dry_run:
            return
        self.updates.setdefault(module, []).append((link, body, before, saved))

    def discard_updates(self) -> None:
        """Drop the queued updates (the run stops): their links go back to their old state."""
        for queued in self.updates.values():
            for link, _, _, saved in queued:
                restore(link, saved)
        self.updates.clear()

    async def flush_updates(self, work: PageWork) -> None:
        """Send the queued CRM updates, a hundred per call (idempotent, so no outbox)."""
        run = self.run
        for module, queued in list(self.updates.items()):
            self.updates[module] = []
            for start in range(0, len(queued), CRM_BATCH):
                batch = queued[start : start + CRM_BATCH]
                records = [{"id": link.crm_id, **body} for link, body, _, _ in batch]
                checkpoint("before crm update")
                try:
                    results = await run.crm.update(module, records)
                except ZohoError as exc:
                    for link, _, _, saved in queued[start:]:
                        restore(link, saved)
                    if isinstance(exc, RateLimited):
                        raise
                    run.emit(PlanItem("error", None, module, None, None, f"CRM update: {exc}"))
                    break
                checkpoint("crm update sent, not committed")
                for (link, body, before, saved), result in zip(batch, results, strict=False):
                    if result.ok:
                        link.crm_modified_time = (
                            result.details.get("Modified_Time") or link.crm_modified_time
                        )
                        work.journal.append(("crm", module, link.crm_id, "update", before, body))
                        continue
                    restore(link, saved)
                    reason = f"CRM refused the update: {result.code} {result.message}"
                    run.emit(PlanItem("error", None, module, link.crm_id, link.billing_id, reason))
                    work.issues.append(
                        ("crm", module, link.crm_id, None, reason[:120], reason, None)
                    )

    # -- CRM creates from Billing ------------------------------------------------------------

    def target_module(self, sub_type: str | None) -> str | None:
        module = self.run.config.module
        if module == "accounts":
            return "Accounts"
        if module == "contacts":
            return "Contacts"
        return "Contacts" if sub_type == "individual" else "Accounts"

    async def create_unmatched_in_crm(self) -> None:
        from zsync_tui.sync.crm_creates import create_unmatched_in_crm

        await create_unmatched_in_crm(self)

    async def settle_pending_creates(self) -> None:
        from zsync_tui.sync.crm_creates import settle_pending_crm_creates

        await settle_pending_crm_creates(self)


def _display_name(record: dict[str, Any]) -> str:
    for key in ("Account_Name", "Full_Name"):
        value = record.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    parts = [record.get("First_Name"), record.get("Last_Name")]
    return " ".join(str(p) for p in parts if p) or f"CRM {record.get('id')}"
