"""The errors the wire raises, typed so the engine and the UI can act on them.

Every message says what happened and what to do next, and never carries a secret: response
excerpts pass through the log redactor before they are kept.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from zsync_tui.logs import redact

Side = Literal["crm", "billing", "accounts"]

EXCERPT_CHARS = 160


def excerpt(text: str | bytes, limit: int = EXCERPT_CHARS) -> str:
    """A short, redacted, single-line piece of a response body for an error message."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    flat = " ".join(redact(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


class ZohoError(Exception):
    """Base of every error from the Zoho clients; `str()` is one line for the user."""

    side: Side | None = None

    def __init__(self, message: str, *, side: Side | None = None, code: str | None = None):
        super().__init__(message)
        self.side = side
        self.code = code


class AuthenticationError(ZohoError):
    """The credentials do not work: `reason` is bad_client, revoked, scope, grant or token."""

    HINTS = {
        "bad_client": "check the client ID and client secret in api-console.zoho.com "
        "and that --dc matches the data centre of your account",
        "revoked": "the refresh token was revoked or is not valid: create a new grant code "
        "(Self Client) and run `zsync connect` again",
        "grant": "the grant code is used or expired (it lives 3 minutes): create a new one "
        "and run `zsync connect` again",
        "scope": "the token lacks a scope this call needs: generate a new grant code with the "
        "scopes listed in the README and run `zsync connect` again",
        "token": "the access token was refused after a fresh refresh: run `zsync connect` again",
        "permission": "the Zoho user behind the token may not do this: ask an admin for the "
        "permission, or connect as another user",
        "organization": "the user behind the token is not a member of that Billing "
        "organization: pick another with --billing-org, or connect as a member",
        "domain": "the token server named an API host outside this data centre, so no token "
        "was sent there: check --dc (or --api-domain for custom)",
    }

    def __init__(
        self, reason: str, detail: str = "", *, side: Side | None = None, code: str | None = None
    ) -> None:
        self.reason = reason
        hint = self.HINTS.get(reason, "run `zsync connect` again")
        prefix = f"{detail}: " if detail else ""
        super().__init__(f"{prefix}{hint}", side=side, code=code)


class RateLimited(ZohoError):
    """Zoho (or our own budget) says stop until `resumes_at` (UTC)."""

    def __init__(
        self,
        detail: str,
        resumes_at: datetime,
        *,
        side: Side | None = None,
        code: str | None = None,
    ) -> None:
        self.resumes_at = resumes_at
        when = resumes_at.strftime("%Y-%m-%d %H:%M:%S UTC")
        super().__init__(
            f"{detail}; nothing more is sent until {when}. The run can be resumed then; "
            "work done so far is kept",
            side=side,
            code=code,
        )


class BudgetExhausted(RateLimited):
    """Our own budget governor stopped before Zoho would refuse (daily credits or calls)."""


class ValidationFailed(ZohoError):
    """Zoho refused the data: `field` and `reason` come from the error's `details`."""

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        details: dict[str, Any] | None = None,
        side: Side | None = None,
        code: str | None = None,
    ) -> None:
        self.field = field
        self.details = details or {}
        self.reason = message
        where = f" (field {field})" if field else ""
        super().__init__(
            f"Zoho refused the request{where}: {message}. Correct the value in the record or "
            "the field mapping, then sync again",
            side=side,
            code=code,
        )


class NotFound(ZohoError):
    """The record or resource does not exist (or is not visible to this user)."""


class NotAvailable(NotFound):
    """The feature does not exist in this organization (e.g. sales orders in Billing)."""


class AmbiguousWrite(ZohoError):
    """A write may or may not have been applied: the connection failed after it was sent.

    The engine must reconcile (look the record up by its natural key) before trying again;
    resending blindly could create a second record.
    """

    def __init__(
        self,
        detail: str,
        *,
        method: str,
        path: str,
        completed: list[Any] | None = None,
        side: Side | None = None,
    ) -> None:
        self.method = method
        self.path = path
        self.completed = completed or []
        super().__init__(
            f"{method} {path}: {detail}; the write may have been applied. It was not resent: "
            "zsync will look the record up before trying again",
            side=side,
        )


class ServerError(ZohoError):
    """Zoho answered 5xx (after retries for reads); usually temporary."""

    def __init__(self, status: int, detail: str, *, side: Side | None = None) -> None:
        self.status = status
        super().__init__(
            f"Zoho answered HTTP {status}: {detail}. This is usually temporary: try again in a "
            "few minutes; if it persists, check status.zoho.com",
            side=side,
        )


class MalformedResponse(ZohoError):
    """The answer could not be understood; `excerpt` is a short redacted piece of it."""

    def __init__(self, what: str, body: str | bytes, *, side: Side | None = None) -> None:
        self.excerpt = excerpt(body)
        super().__init__(
            f"{what}; the answer began: {self.excerpt!r}. Nothing was changed on our side; try "
            "again, and if it repeats, report it with the log file",
            side=side,
        )


class Unreachable(ZohoError):
    """No answer from the host (DNS, refused, timed out), after retries."""

    def __init__(self, host: str, detail: str, *, side: Side | None = None) -> None:
        self.host = host
        super().__init__(
            f"cannot reach {host} ({detail}): check the network, a proxy, and the data centre "
            "(--dc) or URL, then try again",
            side=side,
        )
