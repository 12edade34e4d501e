"""Admins register the channels the bot posts to: in Telegram (/addchannel, /channels,
/delchannel, /channelcats, and the offer made when the bot is made a channel's administrator)
and with `nashra channels …`, one service behind both."""

from __future__ import annotations

import asyncio
import html
import re
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import select

from bot.app import bot_context_of, open_bot_api
from bot.deliver.send import Transport
from bot.deliver.sender import Sender
from bot.i18n import number, t, t_html
from storage import chats as chat_store
from storage.models import AdminAction, ChatKind, Delivery, DeliveryState
from tests.botharness import (
    ADMIN,
    MEMBER,
    Harness,
    bot_harness,
    subscribed_slugs,
    wait_until,
    wait_until_async,
)
from tests.conftest import Database
from tests.fakes.telegram_server import DEFAULT_TOKEN, FakeTelegram, SentMessage
from tests.outboxes import Seeder
from tests.test_cli import nashra

SECOND_ADMIN = 2003  # an admin who never started the bot
CHANNEL = -1009100
CHANNEL_NAME = "newschan"


def plain(key: str, **values: object) -> str:
    """A catalog text in Arabic as the admin reads it (tags gone, entities decoded)."""
    rendered = t_html(f"admin_channels.{key}", "ar", **values)
    return html.unescape(re.sub(r"<[^>]+>", "", rendered))


@pytest.fixture
async def bot(database: Database) -> AsyncIterator[Harness]:
    async with bot_harness(database, admin_ids=(ADMIN, SECOND_ADMIN)) as harness:
        harness.tg.add_chat(ADMIN, "private")
        harness.tg.add_chat(MEMBER, "private")
        harness.tg.add_user(SECOND_ADMIN, "Huda", language_code="ar")
        harness.tg.add_chat(SECOND_ADMIN, "private", bot_status="kicked")
        harness.tg.add_chat(CHANNEL, "channel", title="قناة الأخبار", username=CHANNEL_NAME)
        yield harness


async def actions(db: Database) -> list[AdminAction]:
    async with db.sessions() as session:
        return list(await session.scalars(select(AdminAction).order_by(AdminAction.id)))


async def say(bot: Harness, text: str, user: int = ADMIN) -> SentMessage:
    [answer] = await bot.command(user, user, text)
    return answer


def buttons(message: SentMessage) -> list[dict[str, Any]]:
    assert message.reply_markup is not None
    rows = message.reply_markup["inline_keyboard"]
    return [button for row in rows for button in row]


def checked(message: SentMessage, bot: Harness) -> set[str]:
    """The texts of the ✅ buttons of the message as it stands now."""
    current = next(
        m for m in bot.tg.sent_messages(message.chat_id) if m.message_id == message.message_id
    )
    return {b["text"].removeprefix("✅ ") for b in buttons(current) if b["text"].startswith("✅")}


async def test_each_missing_right_is_named_and_nothing_is_stored(bot: Harness) -> None:
    tg = bot.tg
    tg.add_chat(-1009001, "supergroup", title="Group", username="somegroup")
    tg.add_chat(-1009002, "channel", title="Left", username="leftchan", bot_status="left")
    tg.add_chat(-1009003, "channel", title="Banned", username="banchan", bot_status="kicked")
    tg.add_chat(-1009004, "channel", title="Member", username="memberchan", bot_status="member")
    tg.add_chat(-1009005, "channel", username="nopostchan", can_post_messages=False)
    cases = {
        "@nosuchchannel": ("not_found", "@nosuchchannel"),
        "-1009999999": ("not_found", "-1009999999"),
        "@somegroup": ("not_channel", "@somegroup"),
        "@leftchan": ("not_member", "@leftchan"),
        "@banchan": ("not_member", "@banchan"),
        "@memberchan": ("not_admin", "@memberchan"),
        "-1009005": ("cannot_post", "@nopostchan"),
    }
    for ref, (code, shown) in cases.items():
        answer = await say(bot, f"/addchannel {ref} politics")
        assert answer.plain_text == plain(f"error.{code}", ref=shown), ref
    for chat_id in (-1009001, -1009002, -1009003, -1009004, -1009005):
        assert await bot.chat(chat_id) is None
    assert await actions(bot.db) == []


