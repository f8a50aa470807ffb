"""What the customer sync service and the deals service share: both act for one profile."""

from __future__ import annotations

from zsync_tui.connection import load_profile
from zsync_tui.runtime import Runtime
from zsync_tui.store import Profile
from zsync_tui.sync.config import IntegrationConfig, load_profile_config
from zsync_tui.zoho.session import ZohoOptions


class ProfileService:
    """A service bound to one profile (the runtime's unless named) and its Zoho client options."""

    def __init__(
        self, runtime: Runtime, profile: str | None = None, options: ZohoOptions | None = None
    ) -> None:
        self.runtime = runtime
        self.profile_name = profile or runtime.profile_name
        self.options = options

    def profile(self) -> Profile:
        """The profile's stored row, read afresh."""
        return load_profile(self.runtime, self.profile_name)

    def config(self) -> IntegrationConfig:
        """The profile's integration configuration: stored, or the defaults."""
        return load_profile_config(self.profile().config_toml)
