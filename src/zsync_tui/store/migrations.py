"""Schema versions, applied in order and recorded in SQLite's `user_version`.

Each step is plain DDL run in one transaction; an older database is upgraded in place (after a
copy is kept beside it). A test checks that the migrated schema equals the SQLModel tables.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Migration:
    version: int
    description: str
    statements: tuple[str, ...]


V1 = Migration(
    1,
    "profiles, links, cursors, outbox, conflicts, runs, journal, duplicates",
    (
        """CREATE TABLE profile (
        id INTEGER PRIMARY KEY, name VARCHAR NOT NULL UNIQUE,
        data_centre VARCHAR NOT NULL, accounts_url VARCHAR, api_domain VARCHAR,
        client_id VARCHAR, billing_org_id VARCHAR, billing_org_name VARCHAR,
        crm_org_id VARCHAR, crm_org_name VARCHAR, owner_email VARCHAR, config_toml VARCHAR,
        enabled BOOLEAN NOT NULL, created_at DATETIME NOT NULL, updated_at DATETIME NOT NULL)""",
        """CREATE TABLE sync_run (
        id INTEGER PRIMARY KEY, profile_id INTEGER NOT NULL REFERENCES profile(id),
        kind VARCHAR NOT NULL, dry_run BOOLEAN NOT NULL, status VARCHAR NOT NULL,
        started_at DATETIME NOT NULL, finished_at DATETIME, counts_json VARCHAR NOT NULL,
        crm_calls INTEGER NOT NULL, billing_calls INTEGER NOT NULL, write_calls INTEGER NOT NULL,
        error_count INTEGER NOT NULL, message VARCHAR)""",
        "CREATE INDEX ix_sync_run_profile_id ON sync_run (profile_id)",
        """CREATE TABLE record_link (
        id INTEGER PRIMARY KEY, profile_id INTEGER NOT NULL REFERENCES profile(id),
        crm_module VARCHAR NOT NULL, crm_id VARCHAR NOT NULL, billing_entity VARCHAR NOT NULL,
        billing_id VARCHAR NOT NULL, billing_parent_id VARCHAR, origin VARCHAR NOT NULL,
        state VARCHAR NOT NULL, last_values_json VARCHAR NOT NULL, crm_hash VARCHAR,
        billing_hash VARCHAR, crm_modified_time VARCHAR, billing_modified_time VARCHAR,
        last_synced_at DATETIME)""",
        "CREATE INDEX ix_record_link_profile_id ON record_link (profile_id)",
        "CREATE UNIQUE INDEX ux_record_link_crm ON record_link (profile_id, crm_module, crm_id)",
        """CREATE UNIQUE INDEX ux_record_link_billing
        ON record_link (profile_id, billing_entity, billing_id)""",
        """CREATE TABLE sync_cursor (
        profile_id INTEGER NOT NULL REFERENCES profile(id), name VARCHAR NOT NULL,
        value VARCHAR NOT NULL, updated_at DATETIME NOT NULL, PRIMARY KEY (profile_id, name))""",
        """CREATE TABLE outbox_intent (
        id INTEGER PRIMARY KEY, profile_id INTEGER NOT NULL REFERENCES profile(id),
        run_id INTEGER REFERENCES sync_run(id), side VARCHAR NOT NULL,
        operation VARCHAR NOT NULL, natural_key VARCHAR NOT NULL, payload_json VARCHAR NOT NULL,
        state VARCHAR NOT NULL, remote_id VARCHAR, attempts INTEGER NOT NULL, error VARCHAR,
        created_at DATETIME NOT NULL, updated_at DATETIME NOT NULL)""",
        "CREATE INDEX ix_outbox_intent_profile_id ON outbox_intent (profile_id)",
        """CREATE TABLE conflict (
        id INTEGER PRIMARY KEY, profile_id INTEGER NOT NULL REFERENCES profile(id),
        link_id INTEGER NOT NULL REFERENCES record_link(id), field VARCHAR NOT NULL,
        base_value VARCHAR, crm_value VARCHAR, billing_value VARCHAR, state VARCHAR NOT NULL,
        resolution VARCHAR, resolved_value VARCHAR, created_at DATETIME NOT NULL,
        resolved_at DATETIME)""",
        "CREATE INDEX ix_conflict_profile_id ON conflict (profile_id)",
        """CREATE TABLE record_error (
        id INTEGER PRIMARY KEY, run_id INTEGER NOT NULL REFERENCES sync_run(id),
        side VARCHAR NOT NULL, record_id VARCHAR, reason VARCHAR NOT NULL,
        message VARCHAR NOT NULL)""",
        "CREATE INDEX ix_record_error_run_id ON record_error (run_id)",
        """CREATE TABLE journal_entry (
        id INTEGER PRIMARY KEY, profile_id INTEGER NOT NULL REFERENCES profile(id),
        run_id INTEGER REFERENCES sync_run(id), side VARCHAR NOT NULL, entity VARCHAR NOT NULL,
        remote_id VARCHAR, action VARCHAR NOT NULL, before_json VARCHAR, after_json VARCHAR,
        at DATETIME NOT NULL)""",
        "CREATE INDEX ix_journal_entry_profile_id ON journal_entry (profile_id)",
        """CREATE TABLE duplicate_match (
        id INTEGER PRIMARY KEY, profile_id INTEGER NOT NULL REFERENCES profile(id),
        crm_module VARCHAR NOT NULL, crm_id VARCHAR NOT NULL, billing_id VARCHAR NOT NULL,
        score FLOAT NOT NULL, reasons VARCHAR NOT NULL, state VARCHAR NOT NULL,
        created_at DATETIME NOT NULL)""",
        "CREATE INDEX ix_duplicate_match_profile_id ON duplicate_match (profile_id)",
    ),
)

V2 = Migration(
    2,
    "deal-trigger actions and deal links; CRM deletes marked on links",
    (
        "ALTER TABLE record_link ADD COLUMN crm_deleted_at DATETIME",
        """CREATE TABLE deal_action (
        id INTEGER PRIMARY KEY, profile_id INTEGER NOT NULL REFERENCES profile(id),
        deal_id VARCHAR NOT NULL, action VARCHAR NOT NULL, generation INTEGER NOT NULL,
        state VARCHAR NOT NULL, billing_entity VARCHAR, billing_id VARCHAR, message VARCHAR,
        created_at DATETIME NOT NULL, updated_at DATETIME NOT NULL)""",
        "CREATE INDEX ix_deal_action_profile_id ON deal_action (profile_id)",
        """CREATE UNIQUE INDEX ux_deal_action_key
        ON deal_action (profile_id, deal_id, action, generation)""",
        """CREATE TABLE deal_link (
        id INTEGER PRIMARY KEY, profile_id INTEGER NOT NULL REFERENCES profile(id),
        deal_id VARCHAR NOT NULL, billing_entity VARCHAR NOT NULL, billing_id VARCHAR NOT NULL,
        origin VARCHAR NOT NULL, created_at DATETIME NOT NULL)""",
        "CREATE INDEX ix_deal_link_profile_id ON deal_link (profile_id)",
        """CREATE UNIQUE INDEX ux_deal_link
        ON deal_link (profile_id, deal_id, billing_entity, billing_id)""",
    ),
)

V3 = Migration(
    3,
    "records the other side refused, kept until they sync (status: failing by reason)",
    (
        """CREATE TABLE record_issue (
        id INTEGER PRIMARY KEY, profile_id INTEGER NOT NULL REFERENCES profile(id),
        side VARCHAR NOT NULL, module VARCHAR NOT NULL, record_id VARCHAR NOT NULL,
        name VARCHAR, reason VARCHAR NOT NULL, message VARCHAR NOT NULL,
        record_modified_time VARCHAR, first_seen DATETIME NOT NULL,
        last_seen DATETIME NOT NULL)""",
        "CREATE INDEX ix_record_issue_profile_id ON record_issue (profile_id)",
        """CREATE UNIQUE INDEX ux_record_issue
        ON record_issue (profile_id, side, module, record_id)""",
    ),
)

MIGRATIONS: tuple[Migration, ...] = (V1, V2, V3)
LATEST_VERSION = MIGRATIONS[-1].version
