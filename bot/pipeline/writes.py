"""Group commit for the poller's writes: one transaction carries every outcome waiting."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage import sources as source_store
from storage.sources import PollRecord


class PollWriter:
    """Serializes the poller's write transactions and batches small ones.

    SQLite has one writer at a time: taking turns here avoids its busy-wait, and while one
    transaction runs, the outcomes that arrive meanwhile queue up and go in the next one.
    """

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions
        self._lock = asyncio.Lock()
        self._pending: list[tuple[PollRecord, asyncio.Future[None]]] = []

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A write transaction of its own, taken in turn with every other write."""
        async with self._lock, self._sessions.begin() as session:
            yield session

    async def record(self, record: PollRecord) -> None:
        """Save a poll outcome; returns once it is committed."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending.append((record, done))
        async with self._lock:
            if not done.done():
                batch, self._pending = self._pending, []
                try:
                    async with self._sessions.begin() as session:
                        await source_store.record_polls(session, [r for r, _ in batch])
                except BaseException as exc:
                    error = exc if isinstance(exc, Exception) else RuntimeError("write cancelled")
                    for _, future in batch:
                        if future is not done:
                            future.set_exception(error)
                    raise
                for _, future in batch:
                    future.set_result(None)
        await done
