"""Redaction as the wire needs it: tokens and secrets go, Zoho's error codes stay readable."""

from __future__ import annotations

import logging

import pytest

from zsync_tui.logs import REDACTED, install_redaction, redact
from zsync_tui.zoho.errors import excerpt
from zsync_tui.zoho.oauth import Secret


@pytest.mark.parametrize(
    ("text", "gone"),
    [
        ("Authorization: Zoho-oauthtoken 1000.aaaa.bbbb", "1000.aaaa.bbbb"),
        ("POST /oauth/v2/token?refresh_token=1000.r.t&client_secret=abc123", "1000.r.t"),
        ("client_secret=abc123def&grant_type=x", "abc123def"),
        ('{"access_token": "1000.xyz.abc", "expires_in": 3600}', "1000.xyz.abc"),
        ("code=1000.abcdef0123456789.fedcba9876543210", "1000.abcdef0123456789"),
    ],
)
def test_secret_shapes_are_removed(text: str, gone: str):
    assert gone not in redact(text) and REDACTED in redact(text)


def test_error_codes_stay_readable():
    for text in ('{"code": "INVALID_DATA", "details": {}}', "{'code': 0, 'message': 'success'}"):
        assert redact(text) == text


def test_a_secret_value_is_removed_wherever_it_appears():
    Secret("plain-looking-secret-42")
    assert "plain-looking-secret-42" not in redact("the value plain-looking-secret-42 leaked")
    assert "plain-looking" not in excerpt("x plain-looking-secret-42 y")


def test_http_library_records_are_redacted_when_made(caplog: pytest.LogCaptureFixture):
    install_redaction()
    # Another test's Runtime may have set these loggers to INFO: ask for DEBUG on each.
    with (
        caplog.at_level(logging.DEBUG, logger="httpcore.http11"),
        caplog.at_level(logging.DEBUG, logger="httpx"),
    ):
        logging.getLogger("httpcore.http11").debug(
            "send_request_headers.started headers=[(b'Authorization', b'Zoho-oauthtoken 1000.q.w')]"
        )
        logging.getLogger("httpx").info("HTTP Request: GET /x?access_token=%s", "1000.e.r")
    text = caplog.text
    assert "1000.q.w" not in text and "1000.e.r" not in text and text.count(REDACTED) == 2
