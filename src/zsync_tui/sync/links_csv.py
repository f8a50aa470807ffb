"""The links table as a CSV file: what `zsync links export` and the settings screen write, so
that links survive a lost database (`zsync links import` reads the file back)."""

from __future__ import annotations

import csv
from pathlib import Path

from sqlmodel import col, select

from zsync_tui.store import RecordLink, Store

#: Every column `zsync links import` reads back.
LINK_CSV_COLUMNS = (
    "crm_module",
    "crm_id",
    "billing_entity",
    "billing_id",
    "billing_parent_id",
    "origin",
    "state",
)


def write_links_csv(
    store: Store, profile_id: int, path: Path, columns: tuple[str, ...] = LINK_CSV_COLUMNS
) -> int:
    """Write every link of the profile to `path` (its folder made if missing), oldest first, one
    column per name in `columns` with a header row; how many links were written."""
    with store.read() as session:
        links = session.exec(
            select(RecordLink)
            .where(RecordLink.profile_id == profile_id)
            .order_by(col(RecordLink.id))
        ).all()
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
        for link in links:
            writer.writerow([getattr(link, name) or "" for name in columns])
    return len(links)
