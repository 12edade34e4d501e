"""Word filters through the bot: /filter, /filters and /mysubs for readers (a group's admin
only), /channelfilter for the bot's admins and `nashra channels filter`; every bad filter is
answered with what is wrong and changes nothing."""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select

from bot.i18n import t_html
from bot.text.filters import MAX_TERM_CHARS, MAX_TERMS
from storage import chats as chat_store
from storage import subscriptions as subscription_store
from storage.models import AdminAction, Category
from tests.botharness import (
    ADMIN,
    AR_USER,
    EN_USER,
    GROUP,
    MEMBER,
    Harness,
    bot_harness,
)
from tests.conftest import Database
from tests.fakes.telegram_server import DEFAULT_TOKEN, FakeTelegram
from tests.test_cli import nashra

CHANNEL = -1009100
CHANNEL_NAME = "newschan"


def plain(key: str, language: str = "ar", **values: object) -> str:
    rendered = t_html(key, language, **values)
    return html.unescape(re.sub(r"<[^>]+>", "", rendered))


@pytest.fixture
async def bot(database: Database) -> AsyncIterator[Harness]:
    async with bot_harness(database, admin_ids=(ADMIN,)) as harness:
        harness.tg.add_chat(ADMIN, "private")
        harness.tg.add_chat(CHANNEL, "channel", title="قناة الأخبار", username=CHANNEL_NAME)
        yield harness


async def stored_filters(db: Database, telegram_id: int) -> dict[str, dict[str, object]]:
    """The chat's stored filters by category slug (only the subscriptions)."""
    async with db.sessions() as session:
        chat = await chat_store.get_chat(session, telegram_id)
        if chat is None:
            return {}
        views = await subscription_store.chat_subscriptions(session, chat.id)
        slugs = dict(list(await session.execute(select(Category.id, Category.slug))))
    return {slugs[view.category_id]: view.filters for view in views}


async def say(bot: Harness, text: str, chat: int = AR_USER, user: int | None = None) -> str:
    [answer] = await bot.command(chat, user or chat, text)
    return answer.plain_text


async def test_a_reader_sets_shows_lists_and_clears_a_filter(bot: Harness) -> None:
    await say(bot, "/subscribe سياسة اقتصاد")
    answer = await say(bot, '/filter سياسة +سوريا +دمشق -كرة +"مجلس الأمن"')
    assert answer.startswith(
        "تصل أخبار سياسة إلى هذه المحادثة فقط إن ذكرت «سوريا»، «دمشق» أو «مجلس الأمن»،"
        " ولا يصل منها ما يذكر «كرة»."
    )
    assert answer.endswith('التصفية: +سوريا +دمشق +"مجلس الأمن" -كرة')
    assert await stored_filters(bot.db, AR_USER) == {
        "politics": {"include": ["سوريا", "دمشق", "مجلس الأمن"], "exclude": ["كرة"]},
        "economy": {},
    }
    assert (await say(bot, "/filter politics")) == answer
    listed = await say(bot, "/filters")
    assert '• سياسة: +سوريا +دمشق +"مجلس الأمن" -كرة' in listed
    assert "• اقتصاد: بلا تصفية" in listed
    mysubs = await say(bot, "/mysubs")
    assert '• سياسة — التصفية: +سوريا +دمشق +"مجلس الأمن" -كرة' in mysubs
    assert "• اقتصاد" in mysubs
    cleared = await say(bot, "/filter سياسة إيقاف")
    assert cleared == plain("filters.none", category="سياسة")
    assert (await stored_filters(bot.db, AR_USER))["politics"] == {}
    assert (await say(bot, "/mysubs")) == "اشتراكاتك: سياسة، اقتصاد"


async def test_only_minus_words_mean_everything_but_them(bot: Harness) -> None:
    await say(bot, "/subscribe politics", EN_USER)
    answer = await say(bot, "/filter politics -football -سوريا", EN_USER)
    assert answer.startswith(
        "Every post of Politics reaches this chat, except those that mention “football” or “سوريا”."
    )
    assert (await stored_filters(bot.db, EN_USER))["politics"] == {
        "include": [],
        "exclude": ["football", "سوريا"],
    }


BAD = [
    (" ".join(f"+كلمة{i}" for i in range(500)), "too_many", {"count": 500, "most": MAX_TERMS}),
    ("- - -", "bare_sign", {"sign": "-"}),
    ("+!!! +؟؟؟", "no_words", {"term": "!!!"}),
    ("+🔥", "no_words", {"term": "🔥"}),
    ('+"مجلس الأمن', "unclosed_quote", {"term": "مجلس الأمن"}),
    ("+" + "ب" * 101, "too_long", {"term": "ب" * MAX_TERM_CHARS + "…", "most": MAX_TERM_CHARS}),
    ("+سوريا -سوريا", "conflict", {"term": "سوريا"}),
]


@pytest.mark.parametrize(("typed", "code", "values"), BAD)
async def test_a_bad_filter_is_explained_and_changes_nothing(
    bot: Harness, typed: str, code: str, values: dict[str, object]
) -> None:
    await say(bot, "/subscribe سياسة")
    await say(bot, "/filter سياسة +دمشق")
    answer = await say(bot, f"/filter سياسة {typed}")
    assert answer.startswith(plain(f"filters.error.{code}", **values))
    assert "/filter سياسة +سوريا +دمشق -كرة" in answer  # then how to write one
    assert (await stored_filters(bot.db, AR_USER))["politics"] == {
        "include": ["دمشق"],
        "exclude": [],
    }


