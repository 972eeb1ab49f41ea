"""Structured logging: a request id and a bot id on every line, an optional JSON format, and a
last-line-of-defence filter that blanks any registered secret that slips into a message.

Customers' message texts are never logged at INFO; code logs ids and counts, not content.
"""

from __future__ import annotations

import contextvars
import json
import logging
import sys
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
bot_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("bot_id", default="-")

_secrets: set[str] = set()
REDACTED = "[redacted]"


def register_secrets(values: Iterable[str | None]) -> None:
    """Secrets to blank in every log line (tokens, app secrets, keys)."""
    _secrets.update(v for v in values if v and len(v) >= 6)


def new_request_id() -> str:
    return uuid.uuid4().hex[:16]


@contextmanager
def log_context(*, request_id: str | None = None, bot_id: object = None) -> Iterator[None]:
    tokens = []
    if request_id is not None:
        tokens.append((request_id_var, request_id_var.set(request_id)))
    if bot_id is not None:
        tokens.append((bot_id_var, bot_id_var.set(str(bot_id))))
    try:
        yield
    finally:
        for var, token in reversed(tokens):
            var.reset(token)


def _redact(text: str) -> str:
    for secret in _secrets:
        if secret in text:
            text = text.replace(secret, REDACTED)
    return text


class ContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        record.bot_id = bot_id_var.get()
        if _secrets:
            record.msg = _redact(record.getMessage())
            record.args = None
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
            "request_id": getattr(record, "request_id", "-"),
            "bot_id": getattr(record, "bot_id", "-"),
        }
        if record.exc_info:
            entry["exc"] = _redact(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__(
            "%(asctime)s %(levelname)s %(name)s [req=%(request_id)s bot=%(bot_id)s] %(message)s"
        )

    def formatException(self, ei):  # type: ignore[no-untyped-def]
        return _redact(super().formatException(ei))


def configure_logging(level: str = "INFO", fmt: str = "text") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    handler.addFilter(ContextFilter())
    root = logging.getLogger()
    for old in list(root.handlers):
        if getattr(old, "_snakecakes", False):
            root.removeHandler(old)
    handler._snakecakes = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level.upper())
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per Graph API call
