"""`nashra channels …`: the channels the bot posts to, through the same service functions as
the admins' Telegram commands (bot.services.channels); the Bot API checks the bot's rights."""

from __future__ import annotations

import argparse
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from telegram import Bot
from telegram.error import TelegramError

from bot.app import file_base_url
from bot.console import format_table
from bot.i18n import t
from bot.runtime import open_database
from bot.services import channels as service
from bot.services import filters as filter_service
from bot.services import reader_options
from bot.services.audit import CLI
from bot.services.catalog import load_categories
from bot.services.channels import ChannelError, ChannelInfo
from bot.services.errors import ServiceError
from bot.settings import Settings
from bot.telegram.request import AiohttpRequest
from bot.text.filters import FilterError


@asynccontextmanager
async def telegram_bot(settings: Settings) -> AsyncIterator[Bot]:
    """A Bot API client for TELEGRAM_API_BASE_URL, initialized (so its id is known)."""
    if settings.telegram_bot_token is None:
        raise ChannelError("no_token", "TELEGRAM_BOT_TOKEN is not set: checking a channel needs it")
    base_url = settings.telegram_api_base_url
    bot = Bot(
        settings.telegram_bot_token.get_secret_value(),
        base_url=base_url,
        base_file_url=file_base_url(base_url),
        request=AiohttpRequest(),
    )
    try:
        await bot.initialize()
    except TelegramError as exc:
        raise ChannelError(
            "telegram", f"Telegram did not answer: {exc.message}", reason=exc.message
        ) from exc
    try:
        yield bot
    finally:
        await bot.shutdown()


def _categories(info: ChannelInfo) -> str:
    return ", ".join(info.category_slugs) or "-"


async def cmd_channels_add(settings: Settings, args: argparse.Namespace) -> int:
    async with (
        telegram_bot(settings) as bot,
        open_database(settings) as (_engine, sessions),
        sessions.begin() as session,
    ):
        info = await service.add_channel(session, bot, CLI, args.channel, args.category or ())
    print(f"added channel {info.id}: {info.label} ({info.telegram_id})")
    print(f"categories: {_categories(info)}")
    if not info.category_ids:
        print(f"it follows no category yet: nashra channels categories {info.id} CATEGORY…")
    return 0


async def cmd_channels_list(settings: Settings, _args: argparse.Namespace) -> int:
    async with open_database(settings) as (_engine, sessions), sessions() as session:
        infos = await service.list_channels(session)
    if not infos:
        print("no channels yet: add one with `nashra channels add @name`")
        return 0
    rows = [
        [
            str(i.id),
            i.label,
            str(i.telegram_id),
            "active" if i.active else f"stopped: {i.inactive_reason or '-'}",
            _categories(i),
        ]
        for i in infos
    ]
    print(format_table(["id", "channel", "telegram id", "state", "categories"], rows))
    return 0


async def cmd_channels_delete(settings: Settings, args: argparse.Namespace) -> int:
    async with open_database(settings) as (_engine, sessions), sessions.begin() as session:
        info = await service.delete_channel(session, CLI, args.channel)
    print(f"deleted channel {info.id}: {info.label}")
    return 0


async def cmd_channels_categories(settings: Settings, args: argparse.Namespace) -> int:
    async with open_database(settings) as (_engine, sessions), sessions.begin() as session:
        info = await service.set_channel_categories_named(
            session, CLI, args.channel, args.categories
        )
    print(f"channel {info.id}: {info.label}; categories: {_categories(info)}")
    return 0


async def cmd_channels_options(settings: Settings, args: argparse.Namespace) -> int:
    changes = _option_changes(args)
    async with open_database(settings) as (_engine, sessions), sessions.begin() as session:
        if changes is None:
            found = await reader_options.channel_options(session, args.channel, settings)
        else:
            found = await reader_options.change_channel_options(
                session, CLI, args.channel, changes, settings
            )
    options = found.options
    state = {True: "on", False: "off"}
    print(f"channel {found.channel.id}: {found.channel.label}")
    print(
        f"silent: {state[options.silent]} · link previews: {state[options.link_preview]}"
        f" · photos: {state[options.photos]} · translation: {state[options.translate]}"
        f" · language: {found.language or settings.default_language}"
    )
    times = ", ".join(reader_options.clock(m) for m in options.briefing_minutes)
    briefing = f"{times} ({found.timezone})" if times else "none: posts as they come"
    print(f"daily briefing: {briefing}")
    return 0


