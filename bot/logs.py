"""Logging set-up: one line per event; secrets (the bot token, the LLM key, the webhook secret)
are blotted out wherever they appear."""

from __future__ import annotations

import logging
import sys

from bot.settings import Settings

REDACTED = "[token]"


def secret_parts(secret: str) -> list[str]:
    """`secret`, then, for a bot token ("123456:AAH…"), its secret half alone: an error may
    quote it without the bot id (a URL-encoded ':' or a split string)."""
    _, colon, half = secret.partition(":")
    return [secret, half] if colon and len(half) >= 8 else [secret]


class SecretFilter(logging.Filter):
    """Replaces each secret in a record's rendered message (and traceback) before output."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self._secrets = [part for s in secrets if s for part in secret_parts(s)]

    def filter(self, record: logging.LogRecord) -> bool:
        if not self._secrets:
            return True
        message = record.getMessage()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        for secret in self._secrets:
            message = message.replace(secret, REDACTED)
            if record.exc_text:
                record.exc_text = record.exc_text.replace(secret, REDACTED)
        record.msg, record.args = message, None
        return True


def configure_logging(settings: Settings) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    secrets = [settings.telegram_bot_token, settings.llm_api_key, settings.webhook_secret]
    handler.addFilter(SecretFilter([s.get_secret_value() for s in secrets if s is not None]))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(settings.log_level)
    for noisy in ("apscheduler", "trafilatura", "htmldate", "courlan", "charset_normalizer"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
