"""A DNS resolver for tests: names answer from a table, so any name can reach 127.0.0.1."""

from __future__ import annotations

import socket

from aiohttp.abc import AbstractResolver, ResolveResult


class FakeResolver(AbstractResolver):
    """Answers names from a table; a name with several answers gives the next on each call."""

    def __init__(self, answers: dict[str, list[list[str]]]) -> None:
        self.answers = answers
        self.calls: list[str] = []

    @classmethod
    def pointing(cls, names: list[str], address: str = "127.0.0.1") -> FakeResolver:
        """Every name in `names` answering `address`, always."""
        return cls({name: [[address]] for name in names})

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        self.calls.append(host)
        queue = self.answers.get(host)
        if not queue:
            raise OSError(socket.EAI_NONAME, f"no such name {host}")
        addresses = queue.pop(0) if len(queue) > 1 else queue[0]
        return [
            ResolveResult(
                hostname=host,
                host=address,
                port=port,
                family=socket.AF_INET6 if ":" in address else socket.AF_INET,
                proto=0,
                flags=socket.AI_NUMERICHOST,
            )
            for address in addresses
        ]

    async def close(self) -> None:
        return None
