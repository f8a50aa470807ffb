"""What a sandbox world is made of: sizes, seed, edition, budgets and faults."""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from typing import Any

CRM_EDITIONS = ("free", "standard", "professional", "enterprise", "ultimate")


class OptionsError(ValueError):
    """A sandbox option or fault spec that cannot be used; the message names the culprit."""


@dataclass
class FaultSettings:
    """Faults injected into API replies; every probability is between 0 and 1."""

    latency_ms: float = 0.0
    jitter_ms: float = 0.0
    p429: float = 0.0
    p500: float = 0.0
    p502: float = 0.0
    p503: float = 0.0
    # Access tokens die this many seconds after issue while still announcing 3600 (0: never early).
    token_expiry_s: float = 0.0
    # Writes are applied, then the connection is closed (or stalls) before any reply.
    commit_then_drop: float = 0.0
    drop_mode: str = "close"  # "close" or "stall"
    stall_s: float = 30.0
    html: float = 0.0
    truncated: float = 0.0
    trickle: float = 0.0
    trickle_chunk: int = 64
    trickle_delay_ms: float = 20.0

    def update(self, values: dict[str, Any]) -> FaultSettings:
        """A copy with `values` applied, each checked against its field's type and range."""
        known = {f.name: f for f in fields(self)}
        changes: dict[str, Any] = {}
        for key, raw in values.items():
            name = FAULT_ALIASES.get(key, key)
            if name not in known:
                raise OptionsError(f"unknown fault {key!r}; known: {', '.join(sorted(known))}")
            current = getattr(self, name)
            try:
                value: Any = type(current)(raw)
            except (TypeError, ValueError) as exc:
                raise OptionsError(
                    f"fault {key!r}: {raw!r} is not a {type(current).__name__}"
                ) from exc
            if isinstance(value, float) and value < 0:
                raise OptionsError(f"fault {key!r} must not be negative")
            if name.startswith("p") and name[1:].isdigit() or name in PROBABILITIES:
                if not 0.0 <= float(value) <= 1.0:
                    raise OptionsError(f"fault {key!r} is a probability: give a value in 0..1")
            if name == "drop_mode" and value not in ("close", "stall"):
                raise OptionsError("fault 'drop_mode' must be 'close' or 'stall'")
            changes[name] = value
        return replace(self, **changes)

    def as_dict(self) -> dict[str, Any]:
        """The settings as plain JSON-ready values."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


PROBABILITIES = frozenset({"commit_then_drop", "html", "truncated", "trickle"})
FAULT_ALIASES = {
    "429": "p429",
    "500": "p500",
    "502": "p502",
    "503": "p503",
    "latency": "latency_ms",
    "jitter": "jitter_ms",
    "token_ttl": "token_expiry_s",
    "token_expiry": "token_expiry_s",
    "drop": "commit_then_drop",
    "truncate": "truncated",
}


def parse_fault_spec(spec: str, base: FaultSettings | None = None) -> FaultSettings:
    """Read `429=0.1,500=0.05,latency=40,jitter=10,drop=0.2,...` into fault settings."""
    values: dict[str, str] = {}
    for part in (chunk.strip() for chunk in spec.split(",")):
        if not part:
            continue
        key, sep, value = part.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise OptionsError(f"fault spec item {part!r} must look like name=value")
        values[key.strip()] = value.strip()
    return (base or FaultSettings()).update(values)


@dataclass
class SandboxOptions:
    """Everything that shapes a sandbox world; the same seed always gives the same world."""

    seed: int = 1
    accounts: int = 30
    contacts: int = 60
    deals: int = 20
    customers: int = 20
    duplicates: int = 5
    latency_ms: float = 0.0
    faults: FaultSettings | str = field(default_factory=FaultSettings)
    crm_edition: str = "enterprise"
    crm_users: int = 5
    crm_credits_per_day: int | None = None  # None: computed from the edition and users
    crm_concurrency: int | None = None  # None: the edition's limit
    billing_calls_per_minute: int = 100
    billing_calls_per_day: int = 5000
    token_ttl_s: int = 3600
    token_refreshes_per_10min: int = 10
    max_active_tokens: int = 15
    page_token_ttl_s: int = 24 * 3600
    scopes: tuple[str, ...] = ()  # empty: every scope the sandbox knows
    unique_fields: dict[str, tuple[str, ...]] = field(
        default_factory=lambda: {"Accounts": ("Account_Name",), "Contacts": ("Email",)}
    )
    currency: str = "USD"
    multi_currency: bool = False
    clock_start: float | None = None  # epoch seconds; None: the wall clock
    state_file: str | None = None

    def __post_init__(self) -> None:
        if isinstance(self.faults, str):
            self.faults = parse_fault_spec(self.faults)
        if self.latency_ms and not self.faults.latency_ms:
            self.faults = replace(self.faults, latency_ms=float(self.latency_ms))
        if self.crm_edition not in CRM_EDITIONS:
            raise OptionsError(
                f"crm_edition {self.crm_edition!r} is not one of {', '.join(CRM_EDITIONS)}"
            )
        for name in ("accounts", "contacts", "deals", "customers", "duplicates", "crm_users"):
            if getattr(self, name) < 0:
                raise OptionsError(f"{name} must not be negative")
        if self.crm_users < 1:
            raise OptionsError("crm_users must be at least 1")

    @property
    def fault_settings(self) -> FaultSettings:
        """The faults as settings (a string spec is parsed on construction)."""
        assert isinstance(self.faults, FaultSettings)
        return self.faults
