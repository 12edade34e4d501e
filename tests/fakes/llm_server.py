"""A fake OpenAI-compatible chat-completions endpoint (aiohttp.web on 127.0.0.1, random port).

    async with FakeLLMServer() as server:
        server.script(Reply.summary("headline", "summary."), Reply.error(429))
        settings = Settings(llm_base_url=server.base_url, llm_model="fake", ...)
        ...
        assert server.requests[0].body["model"] == "fake"

`POST /v1/chat/completions` answers with the scripted replies in order, then with the
default reply (a Reply, or a function of the request giving one: a stand-in model that
answers what it is asked, say a translation). Every request is recorded (headers and JSON
body); `max_in_flight` is the most requests being answered at once.
"""

from __future__ import annotations

import asyncio
import json
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Self

from aiohttp import web
from multidict import CIMultiDict

from bot.web import WebServer

CHAT_PATH = "/v1/chat/completions"


@dataclass(frozen=True, slots=True)
class Reply:
    """One answer: a chat completion whose message is `content`, or a raw `body`."""

    status: int = 200
    content: str | None = None
    body: bytes | None = None
    delay: float = 0.0
    headers: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def summary(
        cls, headline: str, summary: str, *, fenced: bool = False, chatter: bool = False
    ) -> Reply:
        """A JSON answer, optionally in a ```json fence or with words around it."""
        text = json.dumps({"headline": headline, "summary": summary}, ensure_ascii=False)
        if fenced:
            text = f"```json\n{text}\n```"
        if chatter:
            text = f"Sure! Here is the summary you asked for:\n{text}\nI hope this helps."
        return cls(content=text)

    @classmethod
    def text(cls, content: str, *, delay: float = 0.0) -> Reply:
        """Any assistant message text."""
        return cls(content=content, delay=delay)

    @classmethod
    def error(cls, status: int, *, retry_after: int | None = None) -> Reply:
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
        body = json.dumps({"error": {"message": f"fake error {status}", "code": status}})
        return cls(status=status, body=body.encode(), headers=headers)

    @classmethod
    def raw(cls, body: bytes, *, status: int = 200) -> Reply:
        """Bytes as the whole response body (not a chat completion)."""
        return cls(status=status, body=body)

    def delayed(self, seconds: float) -> Reply:
        return Reply(self.status, self.content, self.body, seconds, self.headers)


@dataclass(frozen=True, slots=True)
class LLMRequest:
    path: str
    headers: CIMultiDict[str]
    body: Any

    @property
    def messages(self) -> list[dict[str, str]]:
        messages: list[dict[str, str]] = self.body["messages"]
        return messages

    @property
    def prompt(self) -> str:
        """All message contents, joined."""
        return "\n".join(message["content"] for message in self.messages)

    def tagged(self, tag: str) -> str | None:
        """The text the prompt holds between <tag> and </tag>, stripped; None without one."""
        prompt = self.prompt
        start, end = prompt.find(f"<{tag}>"), prompt.find(f"</{tag}>")
        if start < 0 or end < start:
            return None
        return prompt[start + len(tag) + 2 : end].strip()


Responder = Callable[[LLMRequest], Reply]


class FakeLLMServer:
    """A chat-completions endpoint on 127.0.0.1 answering as the test scripts it."""

    def __init__(self, default: Reply | Responder | None = None) -> None:
        self.default = default or Reply.summary("headline", "A summary.")
        self.requests: list[LLMRequest] = []
        self.max_in_flight = 0
        self._in_flight = 0
        self._replies: deque[Reply] = deque()
        self._web = WebServer("127.0.0.1", 0, shutdown_timeout=0.1)
        self._web.add_route("POST", CHAT_PATH, self._chat)

    async def __aenter__(self) -> Self:
        await self._web.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self._web.stop()

    @property
    def base_url(self) -> str:
        """What LLM_BASE_URL should be (the endpoint is `{base_url}/chat/completions`)."""
        return f"{self._web.url}/v1"

    def script(self, *replies: Reply) -> None:
        """Answer the next requests with `replies`, in order, before the default."""
        self._replies.extend(replies)

    async def _chat(self, request: web.Request) -> web.StreamResponse:
        raw = await request.read()
        try:
            body: Any = json.loads(raw)
        except ValueError:
            body = None
        asked = LLMRequest(request.path, CIMultiDict(request.headers), body)
        self.requests.append(asked)
        reply = self._replies.popleft() if self._replies else self.default
        if not isinstance(reply, Reply):
            reply = reply(asked)
        self._in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self._in_flight)
        try:
            if reply.delay:
                await asyncio.sleep(reply.delay)
            return self._response(reply, body)
        finally:
            self._in_flight -= 1

    def _response(self, reply: Reply, body: Any) -> web.Response:
        if reply.body is not None:
            return web.Response(
                status=reply.status,
                body=reply.body,
                headers=dict(reply.headers),
                content_type="application/json",
            )
        model = body.get("model") if isinstance(body, dict) else None
        completion = {
            "id": "chatcmpl-fake",
            "object": "chat.completion",
            "created": 0,
            "model": model,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": reply.content},
                    "finish_reason": "stop",
                }
            ],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
        }
        return web.json_response(completion, status=reply.status, headers=dict(reply.headers))
