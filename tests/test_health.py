"""/healthz and /metrics on the project's web server, and JSON log lines."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest
from sqlalchemy import update

from bot.health import Health
from bot.logs import JsonFormatter, SecretFilter
from bot.web import WebServer
from storage.db import create_engine, create_sessionmaker
from storage.models import Source
from tests.conftest import Database
from tests.fakes.telegram_server import DEFAULT_TOKEN
from tests.outboxes import Seeder


@pytest.fixture
async def served(database: Database) -> AsyncIterator[tuple[WebServer, list[bool]]]:
    alive = [True]
    health = Health(database.sessions, scheduler_alive=lambda: alive[0])
    web = WebServer("127.0.0.1", 0)
    health.add_routes(web)
    async with web:
        yield web, alive


async def get(web: WebServer, path: str) -> tuple[int, str, str]:
    async with aiohttp.ClientSession() as client, client.get(web.url + path) as response:
        return response.status, response.headers["Content-Type"], await response.text()


async def test_healthz_reports_database_scheduler_poll_age_and_backlog(
    database: Database, served: tuple[WebServer, list[bool]]
) -> None:
    web, alive = served
    status, _, body = await get(web, "/healthz")
    assert status == 200
    assert json.loads(body) == {
        "status": "ok",
        "database": "ok",
        "scheduler": "alive",
        "last_successful_poll_age_seconds": None,
        "sender_backlog": 0,
    }
    seed = Seeder(database)
    await seed.chat(1)
    await seed.chat(2)
    await seed.article("خبر")
    async with database.sessions.begin() as session:
        await session.execute(
            update(Source).values(last_success_at=datetime.now(UTC) - timedelta(minutes=5))
        )
    report = json.loads((await get(web, "/healthz"))[2])
    assert report["sender_backlog"] == 2
    assert 299 <= report["last_successful_poll_age_seconds"] <= 330
    alive[0] = False
    status, _, body = await get(web, "/healthz")
    assert status == 503
    assert json.loads(body)["scheduler"] == "stopped"


async def test_healthz_fails_when_the_database_is_unreachable() -> None:
    engine = create_engine("postgresql+asyncpg://postgres@127.0.0.1:1/none")
    try:
        healthy, report = await Health(create_sessionmaker(engine)).report()
    finally:
        await engine.dispose()
    assert not healthy
    assert report["status"] == "failing"
    assert report["database"].startswith("unreachable")


async def test_metrics_are_prometheus_text_with_the_outbox_depth(
    database: Database, served: tuple[WebServer, list[bool]]
) -> None:
    web, _ = served
    seed = Seeder(database)
    for chat in (1, 2, 3):
        await seed.chat(chat)
    await seed.article("خبر")
    status, content_type, body = await get(web, "/metrics")
    assert status == 200
    assert content_type.startswith("text/plain")
    assert 'nashra_outbox_deliveries{state="pending"} 3.0' in body
    for family in (
        "nashra_polls_total",
        "nashra_fetch_errors_total",
        "nashra_articles_total",
        "nashra_deliveries_total",
        "nashra_telegram_429_total",
        "nashra_send_seconds",
        "nashra_fetch_to_send_seconds",
    ):
        assert f"# TYPE {family.removesuffix('_total')}" in body


def test_json_log_lines_carry_ids_and_tracebacks_without_secrets() -> None:
    formatter = JsonFormatter()
    secret = SecretFilter([DEFAULT_TOKEN])
    try:
        raise RuntimeError(f"call to /bot{DEFAULT_TOKEN}/sendMessage failed")
    except RuntimeError:
        record = logging.LogRecord(
            "bot.deliver.sender", logging.ERROR, __file__, 1, "chat %s: %s", (42, "boom"), None
        )
        record.exc_info = sys.exc_info()
    record.chat_id = 42
    assert secret.filter(record)
    line = formatter.format(record)
    entry = json.loads(line)
    assert entry["level"] == "ERROR"
    assert entry["logger"] == "bot.deliver.sender"
    assert entry["message"] == "chat 42: boom"
    assert entry["chat_id"] == 42
    assert "RuntimeError" in entry["exception"]
    assert DEFAULT_TOKEN not in line
    assert DEFAULT_TOKEN.split(":")[1] not in line
    assert "\n" not in line
