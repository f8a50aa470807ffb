"""The `[triggers]` table of the integration configuration: deal-stage automation.

TOML (every key optional; defaults shown)::

    [triggers]
    enabled = false
    quote_create_stages = []           # stage names, or "on_create" for a new deal
    quote_accept_stage = ""            # "" = never accept
    quote_decline_stage = ""           # "" = never decline
    invoice_on_won = false             # invoice when the deal reaches a stage of probability 100
    void_on_lost = false               # void it when the deal reaches a stage of probability 0
    poll_seconds = 60                  # how often the watcher reads changed deals

    [triggers.items]                   # deal field → quote/invoice line
    item_name = "Deal_Name"
    description = "Description"
    rate = "Amount"
    salesperson = "Owner"

The customer and its address come from the deal's Account (accounts modes) or Contact
(contacts mode). `check_stages` refuses a configuration that names a stage the CRM pipeline
lacks, listing the stages that exist.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

ON_CREATE = "on_create"
WON_PROBABILITY = 100
LOST_PROBABILITY = 0
_CRM_FIELD = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,99}$")


class ItemMapping(BaseModel):
    """Which deal fields fill the quote or invoice line and its salesperson."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    item_name: str = "Deal_Name"
    description: str = "Description"
    rate: str = "Amount"
    salesperson: str = "Owner"

    @field_validator("item_name", "description", "rate", "salesperson")
    @classmethod
    def _api_name(cls, value: str) -> str:
        if not _CRM_FIELD.match(value):
            raise ValueError(f"{value!r} is not a CRM field API name (letters, digits, _)")
        return value

    def crm_fields(self) -> list[str]:
        return [self.item_name, self.description, self.rate, self.salesperson]


class TriggerConfig(BaseModel):
    """Deal-stage triggers: which stage creates, accepts or declines a quote, and whether a
    won deal is invoiced and a lost one voided."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = False
    quote_create_stages: list[str] = Field(default_factory=list)
    quote_accept_stage: str = ""
    quote_decline_stage: str = ""
    invoice_on_won: bool = False
    void_on_lost: bool = False
    poll_seconds: int = Field(default=60, ge=5, le=3600)
    items: ItemMapping = Field(default_factory=ItemMapping)

    @field_validator("quote_create_stages")
    @classmethod
    def _distinct(cls, value: list[str]) -> list[str]:
        cleaned = [stage.strip() for stage in value]
        if any(not stage for stage in cleaned):
            raise ValueError("a stage name is empty")
        if len(set(cleaned)) != len(cleaned):
            raise ValueError("a stage is named twice")
        return cleaned

    @field_validator("quote_accept_stage", "quote_decline_stage")
    @classmethod
    def _strip(cls, value: str) -> str:
        return value.strip()

    @model_validator(mode="after")
    def _consistent(self) -> TriggerConfig:
        accept, decline = self.quote_accept_stage, self.quote_decline_stage
        if accept and accept == decline:
            raise ValueError(
                f"quote_decline_stage: {decline!r} is also the accept stage; pick another"
            )
        if (accept or decline) and not self.quote_create_stages:
            raise ValueError(
                "quote_create_stages: accepting or declining a quote needs a stage that creates it"
            )
        if self.void_on_lost and not self.invoice_on_won:
            raise ValueError(
                "void_on_lost: only invoices made by invoice_on_won are voided; turn it on"
            )
        for stage in self.quote_create_stages:
            if stage in (accept, decline):
                raise ValueError(
                    f"quote_create_stages: {stage!r} also accepts or declines the quote"
                )
        return self

    @property
    def active(self) -> bool:
        """Whether any trigger can fire."""
        return self.enabled and bool(
            self.quote_create_stages or self.invoice_on_won or self.void_on_lost
        )

    @property
    def creates_on_new_deal(self) -> bool:
        return ON_CREATE in self.quote_create_stages

    def named_stages(self) -> list[tuple[str, str]]:
        """(key, stage) for every stage this configuration names."""
        named = [
            (f"quote_create_stages.{i}", stage)
            for i, stage in enumerate(self.quote_create_stages)
            if stage != ON_CREATE
        ]
        for key in ("quote_accept_stage", "quote_decline_stage"):
            if getattr(self, key):
                named.append((key, getattr(self, key)))
        return named


def check_stages(
    config: TriggerConfig, probabilities: Mapping[str, int | None]
) -> list[tuple[str, str]]:
    """Problems (key, reason) of `config` against the CRM pipeline's stages; empty when fine.

    `probabilities` is the stage→probability map the CRM reports (see `stages.StageMap`).
    """
    problems: list[tuple[str, str]] = []
    listing = ", ".join(probabilities) or "none"
    for key, stage in config.named_stages():
        if stage not in probabilities:
            problems.append(
                (f"triggers.{key}", f"the CRM pipeline has no stage {stage!r} (stages: {listing})")
            )
    values = set(probabilities.values())
    if config.invoice_on_won and WON_PROBABILITY not in values:
        problems.append(
            (
                "triggers.invoice_on_won",
                f"no CRM stage has probability {WON_PROBABILITY} (stages: {listing}); set one "
                "in CRM Setup > Stage-Probability Mapping",
            )
        )
    if config.void_on_lost and LOST_PROBABILITY not in values:
        problems.append(
            (
                "triggers.void_on_lost",
                f"no CRM stage has probability {LOST_PROBABILITY} (stages: {listing})",
            )
        )
    return problems
