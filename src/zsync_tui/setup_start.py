"""Which screen `zsync` opens on, decided in milliseconds from the store file with sqlite3.

Opening the store properly (SQLAlchemy, migrations) costs most of a second of imports; the
first screen must not wait for it. The profile table's two columns that decide between the
setup flow and the dashboard have been there since the first schema, so a plain read-only
query of them is enough. Anything unusual (a file that is not a database, a locked one, a
profile that is connected but not configured, whose draft needs the full store) answers
"unknown", and the App opens the store in a worker as before.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from zsync_tui.setup_flow import SetupDraft

if TYPE_CHECKING:
    import sqlite3

ProfileState = Literal["absent", "connected", "configured"]
# A reader never waits long on the UI thread: a busy file is left to the worker.
READ_TIMEOUT_S = 0.2


@dataclass(frozen=True)
class FirstScreen:
    """The setup flow (with the draft it starts from) or the integration's dashboard."""

    mode: Literal["setup", "operate"]
    draft: SetupDraft | None = None


def saved_profile_state(database_file: Path, profile_name: str) -> ProfileState | None:
    """How far the profile got: nothing saved, connected only, or configured.

    None when the file cannot be read cheaply; opening the store then says what is wrong.
    """
    if not database_file.exists():
        return "absent"
    import sqlite3  # only when there is a file to read: a first start does without it

    try:
        # mode=ro never creates or changes the file; the Store creates and migrates it.
        connection = sqlite3.connect(
            f"{database_file.as_uri()}?mode=ro", uri=True, timeout=READ_TIMEOUT_S
        )
    except sqlite3.Error:
        return None
    try:
        tables = connection.execute(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'profile'"
        ).fetchone()[0]
        if not tables:
            return "absent" if _is_empty(connection) else None
        row = connection.execute(
            "SELECT client_id, config_toml FROM profile WHERE name = ?", (profile_name,)
        ).fetchone()
    except sqlite3.Error:
        return None
    finally:
        connection.close()
    if row is None or not row[0]:
        return "absent"
    return "configured" if row[1] else "connected"


def _is_empty(connection: sqlite3.Connection) -> bool:
    """A database with no schema at all (created, never migrated)."""
    version = connection.execute("PRAGMA user_version").fetchone()[0]
    objects = connection.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
    return version == 0 and objects == 0
