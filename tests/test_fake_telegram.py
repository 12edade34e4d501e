"""The fake Bot API server, driven by the real python-telegram-bot."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dtm
import json
from collections.abc import AsyncIterator

import aiohttp
import pytest
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeAllGroupChats,
    BotCommandScopeChat,
    ChatMemberAdministrator,
    ChatMemberBanned,
    ChatMemberLeft,
    ChatMemberOwner,
    ChatMemberRestricted,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    MessageEntity,
    Update,
)
from telegram.constants import ChatMemberStatus, ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Conflict,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
)
from telegram.ext import Application, CommandHandler, ContextTypes
from telegram.request import HTTPXRequest

from tests.fakes.telegram_server import (
    DEFAULT_TOKEN,
    ApiError,
    FakeTelegram,
    HtmlParseError,
    parse_html,
)

USER = 42
GROUP = -4001
CHANNEL = -1002003


@pytest.fixture(autouse=True)
def _timedelta_periods(monkeypatch: pytest.MonkeyPatch) -> None:
    """Opt into PTB's timedelta periods: int ones warn as deprecated (RetryAfter.retry_after)."""
    monkeypatch.setenv("PTB_TIMEDELTA", "true")


@pytest.fixture
async def tg() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram(token=DEFAULT_TOKEN, bot_username="nashra_test_bot") as server:
        server.add_user(USER, "Layla", username="layla", language_code="ar")
        server.add_chat(USER, "private")
        server.add_chat(GROUP, "group", title="أخبار")
        server.add_chat(CHANNEL, "channel", title="Nashra", username="nashra_news")
        yield server


@pytest.fixture
async def bot(tg: FakeTelegram) -> AsyncIterator[Bot]:
    async with Bot(DEFAULT_TOKEN, base_url=tg.base_url, base_file_url=tg.base_file_url) as bot:
        yield bot


async def test_get_me(tg: FakeTelegram, bot: Bot) -> None:
    me = await bot.get_me()
    assert me.username == "nashra_test_bot"
    assert me.id == tg.bot_id == 123456789
    assert me.is_bot
    assert tg.calls("getMe")


async def test_send_message_html(tg: FakeTelegram, bot: Bot) -> None:
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("more", callback_data="more:1")]])
    message = await bot.send_message(
        GROUP,
        '  <b>عاجل</b>: <a href="https://example.org/a?x=1&amp;y=2">link</a> &lt;3  ',
        parse_mode=ParseMode.HTML,
        reply_markup=markup,
    )
    assert message.text == "عاجل: link <3"
    assert message.entities == (
        MessageEntity(MessageEntity.BOLD, 0, 4),
        MessageEntity(MessageEntity.TEXT_LINK, 6, 4, url="https://example.org/a?x=1&y=2"),
    )
    assert message.reply_markup == markup
    [sent] = tg.sent_messages(GROUP)
    assert sent.message_id == message.message_id
    assert sent.parse_mode == "HTML"
    assert sent.text.startswith("  <b>عاجل</b>")
    assert sent.reply_markup == markup.to_dict()
    assert tg.sent_messages(USER) == []


