"""After credentials are stored and state is written, no file under the data root holds one."""

from __future__ import annotations

import logging
from pathlib import Path

from zsync_tui.runtime import Runtime
from zsync_tui.secrets import SecretKind
from zsync_tui.store import JournalEntry, Profile

CLIENT_SECRET = "cs-9f8e7d6c5b4a39281706"
REFRESH_TOKEN = "1000.0123456789abcdef.fedcba9876543210"


def _scan(root: Path, needles: list[str]) -> list[str]:
    hits = []
    for path in root.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            hits += [f"{path}: {needle[:6]}…" for needle in needles if needle.encode() in data]
    return hits


def test_no_secret_in_any_file(isolated_home: Path, memory_keyring):
    runtime = Runtime.start(str(isolated_home))
    runtime.credentials.set(SecretKind.CLIENT_SECRET, CLIENT_SECRET)
    runtime.credentials.set(SecretKind.REFRESH_TOKEN, REFRESH_TOKEN)
    with runtime.store.write() as session:
        profile = Profile(name="default", client_id="1000.CLIENTID")
        session.add(profile)
        session.flush()
        session.add(
            JournalEntry(
                profile_id=profile.id or 0,
                side="crm",
                entity="Accounts",
                action="create",
                after_json='{"Account_Name": "Acme"}',
            )
        )
    log = logging.getLogger("zsync_tui.test")
    log.warning(
        "token answer: %s", {"access_token": "1000.abc.def", "refresh_token": REFRESH_TOKEN}
    )
    log.warning("POST /oauth/v2/token?client_secret=%s&grant_type=refresh_token", CLIENT_SECRET)
    log.warning("header Authorization: Zoho-oauthtoken 1000.live.token")
    for handler in logging.getLogger("zsync_tui").handlers:
        handler.flush()
    assert runtime.paths.log_file.read_text().count("[redacted]") >= 3
    assert (
        _scan(isolated_home, [CLIENT_SECRET, REFRESH_TOKEN, "1000.live.token", "1000.abc.def"])
        == []
    )
    assert memory_keyring.entries[("zsync", "default:refresh_token")] == REFRESH_TOKEN
