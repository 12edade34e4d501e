"""`nashra run` as a child process, for the tests that run the real thing end to end."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from tests.fakes.telegram_server import DEFAULT_TOKEN


def run_environment(database_url: str, api_base_url: str, **env: str) -> dict[str, str]:
    """The environment of a `nashra run` against a fake Bot API, polling every 0.2 s."""
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "TELEGRAM_BOT_TOKEN": DEFAULT_TOKEN,
        "TELEGRAM_API_BASE_URL": api_base_url,
        "POLL_TICK_SECONDS": "0.2",
        "FULLTEXT_MIN_CHARS": "0",
        "POST_PHOTOS": "false",
        **env,
    }


async def start_run(
    env: dict[str, str], log: Path, role: str | None = None, *, module: str = "bot.cli"
) -> asyncio.subprocess.Process:
    """`nashra run` (`--role role` when given) started with `env`, its log (stderr) written
    to `log`; `module` is what `python -m` runs (one that runs the CLI its own way)."""
    roles = [] if role is None else ["--role", role]
    with log.open("wb") as stderr:
        return await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            module,
            "run",
            *roles,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=stderr,
            env=env,
        )
