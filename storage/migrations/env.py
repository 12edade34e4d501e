"""Alembic environment: runs on the connection handed in by storage.migrate."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from storage.models import Base

target_metadata = Base.metadata


def run_migrations(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        run_migrations(connection)
        return
    import asyncio

    from storage.db import create_engine

    url = context.config.get_main_option("sqlalchemy.url")
    if not url:
        from bot.settings import load_settings

        url = load_settings().database_url

    async def _run() -> None:
        engine = create_engine(url)
        async with engine.begin() as conn:
            await conn.run_sync(run_migrations)
        await engine.dispose()

    asyncio.run(_run())


if context.is_offline_mode():
    raise SystemExit("offline (SQL script) migrations are not supported; run `nashra db upgrade`")
run_online()