async def test_a_channel_is_registered_and_gets_posts_through_the_outbox(bot: Harness) -> None:
    answer = await say(bot, f"/addchannel @{CHANNEL_NAME} سياسة economy")
    assert answer.plain_text == plain(
        "added", channel=f"@{CHANNEL_NAME}", categories="سياسة، اقتصاد"
    )
    chat = await bot.chat(CHANNEL)
    assert chat is not None
    assert (chat.kind, chat.title, chat.active, chat.added_by) == (
        "channel",
        "قناة الأخبار",
        True,
        ADMIN,
    )
    assert await bot.subscriptions(CHANNEL) == {"politics", "economy"}
    [action] = await actions(bot.db)
    assert (action.actor_id, action.via, action.action) == (ADMIN, "telegram", "channel.add")
    assert action.before is None
    assert action.after is not None
    assert action.after["active"] is True
    assert sorted(action.after["categories"]) == ["economy", "politics"]

    seed = Seeder(bot.db)
    await seed.article("اجتماع مجلس الوزراء", "politics")
    settings = bot_context_of(bot.app).settings
    async with open_bot_api(settings) as api:
        sender = Sender(settings, bot.db.sessions, Transport(api))
        async with asyncio.timeout(30):
            await sender.run_until_idle()
    [post] = bot.tg.sent_messages(CHANNEL)
    assert post.plain_text.startswith("اجتماع مجلس الوزراء")


async def test_creator_and_id_work_and_without_categories_the_keyboard_comes(
    bot: Harness,
) -> None:
    bot.tg.add_chat(-1009300, "channel", title="Own", bot_status="creator")
    answer = await say(bot, "/addchannel -1009300")
    assert answer.plain_text == plain("added_pick", channel="Own")
    assert await bot.subscriptions(-1009300) == set()
    assert len(buttons(answer)) >= 6
    sport = await bot.category_id("sports")
    [data] = [
        b["callback_data"] for b in buttons(answer) if b["callback_data"].endswith(f":{sport}")
    ]
    alert = await bot.press(ADMIN, ADMIN, answer.message_id, data)
    assert alert["text"] == t("admin_channels.alert.on", "ar", category="رياضة")
    assert await bot.subscriptions(-1009300) == {"sports"}
    assert checked(answer, bot) == {"رياضة"}


async def test_list_change_and_delete(bot: Harness) -> None:
    await say(bot, f"/addchannel @{CHANNEL_NAME} politics")
    chat = await bot.chat(CHANNEL)
    assert chat is not None
    listing = await say(bot, "/channels")
    assert f"{number(chat.id, 'ar')}. @{CHANNEL_NAME} — فعّالة — سياسة" in listing.plain_text

    answer = await say(bot, f"/channelcats {chat.id} sports رياضة tech")
    assert answer.plain_text == plain(
        "categories_set", channel=f"@{CHANNEL_NAME}", categories="رياضة، تكنولوجيا"
    )
    assert await bot.subscriptions(CHANNEL) == {"sports", "technology"}

    keyboard = await say(bot, f"/channelcats @{CHANNEL_NAME.upper()}")
    assert checked(keyboard, bot) == {"رياضة", "تكنولوجيا"}
    tech = await bot.category_id("technology")
    [data] = [
        b["callback_data"] for b in buttons(keyboard) if b["callback_data"].endswith(f":{tech}")
    ]
    alert = await bot.press(ADMIN, ADMIN, keyboard.message_id, data)
    assert alert["text"] == t("admin_channels.alert.off", "ar", category="تكنولوجيا")
    assert await bot.subscriptions(CHANNEL) == {"sports"}
    assert checked(keyboard, bot) == {"رياضة"}

    # A post waits for the channel; deleting it cancels that post.
    await Seeder(bot.db).article("مباراة", "sports")
    confirm = await say(bot, f"/delchannel {CHANNEL}")
    assert confirm.plain_text == plain(
        "delete_confirm", channel=f"@{CHANNEL_NAME}", categories="رياضة"
    )
    delete, keep = (b["callback_data"] for b in buttons(confirm))
    await bot.press(ADMIN, ADMIN, confirm.message_id, keep)
    assert bot.tg.message(ADMIN, confirm.message_id)["text"] == plain(
        "delete_kept", channel=f"@{CHANNEL_NAME}"
    )
    assert (await bot.chat(CHANNEL)).active  # type: ignore[union-attr]

    confirm = await say(bot, f"/delchannel @{CHANNEL_NAME}")
    delete, keep = (b["callback_data"] for b in buttons(confirm))
    await bot.press(ADMIN, ADMIN, confirm.message_id, delete)
    gone = await bot.chat(CHANNEL)
    assert gone is not None
    assert not gone.active
    assert await bot.subscriptions(CHANNEL) == set()
    async with bot.db.sessions() as session:
        states = set(await session.scalars(select(Delivery.state)))
    assert states == {DeliveryState.CANCELLED}
    # Pressing again (a stale button) changes nothing more.
    answer = await bot.press(ADMIN, ADMIN, confirm.message_id, delete)
    assert answer["text"] == t("admin_channels.alert.invalid", "ar")
    assert [a.action for a in await actions(bot.db)] == [
        "channel.add",
        "channel.categories",
        "channel.categories",
        "channel.delete",
    ]
    listing = await say(bot, "/channels")
    assert "متوقفة" in listing.plain_text
    # A deleted channel's categories cannot be changed until it is added again.
    answer = await say(bot, f"/channelcats @{CHANNEL_NAME} politics")
    assert answer.plain_text == plain("error.inactive", ref=f"@{CHANNEL_NAME}")


