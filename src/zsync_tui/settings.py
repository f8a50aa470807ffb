"""Where zsync keeps its files, and the application settings saved as TOML.

Every path comes from platformdirs unless `ZSYNC_HOME` or `--data-dir` redirects all of them
under one root, which is how tests and power users keep zsync away from the real home.

Every command and the TUI read these before anything else, so this module imports only the
standard library: the settings are a dataclass checked against a small table of rules rather
than a pydantic model, whose import alone costs more than a tenth of `zsync`'s start-up.
"""

from __future__ import annotations

import math
import os
import re
import tomllib
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any, Literal

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
        import platformdirs

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
LOG_LEVELS: tuple[LogLevel, ...] = ("DEBUG", "INFO", "WARNING", "ERROR")
PROFILE_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


@dataclass(frozen=True)
class _Rule:
    """What one setting accepts: its type, and bounds (inclusive unless `above` is set)."""

    kind: type
    minimum: float | None = None
    maximum: float | None = None
    above: float | None = None  # strictly greater than

    def check(self, key: str, value: object) -> int | float:
        """The value in its proper type, or SettingsError naming the key and the reason."""
        number = self._convert(key, value)
        if self.above is not None and not number > self.above:
            raise SettingsError(f"{key}: must be greater than {self.above:g} (got {value!r})")
        if self.minimum is not None and number < self.minimum:
            raise SettingsError(f"{key}: must be at least {self.minimum:g} (got {value!r})")
        if self.maximum is not None and number > self.maximum:
            raise SettingsError(f"{key}: must be at most {self.maximum:g} (got {value!r})")
        return number

    def _convert(self, key: str, value: object) -> int | float:
        # Text comes from `zsync settings set`; TOML already gives numbers. Booleans are
        # numbers to Python but never what the user meant.
        try:
            if isinstance(value, bool):
                raise ValueError
            if self.kind is int:
                if isinstance(value, float) and value.is_integer():
                    return int(value)
                if isinstance(value, int | str):
                    return int(value)
                raise ValueError
            if isinstance(value, int | float | str):
                number = float(value)
                if math.isfinite(number):
                    return number
            raise ValueError
        except ValueError:
            noun = "a whole number" if self.kind is int else "a number"
            raise SettingsError(f"{key}: must be {noun} (got {value!r})") from None


NUMBER_RULES = {
    "log_max_bytes": _Rule(int, minimum=10_000, maximum=100_000_000),
    "log_backup_count": _Rule(int, minimum=0, maximum=50),
    "keyring_timeout_s": _Rule(float, above=0, maximum=60),
    "http_timeout_s": _Rule(float, above=0, maximum=600),
    "deal_poll_seconds": _Rule(int, minimum=5, maximum=3600),
}


@dataclass(frozen=True)
class AppSettings:
    """Application-wide preferences (the integration's own configuration lives in the store).

    Every value is checked when the object is made; an invalid one raises SettingsError.
    """

    default_profile: str = "default"
    log_level: LogLevel = "INFO"
    log_max_bytes: int = 2_000_000
    log_backup_count: int = 5
    keyring_timeout_s: float = 5.0
    http_timeout_s: float = 30.0
    deal_poll_seconds: int = 60

    def __post_init__(self) -> None:
        if not isinstance(self.default_profile, str) or not PROFILE_NAME.match(
            self.default_profile
        ):
            raise SettingsError(
                f"default_profile: 1 to 64 letters, digits, '.', '_' or '-' "
                f"(got {self.default_profile!r})"
            )
        if self.log_level not in LOG_LEVELS:
            raise SettingsError(
                f"log_level: must be one of {', '.join(LOG_LEVELS)} (got {self.log_level!r})"
            )
        for key, rule in NUMBER_RULES.items():
            # Frozen: the checked value (e.g. "30" made 30) is set the way dataclasses do it.
            object.__setattr__(self, key, rule.check(key, getattr(self, key)))

    @classmethod
    def keys(cls) -> tuple[str, ...]:
        """The setting names, in the file's order."""
        return tuple(f.name for f in fields(cls))

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
        """Settings from a mapping (a parsed file); every refused key is named with its reason."""
        problems = [f"{source}: {key}: unknown key" for key in raw if key not in cls.keys()]
        known = {key: value for key, value in raw.items() if key in cls.keys()}
        settings: AppSettings | None = None
        try:
            settings = cls(**known)
        except SettingsError:
            # Check each key alone, so the message lists every refused one, not the first.
            for key, value in known.items():
                try:
                    cls(**{key: value})
                except SettingsError as exc:
                    problems.append(f"{source}: {exc}")
        if problems or settings is None:
            raise SettingsError("\n".join(problems))
        return settings

    def as_dict(self) -> dict[str, Any]:
        """The settings as the file holds them."""
        return asdict(self)

    def save(self, path: Path) -> None:
        import tomli_w

        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(tomli_w.dumps(self.as_dict()), encoding="utf-8")
        os.chmod(tmp, 0o600)
        tmp.replace(path)

    def with_value(self, key: str, value: str) -> AppSettings:
        """A copy with one key set from its text form, validated like the file is."""
        if key not in self.keys():
            raise SettingsError(f"{key}: unknown setting (known: {', '.join(sorted(self.keys()))})")
        change: dict[str, Any] = {key: value}
        return replace(self, **change)
