"""Nashra's own HTTP server (aiohttp.web): the Telegram webhook now, /healthz and /metrics later.

    web = WebServer("127.0.0.1", 8080)
    web.add_route("GET", "/healthz", healthz)      # routes are added before start()
    async with web:                                # listening until the block ends
        ...

`webhook_handler` is the POST handler Telegram calls in webhook mode: it checks the secret
token header, turns the JSON body into a `telegram.Update` and queues it for the Application.
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from types import TracebackType
from typing import Any, Final, Self

from aiohttp import web
from aiohttp.typedefs import Middleware
from telegram import Update
from telegram.ext import Application

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
SECRET_HEADER: Final = "X-Telegram-Bot-Api-Secret-Token"
SHUTDOWN_TIMEOUT_SECONDS: Final = 5.0


class WebServer:
    """One aiohttp AppRunner on `host:port` (port 0: any free port, see `port` once started)."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        middlewares: Sequence[Middleware] = (),
        shutdown_timeout: float = SHUTDOWN_TIMEOUT_SECONDS,
    ) -> None:
        self.host = host
        self._requested_port = port
        self._shutdown_timeout = shutdown_timeout
        self._app = web.Application(middlewares=list(middlewares))
        self._runner: web.AppRunner | None = None
        self._port: int | None = None

    def add_route(self, method: str, path: str, handler: Handler) -> None:
        """Serve `method path` with `handler`; only before the server is started."""
        if self._runner is not None:
            raise RuntimeError("routes are added before the web server starts")
        self._app.router.add_route(method, path, handler)

    @property
    def running(self) -> bool:
        return self._runner is not None

    @property
    def port(self) -> int:
        """The port listened on (the one chosen by the system when 0 was asked)."""
        if self._port is None:
            raise RuntimeError("the web server is not started")
        return self._port

    @property
    def url(self) -> str:
        """`http://host:port` of the running server."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    async def start(self) -> None:
        if self._runner is not None:
            return
        runner = web.AppRunner(
            self._app,
            access_log=None,
            handle_signals=False,
            shutdown_timeout=self._shutdown_timeout,
        )
        await runner.setup()
        try:
            await web.TCPSite(runner, self.host, self._requested_port).start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        address = runner.addresses[0]
        self._port = int(address[1])
        log.info("web server listening on %s:%d", self.host, self._port)

    async def stop(self) -> None:
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()
            log.info("web server stopped")

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()


def webhook_handler(application: Application[Any, Any, Any, Any, Any, Any], secret: str) -> Handler:
    """The POST handler for Telegram's webhook calls.

    403 unless the secret token header equals `secret`; 400 for a body that is not an update
    (nothing of the body is logged); otherwise the update is queued for the Application and
    answered 200 at once.
    """
    expected = secret.encode()

    async def handle(request: web.Request) -> web.StreamResponse:
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, expected):
            log.warning("webhook call from %s refused: wrong or missing secret", request.remote)
            return web.Response(status=403, text="forbidden")
        try:
            data = json.loads(await request.read())
            if not isinstance(data, dict) or type(data.get("update_id")) is not int:
                raise ValueError("not an update")
            update = Update.de_json(data, application.bot)
        except (ValueError, TypeError, KeyError, AttributeError):
            log.warning("webhook call from %s refused: the body is not an update", request.remote)
            return web.Response(status=400, text="bad request")
        await application.update_queue.put(update)
        return web.Response(text="ok")

    return handle