async def test_being_made_a_channels_admin_offers_the_keyboard_to_an_admin(bot: Harness) -> None:
    tg = bot.tg
    promo = tg.add_chat(-1009200, "channel", title="Promo", username="promochan", bot_status="left")
    tg.inject_my_chat_member(-1009200, ADMIN, "left", "administrator", can_post_messages=True)
    await wait_until(lambda: len(tg.sent_messages(ADMIN)) == 1)
    [offer] = tg.sent_messages(ADMIN)
    assert offer.plain_text == plain("offer", channel="@promochan")
    chat = await bot.chat(-1009200)
    assert chat is not None
    assert chat.active
    politics = await bot.category_id("politics")
    data = f"adm:v1:ch:cat:{chat.id}:{politics}"
    assert data in [b["callback_data"] for b in buttons(offer)]
    await bot.press(ADMIN, ADMIN, offer.message_id, data)
    assert await bot.subscriptions(-1009200) == {"politics"}
    assert checked(offer, bot) == {"سياسة"}

    # Forged or stale data changes nothing.
    async with bot.db.sessions.begin() as session:
        private = await chat_store.upsert_chat(session, ADMIN, ChatKind.PRIVATE)
    forged = [
        f"adm:v1:ch:cat:{chat.id}:999999",
        f"adm:v1:ch:cat:{private.id}:{politics}",
        f"adm:v1:ch:cat:987654:{politics}",
        f"adm:v1:ch:cat:{chat.id}:{politics}:1",
        f"adm:v1:ch:cat:0{chat.id}:{politics}",
        "adm:v1:ch:cat:x:y",
        "adm:v1:ch:del:",
        "adm:v1:ch:",
    ]
    for bad in forged:
        answer = await bot.press(ADMIN, ADMIN, offer.message_id, bad)
        assert answer["text"] == t("admin_channels.alert.invalid", "ar"), bad
    # A non-admin pressing the admin's button is refused.
    answer = await bot.press(ADMIN, MEMBER, offer.message_id, data)
    assert answer["text"] == t("admin.refused_alert", "ar")
    assert await bot.subscriptions(-1009200) == {"politics"}
    assert await bot.subscriptions(ADMIN) == set()

    # Another right changing does not offer it again.
    old = tg.set_member(-1009200, tg.bot_id, "administrator", can_post_messages=True)
    new = tg.set_member(
        -1009200, tg.bot_id, "administrator", can_post_messages=True, can_delete_messages=True
    )
    sami = {"id": ADMIN, "is_bot": False, "first_name": "Sami", "language_code": "ar"}
    change = {"chat": promo, "from": sami, "date": 1, "old_chat_member": old}
    tg.inject_raw({"my_chat_member": change | {"new_chat_member": new}})
    await wait_until(lambda: tg.pending_updates == [])
    await say(bot, "/channels")
    assert len(tg.sent_messages(ADMIN)) == 2  # the offer and the answer to /channels


async def test_the_offer_goes_to_admins_only_and_a_refusal_to_write_is_survived(
    bot: Harness,
) -> None:
    tg = bot.tg
    tg.add_chat(-1009201, "channel", title="Theirs", bot_status="left")
    tg.inject_my_chat_member(-1009201, MEMBER, "left", "administrator", can_post_messages=True)
    tg.add_chat(-1009202, "channel", title="Blocked", bot_status="left")
    tg.inject_my_chat_member(
        -1009202, SECOND_ADMIN, "left", "administrator", can_post_messages=True
    )
    tg.add_chat(-1009203, "channel", title="NoPost", bot_status="left")
    tg.inject_my_chat_member(-1009203, ADMIN, "left", "administrator", can_post_messages=False)

    async def recorded() -> bool:
        return all([await bot.chat(c) for c in (-1009201, -1009202, -1009203)])

    await wait_until_async(recorded)
    await wait_until(lambda: len(tg.sent_messages(ADMIN)) == 1)
    [told] = tg.sent_messages(ADMIN)
    assert told.plain_text == plain("offer_cannot_post", channel="NoPost")
    assert told.reply_markup is None
    assert tg.sent_messages(MEMBER) == []
    assert tg.sent_messages(SECOND_ADMIN) == []
    # The bot still answers.
    answer = await say(bot, "/channels")
    assert "Theirs" in answer.plain_text


