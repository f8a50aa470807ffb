"""A deterministic fake world: the CRM org, users, accounts, contacts and deals here; the
Billing side in seed_billing.py."""

from __future__ import annotations

import random

from zsync_tui.sandbox.catalog import DEAL_STAGES, PIPELINE_NAME, STAGE_PROBABILITY
from zsync_tui.sandbox.clock import billing_date, crm_time
from zsync_tui.sandbox.custom_views import build_views
from zsync_tui.sandbox.options import SandboxOptions
from zsync_tui.sandbox.seed_billing import BillingSeeding
from zsync_tui.sandbox.seed_pools import LONG_NAME_TAIL, Pools, faker_for, slug
from zsync_tui.sandbox.world import Record, World

DAY = 86400.0


class Seeder(BillingSeeding):
    """Builds a `World` from `SandboxOptions`; the same options give the same world."""

    def __init__(self, options: SandboxOptions, now: float) -> None:
        self.options = options
        self.rng = random.Random(options.seed)
        size = max(options.accounts, options.contacts, options.customers, 10)
        self.pools = Pools(options.seed, size)
        self.now = now
        self.world = World()

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
        fake = faker_for("en_US")
        fake.seed_instance(self.options.seed)
        company = fake.company()
        domain = slug(company) + ".example.com"
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
                    "email": f"{slug(first + last)}{index}@{domain}",
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
            record["Website"] = None if missing else f"https://www.{slug(name)}.example.com"
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
        return slug(self.rng.choice(self.pools.companies)) + ".example.org"

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
                else f"{slug(first + last)}.{index}@{self._mail_domain()}",
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


def build_world(options: SandboxOptions, now: float) -> World:
    """The seeded world for `options` at sandbox time `now`."""
    return Seeder(options, now).build()
