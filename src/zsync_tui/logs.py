"""Logging to a rotated file in the log directory, with secrets redacted on the way out."""

from __future__ import annotations

import logging
import re
import threading
from logging.handlers import RotatingFileHandler
from pathlib import Path

REDACTED = "[redacted]"

_PATTERNS = [
    re.compile(r"(Zoho-oauthtoken|Bearer)\s+[^\s'\",]+", re.IGNORECASE),
    re.compile(
        r"((?:refresh_token|access_token|client_secret|token|password|secret)"
        r"[\"']?\s*[=:]\s*[\"']?)[^&\s'\",}]+",
        re.IGNORECASE,
    ),
    # A grant `code=` is a secret, but Zoho's error codes ("code": "INVALID_DATA", "code": 0)
    # are what a reader of the log needs: only token-shaped values are masked.
    re.compile(r"(\bcode[\"']?\s*[=:]\s*[\"']?)(?=[^&\s'\",}]*\d)[A-Za-z0-9._-]{16,}"),
]


class SecretRegistry:
    """Exact secret values seen by this process, so they are redacted wherever they appear."""

    def __init__(self) -> None:
        self._values: set[str] = set()
        self._lock = threading.Lock()

    def add(self, value: str | None) -> None:
        if value and len(value) >= 6:
            with self._lock:
                self._values.add(value)

    def values(self) -> list[str]:
        with self._lock:
            return sorted(self._values, key=len, reverse=True)


known_secrets = SecretRegistry()


def redact(text: str) -> str:
    """Remove known secret values and anything shaped like a token or secret parameter."""
    for value in known_secrets.values():
        text = text.replace(value, REDACTED)
    text = _PATTERNS[0].sub(lambda m: f"{m.group(1)} {REDACTED}", text)
    for pattern in _PATTERNS[1:]:
        text = pattern.sub(lambda m: f"{m.group(1)}{REDACTED}", text)
    return text


class RedactingFilter(logging.Filter):
    """Rewrites each record's final message so no handler ever sees a secret."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        record.msg = redact(message)
        record.args = None
        return True


REDACTED_LOGGERS = ("zsync_tui", "httpx", "httpcore", "uvicorn")

_base_factory = logging.getLogRecordFactory()


def _redacting_record_factory(*args: object, **kwargs: object) -> logging.LogRecord:
    record = _base_factory(*args, **kwargs)
    try:
        record.msg = redact(record.getMessage())
        record.args = None
    except Exception:  # a malformed log call must not break the caller
        pass
    return record


def install_redaction() -> None:
    """Redact every log record when it is made, whichever handler or test harness reads it."""
    if logging.getLogRecordFactory() is not _redacting_record_factory:
        logging.setLogRecordFactory(_redacting_record_factory)


def configure_logging(
    log_file: Path, level: str = "INFO", max_bytes: int = 2_000_000, backup_count: int = 5
) -> logging.Handler:
    """Send our loggers and the HTTP libraries' loggers to one rotated, redacted file."""
    log_file.parent.mkdir(parents=True, exist_ok=True)
    handler = RotatingFileHandler(
        log_file, maxBytes=max_bytes, backupCount=backup_count, encoding="utf-8"
    )
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactingFilter())
    handler.setLevel(level)
    install_redaction()
    for name in REDACTED_LOGGERS:
        logger = logging.getLogger(name)
        logger.addHandler(handler)
        logger.setLevel(level)
    log_file.chmod(0o600)
    return handler
