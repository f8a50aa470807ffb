"""What every command and the TUI start from: paths, settings, logging, the store, secrets."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

from zsync_tui.logs import configure_logging
from zsync_tui.settings import AppSettings, Paths

if TYPE_CHECKING:
    from zsync_tui.secrets import CredentialStore
    from zsync_tui.store import Store


@dataclass
class Runtime:
    """Resolved once per process from `--data-dir`/`ZSYNC_HOME` and `--profile`."""

    paths: Paths
    settings: AppSettings
    profile_name: str
    _logging_ready: bool = field(default=False, repr=False)

    @classmethod
    def start(cls, data_dir: str | None = None, profile: str | None = None) -> Runtime:
        paths = Paths.resolve(data_dir).ensure()
        settings = AppSettings.load(paths.settings_file)
        runtime = cls(paths, settings, profile or settings.default_profile)
        runtime.start_logging()
        return runtime

    def start_logging(self) -> None:
        if not self._logging_ready:
            configure_logging(
                self.paths.log_file,
                self.settings.log_level,
                self.settings.log_max_bytes,
                self.settings.log_backup_count,
            )
            self._logging_ready = True

    @cached_property
    def store(self) -> Store:
        from zsync_tui.store import Store  # SQLAlchemy costs most of start-up: load it on use

        return Store(self.paths.database_file)

    @cached_property
    def credentials(self) -> CredentialStore:
        from zsync_tui.secrets import CredentialStore

        return CredentialStore(self.profile_name, timeout_s=self.settings.keyring_timeout_s)
