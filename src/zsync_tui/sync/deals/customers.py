"""The Billing customer of a deal: its Account (accounts modes) or Contact (contacts mode),
found through the customer sync's links, then Billing's CRM reference lookup, and imported
first through the customer sync engine when Billing does not have it yet."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from zsync_tui.sync.deals.ledger import DealLedger
from zsync_tui.sync.deals.model import Deal
from zsync_tui.zoho.errors import ZohoError

log = logging.getLogger(__name__)

#: Brings one CRM record (module, id) into Billing through the customer sync engine.
ImportOne = Callable[[str, str], Awaitable[Any]]


class CustomerImportFailed(Exception):
    """The customer sync could not import a deal's Account or Contact; `str()` says why."""


def crm_owner(deal: Deal, module: str) -> tuple[str, str | None]:
    """(CRM module, record ID) of the party a deal's documents are billed to."""
    if module == "contacts":
        return "Contacts", deal.contact_id
    return "Accounts", deal.account_id


class CustomerResolver:
    """Finds (and, when allowed, imports) the Billing customer of deals; one per poll."""

    def __init__(
        self,
        ledger: DealLedger,
        billing: Any,
        module: str,
        importer: ImportOne | None = None,
    ) -> None:
        self.ledger = ledger
        self.billing = billing
        self.module = module
        self.importer = importer
        self._known: dict[str, str] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    def preload(self, deals: Iterable[Deal]) -> None:
        """Read the links of a page's deals in one query."""
        crm_module = "Contacts" if self.module == "contacts" else "Accounts"
        ids = [crm_owner(deal, self.module)[1] for deal in deals]
        self._known.update(self.ledger.customer_links(crm_module, [i for i in ids if i]))

    async def customer_for(self, deal: Deal, *, may_import: bool = True) -> tuple[str | None, str]:
        """(customer ID, "") or (None, why there is none)."""
        crm_module, crm_id = crm_owner(deal, self.module)
        if not crm_id:
            return None, f"the deal has no {crm_module[:-1]}"
        if crm_id in self._known:
            return self._known[crm_id], ""
        # Two deals of one new account must not import it twice.
        lock = self._locks.setdefault(crm_id, asyncio.Lock())
        async with lock:
            if crm_id in self._known:
                return self._known[crm_id], ""
            found = await self._lookup(crm_module, crm_id)
            if found is None and may_import and self.importer is not None:
                try:
                    await self.importer(crm_module, crm_id)
                except (ZohoError, CustomerImportFailed) as exc:
                    return None, f"importing its {crm_module[:-1]} {crm_id} failed: {exc}"
                found = await self._lookup(crm_module, crm_id)
            if found is None:
                what = f"its {crm_module[:-1]} {crm_id} is not a Billing customer yet"
                if not may_import or self.importer is None:
                    return None, f"{what}: run `zsync sync` to import it"
                return None, f"{what} and the customer sync did not import it (see `zsync status`)"
            self._known[crm_id] = found
            return found, ""

    async def _lookup(self, crm_module: str, crm_id: str) -> str | None:
        linked = self.ledger.customer_links(crm_module, [crm_id]).get(crm_id)
        if linked:
            return linked
        kind = "zcrm_contact_id" if crm_module == "Contacts" else "zcrm_account_id"
        customer = await self.billing.customer_by_crm_reference(crm_id, kind)
        if customer and customer.get("customer_id"):
            return str(customer["customer_id"])
        return None
