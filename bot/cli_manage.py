"""`nashra admins …`, `nashra categories …`, `nashra stats`, `nashra audit`.

The same service functions as the admins' Telegram commands (one implementation, two fronts);
changes are recorded in the audit trail as made by the command line. A change made here
reaches the running bot's menus on its next start (new categories' shortcut commands, an
added admin's command list).
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from typing import Any

from bot.console import format_table, when
from bot.runtime import open_database
from bot.services import admins as admin_service
from bot.services import categories as category_service
from bot.services.audit import (
    CLI,
    DEFAULT_LIMIT,
    MAX_LIMIT,
    MISSING,
    FieldChange,
    audit_lines,
    readable,
)
from bot.services.stats import collect_stats, duration
from bot.settings import Settings
from handlers.commands import RESERVED


async def cmd_admins_list(settings: Settings, _args: argparse.Namespace) -> int:
    async with open_database(settings) as (_engine, sessions), sessions() as session:
        entries = await admin_service.list_admins(session, settings)
    if not entries:
        print("no admins: set ADMIN_IDS or run `nashra admins add ID`")
        return 0
    rows = [
        [
            str(e.user_id),
            "ADMIN_IDS" if e.from_settings else "added",
            "" if e.from_settings else (str(e.added_by) if e.added_by else "command line"),
            when(e.added_at, settings.timezone),
        ]
        for e in entries
    ]
    headers = ["user id", "from", "added by", f"added at ({settings.timezone})"]
    print(format_table(headers, rows))
    return 0


async def cmd_admins_add(settings: Settings, args: argparse.Namespace) -> int:
    async with open_database(settings) as (_engine, sessions), sessions.begin() as session:
        added = await admin_service.add_admin(session, settings, CLI, args.user_id)
    print(f"user {args.user_id} is now an admin" if added else f"user {args.user_id} was one")
    return 0


async def cmd_admins_remove(settings: Settings, args: argparse.Namespace) -> int:
    async with open_database(settings) as (_engine, sessions), sessions.begin() as session:
        removed = await admin_service.remove_admin(session, settings, CLI, args.user_id)
    if not removed:
        print(f"user {args.user_id} is not an added admin")
        return 1
    print(f"user {args.user_id} is no longer an admin")
    return 0


async def cmd_categories_list(settings: Settings, _args: argparse.Namespace) -> int:
    async with open_database(settings) as (_engine, sessions), sessions() as session:
        rows = await category_service.list_category_rows(session)
    table = [
        [
            r.slug,
            r.names.get("ar", ""),
            r.names.get("en", ""),
            str(r.subscriptions),
            str(r.sources),
            ", ".join(r.aliases),
        ]
        for r in rows
    ]
    print(format_table(["slug", "ar", "en", "subscriptions", "sources", "aliases"], table))
    return 0


async def cmd_categories_add(settings: Settings, args: argparse.Namespace) -> int:
    async with open_database(settings) as (_engine, sessions), sessions.begin() as session:
        category = await category_service.add_category(
            session,
            CLI,
            args.slug,
            ar=args.ar,
            en=args.en,
            aliases=args.alias or (),
            reserved=RESERVED,
        )
        print(
            f"added category {category.slug}"
            f" (its /{category.slug} shortcut comes with the bot's next start)"
        )
    return 0


async def cmd_categories_rename(settings: Settings, args: argparse.Namespace) -> int:
    async with open_database(settings) as (_engine, sessions), sessions.begin() as session:
        category = await category_service.rename_category(
            session, CLI, args.slug, ar=args.ar, en=args.en, aliases=args.alias
        )
        names = category.names
        print(f"renamed category {category.slug}: {names.get('ar', '')} / {names.get('en', '')}")
    return 0


async def cmd_categories_delete(settings: Settings, args: argparse.Namespace) -> int:
    async with open_database(settings) as (_engine, sessions), sessions.begin() as session:
        report = await category_service.delete_category(
            session, CLI, args.slug, move_to=args.move_to
        )
    print(f"deleted category {report.slug}")
    if report.moved_to is not None:
        print(
            f"moved to {report.moved_to}: {report.subscriptions_moved} subscriptions"
            f" ({report.subscriptions_merged} chats followed it already),"
            f" {report.sources_moved} sources, {report.articles_moved} articles"
        )
    return 0


async def cmd_stats(settings: Settings, _args: argparse.Namespace) -> int:
    async with open_database(settings) as (_engine, sessions), sessions() as session:
        stats = await collect_stats(session, datetime.now(UTC))
    chats = [[kind, str(n)] for kind, n in stats.chats.items()]
    chats.append(["inactive", str(stats.inactive_chats)])
    print(format_table(["chats", "active"], chats))
    print()
    print(
        format_table(["category", "subscriptions"], [[s, str(n)] for s, n in stats.subscriptions])
    )
    print()
    print(format_table(["sources", "count"], [[s, str(n)] for s, n in stats.sources.items()]))
    print()
    today = [
        ["articles fetched", str(stats.articles_today)],
        ["deliveries sent", str(stats.sent_today)],
        ["deliveries failed", str(stats.failed_today)],
        ["429 answers", str(stats.http_429_today)],
        ["filtered out by chats' word filters", str(stats.filtered_today)],
        ["median fetch → send", duration(stats.median_fetch_to_send)],
    ]
    print(format_table([f"today ({stats.day.isoformat()} UTC)", "value"], today))
    print(f"\ndeliveries pending now: {stats.pending}")
    return 0


async def cmd_audit(settings: Settings, args: argparse.Namespace) -> int:
    async with open_database(settings) as (_engine, sessions), sessions() as session:
        lines = await audit_lines(session, args.limit)
    if not lines:
        print("no admin actions yet")
        return 0
    rows = [
        [
            when(line.when, settings.timezone),
            f"user {line.actor_id}" if line.actor_id is not None else "command line",
            line.action,
            line.target,
            "; ".join(_change(c) for c in line.changes) or "-",
        ]
        for line in lines
    ]
    headers = [f"when ({settings.timezone})", "who", "action", "target", "what changed"]
    print(format_table(headers, rows))
    return 0


def _user_id(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if not 0 < value < 2**63:
        raise argparse.ArgumentTypeError(f"not a Telegram user id: {text!r}")
    return value


def _limit(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if not 1 <= value <= MAX_LIMIT:
        raise argparse.ArgumentTypeError(f"not a whole number from 1 to {MAX_LIMIT}: {text!r}")
    return value


def _change(change: FieldChange) -> str:
    def shown(value: object) -> str:
        return readable(value, yes="yes", no="no", nothing="-")

    if change.before is MISSING:
        return f"{change.field}: {shown(change.after)}"
    return f"{change.field}: {shown(change.before)} → {shown(change.after)}"


def add_parsers(sub: argparse._SubParsersAction[Any]) -> None:
    """Add this area's subcommands to `nashra`."""
    admins = sub.add_parser("admins", help="the bot's admins")
    adm = admins.add_subparsers(dest="action", required=True, metavar="ACTION")
    adm.add_parser("list", help="ADMIN_IDS and the admins added").set_defaults(func=cmd_admins_list)
    add = adm.add_parser("add", help="make a Telegram user an admin")
    add.add_argument("user_id", type=_user_id, metavar="ID")
    add.set_defaults(func=cmd_admins_add)
    remove = adm.add_parser("remove", help="take an added admin's rights away")
    remove.add_argument("user_id", type=_user_id, metavar="ID")
    remove.set_defaults(func=cmd_admins_remove)

    categories = sub.add_parser("categories", help="news categories")
    cat = categories.add_subparsers(dest="action", required=True, metavar="ACTION")
    cat.add_parser("list", help="each category, its names, aliases and use").set_defaults(
        func=cmd_categories_list
    )
    new = cat.add_parser("add", help="add a category")
    new.add_argument("slug", help="a-z, 0-9 and _; also its shortcut command")
    new.add_argument("--ar", required=True, help="Arabic name")
    new.add_argument("--en", required=True, help="English name")
    new.add_argument("--alias", action="append", help="another name (repeat for more)")
    new.set_defaults(func=cmd_categories_add)
    rename = cat.add_parser("rename", help="change a category's names or aliases")
    rename.add_argument("slug")
    rename.add_argument("--ar", help="new Arabic name")
    rename.add_argument("--en", help="new English name")
    rename.add_argument(
        "--alias", action="append", help="the aliases become these and the names (repeat)"
    )
    rename.set_defaults(func=cmd_categories_rename)
    remove_category = cat.add_parser("delete", help="delete a category")
    remove_category.add_argument("slug")
    remove_category.add_argument(
        "--move-to", metavar="OTHER", help="move its subscriptions, sources and articles there"
    )
    remove_category.set_defaults(func=cmd_categories_delete)

    sub.add_parser("stats", help="chats, subscriptions, sources and today's figures").set_defaults(
        func=cmd_stats
    )

    audit = sub.add_parser("audit", help="the latest admin actions")
    audit.add_argument(
        "--limit",
        type=_limit,
        default=DEFAULT_LIMIT,
        help=f"how many (1 to {MAX_LIMIT}, default {DEFAULT_LIMIT})",
    )
    audit.set_defaults(func=cmd_audit)
