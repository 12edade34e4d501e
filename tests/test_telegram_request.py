"""AiohttpRequest under the real telegram.Bot, against a local stand-in for the Bot API."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import BodyPartReader, web
from telegram import Bot
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut

from bot.telegram import AiohttpRequest

TOKEN = "123456:TEST-token"
BOT_USER = {"id": 123456, "is_bot": True, "first_name": "Nashra", "username": "nashra_bot"}


@dataclass
class Received:
    method: str
    content_type: str
    fields: dict[str, str]
    files: dict[str, tuple[str, str, bytes]] = field(default_factory=dict)


@dataclass
class FakeBotApi:
    base_url: str
    received: list[Received]


def _message(chat_id: str, **extra: object) -> dict[str, object]:
    return {
        "message_id": 1,
        "date": 1_700_000_000,
        "chat": {"id": int(chat_id), "type": "private"},
        **extra,
    }


def _fail(status: int, description: str, **parameters: int) -> web.Response:
    answer: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
    if parameters:
        answer["parameters"] = parameters
    return web.json_response(answer, status=status)


async def _handle(request: web.Request) -> web.Response:
    received: list[Received] = request.app[RECEIVED]
    method = request.match_info["method"]
    fields: dict[str, str] = {}
    files: dict[str, tuple[str, str, bytes]] = {}
    if request.content_type == "multipart/form-data":
        reader = await request.multipart()
        async for part in reader:
            assert isinstance(part, BodyPartReader)
            assert part.name is not None
            if part.filename is None:
                fields[part.name] = await part.text()
            else:
                content_type = part.headers.get("Content-Type", "")
                files[part.name] = (part.filename, content_type, bytes(await part.read()))
    elif request.can_read_body:
        fields = {key: str(value) for key, value in (await request.post()).items()}
    received.append(Received(method, request.content_type, fields, files))

    if method == "getMe":
        return web.json_response({"ok": True, "result": BOT_USER})
    if method == "sendMessage":
        text = fields["text"]
        if text == "bad":
            return _fail(400, "Bad Request: chat not found")
        if text == "flood":
            return _fail(429, "Too Many Requests: retry after 7", retry_after=7)
        if text == "blocked":
            return _fail(403, "Forbidden: bot was blocked by the user")
        if text == "slow":
            await asyncio.sleep(2)
        return web.json_response({"ok": True, "result": _message(fields["chat_id"], text=text)})
    if method == "sendPhoto":
        photo = {"file_id": "AgAD", "file_unique_id": "u1", "width": 1, "height": 1}
        return web.json_response({"ok": True, "result": _message(fields["chat_id"], photo=[photo])})
    return _fail(404, "Not Found: method not found")


RECEIVED = web.AppKey("received", list[Received])


@pytest.fixture(autouse=True)
def _timedelta_periods(monkeypatch: pytest.MonkeyPatch) -> None:
    # Opt in to PTB's timedelta time periods, as the bot does; with ints, building a RetryAfter
    # emits a PTBDeprecationWarning.
    monkeypatch.setenv("PTB_TIMEDELTA", "true")


@pytest.fixture
async def api() -> AsyncIterator[FakeBotApi]:
    app = web.Application()
    app[RECEIVED] = []
    app.router.add_post("/bot{token}/{method}", _handle)
    runner = web.AppRunner(app, shutdown_timeout=0.1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield FakeBotApi(f"http://127.0.0.1:{port}/bot", app[RECEIVED])
    finally:
        await runner.cleanup()


def _bot(base_url: str, request: AiohttpRequest) -> Bot:
    return Bot(TOKEN, base_url=base_url, request=request, get_updates_request=AiohttpRequest())


async def test_get_me(api: FakeBotApi) -> None:
    async with _bot(api.base_url, AiohttpRequest()) as bot:
        me = await bot.get_me()
    assert me.username == "nashra_bot"
    assert me.id == 123456
    assert [r.method for r in api.received] == ["getMe", "getMe"]


async def test_send_message_parameters_arrive(api: FakeBotApi) -> None:
    async with _bot(api.base_url, AiohttpRequest()) as bot:
        message = await bot.send_message(
            chat_id=-1001234, text="عاجل: <b>خبر</b> & more", parse_mode="HTML"
        )
    assert message.text == "عاجل: <b>خبر</b> & more"
    sent = api.received[-1]
    assert sent.method == "sendMessage"
    assert sent.content_type == "application/x-www-form-urlencoded"
    assert sent.fields["chat_id"] == "-1001234"
    assert sent.fields["text"] == "عاجل: <b>خبر</b> & more"
    assert sent.fields["parse_mode"] == "HTML"


async def test_nested_parameters_arrive_as_json(api: FakeBotApi) -> None:
    from telegram import InlineKeyboardButton, InlineKeyboardMarkup

    markup = InlineKeyboardMarkup([[InlineKeyboardButton("المصدر", url="https://example.org/a")]])
    async with _bot(api.base_url, AiohttpRequest()) as bot:
        await bot.send_message(chat_id=1, text="x", reply_markup=markup)
    keyboard = json.loads(api.received[-1].fields["reply_markup"])
    assert keyboard == {"inline_keyboard": [[{"text": "المصدر", "url": "https://example.org/a"}]]}


@pytest.mark.parametrize(
    ("text", "error", "message"),
    [
        ("bad", BadRequest, "Chat not found"),
        ("blocked", Forbidden, "Forbidden: bot was blocked by the user"),
        ("flood", RetryAfter, "Flood control exceeded"),
    ],
)
async def test_api_errors_map_to_ptb_errors(
    api: FakeBotApi, text: str, error: type[Exception], message: str
) -> None:
    async with _bot(api.base_url, AiohttpRequest()) as bot:
        with pytest.raises(error, match=message) as raised:
            await bot.send_message(chat_id=1, text=text)
    if isinstance(raised.value, RetryAfter):
        assert raised.value.retry_after.total_seconds() == 7  # type: ignore[union-attr]


async def test_slow_server_times_out(api: FakeBotApi) -> None:
    async with _bot(api.base_url, AiohttpRequest(read_timeout=0.2)) as bot:
        with pytest.raises(TimedOut):
            await bot.send_message(chat_id=1, text="slow")
        # A per-call read timeout overrides the default one.
        with pytest.raises(TimedOut):
            await bot.send_message(chat_id=1, text="slow", read_timeout=0.1)
        assert (await bot.send_message(chat_id=1, text="fine")).text == "fine"


async def test_exhausted_pool_times_out(api: FakeBotApi) -> None:
    request = AiohttpRequest(connection_pool_size=1, pool_timeout=0.1, read_timeout=5)
    async with _bot(api.base_url, request) as bot:
        slow = asyncio.create_task(bot.send_message(chat_id=1, text="slow"))
        await asyncio.sleep(0.1)
        with pytest.raises(TimedOut, match="pool"):
            await bot.send_message(chat_id=1, text="queued")
        await slow


async def test_closed_port_is_a_network_error() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    bot = _bot(f"http://127.0.0.1:{port}/bot", AiohttpRequest(connect_timeout=1))
    with pytest.raises(NetworkError, match=r"aiohttp\.ClientConnectorError") as raised:
        await bot.initialize()
    assert not isinstance(raised.value, TimedOut)
    await bot.shutdown()


async def test_photo_upload_is_multipart(api: FakeBotApi) -> None:
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
    async with _bot(api.base_url, AiohttpRequest()) as bot:
        message = await bot.send_photo(
            chat_id=42, photo=png, caption="صورة الخبر", filename="news.png"
        )
    assert message.photo
    sent = api.received[-1]
    assert sent.method == "sendPhoto"
    assert sent.content_type == "multipart/form-data"
    assert sent.fields["chat_id"] == "42"
    assert sent.fields["caption"] == "صورة الخبر"
    assert "photo" not in sent.fields
    filename, content_type, content = sent.files["photo"]
    assert (filename, content_type, content) == ("news.png", "image/png", png)


async def test_photo_upload_from_file_handle(api: FakeBotApi, tmp_path: Any) -> None:
    path = tmp_path / "photo.jpg"
    path.write_bytes(b"\xff\xd8\xff\xe0" + b"jpeg" * 100)
    async with _bot(api.base_url, AiohttpRequest()) as bot:
        with path.open("rb") as handle:
            await bot.send_photo(chat_id=42, photo=handle)
    sent = api.received[-1]
    filename, content_type, content = sent.files["photo"]
    assert filename == "photo.jpg"
    assert content_type == "image/jpeg"
    assert content == path.read_bytes()


async def test_lifecycle() -> None:
    request = AiohttpRequest()
    assert not request.is_initialized
    with pytest.raises(RuntimeError, match="not initialized"):
        await request.do_request("http://127.0.0.1:9/", "POST")
    await request.initialize()
    await request.initialize()
    assert request.is_initialized
    await request.shutdown()
    await request.shutdown()
    assert not request.is_initialized
    async with request:
        assert request.is_initialized
    assert not request.is_initialized
    assert request.read_timeout == 5.0


def test_pool_size_must_be_positive() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        AiohttpRequest(connection_pool_size=0)
