"""Linking a deal to quotes, sales orders and invoices by hand, and dissociating them.

Rules: the document must belong to the Billing customer the deal's Account (or Contact, in
contacts mode) is linked to; a document linked to another deal is refused; a link a trigger
made cannot be dissociated. Each link is kept in the store and on the Billing record (see
`documents.link_changes`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from zsync_tui.store import DealLink
from zsync_tui.sync.deals.customers import CustomerResolver
from zsync_tui.sync.deals.documents import get_document, link_changes, update_document
from zsync_tui.sync.deals.ledger import DealLedger
from zsync_tui.sync.deals.model import DEAL_FIELDS, Deal
from zsync_tui.zoho.errors import NotFound

ENTITY_LABEL = {"estimate": "quote", "invoice": "invoice", "salesorder": "sales order"}


class LinkRefused(Exception):
    """A link or unlink the rules do not allow; `str()` says why and what to do."""


@dataclass(frozen=True)
class LinkResult:
    """What a link or unlink did; `on_billing` is False when only the store holds it."""

    deal_id: str
    entity: str
    billing_id: str
    origin: str
    on_billing: bool
    note: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "deal_id": self.deal_id,
            "entity": self.entity,
            "billing_id": self.billing_id,
            "origin": self.origin,
            "on_billing": self.on_billing,
            "note": self.note,
        }


class DealLinker:
    """Link and dissociate deals and Billing documents for one profile."""

    def __init__(self, ledger: DealLedger, crm: Any, billing: Any, module: str) -> None:
        self.ledger = ledger
        self.crm = crm
        self.billing = billing
        self.module = module

    async def link(self, deal_id: str, entity: str, billing_id: str) -> LinkResult:
        label = ENTITY_LABEL[entity]
        existing = self.ledger.link_of(entity, billing_id)
        if existing is not None and existing.deal_id != deal_id:
            raise LinkRefused(
                f"{label} {billing_id} is already linked to deal {existing.deal_id}; unlink it "
                "there first"
            )
        deal = await self._deal(deal_id)
        resolver = CustomerResolver(self.ledger, self.billing, self.module)
        customer_id, why = await resolver.customer_for(deal, may_import=False)
        if customer_id is None:
            raise LinkRefused(f"deal {deal_id} cannot be linked: {why}")
        document = await self._document(entity, billing_id)
        owner = str(document.get("customer_id") or "")
        if owner != customer_id:
            name = document.get("customer_name") or owner
            raise LinkRefused(
                f"{label} {billing_id} belongs to customer {name} ({owner}), not to the customer "
                f"{customer_id} the deal's {'Contact' if self.module == 'contacts' else 'Account'}"
                " is linked to; link a document of that customer"
            )
        changes = link_changes(entity, deal_id, document)
        note = ""
        if changes:
            await update_document(self.billing, entity, billing_id, changes)
        elif entity == "invoice":
            note = (
                f"the invoice's reference number already holds "
                f"{document.get('reference_number')!r}; the link is kept in zsync only"
            )
        self.ledger.add_link(deal_id, entity, billing_id, "manual")
        origin = existing.origin if existing is not None else "manual"
        return LinkResult(deal_id, entity, billing_id, origin, bool(changes), note)

    async def unlink(self, deal_id: str, entity: str, billing_id: str) -> LinkResult:
        label = ENTITY_LABEL[entity]
        link = next(
            (
                row
                for row in self.ledger.links(deal_id)
                if row.billing_entity == entity and row.billing_id == billing_id
            ),
            None,
        )
        if link is None:
            raise LinkRefused(f"deal {deal_id} is not linked to {label} {billing_id}")
        if link.origin == "trigger":
            raise LinkRefused(
                f"{label} {billing_id} was made by a deal-stage trigger for deal {deal_id}; "
                "links made by triggers cannot be dissociated"
            )
        on_billing = False
        try:
            document = await self._document(entity, billing_id)
        except LinkRefused:
            document = None
        if document is not None:
            changes = link_changes(entity, None, document)
            if changes and _links_to(entity, document, deal_id):
                await update_document(self.billing, entity, billing_id, changes)
                on_billing = True
        self.ledger.remove_link(int(link.id or 0))
        return LinkResult(deal_id, entity, billing_id, link.origin, on_billing)

    def list(self, deal_id: str | None = None) -> list[DealLink]:
        return self.ledger.links(deal_id)

    async def _deal(self, deal_id: str) -> Deal:
        try:
            return Deal.from_record(await self.crm.get_record("Deals", deal_id, DEAL_FIELDS))
        except NotFound:
            raise LinkRefused(f"CRM has no deal {deal_id}; check the ID") from None

    async def _document(self, entity: str, billing_id: str) -> dict[str, Any]:
        try:
            return await get_document(self.billing, entity, billing_id)
        except NotFound:
            raise LinkRefused(
                f"Billing has no {ENTITY_LABEL[entity]} {billing_id} (or sales orders are not "
                "available in this organization)"
            ) from None


def _links_to(entity: str, document: dict[str, Any], deal_id: str) -> bool:
    if entity in ("estimate", "salesorder"):
        return str(document.get("zcrm_potential_id") or "") == deal_id
    return str(document.get("reference_number") or "").endswith(deal_id)