@pytest.mark.parametrize(
    ("text", "detail"),
    [
        ("<b>bold", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<p>x</p>", 'Unsupported start tag "p" at byte offset 0'),
        ("ب <b>x</i>", 'Unmatched end tag at byte offset 7, expected "</b>", found "</i>"'),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ('<span class="red">x</span>', 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
        ("a <b", "Unclosed start tag at byte offset 2"),
    ],
)
async def test_send_message_bad_html(tg: FakeTelegram, bot: Bot, text: str, detail: str) -> None:
    with pytest.raises(BadRequest) as caught:
        await bot.send_message(USER, text, parse_mode=ParseMode.HTML)
    # PTB drops "Bad Request: " and capitalizes what is left (lowering the rest).
    assert caught.value.message == f"Can't parse entities: {detail}".capitalize()
    assert tg.sent_messages() == []
    assert tg.calls("sendMessage")[0].status == 400


def test_parse_html_supports_telegram_tags() -> None:
    text, entities = parse_html(
        "<strong>1</strong><em>2</em><ins>3</ins><del>4</del><tg-spoiler>5</tg-spoiler>"
        '<span class="tg-spoiler">6</span><pre><code class="language-python">7</code></pre>'
        '<blockquote expandable>8</blockquote><tg-emoji emoji-id="5368324170671202286">👍'
        "</tg-emoji>&#1606;&#x646; AT&T"
    )
    assert text == "12345678👍نن AT&T"
    assert [e["type"] for e in entities] == [
        "bold",
        "italic",
        "underline",
        "strikethrough",
        "spoiler",
        "spoiler",
        "pre",
        "expandable_blockquote",
        "custom_emoji",
    ]
    assert entities[6]["language"] == "python"
    assert entities[8] == {
        "type": "custom_emoji",
        "offset": 8,
        "length": 2,
        "custom_emoji_id": "5368324170671202286",
    }
    with pytest.raises(HtmlParseError, match="Unsupported start tag"):
        parse_html("<br>")


async def test_message_limits(tg: FakeTelegram, bot: Bot) -> None:
    await bot.send_message(USER, "<b>" + "ن" * 4096 + "</b>", parse_mode=ParseMode.HTML)
    with pytest.raises(BadRequest, match="Message is too long"):
        await bot.send_message(USER, "x" * 4097)
    with pytest.raises(BadRequest, match="Message text is empty"):
        await bot.send_message(USER, "<b> </b>", parse_mode=ParseMode.HTML)
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.send_message(777, "hello")
    with pytest.raises(BadRequest, match="Message caption is too long"):
        await bot.send_photo(USER, b"\x89PNG fake", caption="c" * 1025)
    photo = await bot.send_photo(USER, b"\x89PNG fake", caption="<i>caption</i>", parse_mode="HTML")
    assert photo.caption == "caption"
    assert photo.photo[0].file_size == 9
    sent = tg.sent_messages(USER)[-1]
    assert sent.method == "sendPhoto"
    assert sent.plain_text == "caption"


async def test_errors_on_demand(tg: FakeTelegram, bot: Bot) -> None:
    tg.fail_next("sendMessage", error=ApiError.too_many_requests(7))
    with pytest.raises(RetryAfter) as retry:
        await bot.send_message(USER, "a")
    assert retry.value.retry_after == dtm.timedelta(seconds=7)

    tg.fail_next("sendMessage", chat_id=USER, error=ApiError.blocked())
    await bot.send_message(GROUP, "other chats are unaffected")
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(USER, "a")

    tg.fail_next("sendMessage", error=ApiError.chat_migrated(-1009876))
    with pytest.raises(ChatMigrated) as migrated:
        await bot.send_message(GROUP, "a")
    assert migrated.value.new_chat_id == -1009876

    tg.fail_next("editMessageText", error=ApiError.cant_parse_entities())
    tg.fail_next("sendMessage", times=2, error=ApiError.server_error())
    tg.fail_next("getChat", error=ApiError.bad_gateway())
    for _ in range(2):
        with pytest.raises(NetworkError, match="Internal Server Error"):
            await bot.send_message(USER, "a")
    with pytest.raises(NetworkError, match="Bad Gateway"):
        await bot.get_chat(USER)
    assert (await bot.send_message(USER, "finally")).text == "finally"
    assert [r.status for r in tg.calls("sendMessage")] == [429, 200, 403, 400, 500, 500, 200]


async def test_chat_states(tg: FakeTelegram, bot: Bot) -> None:
    tg.upgrade_to_supergroup(GROUP, -1005550001)
    with pytest.raises(ChatMigrated) as migrated:
        await bot.send_message(GROUP, "a")
    assert migrated.value.new_chat_id == -1005550001
    assert (await bot.send_message(-1005550001, "a")).chat.type == "supergroup"

    post = await bot.send_message("@nashra_news", "news")
    assert post.sender_chat is not None
    assert post.sender_chat.id == CHANNEL
    tg.set_member(CHANNEL, tg.bot_id, "administrator", can_post_messages=False)
    with pytest.raises(BadRequest, match="Need administrator rights in the channel chat"):
        await bot.send_message(CHANNEL, "news")

    tg.inject_my_chat_member(USER, USER, "member", "kicked")
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(USER, "a")


async def test_get_updates_long_poll(tg: FakeTelegram, bot: Bot) -> None:
    assert await bot.get_updates(timeout=0) == ()
    poll = asyncio.create_task(bot.get_updates(timeout=5))
    await asyncio.sleep(0.05)
    assert not poll.done()
    tg.add_chat(GROUP, "supergroup", title="news")
    tg.inject_message(GROUP, USER, "/subscribe@nashra_test_bot tech")
    [update] = await asyncio.wait_for(poll, 30)
    assert update.message is not None
    assert update.message.text == "/subscribe@nashra_test_bot tech"
    assert update.message.from_user is not None
    assert update.message.from_user.username == "layla"
    assert update.message.parse_entities([MessageEntity.BOT_COMMAND]) == {
        MessageEntity(MessageEntity.BOT_COMMAND, 0, 26): "/subscribe@nashra_test_bot"
    }

    again = await bot.get_updates(timeout=0)
    assert [u.update_id for u in again] == [update.update_id]
    assert await bot.get_updates(offset=update.update_id + 1, timeout=0) == ()
    assert tg.pending_updates == []

    tg.inject_message(USER, USER, "hello")
    tg.inject_channel_post(CHANNEL, "post")
    tg.inject_raw({"message_reaction": {"chat": {"id": USER, "type": "private"}}})
    updates = await bot.get_updates(timeout=0, limit=1)
    assert [u.message.text for u in updates if u.message] == ["hello"]
    updates = await bot.get_updates(offset=updates[0].update_id + 1, timeout=0)
    assert [u.channel_post.text for u in updates if u.channel_post] == ["post"]
    assert len(updates) == 1, "message_reaction is not delivered unless allowed"


async def test_allowed_updates_and_conflicts(tg: FakeTelegram, bot: Bot) -> None:
    tg.inject_message(USER, USER, "text")
    tg.inject_channel_post(CHANNEL, "post")
    [update] = await bot.get_updates(timeout=0, allowed_updates=["channel_post"])
    assert update.channel_post is not None

    first = asyncio.create_task(bot.get_updates(offset=update.update_id + 1, timeout=5))
    await asyncio.sleep(0.05)
    # A Bot polls through a one-connection pool: a second instance is another poller.
    async with Bot(DEFAULT_TOKEN, base_url=tg.base_url) as other:
        second = await other.get_updates(timeout=0)
    with pytest.raises(Conflict, match="terminated by other getUpdates request"):
        await asyncio.wait_for(first, 30)
    assert second == ()

    assert await bot.set_webhook("https://example.org/hook")
    with pytest.raises(Conflict, match="webhook is active"):
        await bot.get_updates(timeout=0)
    assert (await bot.get_webhook_info()).url == "https://example.org/hook"
    assert await bot.delete_webhook(drop_pending_updates=True)
    assert (await bot.get_webhook_info()).url == ""
    assert await bot.log_out()
    assert await bot.close()


async def test_callback_query(tg: FakeTelegram, bot: Bot) -> None:
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("next", callback_data="page:2")]])
    sent = await bot.send_message(USER, "page 1", reply_markup=markup)
    update = tg.inject_callback(USER, USER, sent.message_id, "page:2")
    [received] = await bot.get_updates(timeout=1)
    query = received.callback_query
    assert query is not None
    assert query.data == "page:2"
    assert query.chat_instance
    assert query.message is not None
    assert query.message.message_id == sent.message_id
    assert query.id == update["callback_query"]["id"]

    assert await bot.answer_callback_query(query.id, text="ok")
    with pytest.raises(BadRequest, match="Query is too old"):
        await bot.answer_callback_query(query.id)
    assert tg.callback_answers[query.id]["text"] == "ok"

    edited = await bot.edit_message_text(
        "<b>page 2</b>", USER, sent.message_id, parse_mode="HTML", reply_markup=markup
    )
    assert isinstance(edited, Message)
    assert edited.text == "page 2"
    with pytest.raises(BadRequest, match="Message is not modified"):
        await bot.edit_message_text(
            "<b>page 2</b>", USER, sent.message_id, parse_mode="HTML", reply_markup=markup
        )
    await bot.edit_message_reply_markup(USER, sent.message_id, reply_markup=None)
    [record] = tg.sent_messages(USER)
    assert (record.plain_text, record.reply_markup, record.edit_count) == ("page 2", None, 2)
    with pytest.raises(BadRequest, match="Message to edit not found"):
        await bot.edit_message_text("x", USER, 999)


