"""The local state store: SQLModel tables in one SQLite file."""

from zsync_tui.store import bulk
from zsync_tui.store.database import Store, StoreError
from zsync_tui.store.models import (
    Conflict,
    DealAction,
    DealLink,
    DuplicateMatch,
    JournalEntry,
    OutboxIntent,
    Profile,
    RecordError,
    RecordIssue,
    RecordLink,
    SyncCursor,
    SyncRun,
    new_record_link,
)

__all__ = [
    "Conflict",
    "DealAction",
    "DealLink",
    "DuplicateMatch",
    "JournalEntry",
    "OutboxIntent",
    "Profile",
    "RecordError",
    "RecordIssue",
    "RecordLink",
    "Store",
    "StoreError",
    "SyncCursor",
    "SyncRun",
    "bulk",
    "new_record_link",
]
