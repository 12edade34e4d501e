"""Admins manage categories and admins, read /stats and /audit: in Telegram (the real bot
against FakeTelegram) and with `nashra categories|admins|stats|audit`, one service behind both."""

from __future__ import annotations

import html
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, insert, select, update

from bot.i18n import number, t
from bot.services.stats import collect_stats
from handlers.commands import ADMINS
from handlers.readers import COMMANDS
from storage.models import (
    AdminAction,
    Article,
    ArticleStatus,
    Category,
    DailyCount,
    Delivery,
    DeliveryState,
    Source,
)
from tests.botharness import ADMIN, AR_USER, EN_USER, MEMBER, Harness, bot_harness, wait_until
from tests.conftest import Database
from tests.fakes.telegram_server import SentMessage
from tests.outboxes import Seeder
from tests.test_cli import nashra

NEVER_STARTED = 777001  # a user the bot never talked to: setMyCommands says "chat not found"


def plain(message: SentMessage) -> str:
    return html.unescape(message.plain_text)


async def say(bot: Harness, text: str, user: int = ADMIN) -> str:
    [answer] = await bot.command(user, user, text)
    return plain(answer)


async def actions(db: Database) -> list[AdminAction]:
    async with db.sessions() as session:
        return list(await session.scalars(select(AdminAction).order_by(AdminAction.id)))


async def category(db: Database, slug: str) -> Category | None:
    async with db.sessions() as session:
        return await session.scalar(select(Category).where(Category.slug == slug))


async def category_count(db: Database) -> int:
    async with db.sessions() as session:
        return await session.scalar(select(func.count()).select_from(Category)) or 0


def usage(name: str, **values: object) -> str:
    text = t(f"admin_manage.usage.{name}", "ar", **values)
    return html.unescape(text.replace("<code>", "").replace("</code>", ""))


