"""The default field maps per module (zoho-api.md §1.5, the suggested table) and the Billing
fields a map may target.

Billing paths are the customer's JSON keys; nested address keys are written
`billing_address.street`, and a Billing custom field is `custom_fields.<label>`.
"""

from __future__ import annotations

from typing import Final

ADDRESS_KEYS: Final = (
    "attention",
    "street",
    "city",
    "state",
    "zip",
    "country",
    "state_code",
    "fax",
)

BILLING_CUSTOMER_FIELDS: Final[frozenset[str]] = frozenset(
    {
        "display_name",
        "company_name",
        "salutation",
        "first_name",
        "last_name",
        "email",
        "phone",
        "mobile",
        "department",
        "designation",
        "website",
        "notes",
        "currency_code",
        "payment_terms",
        "payment_terms_label",
    }
    | {f"billing_address.{key}" for key in ADDRESS_KEYS}
    | {f"shipping_address.{key}" for key in ADDRESS_KEYS}
)

CUSTOM_FIELD_PREFIX: Final = "custom_fields."

# CRM fields computed by CRM itself: they can feed Billing but never be written to CRM.
CRM_READ_ONLY_FIELDS: Final[frozenset[str]] = frozenset(
    {"Full_Name", "Created_Time", "Modified_Time", "Created_By", "Modified_By", "id"}
)

# (crm field, billing path, direction); the policy defaults to the config's `manual`.
DefaultPair = tuple[str, str, str]

ACCOUNT_DEFAULTS: Final[tuple[DefaultPair, ...]] = (
    ("Account_Name", "display_name", "both"),
    ("Phone", "phone", "both"),
    ("Website", "website", "both"),
    ("Description", "notes", "both"),
    ("Fax", "billing_address.fax", "both"),
    ("Billing_Street", "billing_address.street", "both"),
    ("Billing_City", "billing_address.city", "both"),
    ("Billing_State", "billing_address.state", "both"),
    ("Billing_Code", "billing_address.zip", "both"),
    ("Billing_Country", "billing_address.country", "both"),
    ("Shipping_Street", "shipping_address.street", "both"),
    ("Shipping_City", "shipping_address.city", "both"),
    ("Shipping_State", "shipping_address.state", "both"),
    ("Shipping_Code", "shipping_address.zip", "both"),
    ("Shipping_Country", "shipping_address.country", "both"),
)

CONTACT_DEFAULTS: Final[tuple[DefaultPair, ...]] = (
    ("Full_Name", "display_name", "to_billing"),
    ("First_Name", "first_name", "both"),
    ("Last_Name", "last_name", "both"),
    ("Email", "email", "both"),
    ("Phone", "phone", "both"),
    ("Mobile", "mobile", "both"),
    ("Description", "notes", "both"),
    ("Fax", "billing_address.fax", "both"),
    ("Mailing_Street", "billing_address.street", "both"),
    ("Mailing_City", "billing_address.city", "both"),
    ("Mailing_State", "billing_address.state", "both"),
    ("Mailing_Zip", "billing_address.zip", "both"),
    ("Mailing_Country", "billing_address.country", "both"),
    ("Other_Street", "shipping_address.street", "both"),
    ("Other_City", "shipping_address.city", "both"),
    ("Other_State", "shipping_address.state", "both"),
    ("Other_Zip", "shipping_address.zip", "both"),
    ("Other_Country", "shipping_address.country", "both"),
)

# CRM Contacts under a synced Account become the customer's contact persons (CRM to Billing).
CONTACT_PERSON_PAIRS: Final[tuple[tuple[str, str], ...]] = (
    ("First_Name", "first_name"),
    ("Last_Name", "last_name"),
    ("Email", "email"),
    ("Phone", "phone"),
    ("Mobile", "mobile"),
    ("Fax", "fax"),
)
