"""One Textual screen per module; the setup steps in the order the flow walks them."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from zsync_tui.screens.step import SetupStep
    from zsync_tui.setup_flow import StepId


def step_screens() -> dict[StepId, type[SetupStep]]:
    """The screen class of each setup step (imported on first use, to start fast)."""
    from zsync_tui.screens.connect import ConnectStep
    from zsync_tui.screens.direction import DirectionStep
    from zsync_tui.screens.duplicates import DuplicatesStep
    from zsync_tui.screens.field_mapping import FieldMappingStep
    from zsync_tui.screens.module import ModuleStep
    from zsync_tui.screens.review import ReviewStep
    from zsync_tui.screens.triggers import TriggersStep
    from zsync_tui.screens.view import ViewStep

    return {
        "connect": ConnectStep,
        "module": ModuleStep,
        "direction": DirectionStep,
        "duplicates": DuplicatesStep,
        "view": ViewStep,
        "field_mapping": FieldMappingStep,
        "triggers": TriggersStep,
        "review": ReviewStep,
    }
