"""Alembic environment: runs on the connection handed in by storage.migrate."""

from __future__ import annotations

import asyncio
import os

from alembic import context
from dotenv import dotenv_values
from sqlalchemy import Connection

from storage.db import create_engine
from storage.models import Base
from storage.search import is_search_table

DEFAULT_URL = "sqlite+aiosqlite:///data/nashra.db"

target_metadata = Base.metadata


def include_name(name: str | None, type_: str, _parent: object) -> bool:
    """What autogenerate compares: not the search index, which no model describes."""
    return not (type_ == "table" and name is not None and is_search_table(name))


def run_migrations(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_name=include_name,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        run_migrations(connection)
        return
    url = (
        context.config.get_main_option("sqlalchemy.url")
        or os.environ.get("DATABASE_URL")
        or dotenv_values(".env").get("DATABASE_URL")
        or DEFAULT_URL
    )

    async def _run() -> None:
        engine = create_engine(url)
        async with engine.begin() as conn:
            await conn.run_sync(run_migrations)
        await engine.dispose()

    asyncio.run(_run())


if context.is_offline_mode():
    raise SystemExit("offline (SQL script) migrations are not supported; run `nashra db upgrade`")
run_online()
