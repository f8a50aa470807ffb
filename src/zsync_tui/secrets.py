"""Credentials in the OS keyring (service `zsync`), or for one process in environment variables.

There is no plaintext fallback: when the keyring cannot be used, the caller gets
`KeyringUnavailable`, whose message says what works instead.
"""

from __future__ import annotations

import os
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import TypeVar

import keyring
import keyring.backend
import keyring.errors

from zsync_tui.logs import known_secrets

SERVICE = "zsync"
T = TypeVar("T")


class SecretKind(StrEnum):
    """The kinds of secret a profile has."""

    CLIENT_SECRET = "client_secret"
    REFRESH_TOKEN = "refresh_token"
    #: The current access token with its expiry, shared by the profile's processes (keyring
    #: only: it has no environment variable, and a process without a keyring refreshes its own).
    ACCESS_TOKEN = "access_token"


#: The secrets one process may be given instead of the keyring.
ENV_VARS = {
    SecretKind.CLIENT_SECRET: "ZSYNC_CLIENT_SECRET",
    SecretKind.REFRESH_TOKEN: "ZSYNC_REFRESH_TOKEN",
}

WHAT_TO_DO = (
    "To keep credentials, unlock your keyring or install a Secret Service "
    "(for example: apt install gnome-keyring, then run zsync inside a desktop session or "
    "`dbus-run-session` with `gnome-keyring-daemon --unlock`). "
    "Or give the secrets to this one process: set ZSYNC_CLIENT_SECRET and ZSYNC_REFRESH_TOKEN. "
    "zsync never writes them to a plaintext file."
)


class KeyringUnavailable(RuntimeError):
    """The OS keyring cannot be used now; the message says why and what works instead."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(f"No usable keyring: {reason}. {WHAT_TO_DO}")


@dataclass(frozen=True)
class BackendStatus:
    """What `keyring` would use, and whether it can store anything."""

    usable: bool
    backend: str
    reason: str = ""


def _backend_name(backend: keyring.backend.KeyringBackend) -> str:
    """The backend's class, or for keyring's chainer the classes it chains."""
    chained = getattr(backend, "backends", None)
    if chained:
        return " + ".join(_backend_name(inner) for inner in chained)
    return f"{type(backend).__module__}.{type(backend).__name__}"


def _unusable_reason(backend: keyring.backend.KeyringBackend) -> str | None:
    module = type(backend).__module__
    if module.startswith("keyring.backends.fail"):
        return "no Secret Service or other keyring backend was found (is D-Bus running?)"
    if module.startswith("keyring.backends.null"):
        return "the keyring is configured as the null backend, which stores nothing"
    if module.startswith("keyrings.alt") or "plaintext" in type(backend).__name__.lower():
        return "the only backend found stores secrets in a plaintext file"
    chained = getattr(backend, "backends", None)
    if chained is not None and not list(chained):
        return "no keyring backend is available"
    return None


def _call_with_timeout(func: Callable[[], T], timeout_s: float, what: str) -> T:
    """Run a keyring call on a daemon thread so a hung D-Bus prompt cannot hang zsync."""
    results: queue.Queue[tuple[bool, object]] = queue.Queue(maxsize=1)

    def target() -> None:
        try:
            results.put((True, func()))
        except BaseException as exc:  # handed to the caller's thread below
            results.put((False, exc))

    threading.Thread(target=target, name=f"keyring-{what}", daemon=True).start()
    try:
        ok, value = results.get(timeout=timeout_s)
    except queue.Empty:
        raise KeyringUnavailable(
            f"the keyring did not answer within {timeout_s:g} s while trying to {what} "
            "(a locked collection waiting for a password prompt?)"
        ) from None
    if ok:
        return value  # type: ignore[return-value]
    exc = value
    if isinstance(exc, keyring.errors.KeyringLocked):
        raise KeyringUnavailable("the keyring collection is locked") from exc
    if isinstance(exc, keyring.errors.NoKeyringError):
        raise KeyringUnavailable(str(exc) or "no keyring backend") from exc
    if isinstance(exc, keyring.errors.KeyringError):
        raise KeyringUnavailable(f"the keyring refused to {what}: {type(exc).__name__}") from exc
    raise exc  # type: ignore[misc]


class CredentialStore:
    """One profile's secrets: environment variables first, then the OS keyring."""

    def __init__(
        self,
        profile: str,
        timeout_s: float = 5.0,
        backend: keyring.backend.KeyringBackend | None = None,
    ) -> None:
        self.profile = profile
        self.timeout_s = timeout_s
        self._backend = backend

    def _keyring(self) -> keyring.backend.KeyringBackend:
        return self._backend or keyring.get_keyring()

    def _entry(self, kind: SecretKind) -> str:
        return f"{self.profile}:{kind.value}"

    def status(self) -> BackendStatus:
        """Whether secrets can be kept, checked by a write and a read of a probe entry."""
        backend = self._keyring()
        name = _backend_name(backend)
        reason = _unusable_reason(backend)
        if reason:
            return BackendStatus(False, name, reason)
        probe = f"{self.profile}:probe"

        def round_trip() -> bool:
            backend.set_password(SERVICE, probe, "ok")
            value = backend.get_password(SERVICE, probe)
            backend.delete_password(SERVICE, probe)
            return value == "ok"

        try:
            if not _call_with_timeout(round_trip, self.timeout_s, "check the keyring"):
                return BackendStatus(False, name, "the keyring did not return what was stored")
        except KeyringUnavailable as exc:
            return BackendStatus(False, name, exc.reason)
        return BackendStatus(True, name)

    def require_backend(self) -> keyring.backend.KeyringBackend:
        backend = self._keyring()
        reason = _unusable_reason(backend)
        if reason:
            raise KeyringUnavailable(reason)
        return backend

    def get(self, kind: SecretKind) -> str | None:
        """The secret from its environment variable, else from the keyring, else None."""
        from_env = os.environ.get(ENV_VARS[kind]) if kind in ENV_VARS else None
        if from_env:
            known_secrets.add(from_env)
            return from_env
        backend = self.require_backend()
        value = _call_with_timeout(
            lambda: backend.get_password(SERVICE, self._entry(kind)),
            self.timeout_s,
            f"read the {kind.value}",
        )
        known_secrets.add(value)
        return value

    def set(self, kind: SecretKind, value: str) -> None:
        if not value:
            raise ValueError(f"{kind.value}: empty value; nothing stored")
        known_secrets.add(value)
        backend = self.require_backend()
        _call_with_timeout(
            lambda: backend.set_password(SERVICE, self._entry(kind), value),
            self.timeout_s,
            f"store the {kind.value}",
        )

    def delete(self, kind: SecretKind) -> None:
        backend = self.require_backend()

        def remove() -> None:
            try:
                backend.delete_password(SERVICE, self._entry(kind))
            except keyring.errors.PasswordDeleteError:
                pass  # already absent: the goal is reached

        _call_with_timeout(remove, self.timeout_s, f"delete the {kind.value}")

    def source_of(self, kind: SecretKind) -> str:
        """Where the secret would come from now: 'environment', 'keyring' or 'missing'."""
        if kind in ENV_VARS and os.environ.get(ENV_VARS[kind]):
            return "environment"
        try:
            return "keyring" if self.get(kind) else "missing"
        except KeyringUnavailable:
            return "missing"