async def test_words_without_a_sign_or_a_category_are_explained(bot: Harness) -> None:
    await say(bot, "/subscribe politics")
    answer = await say(bot, "/filter politics syria")
    assert answer.startswith(plain("filters.error.sign_needed", term="syria"))
    unknown = await say(bot, "/filter nonsense +syria")
    assert unknown.startswith("لا توجد فئة باسم «nonsense».")
    usage = await say(bot, "/filter")
    assert usage.startswith("تصفية الأخبار بالكلمات")
    assert (await stored_filters(bot.db, AR_USER))["politics"] == {}


async def test_a_filter_needs_the_category_followed(bot: Harness) -> None:
    answer = await say(bot, "/filter اقتصاد +نفط")
    assert answer == plain("filters.not_following", category="اقتصاد")
    assert await stored_filters(bot.db, AR_USER) == {}


async def test_in_a_group_only_an_admin_changes_a_filter(bot: Harness) -> None:
    await say(bot, "/subscribe politics", GROUP, ADMIN)
    refused = await say(bot, "/filter politics +سوريا", GROUP, MEMBER)
    assert refused == plain("group.admins_only")
    assert (await stored_filters(bot.db, GROUP))["politics"] == {}
    done = await say(bot, "/filter politics +سوريا", GROUP, ADMIN)
    assert done.startswith("تصل أخبار سياسة إلى هذه المحادثة فقط إن ذكرت «سوريا».")
    shown = await say(bot, "/filter politics", GROUP, MEMBER)  # reading is for anyone
    assert shown == done
    assert (await say(bot, "/filter politics off", GROUP, MEMBER)) == plain("group.admins_only")
    assert (await stored_filters(bot.db, GROUP))["politics"] == {
        "include": ["سوريا"],
        "exclude": [],
    }


async def test_admins_filter_a_channel_and_it_is_audited(bot: Harness) -> None:
    await say(bot, f"/addchannel @{CHANNEL_NAME} politics", ADMIN)
    refused = await say(bot, f"/channelfilter @{CHANNEL_NAME} politics +سوريا", MEMBER)
    assert refused == plain("admin.refused")
    answer = await say(bot, f"/channelfilter @{CHANNEL_NAME} politics +سوريا -كرة", ADMIN)
    assert answer.startswith(f"@{CHANNEL_NAME}\nتصل أخبار سياسة")
    assert (await stored_filters(bot.db, CHANNEL))["politics"] == {
        "include": ["سوريا"],
        "exclude": ["كرة"],
    }
    listed = await say(bot, f"/channelfilter @{CHANNEL_NAME}", ADMIN)
    assert "• سياسة: +سوريا -كرة" in listed
    not_followed = await say(bot, f"/channelfilter @{CHANNEL_NAME} economy +x1", ADMIN)
    assert not_followed == plain(
        "admin_channels.error.not_following", ref=f"@{CHANNEL_NAME}", category="economy"
    )
    bad = await say(bot, f"/channelfilter @{CHANNEL_NAME} politics +🔥", ADMIN)
    assert bad.startswith(plain("filters.error.no_words", term="🔥"))
    unknown = await say(bot, "/channelfilter @nochannel politics +x1", ADMIN)
    assert unknown == plain("admin_channels.error.unknown_channel", ref="@nochannel")
    await say(bot, f"/channelfilter @{CHANNEL_NAME} politics off", ADMIN)
    async with bot.db.sessions() as session:
        recorded = list(
            await session.scalars(
                select(AdminAction)
                .where(AdminAction.action == "channel.filter")
                .order_by(AdminAction.id)
            )
        )
    assert [(a.before, a.after) for a in recorded] == [
        ({"category": "politics", "filter": ""}, {"category": "politics", "filter": "+سوريا -كرة"}),
        ({"category": "politics", "filter": "+سوريا -كرة"}, {"category": "politics", "filter": ""}),
    ]


async def test_the_command_line_filters_a_channel_too(database: Database) -> None:
    async with FakeTelegram(token=DEFAULT_TOKEN) as tg:
        tg.add_chat(CHANNEL, "channel", title="قناة الأخبار", username=CHANNEL_NAME)
        env = {"TELEGRAM_BOT_TOKEN": DEFAULT_TOKEN, "TELEGRAM_API_BASE_URL": tg.base_url}

        async def run(*args: str) -> tuple[int, str, str]:
            return await nashra("channels", *args, database_url=database.url, **env)

        code, _, err = await run("add", f"@{CHANNEL_NAME}", "--category", "politics")
        assert (code, err) == (0, "")
        code, out, err = await run("filter", f"@{CHANNEL_NAME}", "politics", "+سوريا", "-كرة")
        assert (code, err) == (0, ""), err
        assert "politics: +سوريا -كرة" in out
        code, out, _ = await run("filter", f"@{CHANNEL_NAME}")
        assert code == 0
        assert "politics: +سوريا -كرة" in out
        code, out, err = await run("filter", f"@{CHANNEL_NAME}", "politics", "+🔥")
        assert code == 2
        assert "has no letters or digits" in err
        code, out, err = await run("filter", f"@{CHANNEL_NAME}", "sports", "+x1")
        assert code == 2
        assert "does not receive sports" in err
        code, out, _ = await run("filter", f"@{CHANNEL_NAME}", "politics", "off")
        assert code == 0
        assert "politics: no filter" in out
    assert (await stored_filters(database, CHANNEL))["politics"] == {}
