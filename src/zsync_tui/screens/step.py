"""What every setup step shares: the step bar, the problems box, Back and Next.

A step reads the draft to pre-fill itself (attributes down). On Next it lists its problems;
with none it writes the draft and posts `StepCompleted` (messages up), and the App decides
which step comes next. A step that must ask Zoho before going on (Connect, Review) overrides
`advance` to start a lookup and completes when the answer arrives.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, cast

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Footer, Header, Input

from zsync_tui.messages import StepCompleted, StepWentBack
from zsync_tui.resources import stylesheet
from zsync_tui.setup_flow import SetupDraft, StepId
from zsync_tui.widgets.problems import ProblemList
from zsync_tui.widgets.step_bar import StepBar

if TYPE_CHECKING:
    from zsync_tui.app import ZsyncApp


class SetupStep(Screen[None]):
    """Base of the setup steps; subclasses compose `body()` and implement `problems()`."""

    STEP_ID: ClassVar[StepId]
    HEADING: ClassVar[str] = ""
    CSS_PATH = [stylesheet("setup.tcss")]
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+n", "next", "Next", priority=True),
        Binding("ctrl+b", "back", "Back", priority=True),
    ]

    def __init__(self, draft: SetupDraft, steps: tuple[StepId, ...]) -> None:
        super().__init__(id=f"step-{self.STEP_ID}")
        self.draft = draft
        self.steps = steps

    @property
    def zsync(self) -> ZsyncApp:
        """The App, typed: it owns the workers the steps ask for."""
        return cast("ZsyncApp", self.app)

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False)
        yield StepBar(self.steps, self.STEP_ID)
        with VerticalScroll(id="step-body"):
            yield from self.body()
        yield ProblemList(id="problems")
        with Horizontal(id="step-buttons"):
            yield Button("Back  (ctrl+b)", id="back", disabled=self.is_first, compact=True)
            yield Button(self.next_label, id="next", variant="primary", compact=True)
        yield Footer()

    def body(self) -> ComposeResult:
        """The step's own widgets."""
        yield from ()

    @property
    def is_first(self) -> bool:
        return self.steps.index(self.STEP_ID) == 0

    @property
    def next_label(self) -> str:
        return "Next  (ctrl+n)"

    def on_mount(self) -> None:
        self.title = "zsync setup"
        self.sub_title = self.HEADING
        if not self.zsync.ui.cursor_blink:
            for field in self.query(Input):
                field.cursor_blink = False

    def problems(self) -> list[str]:
        """Why the flow cannot go on from here; empty when it can."""
        return []

    def save(self) -> None:
        """Write this step's choices into the draft (called only when there are no problems)."""

    def advance(self) -> None:
        """Go on when nothing is wrong; a step that must ask Zoho first overrides this."""
        self.save()
        self.complete()

    def complete(self) -> None:
        """Hand over to the next step (the App decides which)."""
        self.post_message(StepCompleted(self.STEP_ID))

    def show_problems(self, problems: list[str]) -> None:
        self.query_one(ProblemList).show(problems)

    def action_next(self) -> None:
        problems = self.problems()
        self.show_problems(problems)
        if not problems:
            self.advance()

    def action_back(self) -> None:
        if not self.is_first:
            self.post_message(StepWentBack(self.STEP_ID))

    @on(Button.Pressed, "#next")
    def _next_pressed(self) -> None:
        self.action_next()

    @on(Button.Pressed, "#back")
    def _back_pressed(self) -> None:
        self.action_back()
