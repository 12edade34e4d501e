"""`nashra …` subcommands: parse arguments, call services, print results."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import sys
from collections.abc import Callable, Coroutine, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot import cli_channels, cli_manage, cli_search
from bot.console import format_table, when
from bot.ingest.fetch import FetchError, FetchErrorKind
from bot.ingest.opml import read_opml, write_opml
from bot.ingest.sourcelist import read_source_file
from bot.ingest.sourcespec import SourceListError, make_spec
from bot.logs import configure_logging
from bot.pipeline.poller import PollOutcome
from bot.run import Role, RoleError, make_poller, run
from bot.runtime import open_database, open_runtime
from bot.services import sources as source_service
from bot.services.audit import CLI
from bot.services.errors import ServiceError
from bot.services.outbox import outbox_report
from bot.services.preview import PreviewError, preview
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


async def cmd_preview(settings: Settings, args: argparse.Namespace) -> int:
    """Print the posts a feed (or one article page) would give, as plain text."""
    async with open_runtime(settings) as runtime:
        result = await preview(
            args.url,
            settings=settings,
            pipeline=runtime.pipeline,
            categories=await runtime.categories.get(),
            name=args.name,
            limit=args.limit,
        )
    print(f"{result.kind}: {result.title}\n")
    print(("\n\n" + "─" * 40 + "\n\n").join(result.posts))
    return 0


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


async def cmd_sources_list(settings: Settings, _args: argparse.Namespace) -> int:
    async with open_database(settings) as (_engine, sessions), sessions() as session:
        states = await source_service.source_states(session)
    if not states:
        print("no sources yet: add one with `nashra sources add URL`")
        return 0
    rows = [
        [
            str(s.id),
            s.name or "",
            s.url,
            s.state,
            when(s.last_poll, settings.timezone),
            when(s.next_poll, settings.timezone),
            str(s.articles),
            str(s.new_today),
            (s.last_error or "")[:60],
        ]
        for s in states
    ]
    zone = settings.timezone
    headers = [
        "id",
        "name",
        "url",
        "state",
        f"last poll ({zone})",
        f"next poll ({zone})",
        "articles",
        "new today",
    ]
    print(format_table([*headers, "last error"], rows))
    return 0


async def cmd_sources_add(settings: Settings, args: argparse.Namespace) -> int:
    spec = make_spec(
        {
            "url": args.url,
            "name": args.name,
            "language": args.language,
            "category": args.category,
            "interval": args.interval,
        }
    )
    async with open_database(settings) as (_engine, sessions), sessions.begin() as session:
        source = await source_service.add_source(session, spec, actor=CLI)
        print(f"added source {source.id}: {source.url}")
    return 0


def _report(report: source_service.SyncReport) -> str:
    lines = [f"+ {url}" for url in report.added]
    lines += [f"~ {url}" for url in report.updated]
    lines += [f"- {url}" for url in report.removed]
    lines += [f"? {url} (not in the file; --prune removes it)" for url in report.absent]
    counts = (
        f"{len(report.added)} added, {len(report.updated)} updated, "
        f"{len(report.unchanged)} unchanged, {len(report.removed)} removed"
    )
    return "\n".join([*lines, counts])


async def cmd_sources_sync(settings: Settings, args: argparse.Namespace) -> int:
    specs = await asyncio.to_thread(read_source_file, Path(args.file))
    async with open_database(settings) as (_engine, sessions), sessions.begin() as session:
        report = await source_service.sync_sources(session, specs, prune=args.prune, actor=CLI)
    print(_report(report))
    return 0


async def cmd_sources_import(settings: Settings, args: argparse.Namespace) -> int:
    specs = read_opml(await asyncio.to_thread(Path(args.file).read_bytes))
    async with open_database(settings) as (_engine, sessions), sessions.begin() as session:
        report = await source_service.import_sources(session, specs, actor=CLI)
    print(_report(report))
    return 0


async def cmd_sources_export(settings: Settings, args: argparse.Namespace) -> int:
    async with open_database(settings) as (_engine, sessions), sessions() as session:
        data = write_opml(await source_service.export_specs(session))
    if args.out:
        await asyncio.to_thread(Path(args.out).write_bytes, data)
        print(f"wrote {args.out}")
    else:
        sys.stdout.buffer.write(data)
    return 0


async def cmd_sources_show(settings: Settings, args: argparse.Namespace) -> int:
    async with open_database(settings) as (_engine, sessions), sessions() as session:
        s = await source_service.source_state(session, args.id)
    interval = f"{s.interval_seconds} s" if s.interval_seconds else "default"
    rows = [
        ["id", str(s.id)],
        ["name", s.name],
        ["url", s.url],
        ["state", s.state],
        ["language", s.language or "-"],
        ["category", s.category or "-"],
        ["interval", interval],
        ["last poll", f"{when(s.last_poll, settings.timezone)} ({settings.timezone})"],
        ["next poll", f"{when(s.next_poll, settings.timezone)} ({settings.timezone})"],
        ["articles", str(s.articles)],
        ["new today", str(s.new_today)],
        ["failures", str(s.failures)],
        ["last error", s.last_error or ""],
    ]
    print(format_table(["field", "value"], rows))
    return 0


async def cmd_sources_pause(settings: Settings, args: argparse.Namespace) -> int:
    async with open_database(settings) as (_engine, sessions), sessions.begin() as session:
        source = await source_service.pause_source(session, args.id, actor=CLI)
        print(f"paused source {source.id}: {source.url}")
    return 0


async def cmd_sources_resume(settings: Settings, args: argparse.Namespace) -> int:
    async with open_database(settings) as (_engine, sessions), sessions.begin() as session:
        source = await source_service.resume_source(session, args.id, actor=CLI)
        print(f"resumed source {source.id}: {source.url}")
    return 0


async def cmd_sources_delete(settings: Settings, args: argparse.Namespace) -> int:
    """Delete a source with its articles; without --yes, ask first (on a terminal only)."""
    async with open_database(settings) as (_engine, sessions):
        if not args.yes:
            async with sessions() as session:
                source = await source_service.get_source(session, args.id)
                url = source.url
            if not sys.stdin.isatty():
                print(f"nashra: deleting source {args.id} ({url}) needs --yes", file=sys.stderr)
                return 2
            answer = await asyncio.to_thread(input, f"delete source {args.id} ({url})? [y/N] ")
            if answer.strip().lower() not in {"y", "yes"}:
                print("nothing deleted")
                return 1
        async with sessions.begin() as session:
            gone = await source_service.delete_source(session, args.id, actor=CLI)
    print(
        f"deleted source {gone['id']}: {gone['url']} "
        f"({gone['articles']} articles, {gone['pending_deliveries']} pending deliveries dropped)"
    )
    return 0


async def cmd_sources_interval(settings: Settings, args: argparse.Namespace) -> int:
    async with open_database(settings) as (_engine, sessions), sessions.begin() as session:
        source = await source_service.set_interval(session, args.id, args.interval, actor=CLI)
        print(f"source {source.id} is polled every {source.interval_seconds} s")
    return 0


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"not a positive whole number: {text!r}")
    return value


def _source_id(text: str) -> int:
    value = _positive(text)
    if value >= 2**63:
        raise argparse.ArgumentTypeError(f"no such source id: {text!r}")
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

    prev = sub.add_parser("preview", help="print the posts a feed or article URL would give")
    prev.add_argument("url")
    prev.add_argument("--name", help="site name for the attribution (default: the domain)")
    prev.add_argument("--limit", type=_positive, default=3, help="posts to show (default 3)")
    prev.set_defaults(func=cmd_preview)

    summ = sub.add_parser("summarize", help="summarize a JSONL data set")
    summ.add_argument("--jsonl", required=True, help='input lines {"id","title","text"[,"lang"]}')
    summ.add_argument("--out", required=True, help="output JSONL file")
    summ.add_argument("--sentences", type=_positive, help="extractive, with N sentences")
    summ.set_defaults(func=cmd_summarize)

    sub.add_parser("outbox", help="deliveries by state and today's counters").set_defaults(
        func=cmd_outbox
    )

    sources = sub.add_parser("sources", help="news sources")
    src = sources.add_subparsers(dest="action", required=True, metavar="ACTION")
    src.add_parser("list", help="each source and its state").set_defaults(func=cmd_sources_list)
    add = src.add_parser("add", help="add one source")
    add.add_argument("url")
    add.add_argument("--name", help="site name used in attributions")
    add.add_argument("--language", help="language code, e.g. ar or en")
    add.add_argument("--category", help="fixed category (slug or name, e.g. politics, سياسة)")
    add.add_argument("--interval", help="poll interval, e.g. 15m, 1h, 900 (seconds)")
    add.set_defaults(func=cmd_sources_add)
    sync = src.add_parser("sync", help="make the sources match FILE (.toml, .csv, .tsv)")
    sync.add_argument("file")
    sync.add_argument("--prune", action="store_true", help="delete sources not in FILE")
    sync.set_defaults(func=cmd_sources_sync)
    imp = src.add_parser("import", help="add the feeds of an OPML file")
    imp.add_argument("file")
    imp.set_defaults(func=cmd_sources_import)
    exp = src.add_parser("export", help="write the sources as OPML")
    exp.add_argument("--out", help="file to write (default: standard output)")
    exp.set_defaults(func=cmd_sources_export)
    show = src.add_parser("show", help="one source in detail")
    show.add_argument("id", type=_source_id)
    show.set_defaults(func=cmd_sources_show)
    pause = src.add_parser("pause", help="stop polling a source")
    pause.add_argument("id", type=_source_id)
    pause.set_defaults(func=cmd_sources_pause)
    resume = src.add_parser("resume", help="poll a paused source again")
    resume.add_argument("id", type=_source_id)
    resume.set_defaults(func=cmd_sources_resume)
    remove = src.add_parser("delete", help="delete a source with its articles")
    remove.add_argument("id", type=_source_id)
    remove.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    remove.set_defaults(func=cmd_sources_delete)
    every = src.add_parser("interval", help="set a source's poll interval")
    every.add_argument("id", type=_source_id)
    every.add_argument("interval", help="e.g. 15m, 1h, 900 (seconds); at least 60 s")
    every.set_defaults(func=cmd_sources_interval)

    cli_manage.add_parsers(sub)
    cli_channels.add_parsers(sub)
    cli_search.add_parsers(sub)
    return parser


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
        if isinstance(exc, FetchError) and exc.kind is FetchErrorKind.BLOCKED:
            print(BLOCKED_HINT, file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(main())
