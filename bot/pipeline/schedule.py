"""The poll tick: APScheduler wakes it; what is due is read from the database each time."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.pipeline.poller import Poller
from bot.settings import Settings
from storage.sources import SourceJob

log = logging.getLogger(__name__)


class PollLoop:
    """Each tick claims due sources up to the free capacity and polls each in its own task,
    so a slow source never holds back the next tick or the other sources."""

    def __init__(self, settings: Settings, poller: Poller) -> None:
        self._settings = settings
        self._poller = poller
        self._tasks: set[asyncio.Task[object]] = set()
        self._scheduler = AsyncIOScheduler()
        self._ticking = asyncio.Lock()

    @property
    def alive(self) -> bool:
        """Whether the scheduler is running (for /healthz)."""
        return bool(self._scheduler.running)

    @property
    def in_flight(self) -> int:
        return len(self._tasks)

    def start(self) -> None:
        self._scheduler.add_job(
            self.tick,
            "interval",
            seconds=self._settings.poll_tick_seconds,
            id="poll-tick",
            max_instances=1,
            coalesce=True,
            next_run_time=None,
        )
        self._scheduler.start()
        self._scheduler.modify_job("poll-tick", next_run_time=datetime.now(UTC))

    async def tick(self) -> int:
        """Start polls for the due sources that fit; returns how many started."""
        free = self._settings.poll_batch_size - len(self._tasks)
        if free <= 0:
            return 0
        async with self._ticking:
            try:
                jobs = await self._poller.claim(free)
            except Exception:
                log.exception("poll tick could not read due sources")
                return 0
        for job in jobs:
            task: asyncio.Task[object] = asyncio.create_task(self._poll(job))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return len(jobs)

    async def _poll(self, job: SourceJob) -> None:
        try:
            await self._poller.poll(job)
        except Exception:
            # Even the failure could not be recorded (the database is away): the lease runs
            # out and the source is polled again.
            log.exception("poll of source %s was not recorded", job.id)

    async def stop(self) -> None:
        """No more ticks; a tick in progress ends first (shutting the scheduler down would
        cancel it mid-claim), then the polls in progress get a while to finish."""
        if self._scheduler.running:
            self._scheduler.pause()
            async with self._ticking:
                self._scheduler.shutdown(wait=False)
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=self._settings.fetch_total_timeout)
        for task in self._tasks:
            task.cancel()