async def test_add_rename_and_delete_categories(database: Database) -> None:
    async with bot_harness(database, admin_ids=(ADMIN,)) as bot:
        text = await say(bot, "/addcategory science | علوم | Science | علم، sciences")
        assert "علوم" in text
        assert "/science" in text
        science = await category(database, "science")
        assert science is not None
        assert science.names == {"ar": "علوم", "en": "Science"}
        assert sorted(a.alias for a in science.aliases) == ["sciences", "علم", "علوم"]

        # Refusals: a usage line, and nothing saved.
        count = await category_count(database)
        refusals = {
            "/addcategory": "",
            "/addcategory science علوم Science": "",
            "/addcategory science | علوم | Science": "موجودة أصلًا",
            "/addcategory politics2 | سياسة | Politics 2": "يدل على الفئة",
            "/addcategory tech2 | تقنيات | Tech stuff | tech": "technology",
            "/addcategory help | مساعدة | Help": "من أوامر البوت",
            "/addcategory Sci-Fi | خيال | Fiction": "ليس معرّفًا صالحًا",
            "/addcategory <b>x</b> | خيال | Fiction": "ليس معرّفًا صالحًا",
            "/addcategory fiction | خيال\u202e | Fiction": "رموز تحكم",
            "/addcategory fiction |  | Fiction": "فارغ",
            f"/addcategory fiction | {'خ' * 60} | Fiction": "أطول من",
            "/addcategory fiction | خيال | Fiction | politics": "يدل على الفئة",
        }
        for command, why in refusals.items():
            text = await say(bot, command)
            assert usage("addcategory") in text, command
            assert why in text, command
        assert await category_count(database) == count
        assert [a.action for a in await actions(database)] == ["category.add"]

        text = await say(bot, "/renamecategory science | - | Science and research")
        assert "Science and research" in text
        science = await category(database, "science")
        assert science is not None
        assert science.names == {"ar": "علوم", "en": "Science and research"}
        assert "science and research" in {a.alias for a in science.aliases}
        assert "علم" in {a.alias for a in science.aliases}  # kept: no aliases field
        text = await say(bot, "/renamecategory science | - | - | بحث")
        science = await category(database, "science")
        assert science is not None
        assert sorted(a.alias for a in science.aliases) == ["science and research", "بحث", "علوم"]
        for command in ("/renamecategory science", "/renamecategory nope | x", "/renamecategory"):
            assert usage("renamecategory") in await say(bot, command), command

        # Delete: general never; in use refused; moved after confirmation.
        assert "لا يمكن حذف" in await say(bot, "/delcategory general")
        seeder = Seeder(database)
        both = await seeder.chat(-100101, "supergroup", slugs=("science", "politics"))
        only = await seeder.chat(-100102, "supergroup", slugs=("science",))
        async with database.sessions.begin() as session:
            session.add(Source(url="https://science.example/feed", category_id=science.id))
        text = await say(bot, "/delcategory science")
        assert "مستخدمة (اشتراكان، مصدر واحد)" in text
        assert usage("delcategory") in text
        assert "انقل اشتراكات الفئة" in await say(bot, "/delcategory science science")
        assert "لا توجد فئة" in await say(bot, "/delcategory science nowhere")
        assert usage("delcategory") in await say(bot, "/delcategory a b c")
        [confirm] = await bot.command(ADMIN, ADMIN, "/delcategory science politics")
        assert "الاشتراكات: اشتراكان" in plain(confirm)
        assert confirm.reply_markup is not None
        [[_, no]] = confirm.reply_markup["inline_keyboard"]
        await bot.press(ADMIN, ADMIN, confirm.message_id, no["callback_data"])
        cancelled = t("admin_manage.category.cancelled", "ar")
        await wait_until(lambda: plain(bot.tg.sent_messages(ADMIN)[-1]) == cancelled)
        assert await category(database, "science") is not None
        [confirm] = await bot.command(ADMIN, ADMIN, "/delcategory science politics")
        assert confirm.reply_markup is not None
        [[yes, _]] = confirm.reply_markup["inline_keyboard"]
        # A non-admin pressing the confirm button is refused; nothing changes.
        alert = await bot.press(ADMIN, MEMBER, confirm.message_id, yes["callback_data"])
        assert alert["text"] == t("admin.refused_alert", "ar")
        assert await category(database, "science") is not None

        await bot.press(ADMIN, ADMIN, confirm.message_id, yes["callback_data"])
        assert await category(database, "science") is None
        await wait_until(lambda: "حُذفت الفئة science" in plain(bot.tg.sent_messages(ADMIN)[-1]))
        async with database.sessions() as session:
            source = await session.scalar(
                select(Source).where(Source.url == "https://science.example/feed")
            )
        assert source is not None
        assert source.category is not None
        assert source.category.slug == "politics"
        for chat_id in (both, only):
            chat = await seeder.chat_row(chat_id)
            assert await bot.subscriptions(chat.telegram_id) == {"politics"}
        # Pressing it again: stale.
        alert = await bot.press(ADMIN, ADMIN, confirm.message_id, yes["callback_data"])
        assert alert["text"] == t("admin_manage.category.alert_stale", "ar")
        assert "لا توجد فئة" in await say(bot, "/delcategory science")

        # The trail: every change, who, before and after.
        recorded = await actions(database)
        assert [(a.action, a.actor_id, a.via) for a in recorded] == [
            ("category.add", ADMIN, "telegram"),
            ("category.rename", ADMIN, "telegram"),
            ("category.rename", ADMIN, "telegram"),
            ("category.delete", ADMIN, "telegram"),
        ]
        assert recorded[1].before is not None
        assert recorded[1].before["names"]["en"] == "Science"
        assert recorded[1].after is not None
        assert recorded[1].after["names"]["en"] == "Science and research"
        assert recorded[3].after == {
            "moved_to": "politics",
            "subscriptions_moved": 1,
            "subscriptions_merged": 1,
            "sources_moved": 1,
            "articles_moved": 0,
        }

        # /audit: newest first, compact.
        [answer] = await bot.command(ADMIN, ADMIN, "/audit 2")
        text = plain(answer)
        assert text.index("حذف فئة الفئة science") < text.index("غيّر اسم فئة الفئة science")
        assert "أضاف فئة" not in text
        assert f"المستخدم {number(ADMIN, 'ar')}" in text
        assert "نُقل إلى: politics" in text
        assert "الأسماء: ar: علوم, en: Science and research" in text
        for bad in ("/audit 0", "/audit 51", "/audit x", "/audit 1 2", "/audit -3"):
            assert usage("audit", min_count=1, max_count=50) in await say(bot, bad), bad


async def test_non_admins_are_refused_and_nothing_changes(database: Database) -> None:
    async with bot_harness(database, admin_ids=(ADMIN,)) as bot:
        count = await category_count(database)
        for text in (
            "/addcategory science | علوم | Science",
            "/delcategory economy",
            "/renamecategory economy | مال | -",
            "/stats",
            "/audit",
            "/admins",
            f"/addadmin {AR_USER}",
            f"/deladmin {ADMIN}",
        ):
            answer = await say(bot, text, user=AR_USER)
            assert answer == t("admin.refused", "ar"), text
        politics = await bot.category_id("politics")
        economy = await bot.category_id("economy")
        forged = f"adm:v1:mg:del:{economy}:{politics}"
        [message] = await bot.command(AR_USER, AR_USER, "/start")
        alert = await bot.press(AR_USER, AR_USER, message.message_id, forged)
        assert alert["text"] == t("admin.refused_alert", "ar")
        assert await category_count(database) == count
        assert await category(database, "economy") is not None
        assert await actions(database) == []


