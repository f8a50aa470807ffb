"""The CRM layout the sandbox serves: modules, fields, the Deals stages and their probabilities."""

from __future__ import annotations

from dataclasses import dataclass

# Default stage names are Zoho's; the probabilities are plausible values (zoho-api.md 2.9:
# the real defaults were NOT FOUND), read by clients from the fields API as on real Zoho.
DEAL_STAGES: tuple[tuple[str, int, str], ...] = (
    ("Qualification", 10, "Open"),
    ("Needs Analysis", 20, "Open"),
    ("Value Proposition", 40, "Open"),
    ("Identify Decision Makers", 60, "Open"),
    ("Perception Analysis", 70, "Open"),
    ("Proposal/Price Quote", 75, "Open"),
    ("Negotiation/Review", 90, "Open"),
    ("Closed Won", 100, "Closed Won"),
    ("Closed Lost", 0, "Closed Lost"),
)
STAGE_PROBABILITY = {name: probability for name, probability, _ in DEAL_STAGES}
FORECAST_CATEGORY = {"Open": "Pipeline", "Closed Won": "Closed", "Closed Lost": "Omitted"}
PIPELINE_NAME = "Standard (Standard)"


@dataclass(frozen=True)
class FieldDef:
    """One field of a module's standard layout."""

    api_name: str
    label: str
    data_type: str = "text"
    length: int = 255
    mandatory: bool = False
    read_only: bool = False
    lookup: str = ""  # the module a lookup points at
    picklist: tuple[str, ...] = ()


def _text(api: str, label: str, length: int = 255, mandatory: bool = False) -> FieldDef:
    return FieldDef(api, label, "text", length, mandatory)


_SYSTEM = (
    FieldDef("Owner", "Owner", "ownerlookup", 120),
    FieldDef("Created_Time", "Created Time", "datetime", 120, read_only=True),
    FieldDef("Modified_Time", "Modified Time", "datetime", 120, read_only=True),
    FieldDef("Created_By", "Created By", "ownerlookup", 120, read_only=True),
    FieldDef("Modified_By", "Modified By", "ownerlookup", 120, read_only=True),
    FieldDef("Description", "Description", "textarea", 32000),
    FieldDef("Tag", "Tag", "multiselectlookup", 2000),
)


def _address(prefix: str, label: str, code: str) -> tuple[FieldDef, ...]:
    return (
        _text(f"{prefix}_Street", f"{label} Street", 250),
        _text(f"{prefix}_City", f"{label} City", 100),
        _text(f"{prefix}_State", f"{label} State", 100),
        _text(f"{prefix}_{code}", f"{label} {code}", 30),
        _text(f"{prefix}_Country", f"{label} Country", 100),
    )


ACCOUNT_FIELDS = (
    _text("Account_Name", "Account Name", 200, mandatory=True),
    _text("Account_Number", "Account Number", 40),
    _text("Account_Site", "Account Site", 80),
    FieldDef(
        "Account_Type",
        "Account Type",
        "picklist",
        120,
        picklist=("-None-", "Analyst", "Competitor", "Customer", "Investor", "Partner", "Prospect"),
    ),
    FieldDef("Phone", "Phone", "phone", 30),
    FieldDef("Fax", "Fax", "phone", 30),
    FieldDef("Website", "Website", "website", 255),
    _text("Industry", "Industry", 120),
    FieldDef("Employees", "Employees", "integer", 9),
    FieldDef("Annual_Revenue", "Annual Revenue", "currency", 16),
    FieldDef("Parent_Account", "Parent Account", "lookup", 120, lookup="Accounts"),
    *_address("Billing", "Billing", "Code"),
    *_address("Shipping", "Shipping", "Code"),
    *_SYSTEM,
)

CONTACT_FIELDS = (
    FieldDef(
        "Salutation",
        "Salutation",
        "picklist",
        120,
        picklist=("-None-", "Mr.", "Mrs.", "Ms.", "Dr.", "Prof."),
    ),
    _text("First_Name", "First Name", 40),
    _text("Last_Name", "Last Name", 80, mandatory=True),
    FieldDef("Full_Name", "Full Name", "text", 255, read_only=True),
    FieldDef("Email", "Email", "email", 100),
    FieldDef("Secondary_Email", "Secondary Email", "email", 100),
    FieldDef("Phone", "Phone", "phone", 30),
    FieldDef("Mobile", "Mobile", "phone", 30),
    FieldDef("Home_Phone", "Home Phone", "phone", 30),
    FieldDef("Fax", "Fax", "phone", 30),
    _text("Title", "Title", 100),
    _text("Department", "Department", 100),
    FieldDef("Account_Name", "Account Name", "lookup", 120, lookup="Accounts"),
    FieldDef("Reporting_To", "Reporting To", "lookup", 120, lookup="Contacts"),
    _text("Lead_Source", "Lead Source", 120),
    FieldDef("Email_Opt_Out", "Email Opt Out", "boolean", 5),
    FieldDef("Date_of_Birth", "Date of Birth", "date", 20),
    *_address("Mailing", "Mailing", "Zip"),
    *_address("Other", "Other", "Zip"),
    *_SYSTEM,
)

DEAL_FIELDS = (
    _text("Deal_Name", "Deal Name", 120, mandatory=True),
    FieldDef(
        "Stage",
        "Stage",
        "picklist",
        120,
        mandatory=True,
        picklist=tuple(name for name, _, _ in DEAL_STAGES),
    ),
    FieldDef("Closing_Date", "Closing Date", "date", 20),
    FieldDef("Amount", "Amount", "currency", 16),
    FieldDef("Probability", "Probability (%)", "integer", 3),
    FieldDef("Expected_Revenue", "Expected Revenue", "currency", 16, read_only=True),
    FieldDef("Account_Name", "Account Name", "lookup", 120, lookup="Accounts"),
    FieldDef("Contact_Name", "Contact Name", "lookup", 120, lookup="Contacts"),
    FieldDef("Pipeline", "Pipeline", "picklist", 120, picklist=(PIPELINE_NAME,)),
    FieldDef(
        "Type", "Type", "picklist", 120, picklist=("-None-", "Existing Business", "New Business")
    ),
    _text("Lead_Source", "Lead Source", 120),
    _text("Next_Step", "Next Step", 100),
    _text("Reason_For_Loss__s", "Reason For Loss", 120),
    *_SYSTEM,
)

MODULE_FIELDS: dict[str, tuple[FieldDef, ...]] = {
    "Accounts": ACCOUNT_FIELDS,
    "Contacts": CONTACT_FIELDS,
    "Deals": DEAL_FIELDS,
}
FIELD_INDEX: dict[str, dict[str, FieldDef]] = {
    module: {f.api_name: f for f in defs} for module, defs in MODULE_FIELDS.items()
}
# Every module also answers for `id` and the layout name; they are not in the layout list.
EXTRA_READABLE = frozenset({"id", "Layout", "Record_Status__s", "Last_Activity_Time"})
NAME_FIELD = {"Accounts": "Account_Name", "Contacts": "Full_Name", "Deals": "Deal_Name"}
SINGULAR = {"Accounts": "Account", "Contacts": "Contact", "Deals": "Deal"}
# System duplicate-check fields used by upsert when none are given (zoho-api.md 2.6).
UPSERT_DEFAULT_KEYS = {
    "Accounts": ("Account_Name",),
    "Contacts": ("Email",),
    "Deals": ("Deal_Name",),
}
MODULE_IDS = {
    "Accounts": "4876876000000002177",
    "Contacts": "4876876000000002179",
    "Deals": "4876876000000002181",
}
