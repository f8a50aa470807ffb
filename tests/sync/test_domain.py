from __future__ import annotations

import pytest

from zsync_tui.sync.config import FieldMapEntry, IntegrationConfig
from zsync_tui.sync.duplicates import (
    DuplicateIndex,
    Party,
    email_domain,
    normalise_name,
    phone_key,
    score_pair,
)
from zsync_tui.sync.mapping import (
    billing_payload,
    billing_values,
    crm_payload,
    crm_values,
    values_hash,
)
from zsync_tui.sync.merge import merge_fields

ACCOUNT_MAP = IntegrationConfig().effective_field_map()


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Acme Ltd", "ACME Limited"),
        ("Smith & Sons", "Smith and Sons"),
        ("Globex,  Inc.", "globex"),
        ("Initech LLC", "Initech"),
        ("Café Zoë", "Cafe Zoe"),
        ("The Widget Co.", "Widget"),
    ],
)
def test_names_normalise_to_the_same_key(a: str, b: str):
    assert normalise_name(a) == normalise_name(b)
    assert normalise_name(a)


def test_different_names_stay_different():
    assert normalise_name("Acme Ltd") != normalise_name("Acme Labs Ltd")
    assert normalise_name("Ltd") == "ltd"


def test_score_has_a_reason_for_each_point():
    crm = Party("1", "ACME Limited", "ann@acme.example", "+44 20 7946 0001")
    billing = Party("9", "Acme Ltd", "bob@acme.example", "020-7946-0001")
    scored = score_pair(crm, billing)
    assert scored.score == pytest.approx(0.9)
    assert scored.reasons[0].startswith("same name once normalised")
    assert "same email domain (acme.example)" in scored.reasons
    assert "same phone" in scored.reasons
    assert email_domain("x@gmail.com") == ""
    assert phone_key("12") == ""


def test_index_picks_the_best_free_candidate_once():
    index = DuplicateIndex()
    index.add(Party("20", "Acme Ltd", None, None))
    index.add(Party("10", "ACME limited", None, "555 123 456"))
    index.add(Party("30", "Other", "x@acme.example"))
    crm = Party("c1", "Acme", None, "555-123-456")
    match = index.best_match(crm)
    assert match is not None and match[0].record_id == "10"
    index.take("10")
    second = index.best_match(crm)
    assert second is not None and second[0].record_id == "20"
    index.take("20")
    assert index.best_match(crm) is None
    by_email = index.best_match(Party("c2", "Zed", "X@acme.example"), by_email=True)
    assert by_email is not None and by_email[0].record_id == "30"


def test_mapping_reads_nested_addresses_custom_fields_and_lookups():
    entries = [
        *ACCOUNT_MAP,
        FieldMapEntry(crm="Tier__c", billing="custom_fields.Tier", policy="manual"),
    ]
    record = {
        "id": "1",
        "Account_Name": " Acme ",
        "Phone": "",
        "Billing_City": "Leeds",
        "Fax": 123.0,
        "Tier__c": "Gold",
    }
    values = crm_values(record, entries)
    assert values["display_name"] == "Acme"
    assert values["phone"] is None
    assert values["billing_address.fax"] == "123"
    customer = {
        "display_name": "Acme",
        "billing_address": {"city": "Leeds", "attention": "Ann", "fax": "123"},
        "custom_fields": [{"label": "Tier", "value": "Gold", "index": 1}],
    }
    assert billing_values(customer, entries)["custom_fields.Tier"] == "Gold"
    assert billing_values(customer, entries)["billing_address.city"] == "Leeds"
    body = billing_payload(
        {"billing_address.city": "York", "custom_fields.Tier": "Silver", "phone": None}, customer
    )
    assert body["billing_address"] == {"city": "York", "attention": "Ann", "fax": "123"}
    assert body["custom_fields"] == [{"label": "Tier", "value": "Silver"}]
    assert body["phone"] == ""
    assert crm_payload({"billing_address.city": "York"}, entries) == {"Billing_City": "York"}


def test_hash_ignores_order_and_sees_changes():
    assert values_hash({"a": "1", "b": None}) == values_hash({"b": None, "a": "1"})
    assert values_hash({"a": "1"}) != values_hash({"a": "2"})


def _entry(policy: str, direction: str = "both") -> list[FieldMapEntry]:
    return [FieldMapEntry(crm="Phone", billing="phone", direction=direction, policy=policy)]  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("policy", "crm_is_newer", "to_billing", "to_crm", "conflict"),
    [
        ("crm_wins", None, {"phone": "C"}, {}, False),
        ("billing_wins", None, {}, {"phone": "B"}, False),
        ("newest_wins", True, {"phone": "C"}, {}, False),
        ("newest_wins", False, {}, {"phone": "B"}, False),
        ("newest_wins", None, {}, {}, True),
        ("manual", True, {}, {}, True),
    ],
)
def test_both_sides_changed_follow_the_policy(policy, crm_is_newer, to_billing, to_crm, conflict):
    result = merge_fields(
        _entry(policy), {"phone": "O"}, {"phone": "C"}, {"phone": "B"}, crm_is_newer=crm_is_newer
    )
    assert result.to_billing == to_billing
    assert result.to_crm == to_crm
    assert bool(result.conflicts) == conflict
    if conflict:
        assert result.conflicts[0].base == "O" and result.base["phone"] == "O"


def test_one_side_changed_is_copied_unless_direction_forbids():
    base = {"phone": "O"}
    assert merge_fields(_entry("manual"), base, {"phone": "C"}, base).to_billing == {"phone": "C"}
    assert merge_fields(_entry("manual"), base, base, {"phone": "B"}).to_crm == {"phone": "B"}
    only_crm = merge_fields(_entry("manual", "to_billing"), base, base, {"phone": "B"})
    assert not only_crm.writes and only_crm.base == base
    one_way = merge_fields(_entry("manual"), base, base, {"phone": "B"}, one_way=True)
    assert not one_way.writes
    same = merge_fields(_entry("manual"), base, {"phone": "N"}, {"phone": "N"})
    assert not same.writes and same.base == {"phone": "N"}


def test_first_link_lets_crm_lead_and_billing_fill_gaps():
    entries = [
        FieldMapEntry(crm="Phone", billing="phone", policy="manual"),
        FieldMapEntry(crm="Website", billing="website", policy="manual"),
    ]
    result = merge_fields(
        entries, None, {"phone": "C", "website": None}, {"phone": "B", "website": "w"}
    )
    assert result.to_billing == {"phone": "C"}
    assert result.to_crm == {"website": "w"}
    assert not result.conflicts
