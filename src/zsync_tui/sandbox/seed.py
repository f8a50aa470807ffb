"""A deterministic fake world: companies, people, deals, Billing customers and documents."""

from __future__ import annotations

import random
import re
from typing import Any

from faker import Faker

from zsync_tui.sandbox.catalog import DEAL_STAGES, PIPELINE_NAME, STAGE_PROBABILITY
from zsync_tui.sandbox.clock import billing_date, billing_time, crm_time
from zsync_tui.sandbox.custom_views import build_views
from zsync_tui.sandbox.options import SandboxOptions
from zsync_tui.sandbox.world import Record, World

LOCALES = ("en_US", "en_GB", "de_DE", "fr_FR", "es_ES", "ja_JP", "pl_PL", "sv_SE")
LONG_NAME_TAIL = (
    " International Holdings and Consolidated Trading Partners of the Northern Hemisphere"
)
POOL_MAX = 400
DAY = 86400.0


_FAKERS: dict[str, Faker] = {}


def _faker(locale: str) -> Faker:
    """One Faker per locale per process (building one is slow); callers reseed it."""
    fake = _FAKERS.get(locale)
    if fake is None:
        fake = _FAKERS[locale] = Faker(locale)
    return fake


class _Pools:
    """Small per-locale pools of Faker values, combined at random: fast for 100k records."""

    def __init__(self, seed: int, size: int) -> None:
        self.names: list[tuple[str, str]] = []
        self.companies: list[str] = []
        self.addresses: list[tuple[str, str, str, str, str]] = []
        self.phones: list[str] = []
        self.jobs: list[str] = []
        per_locale = max(4, min(POOL_MAX, size) // len(LOCALES) + 1)
        for index, locale in enumerate(LOCALES):
            fake = _faker(locale)
            fake.seed_instance(seed * 100 + index)
            country = fake.current_country() if locale != "en_GB" else "United Kingdom"
            for _ in range(per_locale):
                self.names.append((fake.first_name(), fake.last_name()))
                self.companies.append(fake.company())
                state = fake.state() if hasattr(fake, "state") else fake.city()
                self.addresses.append(
                    (fake.street_address(), fake.city(), state, fake.postcode(), country)
                )
                self.phones.append(fake.phone_number())
                self.jobs.append(fake.job()[:100])


_NOT_SLUG = re.compile(r"[^a-z0-9]+")


def _slug(text: str) -> str:
    kept = _NOT_SLUG.sub("", text.lower())
    return kept[:20] or "company"


def normal_name(name: str) -> str:
    """A loose form for spotting accidental matches: case, spaces, '&', legal suffixes."""
    words = name.lower().replace("&", " and ").replace(".", " ").replace(",", " ").split()
    suffixes = {"ltd", "limited", "inc", "incorporated", "llc", "l", "c", "co", "gmbh"}
    return " ".join(w for w in words if w not in suffixes)


def near_duplicate(name: str, variant: int) -> str:
    """A name a human would call the same company: case, suffix, spaces, '&'/'and'."""
    if variant == 0:
        return name
    if variant == 1:
        upper = name.upper()
        for short, long in ((" LTD", " LIMITED"), (" INC", " INCORPORATED"), (" LLC", " L.L.C.")):
            if upper.endswith(short):
                return upper[: -len(short)] + long
        return upper + " LIMITED"
    if variant == 2:
        return name.replace(" ", "  ", 1) if " " in name else name + "  "
    if "&" in name:
        return name.replace("&", "and")
    if " and " in name:
        return name.replace(" and ", " & ")
    return name + " & Co"


class Seeder:
    """Builds a `World` from `SandboxOptions`; the same options give the same world."""

    def __init__(self, options: SandboxOptions, now: float) -> None:
        self.options = options
        self.rng = random.Random(options.seed)
        size = max(options.accounts, options.contacts, options.customers, 10)
        self.pools = _Pools(options.seed, size)
        self.now = now
        self.world = World()

    def _time(self, max_age_days: float) -> float:
        return self.now - self.rng.uniform(0, max_age_days) * DAY

    def _owner(self) -> Record:
        user = self.rng.choice(self.world.crm_users)
        return {"id": user["id"], "name": user["full_name"], "email": user["email"]}

    def _stamp(self, record: Record, created: float, modified: float, owner: Record) -> None:
        minified = {"id": owner["id"], "name": owner["name"], "email": owner["email"]}
        record["Owner"] = owner
        record["Created_Time"] = crm_time(created)
        record["Modified_Time"] = crm_time(modified)
        record["Created_By"] = minified
        record["Modified_By"] = minified

    def build(self) -> World:
        """Generate the whole world."""
        self._org_and_users()
        accounts = self._accounts()
        contacts = self._contacts(accounts)
        self._deals(accounts, contacts)
        self._customers(accounts, contacts)
        self.world.custom_views = build_views()
        return self.world

    def _org_and_users(self) -> None:
        fake = _faker("en_US")
        fake.seed_instance(self.options.seed)
        company = fake.company()
        domain = _slug(company) + ".example.com"
        world = self.world
        for index in range(self.options.crm_users):
            first, last = self.pools.names[index % len(self.pools.names)]
            user_id = world.next_crm_id()
            world.crm_users.append(
                {
                    "id": user_id,
                    "first_name": first,
                    "last_name": last,
                    "full_name": f"{first} {last}",
                    "email": f"{_slug(first + last)}{index}@{domain}",
                    "role": {
                        "name": "CEO" if index == 0 else "Manager",
                        "id": str(4876876000000000100 + index),
                    },
                    "profile": {
                        "name": "Administrator" if index == 0 else "Standard",
                        "id": str(4876876000000000200 + (0 if index == 0 else 1)),
                    },
                    "status": "active",
                    "confirm": True,
                    "time_zone": "Etc/UTC",
                    "created_time": crm_time(self.now - 400 * DAY),
                    "Modified_Time": crm_time(self.now - 300 * DAY),
                }
            )
        world.crm_org = {
            "id": str(4876876000000000001),
            "company_name": company,
            "primary_email": world.crm_users[0]["email"],
            "currency": self.options.currency,
            "currency_symbol": "$" if self.options.currency == "USD" else self.options.currency,
            "iso_code": self.options.currency,
            "mc_status": self.options.multi_currency,
            "country": "United States",
            "country_code": "US",
            "time_zone": "Etc/UTC",
            "domain_name": "org" + str(700000000 + self.options.seed),
            "zgid": str(700000000 + self.options.seed),
            "primary_zuid": str(700000100 + self.options.seed),
            "license_details": {
                "paid": self.options.crm_edition != "free",
                "paid_type": self.options.crm_edition,
                "users_license_purchased": self.options.crm_users,
            },
            "edition": self.options.crm_edition.capitalize(),
        }
        world.billing_org = {
            "organization_id": str(800000000 + self.options.seed),
            "name": company,
            "contact_name": world.crm_users[0]["full_name"],
            "email": world.crm_users[0]["email"],
            "is_default_org": True,
            "version": "billing",
            "plan_name": "Professional",
            "currency_code": self.options.currency,
            "currency_symbol": "$" if self.options.currency == "USD" else self.options.currency,
            "time_zone": "Etc/UTC",
            "country": "U.S.A",
            "language_code": "en",
            "price_precision": 2,
            "is_org_active": True,
        }
        world.billing_custom_fields = [
            {
                "customfield_id": str(982000000000101 + i),
                "index": index,
                "label": label,
                "data_type": "string",
                "entity": entity,
                "is_active": True,
            }
            for i, (entity, index, label) in enumerate(
                (
                    ("customer", 1, "Industry"),
                    ("customer", 2, "Account Number"),
                    ("invoice", 1, "Deal Reference"),
                    ("quote", 1, "Deal Reference"),
                )
            )
        ]

    def _company_name(self, index: int, used: set[str]) -> str:
        rng = self.rng
        name = rng.choice(self.pools.companies)
        roll = rng.random()
        if roll < 0.04:
            name = name + LONG_NAME_TAIL[: rng.randint(40, len(LONG_NAME_TAIL))]
        elif roll < 0.12:
            name = name + rng.choice((" Ltd", " Limited", " Inc", " LLC", " GmbH", " & Sons"))
        candidate = name[:200]
        if candidate.lower() in used:
            candidate = f"{candidate[:190]} {index}"
        used.add(candidate.lower())
        return candidate

    def _accounts(self) -> list[Record]:
        rng = self.rng
        module = self.world.crm["Accounts"]
        used: set[str] = set()
        accounts: list[Record] = []
        for index in range(self.options.accounts):
            name = self._company_name(index, used)
            street, city, state, code, country = rng.choice(self.pools.addresses)
            created = self._time(365)
            record: Record = {"id": self.world.next_crm_id(), "Account_Name": name}
            missing = rng.random() < 0.1
            record["Phone"] = None if missing else rng.choice(self.pools.phones)
            record["Website"] = None if missing else f"https://www.{_slug(name)}.example.com"
            record["Account_Type"] = rng.choice(("Customer", "Prospect", "Partner"))
            record["Industry"] = rng.choice(("Manufacturing", "Retail", "Services", "Technology"))
            record["Billing_Street"] = None if missing else street
            record["Billing_City"] = city
            record["Billing_State"] = state
            record["Billing_Code"] = None if missing else code
            record["Billing_Country"] = country
            record["Shipping_Street"] = street
            record["Shipping_City"] = city
            record["Shipping_State"] = state
            record["Shipping_Code"] = code
            record["Shipping_Country"] = country
            record["Description"] = None if rng.random() < 0.5 else f"Account of {name}"
            self._stamp(record, created, self.now - rng.uniform(0, 30) * DAY, self._owner())
            module.records[record["id"]] = record
            accounts.append(record)
        return accounts

    def _mail_domain(self) -> str:
        return _slug(self.rng.choice(self.pools.companies)) + ".example.org"

    def _contacts(self, accounts: list[Record]) -> list[Record]:
        rng = self.rng
        module = self.world.crm["Contacts"]
        contacts: list[Record] = []
        for index in range(self.options.contacts):
            first, last = rng.choice(self.pools.names)
            if rng.random() < 0.03:
                last = (last + "-" + rng.choice(self.pools.names)[1]) * 2
            first_name: str | None = None if rng.random() < 0.05 else first
            street, city, state, code, country = rng.choice(self.pools.addresses)
            record: Record = {
                "id": self.world.next_crm_id(),
                "First_Name": first_name,
                "Last_Name": last[:80],
                "Full_Name": f"{first_name} {last[:80]}" if first_name else last[:80],
                "Email": None
                if rng.random() < 0.05
                else f"{_slug(first + last)}.{index}@{self._mail_domain()}",
                "Phone": rng.choice(self.pools.phones),
                "Mobile": None if rng.random() < 0.3 else rng.choice(self.pools.phones),
                "Title": rng.choice(self.pools.jobs),
                "Department": rng.choice(("Sales", "Finance", "Operations", None)),
                "Mailing_Street": street,
                "Mailing_City": city,
                "Mailing_State": state,
                "Mailing_Zip": code,
                "Mailing_Country": country,
                "Account_Name": None,
                "Description": None,
            }
            if accounts and rng.random() < 0.85:
                account = rng.choice(accounts)
                record["Account_Name"] = {"id": account["id"], "name": account["Account_Name"]}
            self._stamp(record, self._time(365), self.now - rng.uniform(0, 30) * DAY, self._owner())
            module.records[record["id"]] = record
            contacts.append(record)
        return contacts

    def _deals(self, accounts: list[Record], contacts: list[Record]) -> None:
        rng = self.rng
        module = self.world.crm["Deals"]
        products = ("Annual licence", "Support plan", "Onboarding", "Hardware bundle", "Consulting")
        for index in range(self.options.deals):
            stage = DEAL_STAGES[index % len(DEAL_STAGES)][0]
            amount = round(rng.uniform(500, 50000), 2)
            probability = STAGE_PROBABILITY[stage]
            record: Record = {
                "id": self.world.next_crm_id(),
                "Deal_Name": f"{rng.choice(products)} {index + 1}",
                "Stage": stage,
                "Pipeline": PIPELINE_NAME,
                "Amount": amount,
                "Probability": probability,
                "Expected_Revenue": round(amount * probability / 100, 2),
                "Closing_Date": billing_date(self.now + rng.uniform(-60, 90) * DAY),
                "Type": rng.choice(("New Business", "Existing Business")),
                "Description": None if rng.random() < 0.5 else "Deal seeded by the sandbox",
                "Account_Name": None,
                "Contact_Name": None,
            }
            if accounts and rng.random() < 0.9:
                account = rng.choice(accounts)
                record["Account_Name"] = {"id": account["id"], "name": account["Account_Name"]}
            if contacts and rng.random() < 0.7:
                contact = rng.choice(contacts)
                record["Contact_Name"] = {"id": contact["id"], "name": contact["Full_Name"]}
            self._stamp(record, self._time(120), self.now - rng.uniform(0, 10) * DAY, self._owner())
            module.records[record["id"]] = record

    def _customers(self, accounts: list[Record], contacts: list[Record]) -> None:
        from zsync_tui.sandbox.billing_model import new_customer

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
                    "email": f"billing@{_slug(account['Account_Name'])}.example.com",
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
                    "email": f"{_slug(first)}.{index}@{_slug(name)}.example.net",
                }
            else:
                first, last = rng.choice(self.pools.names)
                full = self._fresh_name(f"{first} {last}", index, taken)
                body = {
                    "display_name": full,
                    "customer_sub_type": "individual",
                    "first_name": first,
                    "last_name": full[len(first) + 1 :] if full.startswith(first + " ") else last,
                    "email": f"{_slug(first + last)}{index}@mail.example.net",
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
        from zsync_tui.sandbox.billing_model import new_contact_person

        for _ in range(self.rng.randint(0, 2)):
            first, last = self.rng.choice(self.pools.names)
            body = {
                "first_name": first,
                "last_name": last,
                "email": f"{_slug(first + last)}@{_slug(customer['display_name'])}.example.com",
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
                "email": f"accounts@{_slug(account['Account_Name'])}.example.com",
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
            "email": contact.get("Email") or f"{_slug(name)}@mail.example.net",
        }

    def _documents(self, customer: Record, created: float) -> None:
        """A few quotes and invoices so lists and filters have something to show."""
        from zsync_tui.sandbox.billing_model import new_estimate, new_invoice

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


def build_world(options: SandboxOptions, now: float) -> World:
    """The seeded world for `options` at sandbox time `now`."""
    return Seeder(options, now).build()
