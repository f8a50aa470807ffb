"""List answers whose paging `info` can be read before their records.

A Zoho list answer is `{"data": [...], "info": {...}}`: the `info` object (more_records, the next
page token) trails the records. Reading that tail alone lets a client send its next request
before it parses the page it holds, so parsing overlaps the server's work on the next page.
"""

from __future__ import annotations

import json
from typing import Any

import orjson

from zsync_tui.zoho.errors import MalformedResponse, Side

INFO_KEY = b'"info"'


def parse_json(raw: bytes) -> Any:
    """Decode a JSON answer: orjson first (a list page parses in a third of the time, and the
    next page's request waits on it), the stdlib for what orjson refuses (integers past 64
    bits, NaN, UTF-16). ValueError when neither can read it."""
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        return json.loads(raw)


def trailing_info(raw: bytes) -> dict[str, Any] | None:
    """The answer's top-level `info` object when it is the last member of the answer.

    Only the tail is parsed. None whenever the tail is not exactly `"info": {...}}` (another
    member last, a cut-off body, pretty printing we do not expect): the caller then parses the
    whole answer as usual. A nested `"info"` cannot pass, as closing its record and the data
    array would leave more than the one closing brace after it.
    """
    at = raw.rfind(INFO_KEY)
    if at < 0:
        return None
    tail = raw[at + len(INFO_KEY) :].lstrip()
    if not tail.startswith(b":"):
        return None
    tail = tail[1:].rstrip()
    if not tail.endswith(b"}"):
        return None
    try:
        info = orjson.loads(tail[:-1])
    except orjson.JSONDecodeError:
        return None
    return info if isinstance(info, dict) else None


class ListAnswer:
    """One list answer: `info` at once, the whole body parsed on the first `body()`."""

    def __init__(
        self,
        info: dict[str, Any],
        *,
        raw: bytes | None = None,
        body: dict[str, Any] | None = None,
        side: Side = "crm",
    ) -> None:
        self.info = info
        self._raw = raw
        self._body = body
        self._side = side

    @classmethod
    def parsed(cls, body: dict[str, Any], side: Side = "crm") -> ListAnswer:
        """An answer already parsed whole."""
        info = body.get("info")
        return cls(info if isinstance(info, dict) else {}, body=body, side=side)

    def body(self) -> dict[str, Any]:
        """The whole answer; `MalformedResponse` if it is not the JSON object its tail promised."""
        if self._body is None:
            raw = self._raw or b""
            try:
                body = parse_json(raw)
            except ValueError:
                body = None
            if not isinstance(body, dict) or body.get("info") != self.info:
                raise MalformedResponse(
                    f"Zoho {self._side.upper()} answered a list whose body is not the JSON object "
                    "its trailing info promised",
                    raw,
                    side=self._side,
                )
            self._body = body
            self._raw = None
        return self._body