def _option_changes(args: argparse.Namespace) -> reader_options.OptionChanges | None:
    """The changes the flags ask for (None: none, only show); OptionsError on a bad value."""
    toggles = {
        name: value == "on"
        for name, value in (
            ("silent", args.silent),
            ("link_preview", args.link_preview),
            ("photos", args.photos),
            ("translate", args.translate),
        )
        if value is not None
    }
    briefing: list[int] | None = None
    if args.briefing is not None:
        parsed = [] if args.briefing == "off" else reader_options.parse_times([args.briefing])
        if isinstance(parsed, reader_options.BriefingProblem):
            raise reader_options.OptionsError(
                f"--briefing: {parsed.value or args.briefing!r} is not a list of at most"
                f" {reader_options.MAX_BRIEFING_TIMES} times like 08:00,20:00 (or off)"
            )
        briefing = parsed
    zone: str | None = None
    if args.timezone is not None:
        zone = reader_options.known_zone(args.timezone)
        if zone is None:
            raise reader_options.OptionsError(
                f"--timezone: {args.timezone[:64]!r} is not an IANA time zone like Asia/Damascus"
            )
    if not toggles and args.language is None and briefing is None and zone is None:
        return None
    return reader_options.OptionChanges(toggles, args.language, briefing, zone)


async def cmd_channels_filter(settings: Settings, args: argparse.Namespace) -> int:
    """Show, set or clear a channel's word filters (as /channelfilter does)."""
    words = " ".join(args.words).strip()
    try:
        async with open_database(settings) as (_engine, sessions), sessions.begin() as session:
            if not words:
                info, entries = await filter_service.channel_followed(session, args.channel)
                categories = await load_categories(session)
            else:
                info, request = await filter_service.set_channel_filter(
                    session, CLI, args.channel, words
                )
    except FilterError as error:
        raise ServiceError(t(f"filters.error.{error.code}", "en", **error.values)) from error
    if words:
        shown = request.filter.shown() or "no filter: every post"
        print(f"channel {info.id}: {info.label}; {request.category.slug}: {shown}")
        return 0
    print(f"channel {info.id}: {info.label}")
    for entry in entries:
        slug = categories.slug_of(entry.category_id) or str(entry.category_id)
        print(f"  {slug}: {entry.filter.shown() or 'no filter'}")
    if not entries:
        print(f"  it follows no category yet: nashra channels categories {info.id} CATEGORY…")
    return 0


def add_parsers(sub: argparse._SubParsersAction[Any]) -> None:
    """Add this area's subcommands to `nashra`."""
    channels = sub.add_parser("channels", help="channels the bot posts to")
    act = channels.add_subparsers(dest="action", required=True, metavar="ACTION")
    act.add_parser("list", help="each channel, its state and categories").set_defaults(
        func=cmd_channels_list
    )
    add = act.add_parser("add", help="register a channel once the bot may post there")
    add.add_argument("channel", help="@username or -100… id")
    add.add_argument(
        "--category",
        action="append",
        metavar="C",
        help="a category it receives (slug or name; repeat for more)",
    )
    add.set_defaults(func=cmd_channels_add)
    delete = act.add_parser("delete", help="stop posting to a channel")
    delete.add_argument("channel", help="its id in the list, @username or -100… id")
    delete.set_defaults(func=cmd_channels_delete)
    cats = act.add_parser("categories", help="set exactly the categories a channel receives")
    cats.add_argument("channel", help="its id in the list, @username or -100… id")
    cats.add_argument("categories", nargs="+", metavar="C")
    cats.set_defaults(func=cmd_channels_categories)
    options = act.add_parser(
        "options", help="a channel's options: silent, previews, photos, language, briefing"
    )
    options.add_argument("channel", help="its id in the list, @username or -100… id")
    switch = {"choices": ("on", "off"), "default": None}
    options.add_argument("--silent", **switch, help="posts without a notification")
    options.add_argument(
        "--link-preview", **switch, help="a preview of the article's page under each post"
    )
    options.add_argument("--photos", **switch, help="posts with a picture go as photos")
    options.add_argument("--translate", **switch, help="translate posts into its language")
    options.add_argument("--language", choices=("ar", "en"), default=None)
    options.add_argument("--briefing", metavar="TIMES|off", help="daily briefings: 08:00,20:00")
    options.add_argument("--timezone", metavar="ZONE", help="its time zone: Asia/Damascus")
    options.set_defaults(func=cmd_channels_options)
    words = act.add_parser(
        "filter",
        help="a channel's word filters: show them, or set one as /filter does",
        description=(
            "Without words: every category the channel follows, with its filter. With a "
            "category: its filter; then +word -word +'\"a phrase\"' sets it (replacing the "
            "old one), and `off` clears it."
        ),
    )
    words.add_argument("channel", help="its id in the list, @username or -100… id")
    words.add_argument("words", nargs=argparse.REMAINDER, metavar="CATEGORY [+WORD|-WORD|off …]")
    words.set_defaults(func=cmd_channels_filter)
