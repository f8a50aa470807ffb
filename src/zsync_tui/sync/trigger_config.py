"""The `[triggers]` table of the integration configuration (deal-stage automation).

Reserved by the customer sync engine; the deal-trigger engine owns its fields. Unknown keys are
refused like everywhere else in the configuration.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class TriggerConfig(BaseModel):
    """Deal-stage triggers: which stage creates, accepts or declines a quote, and so on."""

    model_config = ConfigDict(extra="forbid")
