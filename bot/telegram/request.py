"""python-telegram-bot's HTTP transport over aiohttp.

PTB ships ``HTTPXRequest``; against a local Bot API stand-in this one sends about five times
as many messages per second (``python -m bench.telegram_transport``). Use it as

    bot = telegram.Bot(token, request=AiohttpRequest(), get_updates_request=AiohttpRequest())

Defaults and error mapping follow ``HTTPXRequest``: timeouts raise ``telegram.error.TimedOut``,
every other transport failure ``telegram.error.NetworkError``; the Bot API's own answers
(400, 403, 429, ...) are returned as ``(status, body)`` for PTB to turn into its errors.

aiohttp has no per-write timeout. ``write_timeout`` (``media_write_timeout`` for uploads) is
therefore enforced as part of a bound on the whole exchange once a pool slot is held:
connect + write + read seconds, unbounded when any of the three is ``None``.
"""

from __future__ import annotations

import asyncio
import logging

import aiohttp
from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import ODVInput
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

_LOGGER = logging.getLogger(__name__)


def _total(*parts: float | None) -> float | None:
    if any(part is None for part in parts):
        return None
    return sum(part for part in parts if part is not None)


class AiohttpRequest(BaseRequest):
    """A ``telegram.request.BaseRequest`` with one ``aiohttp.ClientSession`` per instance.

    The session is opened by ``initialize()`` (``Bot.initialize`` / ``async with bot`` call it)
    and closed by ``shutdown()``; ``connection_pool_size`` caps its open connections.
    """

    __slots__ = (
        "_connect_timeout",
        "_connection_pool_size",
        "_media_write_timeout",
        "_pool",
        "_pool_timeout",
        "_read_timeout",
        "_session",
        "_write_timeout",
    )

    def __init__(
        self,
        connection_pool_size: int = 256,
        read_timeout: float | None = 5.0,
        write_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0,
        media_write_timeout: float | None = 20.0,
    ) -> None:
        if connection_pool_size < 1:
            raise ValueError("connection_pool_size must be at least 1")
        self._connection_pool_size = connection_pool_size
        self._read_timeout = read_timeout
        self._write_timeout = write_timeout
        self._connect_timeout = connect_timeout
        self._pool_timeout = pool_timeout
        self._media_write_timeout = media_write_timeout
        self._session: aiohttp.ClientSession | None = None
        # The pool wait is ours, not the connector's, so that it has a timeout of its own and
        # the connector (limited to as many connections) never makes a request wait.
        self._pool = asyncio.Semaphore(connection_pool_size)

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    @property
    def connection_pool_size(self) -> int:
        return self._connection_pool_size

    @property
    def is_initialized(self) -> bool:
        return self._session is not None and not self._session.closed

    async def initialize(self) -> None:
        if self.is_initialized:
            return
        self._session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(
                limit=self._connection_pool_size, limit_per_host=self._connection_pool_size
            ),
            headers={"User-Agent": self.USER_AGENT},
            timeout=self._timeout(self._read_timeout, self._write_timeout, self._connect_timeout),
        )

    async def shutdown(self) -> None:
        session, self._session = self._session, None
        if session is None or session.closed:
            _LOGGER.debug("This AiohttpRequest is already shut down. Returning.")
            return
        await session.close()

    @staticmethod
    def _timeout(
        read: float | None, write: float | None, connect: float | None
    ) -> aiohttp.ClientTimeout:
        return aiohttp.ClientTimeout(
            total=_total(connect, write, read),
            connect=connect,
            sock_connect=connect,
            sock_read=read,
        )

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        session = self._session
        if session is None or session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")

        files = request_data.multipart_data if request_data else None
        parameters = request_data.json_parameters if request_data else None

        if isinstance(read_timeout, DefaultValue):
            read_timeout = self._read_timeout
        if isinstance(connect_timeout, DefaultValue):
            connect_timeout = self._connect_timeout
        if isinstance(pool_timeout, DefaultValue):
            pool_timeout = self._pool_timeout
        if isinstance(write_timeout, DefaultValue):
            write_timeout = self._media_write_timeout if files else self._write_timeout

        body: aiohttp.FormData | dict[str, str] | None
        if files:
            body = aiohttp.FormData(parameters or {})
            for name, (filename, content, mime_type) in files.items():
                body.add_field(name, content, filename=filename, content_type=mime_type)
        else:
            body = parameters or None

        try:
            async with asyncio.timeout(pool_timeout):
                await self._pool.acquire()
        except TimeoutError as err:
            raise TimedOut(
                message=(
                    "Pool timeout: All connections in the connection pool are occupied. "
                    "Request was *not* sent to Telegram. Consider adjusting the connection "
                    "pool size or the pool timeout."
                )
            ) from err
        try:
            async with session.request(
                method,
                url,
                data=body,
                timeout=self._timeout(read_timeout, write_timeout, connect_timeout),
            ) as response:
                return response.status, await response.read()
        except TimeoutError as err:
            raise TimedOut from err
        except aiohttp.ClientError as err:
            raise NetworkError(f"aiohttp.{err.__class__.__name__}: {err}") from err
        finally:
            self._pool.release()
