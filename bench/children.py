"""A server a benchmark runs in a child process, so that its CPU and memory are not counted
as the measured process': it prints `{"base_url": …}` on its first line, then answers each
command line on its standard input with one JSON line."""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any, Self


class ChildServer:
    def __init__(self, process: asyncio.subprocess.Process, base_url: str) -> None:
        self.process = process
        self.base_url = base_url

    @classmethod
    async def start(cls, module: str, *args: str) -> Self:
        """`python -m module args…`, once it says where it listens."""
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            module,
            *args,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        assert process.stdout is not None
        line = await process.stdout.readline()
        if not line:
            raise RuntimeError(f"the server of {module} did not start")
        return cls(process, json.loads(line)["base_url"])

    async def ask(self, command: str) -> dict[str, Any]:
        assert self.process.stdin is not None
        assert self.process.stdout is not None
        self.process.stdin.write(f"{command}\n".encode())
        await self.process.stdin.drain()
        answer: dict[str, Any] = json.loads(await self.process.stdout.readline())
        return answer

    async def stop(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        try:
            await asyncio.wait_for(self.process.wait(), 10)
        except TimeoutError:
            self.process.kill()
            await self.process.wait()