async def test_admins_and_their_command_menus(database: Database) -> None:
    async with bot_harness(database, admin_ids=(ADMIN, AR_USER)) as bot:
        tg = bot.tg
        admin_names = ADMINS
        assert set(admin_names) >= {"addcategory", "stats", "audit", "addadmin", "deladmin"}
        scope = {"type": "chat", "chat_id": AR_USER}
        for language in ("", "ar", "en"):
            menu = tg.commands(scope, language)
            assert menu is not None, language
            names = [c["command"] for c in menu]
            assert names[: len(COMMANDS)] == list(COMMANDS)
            assert set(admin_names) <= set(names)
            everyone = tg.commands(None, language)
            assert everyone is not None
            assert not set(admin_names) & {c["command"] for c in everyone}
        english = tg.commands(scope, "en")
        assert english is not None
        assert {"command": "stats", "description": t("command.stats", "en")} in english
        # ADMIN never started the bot (no private chat): the start-up went on regardless.
        assert tg.commands({"type": "chat", "chat_id": ADMIN}, "ar") is None

        text = await say(bot, "/admins", user=AR_USER)
        assert f"{number(ADMIN, 'ar')} — في إعداد ADMIN_IDS" in text

        assert await say(bot, "/stats", user=EN_USER) == t("admin.refused", "en")
        text = await say(bot, f"/addadmin {EN_USER}", user=AR_USER)
        assert f"صار المستخدم {number(EN_USER, 'ar')} مشرفًا" in text
        assert "تعذّر" not in text
        en_scope = {"type": "chat", "chat_id": EN_USER}
        menu = tg.commands(en_scope, "en")
        assert menu is not None
        assert "addcategory" in {c["command"] for c in menu}
        assert "Nashra at a glance" in await say(bot, "/stats", user=EN_USER)
        assert "is an admin already" in await say(bot, f"/addadmin {EN_USER}", user=EN_USER)

        text = await say(bot, f"/addadmin {NEVER_STARTED}", user=AR_USER)
        assert f"صار المستخدم {number(NEVER_STARTED, 'ar')} مشرفًا" in text
        assert "تعذّر تحديث قائمة أوامره" in text

        text = await say(bot, "/admins", user=EN_USER)
        assert f"{EN_USER} — added by user {AR_USER}" in text

        text = await say(bot, f"/deladmin {ADMIN}", user=EN_USER)
        assert "ADMIN_IDS setting" in text
        assert "/deladmin user_id" in text
        text = await say(bot, f"/deladmin {EN_USER}", user=AR_USER)
        assert f"لم يعد المستخدم {number(EN_USER, 'ar')} مشرفًا" in text
        assert tg.commands(en_scope, "en") is None
        assert tg.commands(en_scope, "") is None
        assert await say(bot, "/stats", user=EN_USER) == t("admin.refused", "en")
        for bad in ("/addadmin", "/addadmin abc", "/addadmin -5", "/addadmin 1 2", "/addadmin 0"):
            assert usage("addadmin") in await say(bot, bad, user=AR_USER), bad
        assert "ليس مشرفًا مضافًا" in await say(bot, f"/deladmin {MEMBER}", user=AR_USER)

        recorded = await actions(database)
        assert [(a.action, a.target, a.actor_id) for a in recorded] == [
            ("admin.add", f"user {EN_USER}", AR_USER),
            ("admin.add", f"user {NEVER_STARTED}", AR_USER),
            ("admin.remove", f"user {EN_USER}", AR_USER),
        ]


NOW = datetime(2026, 1, 28, 12, tzinfo=UTC)


async def seed_stats(database: Database) -> None:
    """Chats, subscriptions, sources, articles and deliveries with known figures (see
    test_stats_figures)."""
    seeder = Seeder(database)
    first = await seeder.chat(5001, slugs=("politics", "sports"))
    second = await seeder.chat(5002, slugs=("politics",))
    await seeder.chat(-100503, "supergroup", slugs=("economy",))
    await seeder.chat(-100504, "channel", slugs=("politics",), active=False)
    politics, _ = await seeder.article("خبر سياسي")
    sports, _ = await seeder.article("خبر رياضي", "sports")
    await seeder.article("خبر اقتصادي", "economy")
    await seeder.article("قديم", status=ArticleStatus.SEEN, fan_out=False)
    yesterday, _ = await seeder.article("أمس", fan_out=False)
    async with database.sessions.begin() as session:
        await session.execute(
            update(Article)
            .where(Article.id == yesterday)
            .values(fetched_at=NOW - timedelta(days=1))
        )
        session.add_all(
            [
                Source(url="https://ok.example/feed", last_polled_at=NOW),
                Source(url="https://failing.example/feed", last_polled_at=NOW, failures=2),
                Source(url="https://paused.example/feed", paused=True),
            ]
        )
        fetched = {
            a.id: a.fetched_at for a in await session.scalars(select(Article))
        }  # 08:01, 08:02 …
        outcomes = {
            (politics, first): (DeliveryState.SENT, 60),
            (politics, second): (DeliveryState.DIGESTED, 180),
            (sports, first): (DeliveryState.SENT, 120),
        }
        for delivery in await session.scalars(select(Delivery)):
            state, seconds = outcomes.get(
                (delivery.article_id, delivery.chat_id), (DeliveryState.PENDING, 0)
            )
            if state is not DeliveryState.PENDING:
                delivery.state = state
                delivery.sent_at = fetched[delivery.article_id] + timedelta(seconds=seconds)
        await session.execute(
            insert(DailyCount),
            [
                {"day": NOW.date(), "name": "failed", "value": 2},
                {"day": NOW.date(), "name": "http_429", "value": 5},
                {"day": NOW.date() - timedelta(days=1), "name": "http_429", "value": 7},
            ],
        )


