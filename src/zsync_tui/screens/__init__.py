"""One Textual screen per module; the setup steps in the order the flow walks them."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, cast

if TYPE_CHECKING:
    from zsync_tui.screens.step import SetupStep
    from zsync_tui.setup_flow import StepId

STEP_CLASSES: dict[str, tuple[str, str]] = {
    "connect": ("connect", "ConnectStep"),
    "module": ("module", "ModuleStep"),
    "direction": ("direction", "DirectionStep"),
    "duplicates": ("duplicates", "DuplicatesStep"),
    "view": ("view", "ViewStep"),
    "field_mapping": ("field_mapping", "FieldMappingStep"),
    "triggers": ("triggers", "TriggersStep"),
    "review": ("review", "ReviewStep"),
}


def step_screen(step: StepId) -> type[SetupStep]:
    """The screen class of one setup step, imported when the flow first reaches it (so the
    first screen paints without loading the other seven)."""
    module_name, class_name = STEP_CLASSES[step]
    module = importlib.import_module(f"zsync_tui.screens.{module_name}")
    return cast("type[SetupStep]", getattr(module, class_name))
