"""Logging that never shows a token, a phone number or an ID number."""

from __future__ import annotations

import logging
import re

from bot.text import mask_personal

_TOKEN = re.compile(r"bot\d+:[A-Za-z0-9_-]{20,}|\b\d{6,}:[A-Za-z0-9_-]{20,}\b")


class Redact(logging.Filter):
    """Replace secrets and personal numbers in every record, whatever logged it."""

    def __init__(self, secrets: list[str] | None = None):
        super().__init__()
        add_secret(*(secrets or []))
        self.secrets = _SECRETS

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        for secret in self.secrets:
            message = message.replace(secret, "<token>")
        message = mask_personal(_TOKEN.sub("bot<token>", message))
        record.msg, record.args = message, None
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = self.redact_text(logging.Formatter().formatException(
                record.exc_info))
            record.exc_info = None
        return True

    def redact_text(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "<token>")
        return mask_personal(_TOKEN.sub("bot<token>", text))


_SECRETS: list[str] = []  # shared by every Redact filter, added to while running


def add_secret(*secrets: str) -> None:
    """Never log these (tokens, webhook secrets, including ones made at start)."""
    for secret in secrets:
        if secret and len(secret) >= 6 and secret not in _SECRETS:
            _SECRETS.append(secret)


def setup(level: str = "WARNING", secrets: list[str] | None = None) -> Redact:
    """Configure the root logger once, with redaction on every handler."""
    root = logging.getLogger()
    if not root.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.addHandler(handler)
    root.setLevel(level)
    redact = Redact(secrets)
    for handler in root.handlers:
        for old in [f for f in handler.filters if isinstance(f, Redact)]:
            handler.removeFilter(old)
        handler.addFilter(redact)
    # httpx logs every request URL, and Bot API URLs contain the token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
    return redact