async def test_my_chat_member(tg: FakeTelegram, bot: Bot) -> None:
    tg.add_chat(-1007, "supergroup", title="new group", bot_status="left")
    tg.inject_my_chat_member(-1007, USER, "left", "administrator", can_delete_messages=True)
    [update] = await bot.get_updates(timeout=0)
    change = update.my_chat_member
    assert change is not None
    assert change.from_user.id == USER
    assert change.old_chat_member.status == ChatMemberStatus.LEFT
    assert isinstance(change.new_chat_member, ChatMemberAdministrator)
    assert change.new_chat_member.user.id == tg.bot_id
    assert change.new_chat_member.can_delete_messages
    member = await bot.get_chat_member(-1007, tg.bot_id)
    assert member.status == ChatMemberStatus.ADMINISTRATOR


async def test_set_my_commands_per_scope_and_language(tg: FakeTelegram, bot: Bot) -> None:
    await bot.set_my_commands([BotCommand("start", "Start"), BotCommand("help", "Help")])
    await bot.set_my_commands([BotCommand("start", "ابدأ")], language_code="ar")
    await bot.set_my_commands(
        [BotCommand("subscribe", "Subscribe")], scope=BotCommandScopeAllGroupChats()
    )
    await bot.set_my_commands([BotCommand("admin", "Admin")], scope=BotCommandScopeChat(GROUP))

    assert tg.commands() == [
        {"command": "start", "description": "Start"},
        {"command": "help", "description": "Help"},
    ]
    assert tg.commands(language_code="ar") == [{"command": "start", "description": "ابدأ"}]
    assert tg.commands({"type": "all_group_chats"}) == [
        {"command": "subscribe", "description": "Subscribe"}
    ]
    assert tg.commands({"type": "chat", "chat_id": GROUP}) is not None
    assert tg.commands(language_code="fr") is None
    assert [c.command for c in await bot.get_my_commands(language_code="ar")] == ["start"]
    with pytest.raises(BadRequest, match="Bot_command_invalid"):
        await bot.set_my_commands([BotCommand("Bad-Name", "x")])


