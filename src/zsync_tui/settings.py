"""Where zsync keeps its files, and the application settings saved as TOML.

Every path comes from platformdirs unless `ZSYNC_HOME` or `--data-dir` redirects all of them
under one root, which is how tests and power users keep zsync away from the real home.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import platformdirs
import tomli_w
from pydantic import BaseModel, ConfigDict, Field, ValidationError

APP_NAME = "zsync"
HOME_ENV = "ZSYNC_HOME"


@dataclass(frozen=True)
class Paths:
    """The four directories zsync writes to."""

    config_dir: Path
    data_dir: Path
    state_dir: Path
    log_dir: Path

    @classmethod
    def resolve(cls, data_dir: str | os.PathLike[str] | None = None) -> Paths:
        """Paths from `--data-dir`, else `ZSYNC_HOME`, else the platform's own places."""
        root = data_dir or os.environ.get(HOME_ENV)
        if root:
            base = Path(root).expanduser().resolve()
            return cls(base / "config", base / "data", base / "state", base / "log")
        return cls(
            Path(platformdirs.user_config_dir(APP_NAME)),
            Path(platformdirs.user_data_dir(APP_NAME)),
            Path(platformdirs.user_state_dir(APP_NAME)),
            Path(platformdirs.user_log_dir(APP_NAME)),
        )

    def ensure(self) -> Paths:
        """Create the directories, readable by their owner only."""
        for directory in (self.config_dir, self.data_dir, self.state_dir, self.log_dir):
            directory.mkdir(parents=True, exist_ok=True)
            os.chmod(directory, 0o700)
        return self

    @property
    def settings_file(self) -> Path:
        return self.config_dir / "settings.toml"

    @property
    def database_file(self) -> Path:
        return self.data_dir / "zsync.db"

    @property
    def log_file(self) -> Path:
        return self.log_dir / "zsync.log"


class SettingsError(ValueError):
    """A settings value was refused; the message names the key and the reason."""


LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR"]


class AppSettings(BaseModel):
    """Application-wide preferences (the integration's own configuration lives in the store)."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    default_profile: str = Field(
        default="default", min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$"
    )
    log_level: LogLevel = "INFO"
    log_max_bytes: int = Field(default=2_000_000, ge=10_000, le=100_000_000)
    log_backup_count: int = Field(default=5, ge=0, le=50)
    keyring_timeout_s: float = Field(default=5.0, gt=0, le=60)
    http_timeout_s: float = Field(default=30.0, gt=0, le=600)
    deal_poll_seconds: int = Field(default=60, ge=5, le=3600)

    @classmethod
    def load(cls, path: Path) -> AppSettings:
        """Read settings from TOML; a missing file gives the defaults."""
        if not path.exists():
            return cls()
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise SettingsError(f"{path}: not valid TOML ({exc}); fix or delete the file") from exc
        return cls.from_mapping(raw, source=str(path))

    @classmethod
    def from_mapping(cls, raw: dict[str, Any], source: str = "settings") -> AppSettings:
        try:
            return cls.model_validate(raw)
        except ValidationError as exc:
            raise SettingsError(describe_validation_error(exc, source)) from exc

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(tomli_w.dumps(self.model_dump()), encoding="utf-8")
        os.chmod(tmp, 0o600)
        tmp.replace(path)

    def with_value(self, key: str, value: str) -> AppSettings:
        """A copy with one key set from its text form, validated like the file is."""
        if key not in type(self).model_fields:
            known = ", ".join(sorted(type(self).model_fields))
            raise SettingsError(f"{key}: unknown setting (known: {known})")
        data = self.model_dump()
        data[key] = value
        return type(self).from_mapping(data)


def describe_validation_error(exc: ValidationError, source: str) -> str:
    """One line per refused key: `source: key: reason`."""
    lines = []
    for error in exc.errors():
        key = ".".join(str(part) for part in error["loc"]) or "(root)"
        reason = "unknown key" if error["type"] == "extra_forbidden" else error["msg"]
        lines.append(f"{source}: {key}: {reason}")
    return "\n".join(lines)
