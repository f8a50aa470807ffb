"""The SQLite state store: one file, WAL, `synchronous=FULL`, owner-only, migrated on open."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlmodel import Session

from zsync_tui.store.migrations import LATEST_VERSION, MIGRATIONS

BUSY_TIMEOUT_MS = 10_000


class StoreError(RuntimeError):
    """The state store cannot be opened or upgraded; the message says what to do."""


def _create_owner_only(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        # Never open (and close) a descriptor on a database that exists: closing any
        # descriptor drops every POSIX lock this process holds on the file, including those
        # of open SQLite connections, and another process could then write over them.
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
            os.close(fd)
        except FileExistsError:
            pass
    os.chmod(path, 0o600)


def _configure_connection(dbapi_connection: sqlite3.Connection) -> None:
    # Autocommit at the driver level: SQLAlchemy's begin event below issues BEGIN itself, so
    # the writer can take the lock up front (BEGIN IMMEDIATE) instead of failing on upgrade.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _make_engine(path: Path, begin_statement: str) -> Engine:
    engine = create_engine(
        f"sqlite:///{path}",
        connect_args={"check_same_thread": False, "timeout": BUSY_TIMEOUT_MS / 1000},
    )

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
        _configure_connection(dbapi_connection)

    @event.listens_for(engine, "begin")
    def on_begin(connection: Any) -> None:
        connection.exec_driver_sql(begin_statement)

    return engine


def schema_version(path: Path) -> int:
    with sqlite3.connect(path) as connection:
        return int(connection.execute("PRAGMA user_version").fetchone()[0])


def migrate(path: Path) -> int:
    """Bring the file to the latest schema; keep a copy of an older one first."""
    current = schema_version(path)
    if current > LATEST_VERSION:
        raise StoreError(
            f"{path} was written by a newer zsync (schema {current}, this one knows up to "
            f"{LATEST_VERSION}); upgrade zsync or point --data-dir elsewhere"
        )
    if current == LATEST_VERSION:
        return current
    if current > 0:
        backup = path.with_name(f"{path.name}.schema{current}.bak")
        _create_owner_only(backup)
        with sqlite3.connect(path) as source, sqlite3.connect(backup) as target:
            source.backup(target)
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        _configure_connection(connection)
        for migration in MIGRATIONS:
            if migration.version <= current:
                continue
            connection.execute("BEGIN IMMEDIATE")
            try:
                for statement in migration.statements:
                    connection.execute(statement)
                connection.execute(f"PRAGMA user_version={migration.version}")
                connection.execute("COMMIT")
            except sqlite3.Error as exc:
                connection.execute("ROLLBACK")
                raise StoreError(
                    f"upgrading {path} to schema {migration.version} failed: {exc}; "
                    "the database is unchanged"
                ) from exc
    finally:
        connection.close()
    return LATEST_VERSION


class Store:
    """Opens the database and hands out short sessions: `read()` for the UI, `write()` for
    the engine (BEGIN IMMEDIATE, so two writers queue instead of deadlocking)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        _create_owner_only(path)
        try:
            migrate(path)
        except sqlite3.DatabaseError as exc:
            raise StoreError(
                f"{path} is not a zsync database ({exc}); move it aside and run again"
            ) from exc
        self._reader = _make_engine(path, "BEGIN")
        self._writer = _make_engine(path, "BEGIN IMMEDIATE")

    @contextmanager
    def read(self) -> Iterator[Session]:
        with Session(self._reader, expire_on_commit=False) as session:
            yield session

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A transaction that commits on success and rolls back on any exception."""
        with Session(self._writer, expire_on_commit=False) as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    def close(self) -> None:
        self._reader.dispose()
        self._writer.dispose()
