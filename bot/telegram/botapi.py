"""A lean Bot API client for the outbox: JSON over one aiohttp session, answers kept as dicts.

python-telegram-bot builds an object tree for every answer and form-encodes every request;
at thousands of sends a second that is most of the cost. The sender needs a message id or
the error, so it calls the Bot API directly:

    async with BotApi(base_url, token, connections=100) as api:
        message = await api.call("sendMessage", {"chat_id": 42, "text": "hi"})

An error answer raises `BotApiError` with Telegram's code, description and parameters; a
transport failure (refused, reset, timeout, a body that is not JSON) raises
`BotApiNetworkError`.
"""

from __future__ import annotations

import json
from types import TracebackType
from typing import Any, Self

import aiohttp

Json = dict[str, Any]


class BotApiError(Exception):
    """Telegram answered `ok: false`."""

    def __init__(
        self,
        status: int,
        description: str,
        *,
        retry_after: float | None = None,
        migrate_to_chat_id: int | None = None,
    ) -> None:
        super().__init__(f"{description} ({status})")
        self.status = status
        self.description = description
        self.retry_after = retry_after
        self.migrate_to_chat_id = migrate_to_chat_id


class BotApiNetworkError(Exception):
    """No answer from Telegram that could be read."""


class BotApi:
    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        connections: int = 100,
        connect_timeout: float = 5.0,
        read_timeout: float = 30.0,
    ) -> None:
        self._prefix = f"{base_url}{token}/"
        self._connections = connections
        self._timeout = aiohttp.ClientTimeout(
            total=None, connect=connect_timeout, sock_read=read_timeout
        )
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> Self:
        self._session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=self._connections, limit_per_host=0),
            timeout=self._timeout,
            json_serialize=_dumps,
            headers={"Content-Type": "application/json"},
        )
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def call(self, method: str, params: Json) -> Any:
        """The method's result; raises BotApiError or BotApiNetworkError."""
        return await self.call_encoded(method, _dumps(params).encode())

    async def call_to_chat(self, method: str, chat_id: int, encoded_rest: bytes) -> Any:
        """`call` with the parameters but chat_id already JSON-encoded (`encode_rest`): the
        same post to many chats is encoded once."""
        return await self.call_encoded(method, b'{"chat_id":%d,%s' % (chat_id, encoded_rest))

    async def call_encoded(self, method: str, body: bytes) -> Any:
        if self._session is None:
            raise RuntimeError("BotApi is not open: use `async with BotApi(...)`")
        try:
            async with self._session.post(self._prefix + method, data=body) as response:
                raw = await response.read()
                status = response.status
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise BotApiNetworkError(f"{type(exc).__name__}: {exc}") from exc
        try:
            answer = json.loads(raw)
        except ValueError:
            raise BotApiNetworkError(f"HTTP {status}: the answer is not JSON") from None
        if not isinstance(answer, dict):
            raise BotApiNetworkError(f"HTTP {status}: the answer is not a JSON object")
        if answer.get("ok") is True:
            return answer.get("result")
        parameters = answer.get("parameters") or {}
        raise BotApiError(
            int(answer.get("error_code") or status),
            str(answer.get("description") or f"HTTP {status}"),
            retry_after=_number(parameters.get("retry_after")),
            migrate_to_chat_id=_integer(parameters.get("migrate_to_chat_id")),
        )


def encode_rest(params: Json) -> bytes:
    """The JSON of `params` (not empty, without chat_id) after its opening brace."""
    if not params or "chat_id" in params:
        raise ValueError("params must be given, without chat_id")
    return _dumps(params).encode()[1:]


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _integer(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None
