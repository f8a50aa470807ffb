"""The `[triggers]` table of the integration configuration (deal-stage automation).

The model lives with the deal-trigger engine, in `sync/deals/config.py`; this name is kept so
the setup screens' imports keep working.
"""

from __future__ import annotations

from zsync_tui.sync.deals.config import ItemMapping, TriggerConfig

__all__ = ["ItemMapping", "TriggerConfig"]