async def test_non_admins_are_refused(bot: Harness) -> None:
    for text in [f"/addchannel @{CHANNEL_NAME} politics", "/channels", f"/delchannel {CHANNEL}"]:
        answer = await say(bot, text, user=MEMBER)
        assert answer.plain_text == t("admin.refused", "ar")
    assert await bot.chat(CHANNEL) is None


async def test_bad_arguments_get_a_usage_line_and_change_nothing(bot: Harness) -> None:
    usage = {name: plain(f"usage.{name}") for name in ("addchannel", "delchannel", "channelcats")}
    for text, name in [
        ("/addchannel", "addchannel"),
        ("/addchannel " + "x" * 300, "addchannel"),
        ("/addchannel @a " + " ".join(["politics"] * 20), "addchannel"),
        ("/delchannel", "delchannel"),
        ("/delchannel @one @two", "delchannel"),
        ("/channelcats", "channelcats"),
    ]:
        answer = await say(bot, text)
        assert answer.plain_text == usage[name], text
    for ref in ["<b>x</b>", "-100abc", "@ab", "channel", "';DROP", "١٢٣"]:
        answer = await say(bot, f"/addchannel {ref} politics")
        assert answer.plain_text == plain("error.bad_ref", ref=ref) + "\n\n" + usage["addchannel"]
    answer = await say(bot, f"/delchannel {'<i>'}")
    assert answer.plain_text == plain("error.bad_ref", ref="<i>") + "\n\n" + usage["delchannel"]
    answer = await say(bot, "/delchannel @unknownchan")
    assert answer.plain_text.startswith(plain("error.unknown_channel", ref="@unknownchan"))
    # A valid channel with an unknown category: nothing half-saved.
    answer = await say(bot, f"/addchannel @{CHANNEL_NAME} politics <nonsense>")
    assert answer.plain_text == plain("error.unknown_category", categories="<nonsense>")
    assert await bot.chat(CHANNEL) is None
    await say(bot, f"/addchannel @{CHANNEL_NAME} politics")
    answer = await say(bot, f"/channelcats @{CHANNEL_NAME} politics nonsense")
    assert answer.plain_text == plain("error.unknown_category", categories="nonsense")
    assert await bot.subscriptions(CHANNEL) == {"politics"}
    assert [a.action for a in await actions(bot.db)] == ["channel.add"]


# ---- the command line -------------------------------------------------------------------------


async def test_the_command_line_does_the_same(database: Database) -> None:
    async with FakeTelegram(token=DEFAULT_TOKEN) as tg:
        tg.add_chat(CHANNEL, "channel", title="قناة الأخبار", username=CHANNEL_NAME)
        tg.add_chat(-1009005, "channel", username="nopostchan", can_post_messages=False)
        env = {"TELEGRAM_BOT_TOKEN": DEFAULT_TOKEN, "TELEGRAM_API_BASE_URL": tg.base_url}

        async def run(*args: str) -> tuple[int, str, str]:
            return await nashra("channels", *args, database_url=database.url, **env)

        code, out, err = await run("add", "@nopostchan", "--category", "politics")
        assert code == 2
        assert "without the right to post messages" in err
        code, out, err = await run("add", "@nopechan")
        assert code == 2
        assert "knows no chat @nopechan" in err
        code, out, err = await run("add", f"@{CHANNEL_NAME}", "--category", "politics")
        assert (code, err) == (0, ""), err
        assert f"@{CHANNEL_NAME}" in out
        assert "politics" in out
        code, out, _ = await run("list")
        assert code == 0
        assert "active" in out
        assert str(CHANNEL) in out
        code, out, err = await run("categories", f"@{CHANNEL_NAME}", "sports", "nonsense")
        assert code == 2
        assert "unknown category: nonsense" in err
        code, out, _ = await run("categories", str(CHANNEL), "sports", "اقتصاد")
        assert code == 0
        assert "economy, sports" in out
        assert await subscribed_slugs(database, CHANNEL) == {"sports", "economy"}
        code, out, _ = await run("delete", f"@{CHANNEL_NAME}")
        assert code == 0
        assert "deleted" in out
        code, out, err = await run("delete", f"@{CHANNEL_NAME}")
        assert code == 2
        assert "not registered" in err
        code, out, err = await run("delete", "<script>")
        assert code == 2
        assert "not a channel" in err
    recorded = await actions(database)
    assert [(a.action, a.via, a.actor_id) for a in recorded] == [
        ("channel.add", "cli", None),
        ("channel.categories", "cli", None),
        ("channel.delete", "cli", None),
    ]
