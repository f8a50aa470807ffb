"""The pure decision: stage entered + history + stage map + configuration → actions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from zsync_tui.sync.config import ConfigError, IntegrationConfig
from zsync_tui.sync.deals.config import TriggerConfig, check_stages
from zsync_tui.sync.deals.decide import decide
from zsync_tui.sync.deals.model import ActionRecord, Deal, StageMap

STAGE_MAP = StageMap(
    {
        "Qualification": 10,
        "Proposal/Price Quote": 75,
        "Negotiation/Review": 90,
        "Closed Won": 100,
        "Closed Lost": 0,
    }
)


def deal(stage: str, account: str | None = "A1", contact: str | None = None) -> Deal:
    record: dict[str, Any] = {
        "id": "D1",
        "Deal_Name": "Licence",
        "Stage": stage,
        "Account_Name": {"id": account} if account else None,
        "Contact_Name": {"id": contact} if contact else None,
    }
    return Deal.from_record(record)


def seen(stage: str) -> ActionRecord:
    return ActionRecord("seen", 0, "seen", None, stage)


def done(action: str, generation: int = 1, billing_id: str = "X1") -> ActionRecord:
    return ActionRecord(action, generation, "done", billing_id)


def actions(decision: Any) -> list[tuple[str, int]]:
    return [(a.action, a.generation) for a in decision.actions]


def test_quote_created_when_the_deal_enters_a_create_stage(
    make_config: Callable[..., IntegrationConfig],
) -> None:
    triggers = make_config().triggers
    decision = decide(
        deal("Proposal/Price Quote"),
        [seen("Qualification")],
        STAGE_MAP,
        triggers,
        module="accounts",
    )
    assert actions(decision) == [("create_quote", 1)]
    again = decide(
        deal("Proposal/Price Quote"),
        [seen("Qualification"), done("create_quote", billing_id="E1")],
        STAGE_MAP,
        triggers,
        module="accounts",
    )
    assert actions(again) == []


def test_on_create_fires_only_for_a_deal_never_seen(
    make_config: Callable[..., IntegrationConfig],
) -> None:
    triggers = make_config(
        quote_create_stages=["on_create"], quote_accept_stage="", quote_decline_stage=""
    ).triggers
    assert actions(decide(deal("Qualification"), [], STAGE_MAP, triggers, module="accounts")) == [
        ("create_quote", 1)
    ]
    moved = decide(
        deal("Negotiation/Review"), [seen("Qualification")], STAGE_MAP, triggers, module="accounts"
    )
    assert actions(moved) == []


def test_accept_marks_a_draft_quote_sent_first_and_locks_a_hand_changed_one(
    make_config: Callable[..., IntegrationConfig],
) -> None:
    triggers = make_config().triggers
    history = [seen("Proposal/Price Quote"), done("create_quote", billing_id="E1")]
    decision = decide(
        deal("Negotiation/Review"),
        history,
        STAGE_MAP,
        triggers,
        module="accounts",
        billing_status={"E1": "draft"},
    )
    assert actions(decision) == [("mark_quote_sent", 1), ("accept_quote", 1)]
    assert all(a.billing_id == "E1" for a in decision.actions)
    hand_sent = decide(
        deal("Negotiation/Review"),
        history,
        STAGE_MAP,
        triggers,
        module="accounts",
        billing_status={"E1": "sent"},
    )
    assert actions(hand_sent) == []
    assert [(lock.billing_id, lock.reason) for lock in hand_sent.locks] == [
        ("E1", "status changed in Billing to sent")
    ]
    locked = history + [ActionRecord("lock_quote", 1, "locked", "E1")]
    assert (
        actions(decide(deal("Closed Lost"), locked, STAGE_MAP, triggers, module="accounts")) == []
    )


def test_won_lost_won_makes_a_new_generation_and_never_reuses_the_voided_invoice(
    make_config: Callable[..., IntegrationConfig],
) -> None:
    triggers = make_config(
        quote_create_stages=[], quote_accept_stage="", quote_decline_stage=""
    ).triggers
    won = decide(
        deal("Closed Won"), [seen("Negotiation/Review")], STAGE_MAP, triggers, module="accounts"
    )
    assert actions(won) == [("create_invoice", 1)]
    history = [seen("Closed Won"), done("create_invoice", 1, "I1")]
    lost = decide(
        deal("Closed Lost"),
        history,
        STAGE_MAP,
        triggers,
        module="accounts",
        billing_status={"I1": "draft"},
    )
    assert [(a.action, a.generation, a.billing_id) for a in lost.actions] == [
        ("void_invoice", 1, "I1")
    ]
    history = [seen("Closed Lost"), done("create_invoice", 1, "I1"), done("void_invoice", 1, "I1")]
    again = decide(deal("Closed Won"), history, STAGE_MAP, triggers, module="accounts")
    assert actions(again) == [("create_invoice", 2)]


def test_a_paid_invoice_is_never_voided(make_config: Callable[..., IntegrationConfig]) -> None:
    triggers = make_config().triggers
    history = [seen("Closed Won"), done("create_invoice", 1, "I1")]
    decision = decide(
        deal("Closed Lost"),
        history,
        STAGE_MAP,
        triggers,
        module="accounts",
        billing_status={"I1": "paid"},
    )
    assert not [a for a in decision.actions if a.action == "void_invoice"]
    assert "never voided" in decision.locks[0].reason


@pytest.mark.parametrize(
    ("module", "account", "contact", "reason"),
    [
        ("accounts", None, "C9", "the deal has no Account"),
        ("contacts", "A1", None, "the deal has no Contact (module contacts)"),
    ],
)
def test_a_deal_without_its_party_is_skipped_with_the_reason(
    make_config: Callable[..., IntegrationConfig],
    module: str,
    account: str | None,
    contact: str | None,
    reason: str,
) -> None:
    decision = decide(
        deal("Closed Won", account, contact),
        [seen("Qualification")],
        STAGE_MAP,
        make_config().triggers,
        module=module,
    )
    assert decision.actions == []
    assert decision.skipped == reason


def test_stages_the_pipeline_lacks_are_refused_with_the_ones_it_has() -> None:
    triggers = TriggerConfig(enabled=True, quote_create_stages=["Pitch"], invoice_on_won=True)
    problems = check_stages(triggers, {"Qualification": 10, "Closed Lost": 0})
    keys = [key for key, _ in problems]
    assert keys == ["triggers.quote_create_stages.0", "triggers.invoice_on_won"]
    assert "stages: Qualification, Closed Lost" in problems[0][1]


def test_contradictory_trigger_tables_are_refused_naming_the_key() -> None:
    with pytest.raises(ConfigError) as refused:
        IntegrationConfig.from_mapping(
            {"triggers": {"enabled": True, "void_on_lost": True, "unknown": 1}}
        )
    keys = {key for key, _ in refused.value.problems}
    assert "triggers.unknown" in keys
    with pytest.raises(ConfigError) as same:
        IntegrationConfig.from_mapping(
            {
                "triggers": {
                    "quote_create_stages": ["A"],
                    "quote_accept_stage": "B",
                    "quote_decline_stage": "B",
                }
            }
        )
    assert "accept stage" in str(same.value)
