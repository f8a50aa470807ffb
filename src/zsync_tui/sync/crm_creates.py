"""Both ways: Billing customers nobody matched become CRM records (Business → Accounts,
Individual → Contacts), a hundred per insert, each batch behind committed outbox intents.

A pending CRM create (a crash, or an ambiguous failure) is settled at the start of the next run:
CRM search by the natural key (Account_Name, or Email for contacts); found and not yet linked →
adopted; not found → abandoned, so the customer is offered again.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from zsync_tui.sync.crashpoints import checkpoint
from zsync_tui.sync.events import PlanItem
from zsync_tui.sync.mapping import billing_values, crm_payload, crm_values
from zsync_tui.sync.page_work import PageWork
from zsync_tui.zoho.crm import criterion
from zsync_tui.zoho.errors import AmbiguousWrite, RateLimited, ZohoError

if TYPE_CHECKING:
    from zsync_tui.sync.crm_writer import CrmWriter

BATCH = 100


async def create_unmatched_in_crm(writer: CrmWriter) -> None:
    run = writer.run
    queued: dict[str, list[tuple[str, dict[str, Any], dict[str, Any]]]] = {}
    refused = set() if run.full else run.ledger.issue_ids("billing", "customer")
    for customer_id, summary in list(run.unlinked.items()):
        if run.cancel.is_set():
            return
        if customer_id in refused:
            # CRM refused it before: tried again when a full run is asked for.
            run.emit(
                PlanItem(
                    "skip", summary.get("name"), None, None, customer_id, "refused by CRM earlier"
                )
            )
            continue
        module = writer.target_module(summary.get("sub_type"))
        if module is None:
            continue
        name = summary.get("name")
        run.emit(PlanItem("create_in_crm", name, module, None, customer_id))
        if run.dry_run:
            continue
        try:
            customer = await run.billing.get_customer(customer_id)
        except RateLimited:
            raise
        except ZohoError as exc:
            run.emit(PlanItem("error", name, module, None, customer_id, str(exc)))
            continue
        queued.setdefault(module, []).append(
            (customer_id, customer, _crm_record(writer, module, customer))
        )
        if len(queued[module]) >= BATCH:
            await _insert(writer, module, queued.pop(module))
    for module, items in queued.items():
        await _insert(writer, module, items)


def _crm_record(writer: CrmWriter, module: str, customer: dict[str, Any]) -> dict[str, Any]:
    entries = [e for e in writer.run.entries_for(module) if e.direction != "to_billing"]
    values = {k: v for k, v in billing_values(customer, entries).items() if v is not None}
    record = crm_payload(values, entries)
    if module == "Accounts":
        record.setdefault(
            "Account_Name", customer.get("display_name") or customer.get("company_name")
        )
    else:
        last = record.get("Last_Name") or customer.get("last_name") or customer.get("display_name")
        record["Last_Name"] = last
    return record


def natural_key(module: str, record: dict[str, Any]) -> str:
    if module == "Contacts" and record.get("Email"):
        return criterion("Email", "equals", record["Email"])
    field = "Account_Name" if module == "Accounts" else "Last_Name"
    return criterion(field, "equals", record.get(field) or "")


async def _insert(
    writer: CrmWriter, module: str, items: list[tuple[str, dict[str, Any], dict[str, Any]]]
) -> None:
    run = writer.run
    work = PageWork()
    intent_ids = run.ledger.record_intents(
        run.run_id,
        "crm",
        f"create:{module}",
        [(customer_id, record) for customer_id, _, record in items],
    )
    checkpoint("crm intents committed")
    try:
        results = await run.crm.insert(module, [record for _, _, record in items])
    except AmbiguousWrite as exc:
        # Left pending: the next run looks each one up before anything is sent again.
        run.emit(PlanItem("error", None, module, None, None, f"ambiguous CRM insert: {exc}"))
        return
    except RateLimited:
        raise
    except ZohoError as exc:
        for intent_id in intent_ids:
            work.intent_failed(intent_id, exc)
        run.emit(PlanItem("error", None, module, None, None, str(exc)))
        run.commit(work, None, None)
        return
    checkpoint("crm insert sent, not committed")
    try:
        await _link_results(writer, module, items, intent_ids, results, work)
        await writer.flush_updates(work)
    finally:
        run.commit(work, None, None)


async def _link_results(
    writer: CrmWriter,
    module: str,
    items: list[tuple[str, dict[str, Any], dict[str, Any]]],
    intent_ids: list[int],
    results: list[Any],
    work: PageWork,
) -> None:
    run = writer.run
    for (customer_id, customer, record), intent_id, result in zip(
        items, intent_ids, results, strict=False
    ):
        if not result.ok or not result.id:
            reason = _refusal_reason(run, module, result)
            work.intents_done.append((intent_id, "failed", None, reason[:500]))
            work.issues.append(
                (
                    "billing",
                    "customer",
                    customer_id,
                    customer.get("display_name"),
                    reason[:120],
                    reason,
                    customer.get("updated_time"),
                )
            )
            run.emit(
                PlanItem("error", customer.get("display_name"), module, None, customer_id, reason)
            )
            continue
        await _link_created(
            writer, module, result.id, customer, record, result.details.get("Modified_Time"), work
        )
        work.settled.append(("billing", "customer", customer_id))
        work.intents_done.append((intent_id, "done", result.id, None))


async def _link_created(
    writer: CrmWriter,
    module: str,
    crm_id: str,
    customer: dict[str, Any],
    record: dict[str, Any],
    modified: Any,
    work: PageWork,
) -> None:
    """Link a CRM record made from a Billing customer, and settle at once what differs (CRM
    fills required or computed fields, such as Last_Name and Full_Name, that Billing lacks)."""
    run = writer.run
    entries = run.entries_for(module)
    seen = dict(record)
    if module == "Contacts" and not seen.get("Full_Name"):
        # What CRM computes; reading it back would cost a call per record.
        seen["Full_Name"] = " ".join(
            str(part) for part in (record.get("First_Name"), record.get("Last_Name")) if part
        )
    crm_now = crm_values(seen, entries)
    billing_now = billing_values(customer, entries)
    link = writer.new_link(
        module,
        crm_id,
        str(customer["customer_id"]),
        "billing",
        crm_now,
        billing_now,
        {"Modified_Time": modified},
        customer,
    )
    work.journal.append(("crm", module, crm_id, "create", None, record))
    try:
        await run.merge_and_write(
            module,
            {"id": crm_id, "Modified_Time": modified},
            link,
            entries,
            None,
            crm_now,
            billing_now,
            customer,
            work,
        )
    except ZohoError as exc:
        if link not in work.new_links:
            link.crm_hash = None
            work.new_links.append(link)
        if isinstance(exc, RateLimited):
            raise
        run.emit(
            PlanItem(
                "error", customer.get("display_name"), module, crm_id, link.billing_id, str(exc)
            )
        )


async def settle_pending_crm_creates(writer: CrmWriter) -> None:
    run = writer.run
    if run.dry_run:
        return
    work = PageWork()
    intents = run.ledger.pending_intents()
    await _settle_contact_persons(
        writer, [i for i in intents if i.operation == "create_contact_person"], work
    )
    pending = [i for i in intents if i.side == "crm"]
    for intent in pending:
        module = intent.operation.partition(":")[2] or "Accounts"
        record = json.loads(intent.payload_json)
        customer_id = intent.natural_key
        with run.ledger.store.read() as session:
            if run.ledger.links_by_billing(session, [customer_id]):
                work.intents_done.append((int(intent.id or 0), "adopted", None, "already linked"))
                continue
        found = await run.crm.search(module, criteria=natural_key(module, record))
        with run.ledger.store.read() as session:
            taken = run.ledger.links_by_crm(session, module, [str(r.get("id")) for r in found])
        match = next((r for r in found if str(r.get("id")) not in taken), None)
        if match is None:
            work.intents_done.append((int(intent.id or 0), "abandoned", None, "not found in CRM"))
            continue
        try:
            customer = await run.billing.get_customer(customer_id)
        except ZohoError as exc:
            if isinstance(exc, RateLimited):
                raise
            work.intents_done.append((int(intent.id or 0), "abandoned", None, str(exc)[:300]))
            continue
        await _link_created(
            writer, module, str(match["id"]), customer, match, match.get("Modified_Time"), work
        )
        work.intents_done.append((int(intent.id or 0), "adopted", str(match["id"]), None))
    await writer.flush_updates(work)
    run.commit(work, None, None)


async def _settle_contact_persons(writer: CrmWriter, pending: list[Any], work: Any) -> None:
    """A contact person create left pending: adopt the parent's person with that email."""
    run = writer.run
    for intent in pending:
        _, crm_id, parent_id = intent.natural_key.split(":", 2)
        body = json.loads(intent.payload_json)
        persons = await run.billing.list_contact_persons(parent_id)
        match = next(
            (p for p in persons if (p.get("email") or "").casefold() == body["email"].casefold()),
            None,
        )
        if match is None:
            work.intents_done.append((int(intent.id or 0), "abandoned", None, "not found"))
            continue
        values = {k: (v or None) for k, v in body.items()}
        person_id = str(match["contactperson_id"])
        link = writer.new_link(
            "Contacts",
            crm_id,
            person_id,
            "crm",
            values,
            values,
            None,
            match,
            "contact_person",
            parent_id,
        )
        work.new_links.append(link)
        work.intents_done.append((int(intent.id or 0), "adopted", person_id, None))


def _refusal_reason(run: Any, module: str, result: Any) -> str:
    """CRM's refusal, and for a duplicate the record it clashes with and what to do."""
    reason = f"CRM refused the record: {result.code} {result.message}"
    other = result.details.get("duplicate_record")
    other_id = str(other.get("id") or "") if isinstance(other, dict) else ""
    if result.code != "DUPLICATE_DATA" or not other_id:
        return reason
    with run.ledger.store.read() as session:
        link = run.ledger.links_by_crm(session, module, [other_id]).get(other_id)
    field = result.field or "a unique field"
    where = f"CRM {module} {other_id} has the same {field}"
    if link is not None and link.billing_entity == "contact_person":
        return (
            f"{where} and is a contact person of Billing customer {link.billing_parent_id}: "
            "the same person twice in Billing; remove one there or change one email"
        )
    if link is not None:
        return (
            f"{where} and is linked to Billing customer {link.billing_id}: two Billing "
            "customers for one CRM record; merge them in Billing or change one"
        )
    return f"{where}: link the two (a row for `zsync links import`) or change one"
