"""An access token that outlives its process: what a `TokenManager` keeps in a `TokenCache`
(the OS keyring, see `connection.py`) and how a cached token is bound to its credentials.

Zoho allows about ten refreshes per refresh token per ten minutes; a cron job every minute or a
TUI that runs each sync in a child process would spend them all if each process refreshed.
"""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING, Protocol

from zsync_tui.zoho.datacentres import DataCentre, DataCentreError

if TYPE_CHECKING:
    from zsync_tui.zoho.oauth import AccessToken, Secret


class TokenCache(Protocol):
    """Where an access token outlives its process (the OS keyring: `connection.py`), so that
    the next process reuses it instead of spending one of Zoho's ten refreshes per ten minutes.
    Each call may block (it runs on a worker thread) and may fail: the cache is an economy,
    never a reason for a call to fail."""

    def load(self) -> str | None:
        """The text last saved, or None."""

    def save(self, text: str) -> None:
        """Keep `text` (replacing what was there)."""

    def clear(self) -> None:
        """Forget what was saved."""


def cache_binding(dc: DataCentre, client_id: str, refresh_token: Secret) -> str:
    """What a cached token is good for: this data centre, client and refresh token (so a token
    is never reused for another account, app or user; the profile is in the entry's name)."""
    material = "\n".join(
        (dc.code, dc.accounts_url, dc.api_domain, client_id, refresh_token.reveal())
    )
    return hashlib.blake2b(material.encode("utf-8"), digest_size=16).hexdigest()


def encode_cached_token(token: AccessToken, binding: str) -> str:
    """The text a `TokenCache` keeps for `token`."""
    return json.dumps(
        {
            "binding": binding,
            "access_token": token.value.reveal(),
            "expires_at": token.expires_at,
            "lifetime_s": token.lifetime_s,
            "api_domain": token.api_domain,
        }
    )


def decode_cached_token(
    text: str | None, binding: str, dc: DataCentre, generation: int
) -> AccessToken | None:
    """The token in a cache's text if it is well formed, bound to `binding` and its API domain
    is still one the data centre trusts; otherwise None (and a refresh follows)."""
    from zsync_tui.zoho.oauth import AccessToken, Secret

    if not text:
        return None
    try:
        data = json.loads(text)
        if not isinstance(data, dict) or data.get("binding") != binding:
            return None
        value = data["access_token"]
        if not isinstance(value, str) or not value:
            return None
        api_domain = data.get("api_domain")
        trusted = dc.trusted_api_base(api_domain) if api_domain else None
        return AccessToken(
            Secret(value),
            float(data["expires_at"]),
            trusted,
            generation,
            float(data.get("lifetime_s") or 3600.0),
        )
    except (ValueError, TypeError, KeyError, DataCentreError):
        return None
