"""Who holds a lease (a source being polled, a delivery being sent), and freeing the leases
of this host's dead workers at start-up instead of waiting for them to run out."""

from __future__ import annotations

import logging
import os
import socket
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage import claims as claim_store
from storage import sources as source_store

log = logging.getLogger(__name__)


def worker_id() -> str:
    """`host:pid`: unique among the workers alive at one time."""
    return f"{socket.gethostname()}:{os.getpid()}"


def is_dead_local(owner: str) -> bool:
    """Whether `owner` was a worker of this host that is gone: its process no longer exists,
    or it had our own pid (an earlier run of this process, as in a restarted container)."""
    host, _, pid_text = owner.rpartition(":")
    if host != socket.gethostname() or not pid_text.isdecimal():
        return False
    pid = int(pid_text)
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


async def release_dead_local_leases(
    sessions: async_sessionmaker[AsyncSession], *, now: datetime
) -> tuple[int, int]:
    """Free what dead workers of this host held; returns (sources, deliveries) freed."""
    async with sessions.begin() as session:
        owners = await source_store.lease_owners(session, now=now)
        owners |= await claim_store.lease_owners(session)
        dead = sorted(owner for owner in owners if is_dead_local(owner))
        if not dead:
            return 0, 0
        sources = await source_store.release_leases(session, dead)
        deliveries = await claim_store.release_leases(session, dead)
    if sources or deliveries:
        log.warning(
            "released what dead workers held: %d sources, %d deliveries (%s)",
            sources,
            deliveries,
            ", ".join(dead),
        )
    return sources, deliveries