async def test_get_chat_member_statuses(tg: FakeTelegram, bot: Bot) -> None:
    tg.add_chat(-1008, "supergroup", title="members")
    tg.set_member(-1008, 1, "creator")
    tg.set_member(-1008, 2, "administrator", can_restrict_members=True)
    tg.set_member(-1008, 3, "member")
    tg.set_member(-1008, 4, "restricted", can_send_messages=False, until_date=0)
    tg.set_member(-1008, 5, "kicked")
    tg.add_user(6)

    assert isinstance(await bot.get_chat_member(-1008, 1), ChatMemberOwner)
    admin = await bot.get_chat_member(-1008, 2)
    assert isinstance(admin, ChatMemberAdministrator)
    assert admin.can_restrict_members
    assert (await bot.get_chat_member(-1008, 3)).status == ChatMemberStatus.MEMBER
    assert isinstance(await bot.get_chat_member(-1008, 4), ChatMemberRestricted)
    assert isinstance(await bot.get_chat_member(-1008, 5), ChatMemberBanned)
    assert isinstance(await bot.get_chat_member(-1008, 6), ChatMemberLeft)
    with pytest.raises(BadRequest, match="User not found"):
        await bot.get_chat_member(-1008, 999)
    channel_bot = await bot.get_chat_member(CHANNEL, tg.bot_id)
    assert isinstance(channel_bot, ChatMemberAdministrator)
    assert channel_bot.can_post_messages
    chat = await bot.get_chat("@nashra_news")
    assert (chat.id, chat.type, chat.title) == (CHANNEL, "channel", "Nashra")


