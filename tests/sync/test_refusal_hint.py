"""A Billing refusal that names a missing email tells the admin where to add one."""

from __future__ import annotations

from zsync_tui.sync.engine import refusal_hint
from zsync_tui.zoho.errors import ValidationFailed


def test_missing_email_on_an_account_points_at_its_contacts() -> None:
    refused = ValidationFailed("Invalid value passed for email: it is required.")
    assert "one of its contacts an email in CRM" in refusal_hint("Accounts", refused)
    assert "give the contact an email" in refusal_hint("Contacts", refused)


def test_other_refusals_get_no_invented_advice() -> None:
    assert refusal_hint("Accounts", ValidationFailed("Invalid value", field="website")) == ""
