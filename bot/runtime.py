"""What every command needs, opened once and closed once: database and HTTP session."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.compose.compose import Composer
from bot.compose.llm import LLMEndpoint, LLMSummarizer
from bot.compose.translate import Translator
from bot.ingest.fetch import Fetcher
from bot.pipeline.articles import Pipeline
from bot.services.catalog import CategoryCache
from bot.settings import Settings
from storage.db import create_engine, create_sessionmaker
from storage.migrate import upgrade


@dataclass(frozen=True, slots=True)
class Runtime:
    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    fetcher: Fetcher
    composer: Composer
    pipeline: Pipeline
    categories: CategoryCache
    translator: Translator | None = None  # with an LLM endpoint configured


@asynccontextmanager
async def open_database(
    settings: Settings, *, migrate: bool = True
) -> AsyncIterator[tuple[AsyncEngine, async_sessionmaker[AsyncSession]]]:
    """The engine and sessions, migrated to the newest schema unless told otherwise."""
    engine = create_engine(settings.database_url, echo=settings.database_echo)
    try:
        if migrate:
            await upgrade(engine)
        yield engine, create_sessionmaker(engine)
    finally:
        await engine.dispose()


@asynccontextmanager
async def open_runtime(settings: Settings, *, migrate: bool = True) -> AsyncIterator[Runtime]:
    async with (
        open_database(settings, migrate=migrate) as (engine, sessions),
        Fetcher(settings) as fetcher,
    ):
        endpoint = (
            LLMEndpoint(settings, fetcher.session)
            if settings.llm_base_url and settings.llm_model
            else None
        )
        llm = (
            LLMSummarizer(settings, fetcher.session, endpoint)
            if settings.summarizer == "llm"
            else None
        )
        composer = Composer(settings, llm)
        yield Runtime(
            settings,
            engine,
            sessions,
            fetcher,
            composer,
            Pipeline(settings, fetcher, composer),
            CategoryCache(sessions),
            Translator(endpoint) if endpoint is not None else None,
        )