async def test_rate_limits_answer_429_and_count(tg: FakeTelegram, bot: Bot) -> None:
    tg.limits(per_chat_per_s=1, per_group_per_min=2)
    await bot.send_message(USER, "1")
    with pytest.raises(RetryAfter) as retry:
        await bot.send_message(USER, "2")
    assert retry.value.retry_after == dtm.timedelta(seconds=1)
    await bot.send_message(GROUP, "1")
    await bot.send_message(GROUP, "2")
    with pytest.raises(RetryAfter) as retry:
        await bot.send_message(GROUP, "3")
    assert retry.value.retry_after == dtm.timedelta(seconds=30)
    assert tg.throttled == {"chat": 1, "group": 1}

    tg.limits(overall_per_s=2)
    await bot.send_message(USER, "a")
    await bot.send_message(GROUP, "b")
    with pytest.raises(RetryAfter):
        await bot.send_message(CHANNEL, "c")
    await bot.get_me()
    assert tg.throttled["overall"] == 1
    assert tg.throttled_total == 3
    tg.limits()
    for i in range(5):
        await bot.send_message(USER, str(i))


async def test_random_failures_are_repeatable_and_marked_injected(
    tg: FakeTelegram, bot: Bot
) -> None:
    errors = (ApiError.server_error(), ApiError.bad_gateway())

    async def statuses(seed: int) -> list[int | None]:
        tg.take_records()
        tg.fail_randomly("sendMessage", rate=0.3, errors=errors, seed=seed)
        for i in range(60):
            with contextlib.suppress(NetworkError):
                await bot.send_message(USER, str(i))
        requests, _ = tg.take_records()
        failed = [r for r in requests if r.status != 200]
        assert failed
        assert all(r.injected for r in failed)
        assert not any(r.injected for r in requests if r.status == 200)
        return [r.status for r in requests]

    first = await statuses(7)
    assert set(first) == {200, 500, 502}
    assert 5 <= first.count(500) + first.count(502) <= 35
    assert await statuses(7) == first
    tg.fail_randomly("sendMessage", rate=0)
    await bot.send_message(USER, "no more failures")
    with pytest.raises(ValueError, match="rate"):
        tg.fail_randomly("sendMessage", rate=1.5)


async def test_fail_next_answers_are_marked_injected_and_limits_are_not(
    tg: FakeTelegram, bot: Bot
) -> None:
    tg.fail_next("sendMessage", chat_id=USER, error=ApiError.blocked())
    tg.limits(per_chat_per_s=1)
    with pytest.raises(Forbidden):
        await bot.send_message(USER, "1")
    await bot.send_message(USER, "2")
    with pytest.raises(RetryAfter):
        await bot.send_message(USER, "3")
    assert [(r.status, r.injected) for r in tg.calls("sendMessage")] == [
        (403, True),
        (200, False),
        (429, False),
    ]


