"""The state store's tables. Their DDL lives in `migrations.py`; a test keeps the two equal."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import configure_mappers
from sqlalchemy.orm.attributes import set_attribute
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(UTC)


class Profile(SQLModel, table=True):
    """One connection: a CRM org and one Billing org, with the integration's configuration."""

    __tablename__ = "profile"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True)
    data_centre: str = "us"
    accounts_url: str | None = None
    api_domain: str | None = None
    client_id: str | None = None
    billing_org_id: str | None = None
    billing_org_name: str | None = None
    crm_org_id: str | None = None
    crm_org_name: str | None = None
    owner_email: str | None = None
    config_toml: str | None = None
    enabled: bool = True
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class RecordLink(SQLModel, table=True):
    """A CRM record tied to a Billing entity, with what each side looked like at the last sync."""

    __tablename__ = "record_link"
    id: int | None = Field(default=None, primary_key=True)
    profile_id: int = Field(foreign_key="profile.id", index=True)
    crm_module: str
    crm_id: str
    billing_entity: str = "customer"
    billing_id: str
    billing_parent_id: str | None = None
    origin: str = "crm"
    state: str = "linked"
    last_values_json: str = "{}"
    crm_hash: str | None = None
    billing_hash: str | None = None
    crm_modified_time: str | None = None
    billing_modified_time: str | None = None
    last_synced_at: datetime | None = None
    crm_deleted_at: datetime | None = None

    def __setattr__(self, name: str, value: Any) -> None:
        # The sync engine sets link fields hundreds of thousands of times in a big run.
        # SQLModel sets each twice (SQLAlchemy, then pydantic, which validates nothing on a
        # table model) at five times the cost; SQLAlchemy's set alone keeps change tracking.
        if name in _LINK_COLUMNS:
            set_attribute(self, name, value)
        else:
            super().__setattr__(name, value)


_LINK_COLUMNS = frozenset(RecordLink.model_fields)
_LINK_DEFAULTS: dict[str, Any] = {
    name: info.get_default(call_default_factory=True)
    for name, info in RecordLink.model_fields.items()
}


_mappers_configured = False


def _configure_mappers_once() -> None:
    """What the model's constructor does first; asked each time, it costs a lock."""
    global _mappers_configured
    configure_mappers()
    _mappers_configured = True


def new_record_link(**values: Any) -> RecordLink:
    """A new (transient) `RecordLink`, built about ten times faster than `RecordLink(...)`.

    A sync run makes one per created record (tens of thousands), and the model's own
    constructor sets each field through pydantic and SQLAlchemy's instrumentation; the values
    here go straight into the instance dict instead (no validation: the engine passes plain
    strings). The object behaves like any other link afterwards (attribute sets are tracked,
    `session.add` inserts it)."""
    unknown = values.keys() - _LINK_DEFAULTS.keys()
    if unknown:
        raise TypeError(f"RecordLink has no field {sorted(unknown)}")
    if not _mappers_configured:
        _configure_mappers_once()
    link: RecordLink = RecordLink._sa_class_manager.new_instance()  # type: ignore[attr-defined]
    link.__dict__.update(_LINK_DEFAULTS)
    link.__dict__.update(values)
    object.__setattr__(link, "__pydantic_fields_set__", set(values))
    object.__setattr__(link, "__pydantic_extra__", None)
    object.__setattr__(link, "__pydantic_private__", None)
    return link


class SyncCursor(SQLModel, table=True):
    """How far a stream of changes has been read and committed."""

    __tablename__ = "sync_cursor"
    profile_id: int = Field(foreign_key="profile.id", primary_key=True)
    name: str = Field(primary_key=True)
    value: str
    updated_at: datetime = Field(default_factory=utcnow)


