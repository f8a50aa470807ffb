"""The operating screens' footer: Textual's, without the rebuilds that change nothing.

Textual's footer throws away and mounts all its keys again whenever the screen says its
bindings were updated, which it says on every show and every focus change. At 80×24 that
rebuild (a dozen widgets styled and laid out) cost about 40 ms of each screen switch, while
the bindings it showed were the same as before; this one rebuilds only when they differ.
"""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer


class OperateFooter(Footer):
    """A `Footer` that recomposes only when the keys it would show have changed."""

    _composed_for: tuple[Any, ...] | None = None

    def _shown_bindings(self) -> tuple[Any, ...]:
        return tuple(
            (binding.key, binding.action, binding.description, binding.show, enabled, tooltip)
            for (_node, binding, enabled, tooltip) in self.screen.active_bindings.values()
        )

    _rebuild_pending = False

    def compose(self) -> ComposeResult:
        if self._bindings_ready:
            self._composed_for = self._shown_bindings()
            self._rebuild_pending = False
        yield from super().compose()

    def bindings_changed(self, screen: Screen[Any]) -> None:
        if self.is_attached and screen is self.screen and screen.app.app_focus:
            # A rebuild already waiting reads the bindings when it runs, so one is enough (a
            # screen's first show changed them several times in one frame).
            if self._rebuild_pending:
                return
            if self._composed_for is not None and self._shown_bindings() == self._composed_for:
                return
            self._rebuild_pending = True
        super().bindings_changed(screen)
