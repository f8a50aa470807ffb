"""Seeding the Billing side: customers (business and individual, some linked to CRM), the
planted CRM/Billing duplicates, contact persons, quotes and invoices."""

from __future__ import annotations

import random
from typing import Any

from zsync_tui.sandbox.billing_model import (
    new_contact_person,
    new_customer,
    new_estimate,
    new_invoice,
)
from zsync_tui.sandbox.clock import billing_date, billing_time
from zsync_tui.sandbox.options import SandboxOptions
from zsync_tui.sandbox.seed_pools import Pools, near_duplicate, normal_name, slug
from zsync_tui.sandbox.world import Record, World

DAY = 86400.0


class BillingSeeding:
    """The Billing half of the seeder (mixed into `Seeder`, which sets these attributes)."""

    options: SandboxOptions
    rng: random.Random
    pools: Pools
    world: World
    now: float

    def _time(self, max_age_days: float) -> float:
        """A moment up to `max_age_days` before the seeding time."""
        return self.now - self.rng.uniform(0, max_age_days) * DAY

    def _customers(self, accounts: list[Record], contacts: list[Record]) -> None:
        rng = self.rng
        world = self.world
        planted = min(
            self.options.duplicates, self.options.customers, len(accounts) + len(contacts)
        )
        taken = {normal_name(a["Account_Name"]) for a in accounts}
        taken |= {normal_name(c["Full_Name"]) for c in contacts}
        linked = 0 if self.options.customers <= planted else max(1, self.options.customers // 10)
        for index in range(self.options.customers):
            created = self._time(365)
            link: tuple[str, str] | None = None
            if index < planted:
                body = self._planted(index, accounts, contacts)
            elif index < planted + linked and accounts:
                account = accounts[-1 - (index - planted) % len(accounts)]
                body = {
                    "display_name": account["Account_Name"],
                    "company_name": account["Account_Name"],
                    "customer_sub_type": "business",
                    "email": f"billing@{slug(account['Account_Name'])}.example.com",
                }
                link = ("zcrm_account_id", account["id"])
            elif rng.random() < 0.6:
                name = self._fresh_name(rng.choice(self.pools.companies), index, taken)
                first, last = rng.choice(self.pools.names)
                body = {
                    "display_name": name,
                    "company_name": name,
                    "customer_sub_type": "business",
                    "first_name": first,
                    "last_name": last,
                    "email": f"{slug(first)}.{index}@{slug(name)}.example.net",
                }
            else:
                first, last = rng.choice(self.pools.names)
                full = self._fresh_name(f"{first} {last}", index, taken)
                body = {
                    "display_name": full,
                    "customer_sub_type": "individual",
                    "first_name": first,
                    "last_name": full[len(first) + 1 :] if full.startswith(first + " ") else last,
                    "email": f"{slug(first + last)}{index}@mail.example.net",
                }
            street, city, state, code, country = rng.choice(self.pools.addresses)
            body.setdefault("phone", rng.choice(self.pools.phones))
            body["billing_address"] = {
                "street": street,
                "city": city,
                "state": state,
                "zip": code,
                "country": country,
            }
            customer = new_customer(world, body, billing_time(created))
            customer["created_time"] = billing_time(created)
            if index < planted:
                world.planted_duplicates[index]["customer_id"] = customer["customer_id"]
            if link is not None:
                customer[link[0]] = link[1]
                customer["is_linked_with_zohocrm"] = True
                customer["source"] = "zohocrm"
            if customer["customer_sub_type"] == "business":
                self._contact_persons(customer, billing_time(created))
            self._documents(customer, created)

    def _fresh_name(self, name: str, index: int, taken: set[str]) -> str:
        """A Billing-only name that no CRM record matches, even loosely (no accidental pairs)."""
        candidate = name
        if normal_name(candidate) in taken:
            candidate = f"{name} Billing {index}"
        taken.add(normal_name(candidate))
        return candidate

    def _contact_persons(self, customer: Record, now: str) -> None:
        for _ in range(self.rng.randint(0, 2)):
            first, last = self.rng.choice(self.pools.names)
            body = {
                "first_name": first,
                "last_name": last,
                "email": f"{slug(first + last)}@{slug(customer['display_name'])}.example.com",
                "phone": self.rng.choice(self.pools.phones),
            }
            new_contact_person(self.world, customer, body, now)

    def _planted(
        self, index: int, accounts: list[Record], contacts: list[Record]
    ) -> dict[str, Any]:
        use_account = accounts and (index % 3 != 2 or not contacts)
        variant = index % 4
        if use_account:
            account = accounts[index % len(accounts)]
            if variant == 3:
                # The "&"/"and" variant needs a name that has one of them to swap.
                used = {p["crm_id"] for p in self.world.planted_duplicates}
                account = next(
                    (
                        a
                        for a in accounts
                        if a["id"] not in used
                        and ("&" in a["Account_Name"] or " and " in a["Account_Name"])
                    ),
                    account,
                )
            name = near_duplicate(account["Account_Name"], variant)
            self.world.planted_duplicates.append(
                {
                    "crm_module": "Accounts",
                    "crm_id": account["id"],
                    "kind": "exact" if variant == 0 else "near",
                    "crm_name": account["Account_Name"],
                    "billing_name": name,
                }
            )
            return {
                "display_name": name,
                "company_name": name,
                "customer_sub_type": "business",
                "email": f"accounts@{slug(account['Account_Name'])}.example.com",
                "phone": account.get("Phone") or "",
            }
        contact = contacts[index % len(contacts)]
        name = near_duplicate(contact["Full_Name"], variant)
        self.world.planted_duplicates.append(
            {
                "crm_module": "Contacts",
                "crm_id": contact["id"],
                "kind": "exact" if variant == 0 else "near",
                "crm_name": contact["Full_Name"],
                "billing_name": name,
            }
        )
        return {
            "display_name": name,
            "customer_sub_type": "individual",
            "first_name": contact.get("First_Name") or "",
            "last_name": contact["Last_Name"],
            "email": contact.get("Email") or f"{slug(name)}@mail.example.net",
        }

    def _documents(self, customer: Record, created: float) -> None:
        """A few quotes and invoices so lists and filters have something to show."""
        rng = self.rng
        if rng.random() < 0.3:
            deals = list(self.world.crm["Deals"].records.values())
            line = {"name": "Consulting", "rate": round(rng.uniform(100, 5000), 2), "quantity": 1}
            estimate = new_estimate(
                self.world,
                {"customer_id": customer["customer_id"], "line_items": [line]},
                billing_time(created),
            )
            if deals and rng.random() < 0.5:
                estimate["zcrm_potential_id"] = rng.choice(deals)["id"]
        if rng.random() < 0.3:
            item = {"name": "Subscription", "rate": round(rng.uniform(50, 2000), 2), "quantity": 1}
            invoice = new_invoice(
                self.world,
                {
                    "customer_id": customer["customer_id"],
                    "invoice_items": [item],
                    "date": billing_date(created),
                },
                billing_time(created),
            )
            invoice["status"] = rng.choice(("draft", "sent", "paid"))
            if invoice["status"] == "paid":
                invoice["balance"] = 0.0
