"""`nashra …` subcommands: parse arguments, call services, print results."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import sys
from collections.abc import Callable, Coroutine, Sequence
from datetime import UTC, datetime
from typing import Any

from bot import cli_channels, cli_manage, cli_search, cli_sources
from bot.console import format_table, when
from bot.ingest.fetch import FetchError, FetchErrorKind
from bot.ingest.sourcespec import SourceListError
from bot.logs import configure_logging
from bot.pipeline.poller import PollOutcome
from bot.run import Role, RoleError, make_poller, run
from bot.runtime import open_database, open_runtime
from bot.services.errors import ServiceError
from bot.services.outbox import outbox_report
from bot.services.preview import PreviewError
from bot.services.sources import SourceError
from bot.services.summaries import summarize_jsonl
from bot.settings import Settings, SettingsError, load_settings
from storage import sources as source_store
from storage.migrate import current_revision, downgrade, upgrade
from storage.models import DeliveryState

log = logging.getLogger("nashra")

BLOCKED_HINT = (
    "nashra: only public addresses are fetched; to fetch from a private network on purpose,"
    " list it in FETCH_ALLOW_NETWORKS (for example FETCH_ALLOW_NETWORKS=10.1.2.0/24)"
)

Command = Callable[[Settings, argparse.Namespace], Coroutine[Any, Any, int]]


async def cmd_run(settings: Settings, args: argparse.Namespace) -> int:
    """Run this process' role (default: everything) until SIGINT or SIGTERM."""
    return await run(settings, Role(args.role))


async def cmd_poll(settings: Settings, args: argparse.Namespace) -> int:
    """Poll every due source once (every unpaused one with --all) and print a table."""
    async with open_runtime(settings) as runtime:
        if args.all:
            async with runtime.sessions.begin() as session:
                await source_store.make_all_due(session, now=datetime.now(UTC))
        poller = make_poller(runtime)
        outcomes: list[PollOutcome] = []
        while batch := await poller.poll_due():
            outcomes.extend(batch)
    print(_outcome_table(outcomes))
    return 1 if outcomes and all(o.error for o in outcomes) else 0


async def cmd_summarize(settings: Settings, args: argparse.Namespace) -> int:
    """Summaries for a JSONL data set, one output line per input line."""
    async with open_runtime(settings) as runtime:
        categories = await runtime.categories.get()
        with (
            open(args.jsonl, encoding="utf-8") as source,  # noqa: ASYNC230
            open(args.out, "w", encoding="utf-8") as out,  # noqa: ASYNC230
        ):
            report = await summarize_jsonl(
                source,
                out,
                composer=runtime.composer,
                categories=categories,
                sentences=args.sentences,
            )
    for problem in report.problems:
        print(f"nashra: {args.jsonl}: {problem}", file=sys.stderr)
    print(f"wrote {report.written} summaries to {args.out}")
    return 0 if report.written or not report.problems else 1


def _outcome_table(outcomes: Sequence[PollOutcome]) -> str:
    if not outcomes:
        return "no source was due"
    rows = [
        [
            str(o.source_id),
            o.name or o.url,
            o.status.value,
            str(o.new),
            str(o.seen),
            str(o.queued),
            o.error or "",
            f"{o.seconds:.2f}s",
        ]
        for o in sorted(outcomes, key=lambda o: o.source_id)
    ]
    return format_table(["id", "source", "status", "new", "seen", "queued", "error", "time"], rows)


async def cmd_db(settings: Settings, args: argparse.Namespace) -> int:
    async with open_database(settings, migrate=False) as (engine, _sessions):
        if args.action == "upgrade":
            await upgrade(engine, args.revision)
        elif args.action == "downgrade":
            await downgrade(engine, args.revision)
        print(f"database at revision {await current_revision(engine) or 'none'}")
    return 0


async def cmd_outbox(settings: Settings, _args: argparse.Namespace) -> int:
    """Deliveries by state, today's counters (UTC) and when the next delivery is due."""
    async with open_database(settings) as (_engine, sessions), sessions() as session:
        report = await outbox_report(session, datetime.now(UTC).date())
    states = [[state.value, str(report.states.get(state, 0))] for state in DeliveryState]
    print(format_table(["state", "deliveries"], states))
    if report.counts:
        print()
        counts = [[name, str(n)] for name, n in sorted(report.counts.items())]
        print(format_table(["today (UTC)", "count"], counts))
    due = f"{when(report.next_due, settings.timezone)} ({settings.timezone})"
    print(f"\nnext due: {due if report.next_due else 'nothing pending'}")
    return 0


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"not a positive whole number: {text!r}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="nashra", description="Nashra (نشرة): news from sources to Telegram chats."
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run_parser = sub.add_parser("run", help="run the poller, the bot and the sender")
    run_parser.add_argument(
        "--role",
        choices=[role.value for role in Role],
        default=Role.ALL.value,
        help="what this process runs (default all; several pollers and senders can share "
        "one PostgreSQL database)",
    )
    run_parser.set_defaults(func=cmd_run)

    poll = sub.add_parser("poll", help="poll sources now")
    poll.add_argument("--once", action="store_true", required=True, help="poll due sources once")
    poll.add_argument("--all", action="store_true", help="every unpaused source, due or not")
    poll.set_defaults(func=cmd_poll)

    db = sub.add_parser("db", help="database schema")
    db_sub = db.add_subparsers(dest="action", required=True, metavar="ACTION")
    up = db_sub.add_parser("upgrade", help="migrate to the newest schema (or REVISION)")
    up.add_argument("revision", nargs="?", default="head")
    down = db_sub.add_parser("downgrade", help="migrate back to REVISION")
    down.add_argument("revision")
    db_sub.add_parser("current", help="print the schema revision")
    db.set_defaults(func=cmd_db)

    summ = sub.add_parser("summarize", help="summarize a JSONL data set")
    summ.add_argument("--jsonl", required=True, help='input lines {"id","title","text"[,"lang"]}')
    summ.add_argument("--out", required=True, help="output JSONL file")
    summ.add_argument("--sentences", type=_positive, help="extractive, with N sentences")
    summ.set_defaults(func=cmd_summarize)

    sub.add_parser("outbox", help="deliveries by state and today's counters").set_defaults(
        func=cmd_outbox
    )

    cli_sources.add_parsers(sub)
    cli_manage.add_parsers(sub)
    cli_channels.add_parsers(sub)
    cli_search.add_parsers(sub)
    return parser


def _blocked(exc: Exception) -> bool:
    """Whether a private or local address was refused (by a fetch, or a source's look)."""
    if isinstance(exc, FetchError):
        return exc.kind is FetchErrorKind.BLOCKED
    return isinstance(exc, SourceError) and exc.code == "blocked"


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings()
    except SettingsError as exc:
        print(f"nashra: {exc}", file=sys.stderr)
        return 2
    configure_logging(settings)
    command: Command = args.func
    try:
        return asyncio.run(command(settings, args))
    except (ServiceError, RoleError, SourceListError, PreviewError, FetchError, OSError) as exc:
        print(f"nashra: {exc}", file=sys.stderr)
        if _blocked(exc):
            print(BLOCKED_HINT, file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(main())
