"""The migrations build the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import Connection, inspect, select, text

from bot.text.fold import alias_key
from storage.categories import find_category
from storage.migrate import current_revision, downgrade, upgrade
from storage.models import Base, Category
from storage.search import is_search_table
from tests.conftest import Database


def _tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


async def test_migrations_create_every_model_table(database: Database) -> None:
    async with database.engine.connect() as connection:
        tables = await connection.run_sync(_tables)
    assert set(Base.metadata.tables) <= tables
    assert await current_revision(database.engine) is not None


async def test_migrations_match_the_models(database: Database) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    def diff(connection: Connection) -> list[object]:
        # The search index is the migrations' own (storage/search.py): no model describes it.
        def include_name(name: str | None, type_: str, _parent: object) -> bool:
            return not (type_ == "table" and name is not None and is_search_table(name))

        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_name": include_name}
        )
        return list(compare_metadata(context, Base.metadata))

    async with database.engine.connect() as connection:
        assert await connection.run_sync(diff) == []


async def test_default_categories_are_seeded_with_both_languages(database: Database) -> None:
    async with database.sessions() as session:
        slugs = set(await session.scalars(select(Category.slug)))
        politics = await find_category(session, alias_key("سياسة"))
        economy = await find_category(session, alias_key("#Economy"))
    assert {"politics", "economy", "world", "local", "sports", "technology", "health"} <= slugs
    assert {"culture", "general"} <= slugs
    assert politics is not None
    assert politics.slug == "politics"
    assert politics.names == {"ar": "سياسة", "en": "Politics"}
    assert economy is not None
    assert economy.slug == "economy"


async def test_downgrade_to_base_and_upgrade_again(database: Database) -> None:
    await downgrade(database.engine, "base")
    async with database.engine.connect() as connection:
        assert "articles" not in await connection.run_sync(_tables)
    await upgrade(database.engine)
    async with database.engine.connect() as connection:
        count = await connection.scalar(text("SELECT count(*) FROM categories"))
    assert count == 9


async def test_sqlite_runs_in_wal_mode_with_foreign_keys(database: Database) -> None:
    if database.kind != "sqlite":
        return
    async with database.engine.connect() as connection:
        assert await connection.scalar(text("PRAGMA journal_mode")) == "wal"
        assert await connection.scalar(text("PRAGMA foreign_keys")) == 1
