from __future__ import annotations

import pytest

from zsync_tui.sync.config import ConfigError, FieldMapEntry, IntegrationConfig
from zsync_tui.sync.config_checks import RemoteFacts, check_against_remote


def test_defaults_round_trip_through_toml():
    config = IntegrationConfig.defaults()
    text = config.to_toml()
    assert IntegrationConfig.from_toml(text) == config
    assert IntegrationConfig.from_toml(text).to_toml() == text
    assert config.interval_seconds == 7200
    assert config.effective_field_map()[0].crm == "Account_Name"
    assert all(entry.policy == "manual" for entry in config.effective_field_map())


def test_custom_map_round_trips_and_overrides_defaults():
    text = """
module = "contacts"
direction = "fetch_from_crm"
duplicates = "overwrite"
contact_view = "My Contacts"
interval = "15m"

[[field_map]]
crm = "Email"
billing = "email"
policy = "crm_wins"

[[field_map]]
crm = "Region__c"
billing = "custom_fields.Region"
direction = "to_billing"
"""
    config = IntegrationConfig.from_toml(text)
    assert config.interval_seconds == 900
    assert [e.billing for e in config.effective_field_map()] == ["email", "custom_fields.Region"]
    assert config.effective_field_map()[1].policy == "manual"
    assert IntegrationConfig.from_toml(config.to_toml()) == config
    assert config.crm_modules == ("Contacts",)


@pytest.mark.parametrize(
    ("text", "key", "reason"),
    [
        ('module = "leads"', "module", "Input should be"),
        ('interval = "soon"', "interval", "not an interval"),
        ('interval = "10s"', "interval", "between 1m and 7d"),
        ("colour = 1", "colour", "unknown key"),
        ('module = "accounts"\ncontact_view = "x"', "contact_view", "does not sync"),
        (
            "include_contacts_without_account = true",
            "include_contacts_without_account",
            "accounts_and_contacts",
        ),
        ('[[field_map]]\ncrm = "Phone"\nbilling = "telephone"', "field_map.0.billing", "not a"),
        ('[[field_map]]\ncrm = "Full_Name"\nbilling = "notes"', "field_map.0", "to_billing"),
        (
            '[[field_map]]\ncrm = "Phone"\nbilling = "phone"\n'
            '[[field_map]]\ncrm = "Mobile"\nbilling = "phone"',
            "field_map.1.billing",
            "mapped twice",
        ),
        ("module = ", "(file)", "not valid TOML"),
    ],
)
def test_invalid_values_are_refused_with_key_and_reason(text: str, key: str, reason: str):
    with pytest.raises(ConfigError) as caught:
        IntegrationConfig.from_toml(text)
    keys = [k for k, _ in caught.value.problems]
    assert key in keys, caught.value.problems
    assert reason in str(caught.value)


def test_remote_checks_views_custom_fields_currency_and_second_org():
    config = IntegrationConfig(
        module="accounts_and_contacts",
        account_view="Key Accounts",
        contact_view="Nope",
        field_map=[FieldMapEntry(crm="Tier__c", billing="custom_fields.Tier")],
    )
    facts = RemoteFacts(
        views={
            "Accounts": [{"id": "11", "name": "Key Accounts", "display_value": "Key Accounts"}],
            "Contacts": [{"id": "21", "name": "All Contacts", "display_value": "All Contacts"}],
        },
        billing_custom_fields=("Region",),
        crm_multi_currency=True,
        crm_base_currency="USD",
        billing_currency="EUR",
        is_secondary_billing_org=True,
    )
    problems = dict(check_against_remote(config, facts))
    assert "account_view" not in problems
    assert "All Contacts" in problems["contact_view"]
    assert "Region" in problems["field_map.0.billing"]
    assert "base currencies must match" in problems["currency"]
    assert "fetch_from_crm" in problems["direction"]
    same = RemoteFacts(views=facts.views, billing_custom_fields=("Tier",))
    assert check_against_remote(config.model_copy(update={"contact_view": "21"}), same) == []
