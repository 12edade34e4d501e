"""End to end: the real `nashra run` process against FakeTelegram and a local feed server.

Readers subscribe with the inline keyboard, new articles appear in feeds, the scheduler polls
them, the outbox sender delivers the posts, and /latest finds them, all across processes and
on a real database (SQLite, then PostgreSQL).
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select, update

from storage.models import Article, ArticleStatus, Category, Delivery, DeliveryState, Source
from tests.botharness import category_id, subscribed_slugs, wait_until, wait_until_async
from tests.conftest import Database
from tests.fakes.feed_server import FeedServer
from tests.fakes.feeds import Item, rss
from tests.fakes.telegram_server import DEFAULT_TOKEN, FakeTelegram, SentMessage
from tests.processes import run_environment, start_run

READER = 1001  # an Arabic-speaking reader, in her private chat with the bot
GROUP = -1005001
ADMIN = 2001
MEMBER = 2002

POLITICS_TITLE = "مجلس النواب يقر قانون الانتخابات الجديد بعد جلسة طويلة"
POLITICS_TEXT = (
    "أقر مجلس النواب قانون الانتخابات الجديد في جلسة استمرت حتى ساعة متأخرة من الليل. "
    "وصوت لصالح القانون أغلب النواب الحاضرين. "
    "وقال رئيس المجلس إن القانون يعزز مشاركة المواطنين في الحياة السياسية."
)
ECONOMY_TITLE = "Central bank raises interest rates to curb inflation"
ECONOMY_TEXT = (
    "The central bank raised its main interest rate by half a point on Thursday. "
    "Inflation reached its highest level in a decade last month. Markets fell after the news."
)
REFUSAL = "عذرًا، في المجموعات يستطيع المشرفون وحدهم تغيير إعدادات نشرة."
ADMINS_ONLY_ALERT = "يستطيع مشرفو المجموعة وحدهم تغيير اشتراكاتها."


@dataclass
class Bot:
    """The `nashra run` child process and the fakes it talks to."""

    tg: FakeTelegram
    feeds: FeedServer
    db: Database
    process: asyncio.subprocess.Process
    log: Path

    async def command(self, chat: int, user: int, text: str, replies: int = 1) -> list[SentMessage]:
        """Send `text` as `user` in `chat`; the bot's next `replies` messages there."""
        before = len(self.tg.sent_messages(chat))
        self.tg.inject_message(chat, user, text)
        await wait_until(lambda: len(self.tg.sent_messages(chat)) >= before + replies, 30)
        return self.tg.sent_messages(chat)[before:]

    async def press(self, chat: int, user: int, message_id: int, data: str) -> str:
        """Press an inline button; the text of the bot's answerCallbackQuery."""
        update = self.tg.inject_callback(chat, user, message_id, data)
        query_id = update["callback_query"]["id"]
        await wait_until(lambda: query_id in self.tg.callback_answers, 30)
        return str(self.tg.callback_answers[query_id].get("text", ""))

    async def category_id(self, slug: str) -> int:
        return await category_id(self.db, slug)

    async def subscriptions(self, telegram_id: int) -> set[str]:
        return await subscribed_slugs(self.db, telegram_id)

    def stderr(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


@asynccontextmanager
async def nashra_run(database: Database, tmp_path: Path, **env: str) -> AsyncIterator[Bot]:
    """`nashra run` as a child process, long polling FakeTelegram, with a reader, and a
    supergroup with an administrator and a member."""
    async with FeedServer() as feeds, FakeTelegram(token=DEFAULT_TOKEN) as tg:
        tg.add_user(READER, "ليلى", language_code="ar")
        tg.add_chat(READER, "private")
        tg.add_user(ADMIN, "Sami", language_code="ar")
        tg.add_user(MEMBER, "Rami", language_code="ar")
        tg.add_chat(GROUP, "supergroup", title="أخبار الحي")
        tg.set_member(GROUP, ADMIN, "administrator")
        tg.set_member(GROUP, MEMBER, "member")
        environment = run_environment(
            database.url, tg.base_url, DEFAULT_LANGUAGE="ar", LOG_LEVEL="INFO", **env
        )
        log = tmp_path / "nashra-run.log"
        process = await start_run(environment, log)
        try:
            yield Bot(tg, feeds, database, process, log)
        finally:
            if process.returncode is None:
                process.kill()
                await process.wait()


async def add_source(db: Database, url: str, *, name: str, language: str, category: str) -> int:
    async with db.sessions.begin() as session:
        category_id = await session.scalar(select(Category.id).where(Category.slug == category))
        source = Source(url=url, name=name, language=language, category_id=category_id)
        session.add(source)
        await session.flush()
        return source.id


async def first_polled(db: Database, *source_ids: int) -> bool:
    async with db.sessions() as session:
        polled = await session.scalars(select(Source.first_polled).where(Source.id.in_(source_ids)))
        return all(polled) and len(list(source_ids)) > 0


async def test_a_reader_subscribes_with_the_keyboard_and_receives_only_her_categorys_posts(
    database: Database, tmp_path: Path
) -> None:
    yesterday = datetime.now(UTC) - timedelta(days=1)
    old_politics = Item(
        "خبر قديم عن البرلمان", link="https://www.enabbaladi.net/archives/1", published=yesterday
    )
    old_economy = Item(
        "An old story about the markets", link="https://news.example.com/1", published=yesterday
    )
    async with nashra_run(database, tmp_path) as bot:
        bot.feeds.add("/politics.xml", rss([old_politics], title="عنب بلدي", language="ar"))
        bot.feeds.add("/economy.xml", rss([old_economy], title="Example News", language="en"))
        politics_source = await add_source(
            database,
            bot.feeds.url("/politics.xml"),
            name="enabbaladi.net",
            language="ar",
            category="politics",
        )
        economy_source = await add_source(
            database,
            bot.feeds.url("/economy.xml"),
            name="Example News",
            language="en",
            category="economy",
        )
        politics = await bot.category_id("politics")
        economy = await bot.category_id("economy")

        # The first poll of each source only stores what is there (backfill): nobody gets it.
        await wait_until_async(lambda: first_polled(database, politics_source, economy_source), 30)

        # The reader subscribes to politics by pressing the button under the greeting.
        [greeting] = await bot.command(READER, READER, "/start")
        assert greeting.plain_text.startswith("أهلًا ليلى، أنا نشرة")
        assert greeting.reply_markup is not None
        assert f"sub:v1:{politics}" in str(greeting.reply_markup)
        answer = await bot.press(READER, READER, greeting.message_id, f"sub:v1:{politics}")
        assert answer == "اشتركت في: سياسة"
        await wait_until(lambda: greeting.edit_count == 1, 30)
        assert "'✅ مشترك'" in str(greeting.reply_markup)
        assert await bot.subscriptions(READER) == {"politics"}

        # In the group a member can change nothing, by command or by keyboard; an admin can.
        [refusal] = await bot.command(GROUP, MEMBER, "/subscribe politics")
        assert refusal.plain_text == REFUSAL
        [keyboard] = await bot.command(GROUP, MEMBER, "/subscribe")
        refused = await bot.press(GROUP, MEMBER, keyboard.message_id, f"sub:v1:{politics}")
        assert refused == ADMINS_ONLY_ALERT
        assert keyboard.edit_count == 0
        assert await bot.subscriptions(GROUP) == set()
        done = await bot.press(GROUP, ADMIN, keyboard.message_id, f"sub:v1:{economy}")
        assert done == "اشتركت في: اقتصاد"
        await wait_until(lambda: keyboard.edit_count == 1, 30)
        assert await bot.subscriptions(GROUP) == {"economy"}
        assert await bot.subscriptions(READER) == {"politics"}

        # A politics article and an economy article appear; both sources are due again.
        now = datetime.now(UTC)
        new_politics = Item(
            POLITICS_TITLE,
            link="https://www.enabbaladi.net/archives/2",
            description=POLITICS_TEXT,
            published=now,
        )
        new_economy = Item(
            ECONOMY_TITLE,
            link="https://news.example.com/2",
            description=ECONOMY_TEXT,
            published=now,
        )
        bot.feeds.add(
            "/politics.xml", rss([new_politics, old_politics], title="عنب بلدي", language="ar")
        )
        bot.feeds.add(
            "/economy.xml", rss([new_economy, old_economy], title="Example News", language="en")
        )
        reader_before = len(bot.tg.sent_messages(READER))
        group_before = len(bot.tg.sent_messages(GROUP))
        async with database.sessions.begin() as session:
            await session.execute(update(Source).values(next_poll_at=now - timedelta(seconds=1)))

        # The reader receives the politics post; the group, subscribed to economy, its post.
        await wait_until(lambda: len(bot.tg.sent_messages(READER)) > reader_before, 30)
        await wait_until(lambda: len(bot.tg.sent_messages(GROUP)) > group_before, 30)
        [post] = bot.tg.sent_messages(READER)[reader_before:]
        assert post.plain_text.startswith(POLITICS_TITLE)
        assert f'هذا الخبر بعنوان "{POLITICS_TITLE}" نشر أولاً على موقع enabbaladi.net' in (
            post.plain_text
        )
        assert "لا يتحمل موقعنا مضمونه بأي شكل من الأشكال" in post.plain_text
        assert "#سياسة" in post.plain_text
        assert post.reply_markup == {
            "inline_keyboard": [
                [{"text": "اقرأ في المصدر", "url": "https://www.enabbaladi.net/archives/2"}]
            ]
        }
        [group_post] = bot.tg.sent_messages(GROUP)[group_before:]
        assert group_post.plain_text.startswith(ECONOMY_TITLE)
        assert f'This story, titled "{ECONOMY_TITLE}", was first published on Example News' in (
            group_post.plain_text
        )

        # /latest politics gives the same post back; the economy one never reached the reader.
        [latest] = await bot.command(READER, READER, "/latest politics 1")
        assert latest.plain_text == post.plain_text
        await asyncio.sleep(1.0)  # anything else on its way to the reader would arrive by now
        texts = [m.plain_text for m in bot.tg.sent_messages(READER)]
        assert not any(ECONOMY_TITLE in text for text in texts)
        assert sum(POLITICS_TITLE in text for text in texts) == 2  # the post and /latest
        assert not any(POLITICS_TITLE in m.plain_text for m in bot.tg.sent_messages(GROUP))

        async with database.sessions() as session:
            stored = list(await session.scalars(select(Article).order_by(Article.id)))
            deliveries = list(await session.scalars(select(Delivery)))
        assert sorted((a.title, a.status) for a in stored) == sorted(
            [
                ("خبر قديم عن البرلمان", ArticleStatus.SEEN),
                ("An old story about the markets", ArticleStatus.SEEN),
                (POLITICS_TITLE, ArticleStatus.READY),
                (ECONOMY_TITLE, ArticleStatus.READY),
            ]
        )
        assert len(deliveries) == 2
        assert {d.state for d in deliveries} == {DeliveryState.SENT}

        bot.process.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(bot.process.wait(), timeout=30)
    log = bot.stderr()
    assert code == 0, log
    assert DEFAULT_TOKEN not in log
    running, _, stopping = log.partition(" INFO nashra: stopping")
    assert "Traceback" not in running, log
    # Known product bug (see the report): when SIGTERM lands during a poll tick, APScheduler's
    # shutdown cancels the tick and logs it as an ERROR with a traceback. Nothing else may.
    errors = [line for line in stopping.splitlines() if " ERROR " in line]
    assert all('Job "PollLoop.tick' in line for line in errors), log
