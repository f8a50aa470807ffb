"""What the setup flow asks of the services, in one place, called from the App's workers.

`SetupBackend` is the interface the screens rely on; `ServiceBackend` implements it over the
headless services (`connection.py` for credentials and orgs, `sync/` for configuration, plan
and run). No textual here, and no screen reaches the wire except through this.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from zsync_tui.messages import SyncCounts
from zsync_tui.setup_flow import (
    ConnectionFacts,
    ConnectionForm,
    FieldCatalogue,
    PlanSummary,
    SetupDraft,
    Stage,
    ViewChoice,
)
from zsync_tui.setup_start import FirstScreen

if TYPE_CHECKING:  # keyring loads when a worker first asks it something, after the first paint
    from zsync_tui.secrets import BackendStatus

ProgressCallback = Callable[[str, int, int | None], None]


@dataclass(frozen=True)
class SecretState:
    """The keyring's health and where the profile's secrets would come from."""

    keyring: BackendStatus
    source: str  # "environment", "keyring" or "missing"

    @property
    def can_keep_secrets(self) -> bool:
        return self.keyring.usable or self.source == "environment"


class SetupBackend(Protocol):
    """The service calls behind the setup steps; each may block, so only workers call them."""

    def is_configured(self) -> bool:
        """Whether this profile has a saved integration (then zsync opens on it, not setup)."""
        ...

    def quick_first_screen(self) -> FirstScreen | None:
        """The first screen, if it can be told without opening the store (fast enough for the
        event loop); None when only `is_configured` and `load_draft` can tell."""
        ...

    def warm_up(self) -> None:
        """Open the store (imports, migrations), so later steps do not wait for it; raises
        what is wrong with it."""
        ...

    def load_draft(self) -> SetupDraft:
        """The saved profile and configuration as a draft, for reopening the flow."""
        ...

    def data_centres(self) -> tuple[str, ...]:
        """The data centre codes the Connect step offers."""
        ...

    def secret_state(self) -> SecretState:
        """Whether the keyring works, and where this profile's secrets are now."""
        ...

    def verify(self, form: ConnectionForm) -> ConnectionFacts:
        """Check the credentials against both APIs; list the Billing orgs and CRM users."""
        ...

    def store_connection(self, draft: SetupDraft) -> None:
        """Keep the profile (org, owner) in the store and the secrets in the keyring."""
        ...

    def list_views(self, crm_module: str) -> tuple[ViewChoice, ...]:
        """The CRM's custom views of `crm_module` ("Accounts" or "Contacts")."""
        ...

    def field_catalogue(self, draft: SetupDraft) -> FieldCatalogue:
        """The fields both APIs report for the draft's module, with the default pairs."""
        ...

    def list_stages(self) -> tuple[Stage, ...]:
        """The CRM deal pipeline's stages with their probabilities."""
        ...

    def plan(self, draft: SetupDraft) -> PlanSummary:
        """A dry run of the draft's configuration: counts and duplicate matches, no writes."""
        ...

    def save(self, draft: SetupDraft) -> None:
        """Validate the draft's configuration against the orgs and keep it."""
        ...

    def run_sync(self, progress: ProgressCallback) -> tuple[str, SyncCounts, str]:
        """Run one sync of the saved configuration: (status, counts, message)."""
        ...

    def close(self) -> None:
        """Release connections and threads; called once when the App exits."""
        ...


def describe_failure(exc: BaseException) -> str:
    """One sentence for the user, from any exception a service call raised."""
    text = str(exc).strip() or type(exc).__name__
    return text if text.endswith((".", "!", "?")) else text + "."