async def test_stats_figures(database: Database) -> None:
    await seed_stats(database)
    async with database.sessions() as session:
        deliveries = await session.scalar(select(func.count()).select_from(Delivery))
        stats = await collect_stats(session, NOW)
    assert deliveries == 4  # politics ×2 (the inactive channel gets none), sports, economy
    assert stats.day.isoformat() == "2026-01-28"
    assert stats.chats == {"private": 2, "group": 0, "supergroup": 1, "channel": 0}
    assert stats.inactive_chats == 1
    by_slug = dict(stats.subscriptions)
    assert (by_slug["politics"], by_slug["sports"], by_slug["economy"]) == (2, 1, 1)
    assert by_slug["general"] == 0
    assert [slug for slug, _ in stats.subscriptions][:2] == ["politics", "economy"]
    assert stats.sources == {"ok": 1, "failing": 1, "paused": 1, "new": 1}
    assert stats.articles_today == 3
    assert (stats.sent_today, stats.pending, stats.failed_today) == (3, 1, 2)
    assert stats.http_429_today == 5
    assert stats.median_fetch_to_send == timedelta(seconds=120)


# ---- the command line -----------------------------------------------------------------------


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path}/nashra.db"


async def test_cli_categories_admins_stats_and_audit(db_url: str) -> None:
    env = {"ADMIN_IDS": str(ADMIN)}

    async def run(*args: str) -> tuple[int, str, str]:
        return await nashra(*args, database_url=db_url, **env)

    code, out, err = await run(
        "categories", "add", "science", "--ar", "علوم", "--en", "Science", "--alias", "علم"
    )
    assert (code, err) == (0, ""), err
    assert "added category science" in out
    code, _, err = await run("categories", "add", "stats", "--ar", "أرقام", "--en", "Numbers")
    assert code == 2
    assert "is a command of the bot already" in err
    code, _, err = await run("categories", "add", "x y", "--ar", "س", "--en", "X")
    assert code == 2
    assert "a slug is 1 to 32" in err
    code, _, err = await run("categories", "add", "misc2", "--ar", "عام", "--en", "Misc 2")
    assert code == 2
    assert "already means the category 'general'" in err
    code, out, _ = await run("categories", "rename", "science", "--en", "Sciences")
    assert code == 0
    assert "علوم / Sciences" in out
    code, out, _ = await run("categories", "list")
    assert code == 0
    [row] = [line for line in out.splitlines() if line.startswith("science ")]
    assert row.split()[:5] == ["science", "علوم", "Sciences", "0", "0"]

    code, _, err = await run("categories", "delete", "general", "--move-to", "politics")
    assert code == 2
    assert "needed by the categorizer" in err
    code, out, _ = await run("categories", "delete", "science", "--move-to", "technology")
    assert code == 0
    assert "moved to technology: 0 subscriptions" in out

    code, out, _ = await run("admins", "add", "4242")
    assert (code, out.strip()) == (0, "user 4242 is now an admin")
    code, out, _ = await run("admins", "list")
    assert code == 0
    assert [str(ADMIN), "ADMIN_IDS"] in [line.split()[:2] for line in out.splitlines()]
    assert "4242" in out
    code, _, err = await run("admins", "remove", str(ADMIN))
    assert code == 2
    assert "ADMIN_IDS" in err
    code, _, err = await run("admins", "add", "-3")
    assert code == 2
    assert "not a Telegram user id" in err
    code, out, _ = await run("admins", "remove", "4242")
    assert code == 0

    code, out, _ = await run("stats")
    assert code == 0
    assert "UTC)" in out
    assert "median fetch → send" in out

    code, out, _ = await run("audit", "--limit", "3")
    assert code == 0
    lines = out.strip().splitlines()[2:]
    assert [line.split()[4] for line in lines] == ["admin.remove", "admin.add", "category.delete"]
    assert all("command line" in line for line in lines)
    code, _, err = await run("audit", "--limit", "0")
    assert code == 2
