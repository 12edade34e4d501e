"""Secrets (issue "Hostile sources and inputs", item 6): the token is blotted out of every log
line and error text, whole or its secret half alone. (The webhook refusing updates without
its secret token is tested in tests/test_webhook.py; a handler failure with the bot running
in tests/test_hostile_bot.py.)"""

from __future__ import annotations

import logging
import sys
from types import SimpleNamespace

import pytest

from bot import app
from bot.app import on_error
from bot.ingest.normalize import redacted_url
from bot.logs import REDACTED, SecretFilter, secret_parts

TOKEN = "123456789:AAH-secret_half_of_the_token_0123456789"
HALF = TOKEN.split(":", 1)[1]


def test_a_token_has_two_parts_to_hide_other_secrets_one() -> None:
    assert secret_parts(TOKEN) == [TOKEN, HALF]
    assert secret_parts("sk-llm-key:x") == ["sk-llm-key:x"]  # too short a half to be the secret
    assert secret_parts("plain-secret") == ["plain-secret"]


@pytest.mark.parametrize(
    "leak",
    [
        f"POST https://api.telegram.org/bot{TOKEN}/sendMessage failed",
        f"url=https://api.telegram.org/bot123456789%3A{HALF}/getMe",
        f"half alone: {HALF}",
    ],
)
def test_the_filter_blots_the_token_out_of_messages_args_and_tracebacks(leak: str) -> None:
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "%s", (leak,), None)
    try:
        raise RuntimeError(leak)
    except RuntimeError:
        record.exc_info = sys.exc_info()
    SecretFilter([TOKEN]).filter(record)
    rendered = logging.Formatter().format(record)
    assert HALF not in rendered
    assert REDACTED in rendered


async def test_on_error_blots_the_secret_half_out_of_its_traceback(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    caplog.set_level(logging.ERROR, logger="bot.app")
    settings = SimpleNamespace(telegram_bot_token=SimpleNamespace(get_secret_value=lambda: TOKEN))
    try:
        raise ConnectionError(f"could not reach /bot123456789%3A{HALF}/getUpdates")
    except ConnectionError as exc:
        error = exc
    context = SimpleNamespace(error=error)
    monkeypatch.setattr(app, "bot_context", lambda _: SimpleNamespace(settings=settings))
    await on_error(object(), context)
    assert "update None failed" in caplog.text
    assert HALF not in caplog.text


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("http://user:pass@example.com/feed", "http://***@example.com/feed"),
        (
            "https://example.com/rss?token=abc123&lang=ar",
            "https://example.com/rss?token=***&lang=ar",
        ),
        (
            "https://example.com/rss?lang=ar&API_KEY=z9#top",
            "https://example.com/rss?lang=ar&API_KEY=***#top",
        ),
        ("https://example.com/p?sig=aa;page=2", "https://example.com/p?sig=***;page=2"),
        (
            "https://example.com/rss?monkey=1&keyword=x",
            "https://example.com/rss?monkey=1&keyword=x",
        ),
        ("https://example.com/feed.xml", "https://example.com/feed.xml"),
    ],
)
def test_credentials_in_a_url_are_hidden_and_nothing_else(url: str, shown: str) -> None:
    assert redacted_url(url) == shown


def test_the_filter_hides_url_credentials_in_messages_and_tracebacks() -> None:
    leak = "fetching http://reader:hunter2@intranet.example/feed?key=SECRETKEY failed"
    record = logging.LogRecord("x", logging.WARNING, __file__, 1, "%s", (leak,), None)
    try:
        raise RuntimeError(leak)
    except RuntimeError:
        record.exc_info = sys.exc_info()
    assert SecretFilter([]).filter(record)
    shown = record.getMessage() + (record.exc_text or "")
    assert "hunter2" not in shown
    assert "SECRETKEY" not in shown
    assert "http://***@intranet.example/feed?key=***" in record.getMessage()
