"""/healthz and /metrics: what a process supervisor and Prometheus ask.

`/healthz` answers 200 with a JSON report when the database answers and the poll scheduler
(where this process runs one) is alive, else 503 with the same report:

    {"status": "ok", "database": "ok", "scheduler": "alive",
     "last_successful_poll_age_seconds": 42.0, "sender_backlog": 0}
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime
from typing import Any, Final

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot import metrics
from bot.web import WebServer
from storage import deliveries as delivery_store
from storage import sources as source_store
from storage.types import utcnow

DATABASE_TIMEOUT_SECONDS: Final = 3.0


class Health:
    """Reads the state of this process and of the database for /healthz."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        scheduler_alive: Callable[[], bool] | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._sessions = sessions
        self._scheduler_alive = scheduler_alive
        self._clock = clock

    async def report(self) -> tuple[bool, dict[str, Any]]:
        """(healthy, the report)."""
        report: dict[str, Any] = {}
        healthy = True
        try:
            async with asyncio.timeout(DATABASE_TIMEOUT_SECONDS):
                async with self._sessions() as session:
                    last = await source_store.last_success(session)
                    backlog = await delivery_store.waiting_count(session, due_by=self._clock())
            report["database"] = "ok"
            report["last_successful_poll_age_seconds"] = (
                round((self._clock() - last).total_seconds(), 1) if last is not None else None
            )
            report["sender_backlog"] = backlog
        except Exception as exc:
            healthy = False
            report["database"] = f"unreachable: {type(exc).__name__}"
        if self._scheduler_alive is not None:
            alive = self._scheduler_alive()
            report["scheduler"] = "alive" if alive else "stopped"
            healthy = healthy and alive
        report["status"] = "ok" if healthy else "failing"
        return healthy, report

    async def healthz(self, _request: web.Request) -> web.StreamResponse:
        healthy, report = await self.report()
        return web.json_response(report, status=200 if healthy else 503)

    async def metrics(self, _request: web.Request) -> web.StreamResponse:
        body, content_type = await metrics.render(self._sessions)
        response = web.Response(body=body)
        response.headers["Content-Type"] = content_type
        return response

    def add_routes(self, web_server: WebServer) -> None:
        web_server.add_route("GET", "/healthz", self.healthz)
        web_server.add_route("GET", "/metrics", self.metrics)
