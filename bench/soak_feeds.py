"""The soak's web: every source's feed on one local server (tests/fakes/feed_server.py), in a
process of its own (bench/children.py), publishing entries as the plan says and misbehaving as
each source's kind says (bench/soak_plan.py).

A feed holds its newest WINDOW entries and answers conditional requests by ETag. An entry
counts as *served* once a 200 answer carrying it has been written out whole: what the bot
was given is what it owes its readers. Commands (one JSON line answers each): `start
SECONDS` (publish over that many seconds from now), `stop` (publish nothing more), `unasked`
(how many answering sources were not asked for since `stop`), `close` (every feed answers
503 from now on), `served` (the entries first served since the last ask), `stats`, `dump
PATH` (every entry published, with its story and when it was first served).
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import json
import random
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

from aiohttp import web

from bench import soak_text
from bench.soak_plan import Entry, Kind, SourcePlan, schedule
from tests.fakes.feed_server import FeedServer
from tests.fakes.feeds import Item, article_page, rss

WINDOW: Final = 25  # entries a feed keeps
HANG_SECONDS: Final = 30.0  # past the bot's 20 s read timeout
RETRY_AFTER_SECONDS: Final = 60
FLAKY_SHARE: Final = 1 / 3
HANG_SHARE: Final = 0.4
HTML: Final = "text/html; charset=utf-8"
ANSWERING: Final = frozenset({Kind.REGULAR, Kind.BUSY, Kind.SLOW, Kind.TEASER})

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(slots=True)
class Feed:
    plan: SourcePlan
    entries: list[tuple[Entry, Item]] = field(default_factory=list)
    version: int = 0
    body: tuple[int, bytes, bytes] | None = None  # version, plain, gzip


class Web:
    def __init__(self, server: FeedServer, plans: list[SourcePlan], seed: int) -> None:
        self.server = server
        self.seed = seed
        self.feeds = [Feed(plan) for plan in plans]
        self.rng = random.Random(f"faults-{seed}")
        self.published: list[Entry] = []
        self.served: dict[tuple[int, int], float] = {}
        self.fresh: list[tuple[int, int]] = []  # served since the last `served` command
        self.statuses: Counter[str] = Counter()
        self.closed = False
        self.started = 0.0
        self.stopped: float | None = None
        self.asked: dict[int, float] = {}  # source number → when its feed was last asked for
        for feed in self.feeds:
            server.add_handler(feed.plan.path, self._handler(feed))

    def url(self, path: str) -> str:
        return self.server.url(path)

    # -- publishing --

    async def publish(self, entries: list[Entry]) -> None:
        for entry in entries:
            delay = self.started + entry.at - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            feed = self.feeds[entry.source]
            feed.entries = [*feed.entries[-(WINDOW - 1) :], (entry, self._item(feed, entry))]
            feed.version += 1
            self.published.append(entry)

    def _item(self, feed: Feed, entry: Entry) -> Item:
        language = feed.plan.language
        story = random.Random(f"story-{self.seed}-{entry.story}")
        title = soak_text.headline(story, language)
        text = soak_text.paragraphs(story, language, 3)  # 9 sentences or more: no teaser
        link = self.url(f"/a/{entry.source}/{entry.seq}")
        description = "\n\n".join(text)
        if feed.plan.kind is Kind.TEASER:
            description = text[0].split(".")[0] + "."
            page = article_page(title, [*text, *soak_text.paragraphs(story, language, 2)])
            if entry.seq % 5 == 0:
                self.server.add_handler(link_path(link), _slow_page(page))
            else:
                self.server.add(link_path(link), page, content_type=HTML)
        return Item(
            title,
            link=link,
            guid=f"outlet{entry.source}-{entry.seq}",
            description=description,
            published=datetime.now(UTC),
            image_url=self.url(f"/img/{entry.source}/{entry.seq}.jpg") if entry.image else None,
        )

    # -- serving --

    def _handler(self, feed: Feed) -> Handler:
        async def serve(request: web.Request) -> web.StreamResponse:
            self.asked[feed.plan.number] = time.monotonic()
            response = await self._answer(feed, request)
            self.statuses[f"{feed.plan.kind}:{response.status}"] += 1
            return response

        return serve

    async def _answer(self, feed: Feed, request: web.Request) -> web.StreamResponse:
        kind = feed.plan.kind
        if self.closed:
            return web.Response(status=503, headers={"Retry-After": "3600"})
        if kind is Kind.DEAD:
            return _dead(feed.plan.number)
        if kind is Kind.FLAKY and self.rng.random() < FLAKY_SHARE:
            return self.rng.choice(_FAILURES)()
        if kind is Kind.TIMEOUT and self.rng.random() < HANG_SHARE:
            await asyncio.sleep(HANG_SECONDS)
            return web.Response(status=504)
        if kind is Kind.SLOW:
            await asyncio.sleep(self.rng.uniform(2, 8))
        etag = f'"v{feed.version}"'
        if request.headers.get("If-None-Match") == etag:
            return web.Response(status=304, headers={"ETag": etag})
        _, plain, packed = self._body(feed)
        headers = {"Content-Type": "application/rss+xml; charset=utf-8", "ETag": etag}
        body = plain
        if "gzip" in request.headers.get("Accept-Encoding", ""):
            headers["Content-Encoding"], body = "gzip", packed
        shown = [entry for entry, _ in feed.entries]
        response = web.Response(body=body, headers=headers)
        try:
            await response.prepare(request)
            await response.write_eof()
        except ConnectionError:
            return response
        now = time.monotonic() - self.started
        for entry in shown:
            key = (entry.source, entry.seq)
            if key not in self.served:
                self.served[key] = now
                self.fresh.append(key)
        return response

    def _body(self, feed: Feed) -> tuple[int, bytes, bytes]:
        if feed.body is None or feed.body[0] != feed.version:
            plan = feed.plan
            document = rss(
                [item for _, item in reversed(feed.entries)],
                title=f"outlet {plan.number}",
                link=f"https://outlet{plan.number}.example/",
                language=plan.language,
            )
            feed.body = (feed.version, document, gzip.compress(document, compresslevel=5))
        return feed.body

    # -- commands --

    def stats(self) -> dict[str, Any]:
        return {
            "published": len(self.published),
            "served": len(self.served),
            "statuses": dict(self.statuses),
        }

    def unasked(self) -> list[int]:
        """Sources that answer (regular, busy, slow, teaser) not asked for since `stop`."""
        since = self.stopped or time.monotonic()
        return [
            feed.plan.number
            for feed in self.feeds
            if feed.plan.kind in ANSWERING and self.asked.get(feed.plan.number, 0.0) < since
        ]

    def dump(self, path: str) -> None:
        rows = [
            {
                "source": e.source,
                "seq": e.seq,
                "story": e.story,
                "at": round(e.at, 3),
                "served": self.served.get((e.source, e.seq)),
            }
            for e in self.published
        ]
        with open(path, "w", encoding="utf-8") as out:
            json.dump({"entries": rows, "statuses": dict(self.statuses)}, out)


def link_path(link: str) -> str:
    return "/" + link.split("/", 3)[3]


def _slow_page(page: bytes) -> Handler:
    async def slow(request: web.Request) -> web.StreamResponse:
        await asyncio.sleep(3)
        return web.Response(body=page, content_type="text/html", charset="utf-8")

    return slow


def _dead(number: int) -> web.Response:
    if number % 3 == 0:
        return web.Response(status=404, text="not found")
    if number % 3 == 1:
        return web.Response(status=410, text="gone")
    return web.Response(text="<html><body><p>We moved.</p></body></html>", content_type="text/html")


def _error(status: int) -> web.Response:
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)} if status == 503 else {}
    return web.Response(status=status, text=f"error {status}", headers=headers)


_FAILURES: Final[tuple[Callable[[], web.Response], ...]] = (
    lambda: _error(500),
    lambda: _error(502),
    lambda: _error(503),
)


async def serve(plans: list[SourcePlan], seed: int) -> None:
    """The feed server's process: prints its base URL, then answers commands until stdin ends."""
    loop = asyncio.get_running_loop()
    async with FeedServer() as server:
        web_ = Web(server, plans, seed)
        print(json.dumps({"base_url": server.url("/")}), flush=True)
        publishing: asyncio.Task[None] | None = None
        while line := await loop.run_in_executor(None, sys.stdin.readline):
            command, _, argument = line.strip().partition(" ")
            server.reset_stats()  # the request log is not needed: keep memory flat
            answer: dict[str, Any] = {}
            if command == "start":
                web_.started = time.monotonic()
                entries = schedule(plans, float(argument), seed)
                publishing = asyncio.create_task(web_.publish(entries))
                answer = {"planned": len(entries)}
            elif command == "stop" and publishing is not None:
                publishing.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await publishing
                web_.stopped = time.monotonic()
            elif command == "unasked":
                answer = {"unasked": web_.unasked()}
            elif command == "close":
                web_.closed = True
            elif command == "served":
                answer = {"served": web_.fresh}
                web_.fresh = []
            elif command == "stats":
                answer = web_.stats()
            elif command == "dump":
                web_.dump(argument)
            print(json.dumps(answer), flush=True)
