"""The overall pacer, granted windows, flood detection, and the rate budget shared in the
database by several senders."""

from __future__ import annotations

import asyncio
import itertools

from bot.deliver.limits import FloodWatch, Pacer
from storage import budgets as budget_store
from tests.conftest import Database


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_slots_are_spaced_one_interval_apart() -> None:
    clock = Clock()
    pacer = Pacer(10.0, clock)
    waits = [pacer.reserve() for _ in range(5)]
    assert [round(w, 6) for w in waits] == [0.0, 0.1, 0.2, 0.3, 0.4]


def test_granted_slots_come_first_and_never_closer_than_an_interval() -> None:
    clock = Clock()
    pacer = Pacer(10.0, clock)
    pacer.grant(2.0, 3)  # a window reserved from the shared budget, two seconds away
    waits = [pacer.reserve() for _ in range(4)]
    assert [round(w, 6) for w in waits] == [2.0, 2.1, 2.2, 2.3]


def test_granted_slots_long_past_are_dropped_not_bunched() -> None:
    clock = Clock()
    pacer = Pacer(10.0, clock)
    pacer.grant(0.0, 10)
    clock.now += 5.0
    waits = [pacer.reserve() for _ in range(3)]
    assert [round(w, 6) for w in waits] == [0.0, 0.1, 0.2]


def test_a_pause_moves_every_later_slot() -> None:
    clock = Clock()
    pacer = Pacer(10.0, clock)
    pacer.reserve()
    pacer.pause(3.0)
    assert round(pacer.reserve(), 6) == 3.0


async def test_a_pause_during_a_wait_moves_that_wait_too() -> None:
    pacer = Pacer(50.0)
    pacer.reserve()
    waiting = asyncio.create_task(pacer.acquire())
    await asyncio.sleep(0.005)
    loop = asyncio.get_running_loop()
    started = loop.time()
    pacer.pause(0.3)
    await waiting
    assert loop.time() - started >= 0.28


def test_429s_from_three_chats_within_a_second_are_the_bots_limit() -> None:
    clock = Clock()
    watch = FloodWatch(clock)
    assert not watch.bot_wide(1)
    assert not watch.bot_wide(1)
    clock.now += 2.0
    assert not watch.bot_wide(2)
    assert not watch.bot_wide(3)
    assert watch.bot_wide(4)


async def test_windows_reserved_by_several_senders_never_overlap(database: Database) -> None:
    async with database.sessions.begin() as session:
        await budget_store.ensure_budget(session, "telegram:1")

    async def reserve(span: float) -> tuple[float, float]:
        async with database.sessions.begin() as session:
            start = await budget_store.reserve(session, "telegram:1", now=1000.0, span=span)
        return start, start + span

    windows = await asyncio.gather(*(reserve(0.5) for _ in range(8)))
    ordered = sorted(windows)
    assert ordered[0][0] == 1000.0
    for (_, end), (start, _) in itertools.pairwise(ordered):
        assert start >= end - 1e-9
    assert abs(ordered[-1][1] - 1004.0) < 1e-9


async def test_a_hold_delays_every_later_window(database: Database) -> None:
    async with database.sessions.begin() as session:
        await budget_store.ensure_budget(session, "telegram:1")
        await budget_store.hold(session, "telegram:1", until=2000.0)
        start = await budget_store.reserve(session, "telegram:1", now=1000.0, span=1.0)
        assert start == 2000.0
        await budget_store.hold(session, "telegram:1", until=1500.0)  # earlier: no effect
        assert await budget_store.reserve(session, "telegram:1", now=1000.0, span=1.0) == 2001.0
