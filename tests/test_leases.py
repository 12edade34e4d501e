"""Leases of this host's dead workers are freed at start-up; live workers' are kept."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from bot.leases import is_dead_local, release_dead_local_leases, worker_id
from storage import claims as claim_store
from storage.models import Delivery, DeliveryState, Source
from tests.conftest import Database
from tests.outboxes import Seeder

HOST = socket.gethostname()


def dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_who_is_a_dead_worker_of_this_host() -> None:
    assert is_dead_local(worker_id())  # our own pid: an earlier run of this process
    assert is_dead_local(f"{HOST}:{dead_pid()}")
    assert not is_dead_local(f"{HOST}:{os.getppid()}")  # alive
    assert not is_dead_local(f"another-host:{dead_pid()}")
    assert not is_dead_local("garbage")
    assert not is_dead_local(f"{HOST}:not-a-pid")


async def test_start_up_frees_what_dead_local_workers_held(database: Database) -> None:
    seed = Seeder(database)
    await seed.chat(1)
    await seed.chat(2)
    await seed.article("خبر")
    now = datetime.now(UTC)
    dead = f"{HOST}:{dead_pid()}"
    alive = f"{HOST}:{os.getppid()}"
    async with database.sessions.begin() as session:
        [first, second] = await claim_store.claim(
            session, now=now, limit=1, owner=dead, lease=timedelta(minutes=5)
        ) + await claim_store.claim(
            session, now=now, limit=1, owner=alive, lease=timedelta(minutes=5)
        )
        await session.execute(
            update(Source).values(lease_owner=dead, lease_until=now + timedelta(minutes=10))
        )
    assert await release_dead_local_leases(database.sessions, now=now) == (1, 1)
    async with database.sessions() as session:
        source = await session.scalar(select(Source))
        states = dict((await session.execute(select(Delivery.id, Delivery.state))).all())
    assert source is not None
    assert source.lease_owner is None
    assert states[first.ids[0]] is DeliveryState.PENDING
    assert states[second.ids[0]] is DeliveryState.SENDING
