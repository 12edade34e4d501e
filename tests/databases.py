"""Real databases for tests: a migrated SQLite file, or a PostgreSQL database, per test.

Both are copied from a template migrated once per test session, so every test starts from
the schema the migrations build (the migrations themselves are under test) at little cost.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import shutil
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg

from storage.db import create_engine
from storage.migrate import upgrade

PG_DSN = os.environ.get("NASHRA_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")
REQUIRE_POSTGRES = os.environ.get("NASHRA_REQUIRE_POSTGRES") == "1"
_counter = itertools.count()


def run_outside_loop(coroutine: Coroutine[Any, Any, None]) -> None:
    """Run a coroutine to completion on its own loop in a thread (fixtures may be inside one)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, coroutine).result()


def _sqlalchemy_url(dsn: str, database: str) -> str:
    base = dsn.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://", 1)
    return f"{base}/{database}"


async def _migrate(url: str) -> None:
    engine = create_engine(url)
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()


def postgres_unreachable_reason() -> str | None:
    """None when the test PostgreSQL server answers, else why not."""

    async def probe() -> None:
        connection = await asyncpg.connect(PG_DSN, timeout=3)
        await connection.close()

    try:
        run_outside_loop(probe())
    except Exception as exc:
        return f"PostgreSQL at {PG_DSN} is not reachable ({type(exc).__name__}: {exc})"
    return None


@dataclass
class SqliteTemplate:
    path: Path

    @classmethod
    def build(cls, directory: Path) -> SqliteTemplate:
        path = directory / "template.db"
        run_outside_loop(_migrate(f"sqlite+aiosqlite:///{path}"))
        return cls(path)

    def new_url(self, directory: Path) -> str:
        target = directory / f"test-{next(_counter)}.db"
        shutil.copyfile(self.path, target)
        return f"sqlite+aiosqlite:///{target}"

    def drop(self, url: str) -> None:
        """Nothing to do: the file lives in the test's own temporary directory."""


@dataclass
class PostgresTemplate:
    name: str

    @classmethod
    def build(cls) -> PostgresTemplate:
        name = f"nashra_tpl_{os.getpid()}"

        async def create() -> None:
            admin = await asyncpg.connect(PG_DSN)
            try:
                await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                await admin.execute(f'CREATE DATABASE "{name}"')
            finally:
                await admin.close()
            await _migrate(_sqlalchemy_url(PG_DSN, name))

        run_outside_loop(create())
        return cls(name)

    async def new_url(self) -> str:
        database = f"nashra_t_{os.getpid()}_{next(_counter)}"
        admin = await asyncpg.connect(PG_DSN)
        try:
            await admin.execute(f'CREATE DATABASE "{database}" TEMPLATE "{self.name}"')
        finally:
            await admin.close()
        return _sqlalchemy_url(PG_DSN, database)

    async def drop(self, url: str) -> None:
        database = url.rsplit("/", 1)[1]
        admin = await asyncpg.connect(PG_DSN)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        finally:
            await admin.close()

    def destroy(self) -> None:
        async def drop_template() -> None:
            admin = await asyncpg.connect(PG_DSN)
            try:
                await admin.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
            finally:
                await admin.close()

        run_outside_loop(drop_template())
