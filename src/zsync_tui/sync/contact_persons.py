"""Accounts and their contacts: a CRM Contact under a synced Account becomes a contact person
of that Account's customer (CRM to Billing; Billing's contact persons carry no CRM id and are
not read back, which would cost a call per customer).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from zsync_tui.store import RecordLink
from zsync_tui.sync.crashpoints import checkpoint
from zsync_tui.sync.events import PlanItem
from zsync_tui.sync.field_defaults import CONTACT_PERSON_PAIRS
from zsync_tui.sync.ledger import store_link_values
from zsync_tui.sync.mapping import canonical, values_hash
from zsync_tui.sync.page_work import PageWork
from zsync_tui.sync.records import billing_time_mark
from zsync_tui.zoho.errors import AmbiguousWrite, RateLimited, ValidationFailed, ZohoError

if TYPE_CHECKING:
    from zsync_tui.sync.crm_writer import CrmWriter


async def sync_contact_person(
    writer: CrmWriter,
    record: dict[str, Any],
    link: RecordLink | None,
    parents: dict[str, RecordLink],
    work: PageWork,
) -> None:
    run = writer.run
    crm_id = str(record["id"])
    parent = parents.get(str(record["Account_Name"]["id"]))
    name = record.get("Full_Name") or record.get("Last_Name")
    if parent is None or parent.state == "crm_deleted":
        run.emit(PlanItem("skip", name, "Contacts", crm_id, None, "its account is not synced"))
        return
    earlier = run.earlier_match("Contacts", crm_id) if link is None else None
    if earlier is not None and earlier.state == "unlinked":
        run.emit(PlanItem("skip", name, "Contacts", crm_id, None, "unlinked by the admin"))
        return
    values = {billing: canonical(record.get(crm)) for crm, billing in CONTACT_PERSON_PAIRS}
    digest = values_hash(values)
    if link is not None and link.crm_hash == digest:
        return
    if not values.get("email"):
        run.emit(
            PlanItem(
                "skip",
                name,
                "Contacts",
                crm_id,
                parent.billing_id,
                "contact person needs an email",
            )
        )
        return
    body = {k: v or "" for k, v in values.items()}
    if link is None:
        run.emit(
            PlanItem(
                "create_in_billing",
                name,
                "Contacts",
                crm_id,
                parent.billing_id,
                "contact person",
            )
        )
        if not run.dry_run:
            work.person_creates.append((record, values, body, parent.billing_id))
            work.person_parents[parent.billing_id] = parent
        return
    run.emit(
        PlanItem("update_billing", name, "Contacts", crm_id, link.billing_id, "contact person")
    )
    if run.dry_run:
        return
    person = await run.billing.update_contact_person(
        link.billing_parent_id or parent.billing_id, link.billing_id, body
    )
    if (link.billing_parent_id or parent.billing_id) == parent.billing_id:
        note_own_person_write(run.dirty, parent, person, work)
    link.crm_hash = digest
    store_link_values(link, values, values, values)
    work.changed_links.append(link)
    work.journal.append(("billing", "contact_person", link.billing_id, "update", None, body))


async def send_person_creates(writer: CrmWriter, work: PageWork) -> None:
    """Contact persons of a batch: intents in one transaction, then each create and its link.
    A pending one (crash, ambiguous answer) is adopted by email at the next run's start."""
    run = writer.run
    creates, work.person_creates = work.person_creates, []
    if not creates:
        return
    intent_ids = run.ledger.record_intents(
        run.run_id,
        "billing",
        "create_contact_person",
        [(f"Contacts:{r['id']}:{parent}", body) for r, _, body, parent in creates],
    )
    checkpoint("contact person intents committed")
    for index, ((record, values, body, parent_id), intent_id) in enumerate(
        zip(creates, intent_ids, strict=True)
    ):
        try:
            person = await run.billing.create_contact_person(parent_id, body)
        except AmbiguousWrite as exc:
            run.fail(work, record, f"ambiguous write, looked up before any retry: {exc}")
            continue
        except RateLimited:
            work.abandon_unsent([unsent for unsent, _, _, _ in creates[index:]], intent_ids[index:])
            raise
        except ValidationFailed as exc:
            work.intent_failed(intent_id, exc)
            run.refuse(work, "Contacts", record, exc)
            continue
        except ZohoError as exc:
            work.intent_failed(intent_id, exc)
            run.fail(work, record, str(exc))
            continue
        checkpoint("contact person created, not committed")
        person_id = str(person.get("contactperson_id"))
        new = writer.new_link(
            "Contacts",
            str(record["id"]),
            person_id,
            "crm",
            values,
            values,
            record,
            person,
            "contact_person",
            parent_id,
        )
        work.new_links.append(new)
        work.intents_done.append((intent_id, "done", person_id, None))
        parent = work.person_parents.get(parent_id)
        if parent is not None:
            note_own_person_write(run.dirty, parent, person, work)
        work.journal.append(("billing", "contact_person", person_id, "create", None, body))


def note_own_person_write(
    dirty: dict[int, Any], parent: RecordLink, person: dict[str, Any], work: PageWork
) -> None:
    """Creating or changing a contact person moves its customer's `updated_time`: remember the
    new time as our own write, so the next run's list does not take it for a Billing edit (and
    read the customer again). As after any write of ours, the list's values are compared with
    the stored ones before the time is trusted; an edit of a field the list omits (address,
    notes) made between this run's list read and our write goes unseen until the customer
    changes again (the blind spot of every own-write time). A customer with a Billing edit
    still to merge keeps its old time: that merge reads it anyway."""
    if parent.id is None or int(parent.id) in dirty or parent.billing_entity != "customer":
        return
    mark = billing_time_mark(person.get("updated_time"), ours=True)
    if mark is None or mark == parent.billing_modified_time:
        return
    parent.billing_modified_time = mark
    work.changed_links.append(parent)
