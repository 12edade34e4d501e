"""Logging set-up: one line per event; secrets (the bot token, the LLM key, the webhook secret,
and credentials inside source URLs) are blotted out wherever they appear."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Final

from bot.ingest.normalize import redact_urls
from bot.settings import Settings

REDACTED = "[token]"
# Ids an event may carry (`extra={"source_id": …}`) that JSON lines show as fields.
CONTEXT_FIELDS: Final = ("source_id", "chat_id", "delivery_id", "update_id")
TEXT_FORMAT: Final = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def secret_parts(secret: str) -> list[str]:
    """`secret`, then, for a bot token ("123456:AAH…"), its secret half alone: an error may
    quote it without the bot id (a URL-encoded ':' or a split string)."""
    _, colon, half = secret.partition(":")
    return [secret, half] if colon and len(half) >= 8 else [secret]


class SecretFilter(logging.Filter):
    """Replaces each secret in a record's rendered message (and traceback) before output, and
    the credentials of any URL in it (`redact_urls`)."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self._secrets = [part for s in secrets if s for part in secret_parts(s)]

    def filter(self, record: logging.LogRecord) -> bool:
        message = redact_urls(record.getMessage())
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact_urls(record.exc_text)
        for secret in self._secrets:
            message = message.replace(secret, REDACTED)
            if record.exc_text:
                record.exc_text = record.exc_text.replace(secret, REDACTED)
        record.msg, record.args = message, None
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message, the event's
    ids (source_id, chat_id …) when it has them, and the traceback as `exception`."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in CONTEXT_FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                entry[name] = value
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = record.exc_text
        return json.dumps(entry, ensure_ascii=False, default=str)


def configure_logging(settings: Settings) -> None:
    handler = logging.StreamHandler(sys.stderr)
    json_lines = settings.log_format == "json"
    handler.setFormatter(JsonFormatter() if json_lines else logging.Formatter(TEXT_FORMAT))
    secrets = [settings.telegram_bot_token, settings.llm_api_key, settings.webhook_secret]
    handler.addFilter(SecretFilter([s.get_secret_value() for s in secrets if s is not None]))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(settings.log_level)
    for noisy in ("apscheduler", "trafilatura", "htmldate", "courlan", "charset_normalizer"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
