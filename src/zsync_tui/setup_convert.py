"""The setup draft in the engine's terms and back: configuration, triggers, plan summary."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any

from zsync_tui.setup_flow import DuplicateRow, FieldPair, PlanSummary, SetupDraft, TriggerChoices

if TYPE_CHECKING:
    from zsync_tui.sync.config import IntegrationConfig
    from zsync_tui.sync.events import RunReport


def draft_config(draft: SetupDraft, *, with_triggers: bool) -> IntegrationConfig:
    from zsync_tui.sync.config import IntegrationConfig
    from zsync_tui.sync.trigger_config import TriggerConfig

    """The engine's configuration from the draft (ConfigError names any refused key)."""
    raw: dict[str, Any] = {
        "module": draft.module or "accounts",
        "include_contacts_without_account": draft.include_contacts_without_account,
        "direction": draft.direction or "fetch_from_crm",
        "duplicates": draft.duplicates or "review",
        "field_map": [
            {"crm": p.crm, "billing": p.billing, "direction": p.direction, "policy": p.policy}
            for p in draft.field_map
        ],
    }
    if draft.module != "contacts" and draft.account_view:
        raw["account_view"] = draft.account_view
    if draft.module != "accounts" and draft.contact_view:
        raw["contact_view"] = draft.contact_view
    if with_triggers and draft.triggers.enabled:
        raw["triggers"] = TriggerConfig.model_validate(_trigger_table(draft.triggers)).model_dump()
    return IntegrationConfig.from_mapping(raw)


def _trigger_table(choices: TriggerChoices) -> dict[str, Any]:
    table: dict[str, Any] = {"enabled": choices.enabled}
    if choices.quote_create_stages:
        table["quote_create_stages"] = list(choices.quote_create_stages)
    if choices.quote_accept_stage:
        table["quote_accept_stage"] = choices.quote_accept_stage
    if choices.quote_decline_stage:
        table["quote_decline_stage"] = choices.quote_decline_stage
    table["invoice_on_won"] = choices.invoice_on_won
    table["void_on_lost"] = choices.void_on_lost
    return table


def config_into_draft(config: IntegrationConfig, draft: SetupDraft) -> None:
    draft.module = config.module
    draft.include_contacts_without_account = config.include_contacts_without_account
    draft.direction = config.direction
    draft.duplicates = config.duplicates
    draft.account_view = config.account_view or ""
    draft.contact_view = config.contact_view or ""
    draft.field_map = [
        FieldPair(e.crm, e.billing, e.direction, e.policy or config.default_policy)
        for e in config.effective_field_map()
    ]
    draft.field_map_module = config.module
    if config.triggers is not None:
        saved = config.triggers.model_dump()
        draft.triggers = TriggerChoices(
            enabled=bool(saved.get("enabled", True)),
            quote_create_stages=list(saved.get("quote_create_stages") or []),
            quote_accept_stage=str(saved.get("quote_accept_stage") or ""),
            quote_decline_stage=str(saved.get("quote_decline_stage") or ""),
            invoice_on_won=bool(saved.get("invoice_on_won")),
            void_on_lost=bool(saved.get("void_on_lost")),
        )


def plan_summary(report: RunReport, billing_names: dict[str, str] | None = None) -> PlanSummary:
    """The dry run's report as the Duplicates and Review steps show it."""
    matches = tuple(
        DuplicateRow(
            crm_id=item.crm_id or "",
            crm_name=item.name or item.crm_id or "",
            billing_id=item.billing_id or "",
            billing_name=(billing_names or {}).get(item.billing_id or "")
            or f"customer {item.billing_id}",
            score=item.score or 0.0,
            reasons=", ".join(item.reasons),
            crm_module=item.crm_module or "Accounts",
        )
        for item in report.items
        if item.score is not None and item.crm_id and item.billing_id
    )
    return PlanSummary(
        create_in_billing=report.created.get("billing", 0),
        create_in_crm=report.created.get("crm", 0),
        update_in_billing=report.updated.get("billing", 0),
        update_in_crm=report.updated.get("crm", 0),
        link=report.linked,
        skip=report.skipped,
        conflicts=report.conflicts,
        matches=matches,
        skip_reasons=tuple(sorted(report.skipped_by_reason.items())),
        refusals=tuple(
            sorted(Counter(i.reason or "" for i in report.items if i.action == "error").items())
        ),
    )
