"""Shared test fixtures: the evalsets location and a guard that keeps all traffic on loopback."""

from __future__ import annotations

import ipaddress
import os
import socket
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import hypothesis
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.settings import Settings
from storage.db import create_engine, create_sessionmaker
from tests.databases import (
    REQUIRE_POSTGRES,
    PostgresTemplate,
    SqliteTemplate,
    postgres_unreachable_reason,
)

EVALSETS = Path(__file__).resolve().parents[2] / "shared" / "evalsets"

# Tests build their own Settings: a developer's .env must not change what they test.
Settings.model_config["env_file"] = None
# Every test server listens on loopback, which the fetcher's SSRF guard refuses by default:
# open it for every Settings built in tests and every `nashra` subprocess they start (both
# read the environment). tests/test_ssrf.py sets the allowlist explicitly.
os.environ.setdefault("FETCH_ALLOW_NETWORKS", "127.0.0.1/32,::1/128")

# CI runs property tests on a fixed seed so a run is repeatable; developers' runs explore.
hypothesis.settings.register_profile("ci", derandomize=True)
if os.environ.get("CI"):
    hypothesis.settings.load_profile("ci")


def evalset(*parts: str) -> Path:
    """A path inside ../shared/evalsets, skipping the test (saying why) where it is absent."""
    path = EVALSETS.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"evalset {path} is absent (../shared/evalsets is not beside this checkout)")
    return path


def _is_loopback(host: Any) -> bool:
    if not isinstance(host, str):
        return True
    if host in {"localhost", ""}:
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


@pytest.fixture(autouse=True)
def _loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Refuse any connection or name lookup that would leave 127.0.0.1 / ::1."""
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex
    real_getaddrinfo = socket.getaddrinfo

    def _check(sock: socket.socket, address: Any) -> None:
        if sock.family in (socket.AF_INET, socket.AF_INET6) and not _is_loopback(address[0]):
            raise ConnectionRefusedError(f"tests may only connect to loopback, not {address!r}")

    def connect(sock: socket.socket, address: Any) -> None:
        _check(sock, address)
        real_connect(sock, address)

    def connect_ex(sock: socket.socket, address: Any) -> int:
        _check(sock, address)
        return real_connect_ex(sock, address)

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(host, bytes):
            host = host.decode()
        if not _is_loopback(host):
            raise socket.gaierror(socket.EAI_NONAME, f"tests may not resolve {host!r}")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return


# ---- databases ------------------------------------------------------------------------------


@dataclass
class Database:
    url: str
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]

    @property
    def kind(self) -> str:
        return "sqlite" if self.url.startswith("sqlite") else "postgres"


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> SqliteTemplate:
    return SqliteTemplate.build(tmp_path_factory.mktemp("sqlite-template"))


@pytest.fixture(scope="session")
def postgres_template() -> Iterator[PostgresTemplate]:
    reason = postgres_unreachable_reason()
    if reason is not None:
        if REQUIRE_POSTGRES:
            pytest.fail(f"NASHRA_REQUIRE_POSTGRES=1 but {reason}")
        pytest.skip(reason)
    template = PostgresTemplate.build()
    yield template
    template.destroy()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def database(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    """A freshly migrated real database: a SQLite file, then PostgreSQL."""
    if request.param == "sqlite":
        template: SqliteTemplate = request.getfixturevalue("sqlite_template")
        url = template.new_url(tmp_path)
    else:
        pg: PostgresTemplate = request.getfixturevalue("postgres_template")
        url = await pg.new_url()
    engine = create_engine(url)
    try:
        yield Database(url, engine, create_sessionmaker(engine))
    finally:
        await engine.dispose()
        if request.param == "postgres":
            await pg.drop(url)
