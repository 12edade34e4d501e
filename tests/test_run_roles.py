"""`nashra run --role …` as real processes: what each role starts, health and metrics."""

from __future__ import annotations

import asyncio
import json
import signal
import socket
import sys
from pathlib import Path

import aiohttp

from tests.fakes.telegram_server import FakeTelegram
from tests.processes import run_environment, start_run


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def fetch(url: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as client, client.get(url) as response:
        return response.status, await response.text()


async def wait_for_http(url: str, seconds: float = 30.0) -> tuple[int, str]:
    deadline = asyncio.get_running_loop().time() + seconds
    while True:
        try:
            return await fetch(url)
        except aiohttp.ClientConnectionError:
            if asyncio.get_running_loop().time() > deadline:
                raise
            await asyncio.sleep(0.1)


async def test_a_sender_needs_the_token(tmp_path: Path) -> None:
    env = run_environment(f"sqlite+aiosqlite:///{tmp_path}/n.db", "http://127.0.0.1:9/bot")
    env.pop("TELEGRAM_BOT_TOKEN")
    env["TELEGRAM_BOT_TOKEN"] = ""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "run",
        "--role",
        "sender",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
    )
    _, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 2
    assert "--role sender needs TELEGRAM_BOT_TOKEN" in err.decode()


async def test_a_poller_serves_health_and_metrics_and_sends_nothing(tmp_path: Path) -> None:
    port = free_port()
    async with FakeTelegram() as tg:
        env = run_environment(
            f"sqlite+aiosqlite:///{tmp_path}/n.db",
            tg.base_url,
            HEALTH_PORT=str(port),
            LOG_FORMAT="json",
            LOG_LEVEL="INFO",
        )
        log = tmp_path / "poller.log"
        process = await start_run(env, log, role="poller")
        try:
            status, body = await wait_for_http(f"http://127.0.0.1:{port}/healthz")
            assert status == 200, body
            report = json.loads(body)
            assert report["scheduler"] == "alive"
            assert report["database"] == "ok"
            status, body = await fetch(f"http://127.0.0.1:{port}/metrics")
            assert status == 200
            assert 'nashra_outbox_deliveries{state="pending"} 0.0' in body
        finally:
            process.send_signal(signal.SIGTERM)
            assert await asyncio.wait_for(process.wait(), 30) == 0
        # A poller neither answers updates nor sends: it never called the Bot API.
        assert tg.requests == []
    lines = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
    assert any(entry["message"] == "nashra running as poller" for entry in lines)
    assert all({"time", "level", "logger", "message"} <= entry.keys() for entry in lines)


async def test_without_a_token_or_sources_run_says_what_to_do_once(tmp_path: Path) -> None:
    env = run_environment(f"sqlite+aiosqlite:///{tmp_path}/n.db", "http://127.0.0.1:9/bot")
    env["TELEGRAM_BOT_TOKEN"] = ""
    log = tmp_path / "run.log"
    process = await start_run(env, log)
    try:
        deadline = asyncio.get_running_loop().time() + 60
        while "nashra running as all" not in log.read_text():
            assert asyncio.get_running_loop().time() < deadline, log.read_text()
            assert process.returncode is None, log.read_text()
            await asyncio.sleep(0.1)
    finally:
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), 30) == 0
    text = log.read_text()
    assert text.count("@BotFather") == 1
    assert "TELEGRAM_BOT_TOKEN=" in text
    assert text.count("nashra sources add URL") == 1


async def test_an_allowlist_wider_than_a_slash_8_is_warned_about_at_start(tmp_path: Path) -> None:
    env = run_environment(f"sqlite+aiosqlite:///{tmp_path}/n.db", "http://127.0.0.1:9/bot")
    env["TELEGRAM_BOT_TOKEN"] = ""
    env["FETCH_ALLOW_NETWORKS"] = "127.0.0.1/32,0.0.0.0/0,::/0"
    log = tmp_path / "run.log"
    process = await start_run(env, log)
    try:
        deadline = asyncio.get_running_loop().time() + 60
        while "nashra running as all" not in log.read_text():
            assert asyncio.get_running_loop().time() < deadline, log.read_text()
            await asyncio.sleep(0.1)
    finally:
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), 30) == 0
    text = log.read_text()
    assert "FETCH_ALLOW_NETWORKS allows 0.0.0.0/0" in text
    assert "FETCH_ALLOW_NETWORKS allows ::/0" in text
    assert "allows 127.0.0.1/32" not in text
