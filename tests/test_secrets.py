from __future__ import annotations

import os
import time

import keyring
import keyring.backend
import keyring.backends.fail
import keyring.backends.null
import keyring.errors
import pytest

from zsync_tui.secrets import CredentialStore, KeyringUnavailable, SecretKind


def test_round_trip_on_memory_backend(memory_keyring):
    store = CredentialStore("acme")
    store.set(SecretKind.REFRESH_TOKEN, "1000.refresh.abcdef")
    assert store.get(SecretKind.REFRESH_TOKEN) == "1000.refresh.abcdef"
    assert ("zsync", "acme:refresh_token") in memory_keyring.entries
    store.delete(SecretKind.REFRESH_TOKEN)
    store.delete(SecretKind.REFRESH_TOKEN)  # deleting twice is not an error
    assert store.get(SecretKind.REFRESH_TOKEN) is None


def test_profiles_do_not_share_secrets(memory_keyring):
    CredentialStore("one").set(SecretKind.CLIENT_SECRET, "secret-one-123")
    assert CredentialStore("two").get(SecretKind.CLIENT_SECRET) is None


def test_environment_variables_serve_one_process(monkeypatch, memory_keyring):
    monkeypatch.setenv("ZSYNC_CLIENT_SECRET", "from-env-secret")
    store = CredentialStore("acme")
    assert store.get(SecretKind.CLIENT_SECRET) == "from-env-secret"
    assert store.source_of(SecretKind.CLIENT_SECRET) == "environment"
    assert memory_keyring.entries == {}


@pytest.mark.parametrize(
    "backend", [keyring.backends.fail.Keyring(), keyring.backends.null.Keyring()]
)
def test_no_backend_says_what_to_do(backend):
    store = CredentialStore("acme", backend=backend)
    status = store.status()
    assert not status.usable
    with pytest.raises(KeyringUnavailable) as caught:
        store.set(SecretKind.REFRESH_TOKEN, "value-123456")
    message = str(caught.value)
    assert "ZSYNC_CLIENT_SECRET" in message and "ZSYNC_REFRESH_TOKEN" in message
    assert "gnome-keyring" in message and "plaintext" in message


def test_environment_still_works_without_backend(monkeypatch):
    monkeypatch.setenv("ZSYNC_REFRESH_TOKEN", "env-refresh-token")
    store = CredentialStore("acme", backend=keyring.backends.fail.Keyring())
    assert store.get(SecretKind.REFRESH_TOKEN) == "env-refresh-token"


class LockedKeyring(keyring.backend.KeyringBackend):
    priority = 0  # type: ignore[assignment]  # 0 keeps it out of keyring's automatic chain

    def get_password(self, service, username):
        raise keyring.errors.KeyringLocked("locked")

    def set_password(self, service, username, password):
        raise keyring.errors.KeyringLocked("locked")

    def delete_password(self, service, username):
        raise keyring.errors.KeyringLocked("locked")


class HangingKeyring(LockedKeyring):
    def get_password(self, service, username):
        time.sleep(5)


def test_locked_collection_is_reported():
    store = CredentialStore("acme", backend=LockedKeyring())
    with pytest.raises(KeyringUnavailable, match="locked"):
        store.get(SecretKind.CLIENT_SECRET)
    assert "locked" in store.status().reason


def test_keyring_calls_are_bounded_in_time():
    store = CredentialStore("acme", timeout_s=0.2, backend=HangingKeyring())
    started = time.monotonic()
    with pytest.raises(KeyringUnavailable, match="did not answer within 0.2 s"):
        store.get(SecretKind.CLIENT_SECRET)
    assert time.monotonic() - started < 2


def test_empty_secret_is_refused(memory_keyring):
    with pytest.raises(ValueError, match="empty"):
        CredentialStore("acme").set(SecretKind.CLIENT_SECRET, "")


@pytest.mark.keyring
def test_round_trip_on_the_real_secret_service():
    """Runs against gnome-keyring under D-Bus (CI); skips elsewhere unless required."""
    backend = keyring.get_keyring()
    store = CredentialStore(f"test-{os.getpid()}")
    status = store.status()
    if not status.usable or "SecretService" not in status.backend:
        reason = f"no real Secret Service here ({status.backend}: {status.reason})"
        if os.environ.get("ZSYNC_REQUIRE_KEYRING"):
            pytest.fail(reason)
        pytest.skip(reason)
    store.set(SecretKind.REFRESH_TOKEN, "1000.real-keyring-round-trip")
    try:
        assert store.get(SecretKind.REFRESH_TOKEN) == "1000.real-keyring-round-trip"
        fresh = CredentialStore(store.profile, backend=backend)
        assert fresh.get(SecretKind.REFRESH_TOKEN) == "1000.real-keyring-round-trip"
    finally:
        store.delete(SecretKind.REFRESH_TOKEN)
    assert store.get(SecretKind.REFRESH_TOKEN) is None
