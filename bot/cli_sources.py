"""`nashra sources …` and `nashra preview`: the same services as the admins' Telegram source
commands, changes recorded in the audit trail as made by the command line.

`sources add URL` and `preview URL` look at the address first (bot/services/discovery.py):
a feed, a Telegram channel or a sitemap is used as it is; a web page's feeds are found, and
when there are several they are listed for `--pick N`; a page without a feed gets the other
ways to follow it listed (its sitemaps, the page as a section page). `--kind` says what the
address is, and nothing is fetched to find out.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any

from bot.console import format_table, when
from bot.ingest.fetch import Fetcher
from bot.ingest.normalize import redacted_url
from bot.ingest.opml import export_opml, read_opml
from bot.ingest.sourcelist import read_source_file
from bot.ingest.sourcespec import KINDS, SourceSpec, make_spec
from bot.pipeline.read import SourceInfo
from bot.runtime import open_database, open_runtime
from bot.services import discovery
from bot.services import sources as source_service
from bot.services.audit import CLI
from bot.services.preview import PreviewError, preview, preview_page
from bot.settings import Settings
from storage.models import SourceKind

KIND_NAMES = {
    SourceKind.FEED: "feed",
    SourceKind.TELEGRAM: "Telegram channel",
    SourceKind.SITEMAP: "sitemap",
    SourceKind.PAGE: "section page",
}


def _spec(args: argparse.Namespace, **values: object) -> SourceSpec:
    return make_spec({"url": args.url, "kind": args.kind, **values})


def _chosen(found: discovery.Resolution, pick: int | None) -> discovery.Choice | None:
    """The choice to use: the only feed, or the one picked; None when the admin must pick."""
    if pick is not None:
        if not 1 <= pick <= len(found.choices):
            raise source_service.SourceError(
                f"--pick {pick}: {redacted_url(found.url)} offers {len(found.choices)} choices"
            )
        return found.choices[pick - 1]
    return found.single


def _choices(found: discovery.Resolution) -> str:
    """The choices an address offers, numbered for --pick, or why it offers none."""
    if found.feeds:
        shown = redacted_url(found.url)
        head = f"{shown} offers {len(found.choices)} feeds; choose one with --pick N:"
    elif found.choices:
        head = (
            f"{redacted_url(found.url)} offers no feed. What else may work (choose with --pick N):"
        )
    else:
        return (
            f"{redacted_url(found.url)} offers no feed, its robots.txt lists no sitemap, and it"
            " links to too few article pages to be followed as a section page"
        )
    lines = [head]
    for number, choice in enumerate(found.choices, start=1):
        what = KIND_NAMES[choice.kind]
        if choice.kind is SourceKind.SITEMAP and not found.feeds:
            what = "sitemap (listed in robots.txt)"
        elif choice.kind is SourceKind.PAGE:
            what = f"section page ({found.section_links} article links on it)"
        title = f" “{choice.title}”" if choice.title else ""
        lines.append(f"  {number}. {what}{title}: {redacted_url(choice.url)}")
    return "\n".join(lines)


async def cmd_preview(settings: Settings, args: argparse.Namespace) -> int:
    """Print the posts a source would give, as plain text."""
    spec = _spec(args, name=args.name)
    async with open_runtime(settings) as runtime:
        categories = await runtime.categories.get()
        found = await discovery.resolve(spec, runtime.fetcher)
        choice = _chosen(found, args.pick)
        if choice is not None:
            result = await preview(
                SourceInfo(url=choice.url, kind=choice.kind, name=args.name),
                settings=settings,
                pipeline=runtime.pipeline,
                categories=categories,
                limit=args.limit,
            )
        elif found.feeds:
            print(_choices(found))
            return 1
        else:
            # A page without a feed: the post it would give as one article, if it is one.
            try:
                result = await preview_page(
                    found.url,
                    settings=settings,
                    pipeline=runtime.pipeline,
                    categories=categories,
                    name=args.name,
                )
            except PreviewError:
                print(_choices(found), file=sys.stderr)
                return 2 if not found.choices else 1
            print(_choices(found), end="\n\n", file=sys.stderr)
    print(f"{result.kind}: {result.title}\n")
    print(("\n\n" + "─" * 40 + "\n\n").join(result.posts))
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
            s.kind,
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
    headers = ["id", "kind", "name", "url", "state", f"last poll ({zone})", f"next poll ({zone})"]
    print(format_table([*headers, "articles", "new today", "last error"], rows))
    return 0


async def cmd_sources_add(settings: Settings, args: argparse.Namespace) -> int:
    spec = _spec(
        args,
        name=args.name,
        language=args.language,
        category=args.category,
        interval=args.interval,
    )
    async with open_database(settings) as (_engine, sessions), Fetcher(settings) as fetcher:
        async with sessions() as session:
            await source_service.check_new(session, spec)
        if spec.kind == SourceKind.TELEGRAM and args.kind is None:
            title = await discovery.check_channel(fetcher, settings, spec.url)
            print(f"{redacted_url(spec.url)} is the public channel {title}")
        found = await discovery.resolve(spec, fetcher)
        choice = _chosen(found, args.pick)
        if choice is None:
            print(_choices(found))
            return 1
        async with sessions.begin() as session:
            source = await source_service.add_source(session, choice.spec(spec), actor=CLI)
            print(
                f"added source {source.id} ({KIND_NAMES[source.kind]}): {redacted_url(source.url)}"
            )
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
    """The feeds as OPML; the other kinds, which OPML cannot carry, are named on stderr."""
    async with open_database(settings) as (_engine, sessions), sessions() as session:
        specs = await source_service.export_specs(session, with_secrets=args.with_secrets)
        exported = export_opml(specs)
    if args.out:
        await asyncio.to_thread(Path(args.out).write_bytes, exported.document)
        print(f"wrote {args.out}: {len(exported.feeds)} feeds")
    else:
        sys.stdout.buffer.write(exported.document)
    if exported.left_out:
        print(
            f"nashra: OPML lists feeds only; {len(exported.left_out)} sources were left out:",
            file=sys.stderr,
        )
        for spec in exported.left_out:
            print(f"  {spec.url} ({spec.kind})", file=sys.stderr)
    return 0


async def cmd_sources_show(settings: Settings, args: argparse.Namespace) -> int:
    async with open_database(settings) as (_engine, sessions), sessions() as session:
        s = await source_service.source_state(session, args.id)
    interval = f"{s.interval_seconds} s" if s.interval_seconds else "default"
    rows = [
        ["id", str(s.id)],
        ["kind", s.kind + (f" ({s.format})" if s.format else "")],
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


def positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"not a positive whole number: {text!r}")
    return value


def _source_id(text: str) -> int:
    value = positive(text)
    if value >= 2**63:
        raise argparse.ArgumentTypeError(f"no such source id: {text!r}")
    return value


def _where(parser: argparse.ArgumentParser) -> None:
    """--kind and --pick, which `preview` and `sources add` share."""
    parser.add_argument(
        "--kind",
        choices=KINDS,
        help="what the address is (feed, telegram, sitemap, page: a section page); "
        "given, nothing is fetched to find out",
    )
    parser.add_argument(
        "--pick", type=positive, metavar="N", help="the Nth of the sources the address offers"
    )


def add_parsers(sub: argparse._SubParsersAction[Any]) -> None:
    """Add `preview` and `sources` to `nashra`."""
    prev = sub.add_parser(
        "preview",
        help="print the posts a source would give (a feed, a site's page, @channel, a sitemap)",
    )
    prev.add_argument("url", help="a feed, a web page, a sitemap, or @NAME / t.me/NAME")
    prev.add_argument("--name", help="site name for the attribution (default: the domain)")
    prev.add_argument("--limit", type=positive, default=3, help="posts to show (default 3)")
    _where(prev)
    prev.set_defaults(func=cmd_preview)

    sources = sub.add_parser("sources", help="news sources")
    src = sources.add_subparsers(dest="action", required=True, metavar="ACTION")
    src.add_parser("list", help="each source, its kind and state").set_defaults(
        func=cmd_sources_list
    )
    add = src.add_parser("add", help="add one source (a feed, a site's page, @channel, …)")
    add.add_argument("url", help="a feed, a web page, a sitemap, or @NAME / t.me/NAME")
    add.add_argument("--name", help="site name used in attributions")
    add.add_argument("--language", help="language code, e.g. ar or en")
    add.add_argument("--category", help="fixed category (slug or name, e.g. politics, سياسة)")
    add.add_argument("--interval", help="poll interval, e.g. 15m, 1h, 900 (seconds)")
    _where(add)
    add.set_defaults(func=cmd_sources_add)
    sync = src.add_parser("sync", help="make the sources match FILE (.toml, .csv, .tsv)")
    sync.add_argument("file")
    sync.add_argument("--prune", action="store_true", help="delete sources not in FILE")
    sync.set_defaults(func=cmd_sources_sync)
    imp = src.add_parser("import", help="add the feeds of an OPML file")
    imp.add_argument("file")
    imp.set_defaults(func=cmd_sources_import)
    exp = src.add_parser("export", help="write the feeds as OPML (other kinds are named)")
    exp.add_argument("--out", help="file to write (default: standard output)")
    exp.add_argument(
        "--with-secrets",
        action="store_true",
        help="keep credentials in URLs (user:password, token=…); hidden by default",
    )
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
