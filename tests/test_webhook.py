"""Webhook mode: the real Application behind our aiohttp server, FakeTelegram as the Bot API."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from bot.app import ALLOWED_UPDATES
from bot.logs import REDACTED, configure_logging
from bot.settings import Settings, SettingsError, load_settings
from bot.web import SECRET_HEADER, WebServer
from tests.botharness import AR_USER, EN_USER, Harness, bot_harness, wait_until
from tests.conftest import Database

SECRET = "s3cret_Token-for-the-webhook"
PUBLIC_URL = "https://bot.example.com"
PATH = "/telegram/hook"


@pytest.fixture
async def hooked(database: Database) -> AsyncIterator[tuple[Harness, WebServer]]:
    web = WebServer("127.0.0.1", 0)
    async with bot_harness(
        database,
        web=web,
        webhook_url=PUBLIC_URL + "/",
        webhook_path=PATH,
        webhook_secret=SECRET,
    ) as harness:
        yield harness, web


async def _post(web: WebServer, body: bytes, secret: str | None = SECRET) -> int:
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers[SECRET_HEADER] = secret
    async with (
        aiohttp.ClientSession() as session,
        session.post(web.url + PATH, data=body, headers=headers) as response,
    ):
        return response.status


def _update(harness: Harness, user: int, text: str) -> bytes:
    """An update as Telegram would POST it (FakeTelegram builds it; nobody polls for it)."""
    return json.dumps(harness.tg.inject_message(user, user, text)).encode()


async def test_the_webhook_is_set_with_the_url_the_secret_and_the_update_types(
    hooked: tuple[Harness, WebServer],
) -> None:
    harness, _web = hooked
    assert harness.tg.webhook is not None
    assert harness.tg.webhook["url"] == PUBLIC_URL + PATH
    assert harness.tg.webhook["secret_token"] == SECRET
    [call] = harness.tg.calls("setWebhook")
    assert call.params["allowed_updates"] == ALLOWED_UPDATES
    assert call.params.get("drop_pending_updates") in (None, False, "False", "false")
    assert harness.tg.calls("getUpdates") == []


async def test_an_update_posted_with_the_secret_is_answered(
    hooked: tuple[Harness, WebServer],
) -> None:
    harness, web = hooked
    assert await _post(web, _update(harness, AR_USER, "/start")) == 200
    await wait_until(lambda: len(harness.tg.sent_messages(AR_USER)) == 1)
    assert harness.tg.sent_messages(AR_USER)[0].plain_text.startswith("أهلًا ليلى، أنا نشرة")


@pytest.mark.parametrize("secret", [None, "", "wrong", SECRET + "x", SECRET[:-1]])
async def test_a_wrong_or_missing_secret_is_refused_and_not_answered(
    hooked: tuple[Harness, WebServer], secret: str | None, caplog: pytest.LogCaptureFixture
) -> None:
    harness, web = hooked
    caplog.set_level(logging.DEBUG)
    body = _update(harness, EN_USER, "/start")
    assert await _post(web, body, secret=secret) == 403
    # Updates are handled in order: had the refused one been queued, it would answer first.
    assert await _post(web, _update(harness, AR_USER, "/help")) == 200
    await wait_until(lambda: len(harness.tg.sent_messages(AR_USER)) == 1)
    assert harness.tg.sent_messages(EN_USER) == []
    ours = [r.getMessage() for r in caplog.records if r.name == "bot.web"]
    assert any("refused: wrong or missing secret" in line for line in ours)
    assert not any(SECRET in line or "/start" in line for line in ours)


@pytest.mark.parametrize(
    "body", [b"{not json", b"", b"[1, 2]", b'"text"', b"{}", b'{"update_id": "x"}', b"\xff\xfe"]
)
async def test_a_body_that_is_not_an_update_is_a_400_and_the_server_goes_on(
    hooked: tuple[Harness, WebServer], body: bytes
) -> None:
    harness, web = hooked
    assert await _post(web, body) == 400
    assert await _post(web, _update(harness, EN_USER, "/start")) == 200
    await wait_until(lambda: len(harness.tg.sent_messages(EN_USER)) == 1)
    assert harness.tg.sent_messages(EN_USER)[0].plain_text.startswith("Hello John")


async def test_the_web_server_serves_other_routes_and_stops_with_the_bot(
    database: Database,
) -> None:
    from aiohttp import web as aioweb

    async def healthz(_request: aioweb.Request) -> aioweb.Response:
        return aioweb.Response(text="ok")

    server = WebServer("127.0.0.1", 0)
    server.add_route("GET", "/healthz", healthz)
    async with bot_harness(
        database, web=server, webhook_url=PUBLIC_URL, webhook_secret=SECRET
    ) as harness:
        assert harness.tg.webhook is not None
        assert harness.tg.webhook["url"] == PUBLIC_URL + "/telegram/webhook"
        async with aiohttp.ClientSession() as session:
            async with session.get(server.url + "/healthz") as response:
                assert await response.text() == "ok"
            async with session.get(server.url + "/telegram/webhook") as response:
                assert response.status == 405
        with pytest.raises(RuntimeError, match="before the web server starts"):
            server.add_route("GET", "/late", healthz)
    assert not server.running
    assert harness.tg.webhook is not None  # left set: Telegram keeps the updates meanwhile


# ---- settings ---------------------------------------------------------------------------------


def test_long_polling_is_the_default() -> None:
    settings = Settings()
    assert settings.webhook_url is None
    assert settings.webhook_path == "/telegram/webhook"
    assert settings.webhook_listen == "127.0.0.1"
    assert settings.webhook_port == 8080


def test_a_webhook_url_without_a_secret_is_refused_on_one_line() -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(webhook_url=PUBLIC_URL)
    assert str(caught.value) == "settings: Value error, WEBHOOK_URL needs WEBHOOK_SECRET"
    with pytest.raises(SettingsError, match="WEBHOOK_SECRET"):
        load_settings(webhook_url=PUBLIC_URL, webhook_secret="  ")


@pytest.mark.parametrize(
    "secret", ["has space", "dots.are.bad", "ünïcode", "x" * 257, "a/b", "trailing\n"]
)
def test_a_secret_telegram_would_refuse_is_refused_without_showing_it(secret: str) -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(webhook_url=PUBLIC_URL, webhook_secret=secret)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith("setting WEBHOOK_SECRET: ")
    assert secret not in message


@pytest.mark.parametrize("secret", ["a", "A-z_09", "x" * 256])
def test_a_secret_of_the_allowed_characters_is_kept_secret(secret: str) -> None:
    settings = load_settings(webhook_url=PUBLIC_URL, webhook_secret=secret)
    assert settings.webhook_secret is not None
    assert settings.webhook_secret.get_secret_value() == secret
    assert secret * 2 not in repr(settings)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("webhook_url", "http://bot.example.com"),
        ("webhook_url", "bot.example.com"),
        ("webhook_path", "telegram/webhook"),
        ("webhook_path", "/a b"),
        ("webhook_port", 70000),
    ],
)
def test_a_malformed_webhook_setting_is_named(name: str, value: Any) -> None:
    with pytest.raises(SettingsError, match=f"setting {name.upper()}"):
        load_settings(**{name: value, "webhook_secret": SECRET})


def test_the_webhook_url_loses_its_trailing_slash() -> None:
    settings = load_settings(webhook_url=PUBLIC_URL + "/", webhook_secret=SECRET)
    assert settings.webhook_url == PUBLIC_URL


def test_the_webhook_secret_is_blotted_out_of_the_logs(capsys: pytest.CaptureFixture[str]) -> None:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        configure_logging(load_settings(webhook_url=PUBLIC_URL, webhook_secret=SECRET))
        logging.getLogger("tests.webhook").warning("setWebhook secret_token=%s", SECRET)
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
    err = capsys.readouterr().err
    assert f"secret_token={REDACTED}" in err
    assert SECRET not in err
