from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlmodel import SQLModel, select

from zsync_tui.store import Profile, RecordLink, Store, StoreError
from zsync_tui.store.database import schema_version
from zsync_tui.store.migrations import LATEST_VERSION, MIGRATIONS


def _columns(connection: sqlite3.Connection) -> dict[str, set[tuple[str, bool, bool]]]:
    tables = [
        row[0]
        for row in connection.execute(
            "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'"
        )
    ]
    return {
        table: {
            (row[1], bool(row[3] or row[5]), row[5] > 0)
            for row in connection.execute(f"PRAGMA table_info({table})")
        }
        for table in tables
    }


def test_new_database_is_wal_full_sync_and_owner_only(tmp_path: Path):
    path = tmp_path / "zsync.db"
    store = Store(path)
    with store.write() as session:
        session.add(Profile(name="default"))
    assert path.stat().st_mode & 0o777 == 0o600
    with sqlite3.connect(path) as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    with store.read() as session:
        assert session.connection().exec_driver_sql("PRAGMA synchronous").scalar() == 2
        assert session.connection().exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert session.connection().exec_driver_sql("PRAGMA busy_timeout").scalar() == 10_000
    for extra in tmp_path.glob("zsync.db-*"):
        assert extra.stat().st_mode & 0o777 == 0o600
    assert schema_version(path) == LATEST_VERSION


def test_migrated_schema_matches_the_models(tmp_path: Path):
    Store(tmp_path / "migrated.db")
    from sqlalchemy import create_engine

    engine = create_engine(f"sqlite:///{tmp_path / 'models.db'}")
    SQLModel.metadata.create_all(engine)
    engine.dispose()
    with (
        sqlite3.connect(tmp_path / "migrated.db") as a,
        sqlite3.connect(tmp_path / "models.db") as b,
    ):
        assert _columns(a) == _columns(b)


def test_older_schema_is_upgraded_in_place_with_its_data(tmp_path: Path):
    path = tmp_path / "zsync.db"
    with sqlite3.connect(path) as connection:
        for statement in MIGRATIONS[0].statements:
            connection.execute(statement)
        connection.execute("PRAGMA user_version=1")
        connection.execute(
            "INSERT INTO profile VALUES (1,'old','us',NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,"
            "NULL,1,'2026-01-01 00:00:00','2026-01-01 00:00:00')"
        )
        connection.execute(
            "INSERT INTO record_link (id, profile_id, crm_module, crm_id, billing_entity,"
            " billing_id, origin, state, last_values_json) VALUES"
            " (1, 1, 'Accounts', '42', 'customer', '77', 'crm', 'linked', '{}')"
        )
    store = Store(path)
    assert schema_version(path) == LATEST_VERSION
    assert (tmp_path / "zsync.db.schema1.bak").exists()
    with store.read() as session:
        link = session.exec(select(RecordLink)).one()
        assert (link.crm_id, link.billing_id, link.crm_deleted_at) == ("42", "77", None)


def test_newer_schema_is_refused(tmp_path: Path):
    path = tmp_path / "zsync.db"
    with sqlite3.connect(path) as connection:
        connection.execute(f"PRAGMA user_version={LATEST_VERSION + 1}")
    with pytest.raises(StoreError, match="newer zsync"):
        Store(path)


def test_not_a_database_is_reported(tmp_path: Path):
    path = tmp_path / "zsync.db"
    path.write_bytes(b"this is not sqlite at all" * 100)
    with pytest.raises(StoreError, match="not a zsync database"):
        Store(path)


def test_write_rolls_back_on_error(tmp_path: Path):
    store = Store(tmp_path / "zsync.db")
    with pytest.raises(RuntimeError), store.write() as session:
        session.add(Profile(name="lost"))
        session.flush()
        raise RuntimeError("boom")
    with store.read() as session:
        assert session.exec(select(Profile)).all() == []


def test_foreign_keys_are_enforced(tmp_path: Path):
    store = Store(tmp_path / "zsync.db")
    with pytest.raises(Exception, match="FOREIGN KEY"), store.write() as session:
        session.add(RecordLink(profile_id=999, crm_module="Accounts", crm_id="1", billing_id="2"))
