"""Batch writes for the sync engine's hot paths: one DB-API `executemany` per statement, its
SQL built from the SQLModel table, values converted as SQLAlchemy converts them (datetimes), and
no ORM unit of work in between. A run writes tens of thousands of rows; through the ORM each
one costs more CPU than the engine's whole decision about it.

Every function runs inside the caller's write transaction (`Store.write()`, which begins with
BEGIN IMMEDIATE, so this connection holds the database's write lock until it commits).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import cache
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import sqlite
from sqlmodel import Session

_DIALECT = sqlite.dialect()


@cache
def _columns(table: Table) -> tuple[tuple[str, ...], tuple[Callable[[Any], Any] | None, ...]]:
    """The table's column names but `id`, and each one's bind converter (None: as is)."""
    names = tuple(name for name in table.c.keys() if name != "id")
    converters = tuple(
        table.c[name].type.dialect_impl(_DIALECT).bind_processor(_DIALECT) for name in names
    )
    return names, converters


@cache
def _converted(table: Table) -> tuple[tuple[int, Callable[[Any], Any]], ...]:
    """(position, converter) of the columns whose values need converting."""
    _, converters = _columns(table)
    return tuple((at, convert) for at, convert in enumerate(converters) if convert is not None)


def _row(table: Table, values: Mapping[str, Any]) -> list[Any]:
    names, _ = _columns(table)
    row = [values.get(name) for name in names]  # a column not given is NULL
    for at, convert in _converted(table):
        if row[at] is not None:
            row[at] = convert(row[at])
    return row


def insert_rows(session: Session, table: Table, rows: Sequence[Mapping[str, Any]]) -> list[int]:
    """Insert `rows` (column → value; `id` and columns not given are NULL) and return their
    new ids, in order.

    The ids are the next free ones, given here rather than read back one by one: the
    transaction holds the write lock, so no other writer can take them meanwhile (SQLite
    itself gives max(id) + 1 to a row inserted without one)."""
    if not rows:
        return []
    connection = session.connection()
    names, _ = _columns(table)
    highest = connection.exec_driver_sql(f"SELECT coalesce(max(id), 0) FROM {table.name}")
    first = int(highest.scalar() or 0) + 1
    ids = list(range(first, first + len(rows)))
    marks = ", ".join("?" * (len(names) + 1))
    connection.exec_driver_sql(
        f"INSERT INTO {table.name} (id, {', '.join(names)}) VALUES ({marks})",
        [(row_id, *_row(table, values)) for row_id, values in zip(ids, rows, strict=True)],
    )
    return ids


def update_rows(
    session: Session, table: Table, names: Sequence[str], rows: Sequence[Sequence[Any]]
) -> None:
    """Set columns `names` of many rows by id: each row is its values (in `names` order, as
    stored: datetimes converted by the caller or given to `update_values`) then its id."""
    if not rows:
        return
    assignments = ", ".join(f"{name} = ?" for name in names)
    session.connection().exec_driver_sql(
        f"UPDATE {table.name} SET {assignments} WHERE id = ?", [tuple(row) for row in rows]
    )


def update_values(table: Table, values: Mapping[str, Any]) -> list[Any]:
    """Every column but `id` of one row, converted for `update_rows` (all columns)."""
    return _row(table, values)


def column_names(table: Table) -> tuple[str, ...]:
    """The table's column names but `id` (the order `update_values` uses)."""
    return _columns(table)[0]


def datetime_converter() -> Callable[[Any], Any]:
    """A datetime as the store keeps it (for `update_rows` values)."""
    from sqlalchemy import DateTime

    convert = DateTime().dialect_impl(_DIALECT).bind_processor(_DIALECT)
    assert convert is not None
    return convert
