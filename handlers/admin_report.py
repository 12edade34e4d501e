"""The admins' reports: /stats (the deployment at a glance) and /audit (the latest admin
actions, as readable lines in the deployment's time zone)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Final

from telegram import Update

from bot.context import bot_context
from bot.i18n import CATALOGS, Html, ascii_digits, local_digits, local_time, t, t_html, tn_html
from bot.services.audit import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    MISSING,
    Actor,
    AuditLine,
    FieldChange,
    audit_lines,
    readable,
)
from bot.services.stats import collect_stats
from handlers.admin import Handler, command
from handlers.common import Context, language_of, reply

CHAT_KINDS: Final = ("private", "group", "supergroup", "channel")
SOURCE_STATES: Final = ("ok", "failing", "paused", "new")
TARGET: Final = re.compile(r"(source|category|user|channel) (.+)")
MESSAGE_CHARS: Final = 4000


def handlers() -> list[Handler]:
    return [command("stats", stats), command("audit", audit)]


def who(actor_id: int | None, language: str) -> str:
    if actor_id is None:
        return t("admin_manage.audit.cli", language)
    return t("admin_manage.audit.user", language, user_id=actor_id)


def _duration(seconds: float | None, language: str) -> str:
    if seconds is None:
        return t("admin_manage.stats.no_median", language)
    whole = round(seconds)
    if whole < 60:
        return t("admin_manage.stats.seconds", language, seconds=whole)
    minutes, whole = divmod(whole, 60)
    if minutes < 60:
        return t("admin_manage.stats.minutes", language, minutes=minutes, seconds=whole)
    hours, minutes = divmod(minutes, 60)
    return t("admin_manage.stats.hours", language, hours=hours, minutes=minutes)


async def stats(update: Update, context: Context, actor: Actor) -> None:
    """/stats: today's figures (the UTC day, as the daily counters count)."""
    del actor
    language = await language_of(update, context)
    ctx = bot_context(context)
    categories = await ctx.categories.get()
    async with ctx.sessions() as session:
        figures = await collect_stats(session, datetime.now(UTC))
    lines = [
        t_html(
            "admin_manage.stats.subscription",
            language,
            category=categories.name(slug, language),
            count=count,
        )
        for slug, count in figures.subscriptions
    ]
    counted = {
        name: tn_html(f"admin_manage.stats.{name}", language, count)
        for name, count in [
            *((kind, figures.chats.get(kind, 0)) for kind in CHAT_KINDS),
            *((state, figures.sources.get(state, 0)) for state in SOURCE_STATES),
            ("inactive", figures.inactive_chats),
        ]
    }
    median = figures.median_fetch_to_send
    await reply(
        update,
        t_html(
            "admin_manage.stats.text",
            language,
            day=local_digits(figures.day.isoformat(), language),
            subscriptions=Html("\n".join(lines)),
            articles=figures.articles_today,
            sent=figures.sent_today,
            failed=figures.failed_today,
            pending=figures.pending,
            http_429=figures.http_429_today,
            filtered=figures.filtered_today,
            median=_duration(median.total_seconds() if median else None, language),
            **counted,
        ),
    )


async def audit(update: Update, context: Context, actor: Actor) -> None:
    """/audit [n]: the latest admin actions, newest first."""
    del actor
    language = await language_of(update, context)
    args = [ascii_digits(arg) for arg in context.args or []]
    limit = DEFAULT_LIMIT
    if args:
        if len(args) > 1 or not re.fullmatch(r"[0-9]{1,3}", args[0]):
            await _usage(update, language)
            return
        limit = int(args[0])
        if not 1 <= limit <= MAX_LIMIT:
            await _usage(update, language)
            return
    ctx = bot_context(context)
    async with ctx.sessions() as session:
        lines = await audit_lines(session, limit)
    if not lines:
        await reply(update, t_html("admin_manage.audit.empty", language))
        return
    zone = ctx.settings.timezone
    items = [_item(line, zone, language) for line in lines]
    header = tn_html("admin_manage.audit.header", language, len(lines), zone=zone)
    await _reply_long(update, [header, *items])


def _item(line: AuditLine, zone: str, language: str) -> Html:
    return t_html(
        "admin_manage.audit.item",
        language,
        when=local_time(line.when, zone, language),
        who=who(line.actor_id, language),
        action=_label("admin_manage.audit.action", line.action.replace(".", "_"), language),
        target=_target(line.target, language),
        changes=Html("\n".join(_change(c, language) for c in line.changes)),
    )


def _label(prefix: str, name: str, language: str) -> str:
    """The catalog's label for `name`, or `name` itself when the catalog has none."""
    key = f"{prefix}.{name}"
    return t(key, language) if key in CATALOGS["en"] else name


def _target(target: str, language: str) -> str:
    match = TARGET.fullmatch(target)
    if match is None:
        return target
    return t(
        f"admin_manage.audit.target.{match[1]}", language, value=local_digits(match[2], language)
    )


def _change(change: FieldChange, language: str) -> Html:
    def shown(value: object) -> str:
        text = readable(
            value,
            yes=t("admin_manage.audit.yes", language),
            no=t("admin_manage.audit.no", language),
            nothing=t("admin_manage.audit.nothing", language),
        )
        return local_digits(text, language) if isinstance(value, int) else text

    field = _label("admin_manage.audit.field", change.field, language)
    if change.before is MISSING or change.after is MISSING:
        value = change.after if change.before is MISSING else change.before
        return t_html("admin_manage.audit.value", language, field=field, value=shown(value))
    return t_html(
        "admin_manage.audit.change",
        language,
        field=field,
        before=shown(change.before),
        after=shown(change.after),
    )


async def _usage(update: Update, language: str) -> None:
    await reply(
        update,
        t_html("admin_manage.usage.audit", language, min_count=1, max_count=MAX_LIMIT),
    )


async def _reply_long(update: Update, parts: Sequence[str]) -> None:
    """Parts joined by blank lines, in as few messages as fit Telegram's 4096 characters."""
    chunk = ""
    for part in parts:
        if chunk and len(chunk) + len(part) + 2 > MESSAGE_CHARS:
            await reply(update, Html(chunk))
            chunk = ""
        chunk = f"{chunk}\n\n{part}" if chunk else part
    if chunk:
        await reply(update, Html(chunk))
