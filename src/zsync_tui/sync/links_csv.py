"""The links table as a CSV file: what `zsync links export` and the settings screen write, so
that links survive a lost database, and the one import that reads such a file back
(`zsync links import` and the settings screen)."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, select

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


#: What `read_links_csv` accepts in the columns that have a fixed set of values.
CRM_MODULES = ("Accounts", "Contacts")
BILLING_ENTITIES = ("customer", "contact_person")
LINK_STATES = ("linked", "crm_deleted")
REQUIRED_COLUMNS = ("crm_module", "crm_id", "billing_id")


class LinksImportError(ValueError):
    """A links file was refused as a whole (nothing imported); one line per bad row."""

    def __init__(self, path: Path, problems: list[str]) -> None:
        self.problems = problems
        shown = problems[:20]
        more = f"\n... and {len(problems) - 20} more" if len(problems) > 20 else ""
        super().__init__(
            f"{path}: nothing imported; fix these rows and import the file again:\n"
            + "\n".join(shown)
            + more
        )


@dataclass(frozen=True)
class LinksImported:
    """What an import did: links added, and links the store already had exactly so."""

    added: int
    kept: int


def import_links_csv(store: Store, profile_id: int, path: Path) -> LinksImported:
    """Read links written by `write_links_csv` back, in one transaction: any bad row (a missing
    id, an unknown module, entity or state, a CRM or Billing record linked to something else)
    refuses the whole file with `LinksImportError`, one message per row. A row the store holds
    already is kept as it is; a row that pairs records the admin unlinked links them again."""
    rows = _read_rows(path)
    from zsync_tui.sync.actions import lift_unlinked

    problems: list[str] = []
    added = kept = 0
    seen_crm: dict[tuple[str, str], int] = {}
    seen_billing: dict[tuple[str, str], int] = {}
    with store.write() as session:
        for line, row in rows:
            problem = _row_problem(row)
            key_crm = (row["crm_module"], row["crm_id"])
            key_billing = (row["billing_entity"], row["billing_id"])
            if problem is None and key_crm in seen_crm:
                problem = f"CRM {key_crm[0]} {key_crm[1]} is also on line {seen_crm[key_crm]}"
            if problem is None and key_billing in seen_billing:
                problem = (
                    f"Billing {key_billing[0]} {key_billing[1]} is also on line "
                    f"{seen_billing[key_billing]}"
                )
            if problem is None:
                seen_crm[key_crm], seen_billing[key_billing] = line, line
                problem, exists = _against_store(session, profile_id, row)
                if problem is None and exists:
                    kept += 1
                    continue
            if problem is not None:
                problems.append(f"line {line}: {problem}")
                continue
            session.add(
                RecordLink(
                    profile_id=profile_id,
                    crm_module=row["crm_module"],
                    crm_id=row["crm_id"],
                    billing_entity=row["billing_entity"],
                    billing_id=row["billing_id"],
                    billing_parent_id=row["billing_parent_id"] or None,
                    origin=row["origin"] or "import",
                    state=row["state"],
                )
            )
            lift_unlinked(session, profile_id, row["crm_module"], [row["crm_id"]])
            added += 1
        if problems:
            # Raising inside the write block rolls the whole file back.
            raise LinksImportError(path, problems)
    return LinksImported(added, kept)


def _read_rows(path: Path) -> list[tuple[int, dict[str, str]]]:
    """(line number, row with every column, stripped) per data row."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            missing = [c for c in REQUIRED_COLUMNS if c not in (reader.fieldnames or [])]
            if missing:
                raise LinksImportError(
                    path,
                    [
                        f"line 1: missing columns {', '.join(missing)} (the header needs at "
                        f"least {', '.join(REQUIRED_COLUMNS)}; `zsync links export` writes it)"
                    ],
                )
            rows = []
            for row in reader:
                clean = {name: (row.get(name) or "").strip() for name in LINK_CSV_COLUMNS}
                clean["billing_entity"] = clean["billing_entity"] or "customer"
                clean["state"] = clean["state"] or "linked"
                rows.append((reader.line_num, clean))
    except UnicodeDecodeError:
        raise LinksImportError(
            path, ["the file is not UTF-8 text (save it as CSV UTF-8)"]
        ) from None
    except csv.Error as exc:
        raise LinksImportError(path, [f"not a readable CSV file: {exc}"]) from None
    return rows


def _row_problem(row: dict[str, str]) -> str | None:
    """What is wrong with one row on its own, if anything."""
    empty = [name for name in REQUIRED_COLUMNS if not row[name]]
    if empty:
        return f"{', '.join(empty)} empty"
    checks = (
        ("crm_module", CRM_MODULES),
        ("billing_entity", BILLING_ENTITIES),
        ("state", LINK_STATES),
    )
    for name, allowed in checks:
        if row[name] not in allowed:
            return f"{name} {row[name]!r} is not one of {', '.join(allowed)}"
    if row["billing_entity"] == "contact_person" and not row["billing_parent_id"]:
        return "a contact_person link needs its billing_parent_id (the customer's id)"
    return None


def _against_store(
    session: Session, profile_id: int, row: dict[str, str]
) -> tuple[str | None, bool]:
    """(what conflicts with the stored links, whether this very link is stored already)."""

    def stored(*where: Any) -> RecordLink | None:
        return session.exec(
            select(RecordLink).where(RecordLink.profile_id == profile_id, *where)
        ).first()

    by_crm = stored(RecordLink.crm_module == row["crm_module"], RecordLink.crm_id == row["crm_id"])
    if by_crm is not None:
        if (by_crm.billing_entity, by_crm.billing_id) == (row["billing_entity"], row["billing_id"]):
            return None, True
        return (
            f"CRM {row['crm_module']} {row['crm_id']} is already linked to Billing "
            f"{by_crm.billing_entity} {by_crm.billing_id}: unlink it first"
        ), False
    by_billing = stored(
        RecordLink.billing_entity == row["billing_entity"],
        RecordLink.billing_id == row["billing_id"],
    )
    if by_billing is not None:
        return (
            f"Billing {row['billing_entity']} {row['billing_id']} is already linked to CRM "
            f"{by_billing.crm_module} {by_billing.crm_id}: unlink it first"
        ), False
    return None, False
