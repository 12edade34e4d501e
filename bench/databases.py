"""A fresh database for one benchmark run: a SQLite file in a temporary directory, or a
PostgreSQL database created for the run (server from NASHRA_BENCH_POSTGRES)."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Awaitable, Callable

PG_ADMIN = os.environ.get("NASHRA_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")


async def fresh_database(db: str, name: str) -> tuple[str, Callable[[], Awaitable[None]]]:
    """(SQLAlchemy URL, an async function that removes the database) for `db` sqlite or
    postgres; `name` tells this benchmark's PostgreSQL databases apart."""
    if db == "sqlite":
        directory = tempfile.mkdtemp(prefix=f"{name}-")

        async def remove_directory() -> None:
            shutil.rmtree(directory, ignore_errors=True)

        return f"sqlite+aiosqlite:///{directory}/bench.db", remove_directory
    import asyncpg

    database = f"{name}_{os.getpid()}"
    admin = await asyncpg.connect(PG_ADMIN)
    await admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    await admin.execute(f'CREATE DATABASE "{database}"')
    await admin.close()

    async def drop() -> None:
        connection = await asyncpg.connect(PG_ADMIN)
        await connection.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        await connection.close()

    base = PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://", 1)
    return f"{base}/{database}", drop