class OutboxIntent(SQLModel, table=True):
    """A remote write, recorded before it is sent, so a crash can be reconciled."""

    __tablename__ = "outbox_intent"
    id: int | None = Field(default=None, primary_key=True)
    profile_id: int = Field(foreign_key="profile.id", index=True)
    run_id: int | None = Field(default=None, foreign_key="sync_run.id")
    side: str
    operation: str
    natural_key: str
    payload_json: str
    state: str = "pending"
    remote_id: str | None = None
    attempts: int = 0
    error: str | None = None
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class Conflict(SQLModel, table=True):
    """A field changed on both sides since the last sync that its policy cannot settle."""

    __tablename__ = "conflict"
    id: int | None = Field(default=None, primary_key=True)
    profile_id: int = Field(foreign_key="profile.id", index=True)
    link_id: int = Field(foreign_key="record_link.id")
    field: str
    base_value: str | None = None
    crm_value: str | None = None
    billing_value: str | None = None
    state: str = "open"
    resolution: str | None = None
    resolved_value: str | None = None
    created_at: datetime = Field(default_factory=utcnow)
    resolved_at: datetime | None = None


class SyncRun(SQLModel, table=True):
    """One sync run: what it did, what it cost, how it ended."""

    __tablename__ = "sync_run"
    id: int | None = Field(default=None, primary_key=True)
    profile_id: int = Field(foreign_key="profile.id", index=True)
    kind: str = "customers"
    dry_run: bool = False
    status: str = "running"
    started_at: datetime = Field(default_factory=utcnow)
    finished_at: datetime | None = None
    counts_json: str = "{}"
    crm_calls: int = 0
    billing_calls: int = 0
    write_calls: int = 0
    error_count: int = 0
    message: str | None = None


class RecordError(SQLModel, table=True):
    """A record a run had to set aside, and why."""

    __tablename__ = "record_error"
    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(foreign_key="sync_run.id", index=True)
    side: str
    record_id: str | None = None
    reason: str
    message: str


class JournalEntry(SQLModel, table=True):
    """Every remote write, with the values before and after."""

    __tablename__ = "journal_entry"
    id: int | None = Field(default=None, primary_key=True)
    profile_id: int = Field(foreign_key="profile.id", index=True)
    run_id: int | None = Field(default=None, foreign_key="sync_run.id")
    side: str
    entity: str
    remote_id: str | None = None
    action: str
    before_json: str | None = None
    after_json: str | None = None
    at: datetime = Field(default_factory=utcnow)


class DuplicateMatch(SQLModel, table=True):
    """A CRM record and a Billing customer that look like the same party."""

    __tablename__ = "duplicate_match"
    id: int | None = Field(default=None, primary_key=True)
    profile_id: int = Field(foreign_key="profile.id", index=True)
    crm_module: str
    crm_id: str
    billing_id: str
    score: float
    reasons: str
    state: str = "waiting"
    created_at: datetime = Field(default_factory=utcnow)


class DealAction(SQLModel, table=True):
    """A deal-stage trigger action, keyed so it happens at most once per generation."""

    __tablename__ = "deal_action"
    id: int | None = Field(default=None, primary_key=True)
    profile_id: int = Field(foreign_key="profile.id", index=True)
    deal_id: str
    action: str
    generation: int = 1
    state: str = "pending"
    billing_entity: str | None = None
    billing_id: str | None = None
    message: str | None = None
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class DealLink(SQLModel, table=True):
    """A deal tied to a quote, sales order or invoice, by a trigger or by hand."""

    __tablename__ = "deal_link"
    id: int | None = Field(default=None, primary_key=True)
    profile_id: int = Field(foreign_key="profile.id", index=True)
    deal_id: str
    billing_entity: str
    billing_id: str
    origin: str = "manual"
    created_at: datetime = Field(default_factory=utcnow)


class RecordIssue(SQLModel, table=True):
    """A record the other side refused; it stays until the record syncs, so status can say
    what is failing and why even on runs that do not read it again."""

    __tablename__ = "record_issue"
    id: int | None = Field(default=None, primary_key=True)
    profile_id: int = Field(foreign_key="profile.id", index=True)
    side: str
    module: str
    record_id: str
    name: str | None = None
    reason: str
    message: str
    record_modified_time: str | None = None
    first_seen: datetime = Field(default_factory=utcnow)
    last_seen: datetime = Field(default_factory=utcnow)
