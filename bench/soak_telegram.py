"""The soak's Telegram: the fake Bot API (tests/fakes/telegram_server.py) in a process of its
own (bench/children.py), knowing every chat of the plan, enforcing Telegram's limits, failing
a few sends at random (500, 502 from the nginx front, 503, and now and then a 429), and
playing the plan's chat events (blocked, deleted, kicked, removed, migrated) on time.

Every second it hands what it recorded to a JSON-lines file, one line per sent message
(`{"t", "c": chat, "m": method, "k": [[source, seq], …]}`: the articles it carries, read from
its links), per refused send (`{"t", "c", "s": status, "i": injected, "d": description}`) and
per chat event (`{"t", "c", "ev", "new"}`); times are seconds after `start`. Commands: `start
SECONDS`, `stats`, `flush`.
"""

from __future__ import annotations

import asyncio
import json
import re
import sys
import time
from collections import Counter
from typing import IO, Any, Final

from bench.soak_plan import ChatEvent, ChatPlan, Event
from storage.models import ChatKind
from tests.fakes.telegram_server import ApiError, FakeTelegram, RecordedRequest, SentMessage

FAIL_RATE: Final = 0.0045  # of send calls; one failure in nine is a 429
FAILURES: Final = (
    *(ApiError.server_error(),) * 3,
    *(ApiError.bad_gateway(),) * 3,
    *(ApiError.server_error(503),) * 2,
    ApiError.too_many_requests(2),
)
SENDS: Final = ("sendMessage", "sendPhoto")
ARTICLE_LINK: Final = re.compile(r"/a/(\d+)/(\d+)")
ADMIN: Final = 700_000_001  # the user who removes the bot from groups and channels


class Telegram:
    def __init__(
        self, tg: FakeTelegram, chats: list[ChatPlan], events: list[ChatEvent], out: IO[str]
    ) -> None:
        self.tg = tg
        self.events = events
        self.out = out
        self.started = time.monotonic()
        self.counts: Counter[str] = Counter()
        for chat in chats:
            tg.add_chat(chat.telegram_id, chat.kind.value)
            if chat.kind is ChatKind.CHANNEL:
                tg.set_member(chat.telegram_id, tg.bot_id, "administrator", can_post_messages=True)

    def configure(self, rate: float, seed: int) -> None:
        self.tg.limits(overall_per_s=rate, per_chat_per_s=1, per_group_per_min=20)
        for n, method in enumerate(SENDS):
            self.tg.fail_randomly(method, rate=FAIL_RATE, errors=FAILURES, seed=seed * 10 + n)

    def now(self) -> float:
        return round(time.monotonic() - self.started, 3)

    async def play(self, window: float) -> None:
        for event in self.events:
            delay = self.started + event.at * window - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            self._apply(event)
            self._write({"t": self.now(), "c": event.telegram_id, "ev": event.event.value,
                         "new": event.new_id})  # fmt: skip

    def _apply(self, event: ChatEvent) -> None:
        chat = event.telegram_id
        if event.event is Event.BLOCKED:
            self.tg.inject_my_chat_member(chat, chat, "member", "kicked")
        elif event.event is Event.DEACTIVATED:
            for method in SENDS:
                self.tg.fail_next(
                    method,
                    chat_id=chat,
                    times=10**9,
                    error=ApiError.forbidden("user is deactivated"),
                )
        elif event.event is Event.KICKED:
            self.tg.inject_my_chat_member(chat, ADMIN, "member", "kicked")
        elif event.event is Event.REMOVED:
            self.tg.inject_my_chat_member(chat, ADMIN, "administrator", "left")
        elif event.event is Event.MIGRATED and event.new_id is not None:
            self.tg.upgrade_to_supergroup(chat, event.new_id)

    def flush(self) -> None:
        requests, sent = self.tg.take_records()
        for request in requests:
            self._request(request)
        for message in sent:
            self._sent(message)
        self.out.flush()

    def _request(self, request: RecordedRequest) -> None:
        self.counts[f"{request.method}:{request.status}"] += 1
        if request.method in SENDS and request.status != 200:
            if request.injected:
                self.counts["injected"] += 1
            self._write(
                {
                    "t": round(request.time - self.started, 3),
                    "c": request.params.get("chat_id"),
                    "s": request.status,
                    "i": request.injected,
                }
            )

    def _sent(self, message: SentMessage) -> None:
        searched = message.text + json.dumps(message.reply_markup or {})
        keys = sorted({(int(s), int(e)) for s, e in ARTICLE_LINK.findall(searched)})
        self.counts["items"] += len(keys)
        self.counts["digests"] += len(keys) > 1
        self._write({"t": self.now(), "c": message.chat_id, "m": message.method, "k": keys})

    def _write(self, record: dict[str, Any]) -> None:
        self.out.write(json.dumps(record, separators=(",", ":")) + "\n")


async def serve(
    chats: list[ChatPlan], events: list[ChatEvent], rate: float, seed: int, out: IO[str]
) -> None:
    """The Bot API's process: prints its base URL, then answers commands until stdin ends;
    records go to `out`."""
    loop = asyncio.get_running_loop()
    async with FakeTelegram() as tg:
        telegram = Telegram(tg, chats, events, out)
        telegram.configure(rate, seed)
        print(json.dumps({"base_url": tg.base_url}), flush=True)
        tasks: list[asyncio.Task[None]] = [asyncio.create_task(_flushing(telegram))]
        while line := await loop.run_in_executor(None, sys.stdin.readline):
            command, _, argument = line.strip().partition(" ")
            answer: dict[str, Any] = {}
            if command == "start":
                telegram.started = time.monotonic()
                tasks.append(asyncio.create_task(telegram.play(float(argument))))
            elif command in ("stats", "flush"):
                telegram.flush()
                answer = dict(telegram.counts) | {"throttled": dict(tg.throttled)}
            print(json.dumps(answer), flush=True)
        for task in tasks:
            task.cancel()
        telegram.flush()


async def _flushing(telegram: Telegram) -> None:
    while True:
        await asyncio.sleep(1.0)
        telegram.flush()