async def test_take_records_hands_over_and_forgets(tg: FakeTelegram, bot: Bot) -> None:
    tg.take_records()
    sent = await bot.send_message(USER, "<b>one</b>", parse_mode=ParseMode.HTML)
    await bot.get_me()
    requests, messages = tg.take_records()
    assert [r.method for r in requests] == ["sendMessage", "getMe"]
    assert [(m.chat_id, m.plain_text) for m in messages] == [(USER, "one")]
    assert tg.requests == []
    assert tg.sent_messages() == []
    with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
        await bot.edit_message_text("two", chat_id=USER, message_id=sent.message_id)
    await bot.send_message(USER, "three")
    assert [m.plain_text for m in tg.sent_messages()] == ["three"]


async def test_delay(tg: FakeTelegram, bot: Bot) -> None:
    tg.delay("getMe", 0.2)
    started = asyncio.get_running_loop().time()
    await bot.get_me()
    assert asyncio.get_running_loop().time() - started >= 0.2


async def test_wire_format(tg: FakeTelegram) -> None:
    async with aiohttp.ClientSession() as http:
        url = f"{tg.base_url}{DEFAULT_TOKEN}"
        async with http.post(f"{url}/sendMessage", json={"chat_id": USER, "text": "json"}) as r:
            assert (await r.json())["result"]["text"] == "json"
        markup = {"inline_keyboard": [[{"text": "a", "callback_data": "b"}]]}
        form = {"chat_id": str(USER), "text": "form", "reply_markup": json.dumps(markup)}
        async with http.post(f"{url}/SENDMESSAGE", data=form) as r:
            assert (await r.json())["result"]["reply_markup"] == markup
        form["reply_markup"] = "{not json"
        async with http.post(f"{url}/sendMessage", data=form) as r:
            assert r.status == 400
            assert (await r.json())["description"].startswith("Bad Request: can't parse")
        async with http.get(f"{url}/getUpdates", params={"timeout": "0"}) as r:
            assert await r.json() == {"ok": True, "result": []}
        async with http.post(f"{url}/noSuchMethod") as r:
            assert r.status == 404
            assert await r.json() == {"ok": False, "error_code": 404, "description": "Not Found"}
        async with http.post(f"{tg.base_url}123:wrong/getMe") as r:
            assert r.status == 401
            assert (await r.json())["description"] == "Unauthorized"
        async with http.post(f"{tg.base_url}garbage/getMe") as r:
            assert r.status == 404
    assert tg.calls("sendMessage")[1].params["reply_markup"] == markup


async def test_unknown_token_is_invalid_token(tg: FakeTelegram) -> None:
    request = HTTPXRequest()
    try:
        with pytest.raises(InvalidToken, match="Unauthorized"):
            await Bot("999:nope", base_url=tg.base_url, request=request).get_me()
    finally:
        await request.shutdown()


async def test_application_polls_and_replies(tg: FakeTelegram) -> None:
    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        await update.effective_message.reply_html(f"<b>أهلاً</b> {context.args}")

    app = (
        Application.builder()
        .token(DEFAULT_TOKEN)
        .base_url(tg.base_url)
        .base_file_url(tg.base_file_url)
        .build()
    )
    app.add_handler(CommandHandler("start", start))
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0, timeout=1)
        tg.inject_message(GROUP, USER, "/start@nashra_test_bot news")
        for _ in range(200):
            if tg.sent_messages(GROUP):
                break
            await asyncio.sleep(0.01)
        await app.updater.stop()
        await app.stop()
    [reply] = tg.sent_messages(GROUP)
    assert reply.plain_text == "أهلاً ['news']"
    assert reply.message["reply_to_message"]["text"] == "/start@nashra_test_bot news"
    assert tg.pending_updates == []


async def test_closing_ends_a_long_poll() -> None:
    async with FakeTelegram() as server, Bot(DEFAULT_TOKEN, base_url=server.base_url) as bot:
        poll = asyncio.create_task(bot.get_updates(timeout=30))
        await asyncio.sleep(0.05)
        await server.close()
        assert await asyncio.wait_for(poll, 30) == ()
