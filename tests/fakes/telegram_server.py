"""A fake Telegram Bot API server (aiohttp.web on 127.0.0.1, random port).

    async with FakeTelegram(token=TOKEN, bot_username="nashra_test_bot") as tg:
        tg.add_chat(-1001, "supergroup", title="News")
        async with telegram.Bot(TOKEN, base_url=tg.base_url) as bot:
            tg.inject_message(42, 42, "/start")
            updates = await bot.get_updates(timeout=1)
            await bot.send_message(-1001, "<b>hi</b>", parse_mode="HTML")
        assert tg.sent_messages(-1001)[0].plain_text == "hi"

Requests are answered like https://core.telegram.org/bots/api answers them: `{"ok": true,
"result": ...}` or `{"ok": false, "error_code": ..., "description": ..., "parameters": ...}`
with the HTTP status equal to `error_code`. The token travels in the path
(`/bot<token>/<method>`), method names are case-insensitive, and parameters may come as a
query string, JSON, form data (values of object parameters JSON-encoded, as python-telegram-bot
sends them) or multipart form data (uploads, `attach://<name>` references).

Chats, users and memberships are scripted (`add_chat`, `add_user`, `set_member`,
`upgrade_to_supergroup`, forum topics with `add_chat(..., is_forum=True)` and `create_topic`,
`close_topic`, `delete_topic`: see tests/fakes/telegram_topics.py); updates are injected
(`inject_message`, `inject_callback`, `inject_my_chat_member`, `inject_channel_post`,
`inject_inline_query`, `inject_raw`) and handed out by `getUpdates`
until an offset confirms them. Everything the bot asks is recorded (`requests`, `calls`,
`sent_messages`, `commands`; `take_records` hands them over and forgets them, for long runs).
Errors come on demand (`fail_next` with an `ApiError`) or at random (`fail_randomly`), answers
can be slowed (`delay`), and optional token-bucket rate limits (`limits`) answer 429 and count
them in `throttled`.

Fidelity notes: HTML parse mode is checked as Telegram checks it (its tags only, balanced,
its error texts with UTF-8 byte offsets; a stray '&' stays text, as Telegram keeps it), and
text is trimmed and limited to 4096 characters (captions 1024) after parsing. Markdown parse
modes are not checked. Requests with a wrong token are answered 401/404 and not recorded.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import random
import re
import string
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Self

from aiohttp import web

from bot.web import WebServer
from tests.fakes.telegram_topics import (
    ForumTopics,
    InlineAnswerError,
    TopicError,
    check_inline_answer,
)

Json = dict[str, Any]

DEFAULT_TOKEN = "123456789:AAFakeTokenForNashraTests_0123456789"
MESSAGE_MAX = 4096
CAPTION_MAX = 1024
CHAT_TYPES = frozenset({"private", "group", "supergroup", "channel"})
MEMBER_STATUSES = frozenset({"creator", "administrator", "member", "restricted", "left", "kicked"})
# What getUpdates delivers when allowed_updates was never given or given as [].
DEFAULT_ALLOWED = frozenset(
    {
        "message",
        "edited_message",
        "channel_post",
        "edited_channel_post",
        "business_connection",
        "business_message",
        "edited_business_message",
        "deleted_business_messages",
        "inline_query",
        "chosen_inline_result",
        "callback_query",
        "shipping_query",
        "pre_checkout_query",
        "purchased_paid_media",
        "poll",
        "poll_answer",
        "my_chat_member",
        "chat_join_request",
        "chat_boost",
        "removed_chat_boost",
    }
)
# Parameters whose form-encoded values are JSON (python-telegram-bot json.dumps non-strings).
JSON_PARAMS = frozenset(
    {
        "reply_markup",
        "commands",
        "scope",
        "allowed_updates",
        "entities",
        "caption_entities",
        "link_preview_options",
        "reply_parameters",
        "media",
        "permissions",
        "results",
        "button",
    }
)
_TOKEN_SHAPE = re.compile(r"\d+:[A-Za-z0-9_-]+")
_COMMAND = re.compile(r"(?<!\S)/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?")
_BOT_COMMAND_NAME = re.compile(r"[a-z0-9_]{1,32}")
_NGINX_502 = (
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx/1.18.0</center>\r\n"
    "</body>\r\n</html>\r\n"
)


# ---- errors -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ApiError:
    """One error answer. `raw_body` replaces the JSON body (a proxy's HTML page, say)."""

    status: int
    description: str
    parameters: Mapping[str, int] | None = None
    raw_body: str | None = None

    @classmethod
    def bad_request(cls, description: str) -> ApiError:
        """400 `Bad Request: <description>`."""
        return cls(400, f"Bad Request: {description}")

    @classmethod
    def forbidden(cls, description: str = "bot was blocked by the user") -> ApiError:
        """403 `Forbidden: <description>`."""
        return cls(403, f"Forbidden: {description}")

    @classmethod
    def blocked(cls) -> ApiError:
        """403 `Forbidden: bot was blocked by the user`."""
        return cls.forbidden("bot was blocked by the user")

    @classmethod
    def too_many_requests(cls, retry_after: int = 5) -> ApiError:
        """429 with `parameters.retry_after`."""
        return cls(
            429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after}
        )

    @classmethod
    def chat_migrated(cls, migrate_to_chat_id: int) -> ApiError:
        """400 for a group upgraded to a supergroup, with `parameters.migrate_to_chat_id`."""
        return cls(
            400,
            "Bad Request: group chat was upgraded to a supergroup chat",
            {"migrate_to_chat_id": migrate_to_chat_id},
        )

    @classmethod
    def cant_parse_entities(
        cls, detail: str = 'Unsupported start tag "div" at byte offset 0'
    ) -> ApiError:
        """400 `Bad Request: can't parse entities: <detail>`."""
        return cls.bad_request(f"can't parse entities: {detail}")

    @classmethod
    def chat_not_found(cls) -> ApiError:
        return cls.bad_request("chat not found")

    @classmethod
    def server_error(cls, status: int = 500) -> ApiError:
        """A 5xx JSON answer (`Internal Server Error` for 500)."""
        description = "Internal Server Error" if status == 500 else f"Server Error {status}"
        return cls(status, description)

    @classmethod
    def bad_gateway(cls) -> ApiError:
        """502 with the HTML page Telegram's nginx front answers when the backend is away."""
        return cls(502, "Bad Gateway", raw_body=_NGINX_502)

    @classmethod
    def conflict(cls, description: str) -> ApiError:
        return cls(409, f"Conflict: {description}")

    def response(self) -> web.Response:
        if self.raw_body is not None:
            return web.Response(status=self.status, text=self.raw_body, content_type="text/html")
        body: Json = {"ok": False, "error_code": self.status, "description": self.description}
        if self.parameters:
            body["parameters"] = dict(self.parameters)
        return web.json_response(body, status=self.status)


class _Reject(Exception):
    def __init__(self, error: ApiError) -> None:
        super().__init__(error.description)
        self.error = error


def _bad(description: str) -> _Reject:
    return _Reject(ApiError.bad_request(description))


# ---- Telegram's HTML parse mode ---------------------------------------------------------------


class HtmlParseError(ValueError):
    """What follows `can't parse entities: ` in Telegram's answer."""


_TAG_ENTITY = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "span": "spoiler",
    "tg-spoiler": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
_NAME_CHARS = frozenset(string.ascii_letters + string.digits + "_-")
_HTML_ENTITY = re.compile(r"&(?:#([0-9]{1,8})|#[xX]([0-9a-fA-F]{1,8})|(lt|gt|amp|quot));")
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit of Telegram's entity offsets."""
    return len(text.encode("utf-16-le")) // 2


def _decode_entity(source: str, i: int) -> tuple[str, int]:
    match = _HTML_ENTITY.match(source, i)
    if match is None:
        return "&", i + 1  # Telegram keeps an unrecognised '&' as text
    decimal, hexadecimal, name = match.groups()
    if name is not None:
        return _NAMED[name], match.end()
    code = int(decimal) if decimal is not None else int(hexadecimal, 16)
    if not 0 < code <= 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        return "&", i + 1
    return chr(code), match.end()


def _decode_entities(raw: str) -> str:
    parts: list[str] = []
    i = 0
    while i < len(raw):
        if raw[i] == "&":
            decoded, i = _decode_entity(raw, i)
            parts.append(decoded)
        else:
            j = raw.find("&", i)
            j = len(raw) if j == -1 else j
            parts.append(raw[i:j])
            i = j
    return "".join(parts)


@dataclass(slots=True)
class _OpenTag:
    name: str
    start: int
    argument: str


def parse_html(source: str) -> tuple[str, list[Json]]:
    """Text and entities (UTF-16 offsets) of `source` in Telegram's HTML parse mode.

    Raises HtmlParseError with Telegram's wording for unsupported, unclosed, unbalanced
    or malformed tags.
    """
    out: list[str] = []
    length = 0
    stack: list[_OpenTag] = []
    entities: list[Json] = []
    i, n = 0, len(source)

    def emit(chunk: str) -> None:
        nonlocal length
        out.append(chunk)
        length += utf16_len(chunk)

    def at(pos: int) -> str:
        return f"at byte offset {len(source[:pos].encode())}"

    def close(tag: _OpenTag) -> None:
        size = length - tag.start
        kind = _TAG_ENTITY[tag.name]
        if tag.name == "code" and tag.argument and stack and stack[-1].name == "pre":
            stack[-1].argument = tag.argument
            return
        if size == 0 or (kind == "text_link" and not tag.argument):
            return
        entity: Json = {"type": kind, "offset": tag.start, "length": size}
        if kind == "text_link":
            entity["url"] = tag.argument
        elif kind == "pre" and tag.argument:
            entity["language"] = tag.argument
        elif kind == "blockquote" and tag.argument:
            entity["type"] = "expandable_blockquote"
        elif kind == "custom_emoji":
            entity["custom_emoji_id"] = tag.argument
        entities.append(entity)

    while i < n:
        char = source[i]
        if char == "&":
            decoded, i = _decode_entity(source, i)
            emit(decoded)
            continue
        if char != "<":
            j = i
            while j < n and source[j] not in "<&":
                j += 1
            emit(source[i:j])
            i = j
            continue
        begin = i
        if i + 1 < n and source[i + 1] == "/":
            j = i + 2
            while j < n and source[j] in _NAME_CHARS:
                j += 1
            name = source[i + 2 : j].lower()
            while j < n and source[j].isspace():
                j += 1
            if j >= n or source[j] != ">":
                raise HtmlParseError(f"Unclosed end tag {at(begin)}")
            if not stack:
                raise HtmlParseError(f"Unexpected end tag {at(begin)}")
            top = stack.pop()
            if name != top.name:
                raise HtmlParseError(
                    f'Unmatched end tag {at(begin)}, expected "</{top.name}>", found "</{name}>"'
                )
            close(top)
            i = j + 1
            continue
        j = i + 1
        while j < n and source[j] in _NAME_CHARS:
            j += 1
        name = source[i + 1 : j].lower()
        if j >= n:
            raise HtmlParseError(f"Unclosed start tag {at(begin)}")
        if name not in _TAG_ENTITY:
            raise HtmlParseError(f'Unsupported start tag "{name}" {at(begin)}')
        argument = ""
        while True:
            while j < n and source[j].isspace():
                j += 1
            if j >= n:
                raise HtmlParseError(f"Unclosed start tag {at(begin)}")
            if source[j] == ">":
                j += 1
                break
            k = j
            while k < n and source[k] in _NAME_CHARS:
                k += 1
            attribute = source[j:k].lower()
            if not attribute:
                raise HtmlParseError(f'Empty attribute name in the tag "{name}" {at(begin)}')
            j = k
            while j < n and source[j].isspace():
                j += 1
            if j >= n:
                raise HtmlParseError(f"Unclosed start tag {at(begin)}")
            if source[j] != "=":
                if name == "blockquote" and attribute == "expandable":
                    argument = "expandable"
                    continue
                raise HtmlParseError(
                    f'Expected equal sign in declaration of an attribute of the tag "{name}" '
                    f"{at(begin)}"
                )
            j += 1
            while j < n and source[j].isspace():
                j += 1
            if j >= n:
                raise HtmlParseError(f"Unclosed start tag {at(begin)}")
            if source[j] in "'\"":
                end = source.find(source[j], j + 1)
                if end == -1:
                    raise HtmlParseError(f"Unclosed start tag {at(begin)}")
                value = _decode_entities(source[j + 1 : end])
                j = end + 1
            else:
                k = j
                while k < n and not source[k].isspace() and source[k] != ">":
                    k += 1
                value = _decode_entities(source[j:k])
                j = k
            if name == "a" and attribute == "href":
                argument = value
            elif name == "code" and attribute == "class" and value.startswith("language-"):
                argument = value.removeprefix("language-")
            elif name == "span" and attribute == "class" and value.startswith("tg-"):
                argument = value.removeprefix("tg-")
            elif name == "tg-emoji" and attribute == "emoji-id":
                argument = value
        if name == "span" and argument != "spoiler":
            raise HtmlParseError(f'Tag "span" must have class "tg-spoiler" {at(begin)}')
        if name == "tg-emoji" and not argument.isdigit():
            raise HtmlParseError("Invalid custom emoji identifier specified")
        stack.append(_OpenTag(name, length, argument))
        i = j
    if stack:
        raise HtmlParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1].name}"')
    entities.sort(key=lambda entity: (entity["offset"], -entity["length"]))
    return "".join(out), entities


def _strip(text: str, entities: list[Json]) -> tuple[str, list[Json]]:
    """Telegram trims whitespace around a message, moving the entities with the text."""
    stripped = text.strip()
    shift = utf16_len(text[: len(text) - len(text.lstrip())])
    total = utf16_len(stripped)
    kept: list[Json] = []
    for entity in entities:
        start = max(entity["offset"] - shift, 0)
        end = min(entity["offset"] + entity["length"] - shift, total)
        if end > start:
            kept.append({**entity, "offset": start, "length": end - start})
    return stripped, kept


def command_entities(text: str) -> list[Json]:
    """The bot_command entities Telegram marks in a user's text (`/cmd`, `/cmd@bot`)."""
    return [
        {"type": "bot_command", "offset": utf16_len(text[: m.start()]), "length": utf16_len(m[0])}
        for m in _COMMAND.finditer(text)
    ]


# ---- records ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class UploadedFile:
    """A file sent in a multipart request."""

    name: str
    filename: str | None
    content_type: str
    data: bytes


@dataclass(slots=True)
class RecordedRequest:
    """One Bot API call: the method's canonical name (or the unknown name as asked), its
    decoded parameters, when it arrived (`time.monotonic()`), the HTTP status answered and
    whether that answer was an error asked for (`fail_next`, `fail_randomly`)."""

    method: str
    params: Json
    time: float
    status: int | None = None
    injected: bool = False


@dataclass(slots=True)
class SentMessage:
    """A message the bot sent, as it stands now (edits update it).

    `text` is the text or caption as the bot sent it (HTML source with parse_mode=HTML),
    `plain_text` and `entities` what Telegram made of it, `message` the Message object
    answered to the bot.
    """

    chat_id: int
    message_id: int
    method: str
    text: str
    parse_mode: str | None
    reply_markup: Json | None
    plain_text: str
    entities: list[Json]
    message: Json
    photo: str | UploadedFile | None = None
    edit_count: int = 0
    deleted: bool = False
    document: str | UploadedFile | None = None

    @property
    def thread_id(self) -> int | None:
        """The forum topic the message went to (None: the chat, or its General topic)."""
        thread: int | None = self.message.get("message_thread_id")
        return thread


@dataclass(slots=True)
class _Chat:
    id: int
    type: str
    title: str | None = None
    username: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    migrated_to: int | None = None
    is_forum: bool = False

    def json(self) -> Json:
        chat: Json = {"id": self.id, "type": self.type}
        for key in ("title", "username", "first_name", "last_name"):
            value = getattr(self, key)
            if value is not None:
                chat[key] = value
        if self.is_forum:
            chat["is_forum"] = True
        return chat


@dataclass(slots=True)
class _Failure:
    method: str
    chat_id: int | str | None
    remaining: int
    error: ApiError


@dataclass(slots=True)
class _RandomFailure:
    rate: float
    errors: tuple[ApiError, ...]
    random: random.Random


@dataclass(slots=True)
class _Bucket:
    rate: float
    capacity: float
    tokens: float
    updated: float

    @classmethod
    def per_second(cls, rate: float, now: float) -> _Bucket:
        return cls(rate, max(rate, 1.0), max(rate, 1.0), now)

    def wait(self, now: float) -> float:
        """Seconds until a token is available (0 when one is)."""
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate


@dataclass(slots=True)
class _Limits:
    overall_per_s: float | None
    per_chat_per_s: float | None
    per_group_per_min: float | None
    overall: _Bucket | None = None
    chats: dict[int, _Bucket] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class _Described:
    result: Any
    description: str


_Handler = Callable[[Json], Awaitable[Any]]


def _normalize_chat_id(value: Any) -> int | str | None:
    if value is None or isinstance(value, int):
        return value
    text = str(value).strip()
    if text.startswith("@"):
        return text.lower()
    try:
        return int(text)
    except ValueError:
        return text


def _int(params: Json, name: str, default: int | None = None) -> int | None:
    value = params.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except (TypeError, ValueError):
        raise _bad(f"invalid {name} specified") from None


def _required_int(params: Json, name: str) -> int:
    value = _int(params, name)
    if value is None:
        raise _bad(f"{name} is empty")
    return value


def _bool(params: Json, name: str) -> bool:
    value = params.get(name)
    if isinstance(value, str):
        return value.lower() in {"true", "1"}
    return bool(value)


def _json_param(params: Json, name: str) -> Any:
    value = params.get(name)
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            raise _bad(f"can't parse {name} JSON object") from None
    return value


# ---- the server -------------------------------------------------------------------------------


class FakeTelegram:
    """A Bot API server on 127.0.0.1 for one bot; see the module docstring."""

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        *,
        bot_username: str = "nashra_test_bot",
        bot_first_name: str = "Nashra Test",
    ) -> None:
        self.token = token
        self.bot_id = int(token.split(":", 1)[0]) if _TOKEN_SHAPE.fullmatch(token) else 1
        self.bot_username = bot_username
        self.bot_first_name = bot_first_name
        self.requests: list[RecordedRequest] = []
        self.throttled: Counter[str] = Counter()
        """429s answered by the rate limits, by the bucket that ran dry: overall/chat/group."""
        self.callback_answers: dict[str, Json] = {}
        self.inline_answers: dict[str, Json] = {}
        """answerInlineQuery parameters by inline query id."""
        self.inline_mode = True
        """What getMe says of `supports_inline_queries` (BotFather's /setinline)."""
        self.topics = ForumTopics()
        self._inline_queries: dict[str, bool] = {}  # id: answered
        self._next_inline = 5_151_000_000_000_000_001
        self.webhook: Json | None = None
        self._users: dict[int, Json] = {}
        self._chats: dict[int, _Chat] = {}
        self._members: dict[tuple[int, int], Json] = {}
        self._messages: dict[tuple[int, int], Json] = {}
        self._sent: list[SentMessage] = []
        self._next_message_id: dict[int, int] = {}
        self._commands: dict[tuple[tuple[Any, ...], str], list[Json]] = {}
        self._updates: list[Json] = []
        self._next_update_id = 700_000_001
        self._allowed_updates: frozenset[str] = DEFAULT_ALLOWED
        self._callbacks: dict[str, bool] = {}
        self._next_callback = 4_242_000_000_000_000_001
        self._next_file = 1
        self._files: dict[str, tuple[str, bytes]] = {}  # file_id: (file_path, content)
        self._failures: list[_Failure] = []
        self._random_failures: dict[str, _RandomFailure] = {}
        self._delays: dict[tuple[str, int | str | None], float] = {}
        self._limits: _Limits | None = None
        self._changed = asyncio.Event()
        self._closing = asyncio.Event()
        self._poll_generation = 0
        self._web = WebServer("127.0.0.1", 0, shutdown_timeout=0.5)
        handlers: dict[str, _Handler] = {
            "getMe": self._get_me,
            "getUpdates": self._get_updates,
            "sendMessage": self._send_message,
            "sendPhoto": self._send_photo,
            "sendDocument": self._send_document,
            "getFile": self._get_file,
            "editMessageText": self._edit_message_text,
            "editMessageReplyMarkup": self._edit_message_reply_markup,
            "deleteMessage": self._delete_message,
            "sendChatAction": self._send_chat_action,
            "answerCallbackQuery": self._answer_callback_query,
            "answerInlineQuery": self._answer_inline_query,
            "setMyCommands": self._set_my_commands,
            "getMyCommands": self._get_my_commands,
            "deleteMyCommands": self._delete_my_commands,
            "getChatMember": self._get_chat_member,
            "getChat": self._get_chat,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "logOut": self._true,
            "close": self._true,
        }
        self._methods = {name.lower(): (name, handler) for name, handler in handlers.items()}

    # -- lifecycle --

    async def __aenter__(self) -> Self:
        self._web.add_route("*", "/bot{token}/{method}", self._handle)
        self._web.add_route("GET", "/file/bot{token}/{path:.+}", self._download)
        await self._web.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        """Stop serving; long polls in progress answer with what they have."""
        self._closing.set()
        self._notify()
        await self._web.stop()

    @property
    def port(self) -> int:
        return self._web.port

    @property
    def base_url(self) -> str:
        """`telegram.Bot(token, base_url=...)`: the bot adds `<token>/<method>`."""
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        """`telegram.Bot(token, base_file_url=...)` (no files are served)."""
        return f"http://127.0.0.1:{self.port}/file/bot"

    @property
    def bot_user(self) -> Json:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": self.bot_first_name,
            "username": self.bot_username,
        }

    # -- scripting: chats, users, members --

    def add_user(
        self,
        user_id: int,
        first_name: str | None = None,
        *,
        username: str | None = None,
        last_name: str | None = None,
        language_code: str | None = None,
        is_bot: bool = False,
    ) -> Json:
        """Make a user known (a User object, returned); injecting for an unknown id adds one."""
        user: Json = {"id": user_id, "is_bot": is_bot, "first_name": first_name or f"User{user_id}"}
        for key, value in (
            ("last_name", last_name),
            ("username", username),
            ("language_code", language_code),
        ):
            if value is not None:
                user[key] = value
        self._users[user_id] = user
        return user

    def add_chat(
        self,
        chat_id: int,
        type: str = "private",
        *,
        title: str | None = None,
        username: str | None = None,
        bot_status: str | None = None,
        is_forum: bool = False,
        **bot_rights: bool,
    ) -> Json:
        """Make a chat known (a Chat object, returned).

        A private chat's id is its user's id (the user is added if unknown). The bot is a
        member of a new chat, an administrator allowed to post in a channel; `bot_status`
        ("left", "kicked", "administrator", ...) and `bot_rights` (can_post_messages=False, ...)
        say otherwise. Sending to a private chat whose bot status is "kicked" answers 403
        "bot was blocked by the user". `is_forum`: a supergroup with topics (`create_topic`).
        """
        if type not in CHAT_TYPES:
            raise ValueError(f"chat type must be one of {sorted(CHAT_TYPES)}, not {type!r}")
        if is_forum and type != "supergroup":
            raise ValueError("only a supergroup can be a forum")
        chat = _Chat(chat_id, type, username=username, is_forum=is_forum)
        if type == "private":
            user = self._users.get(chat_id) or self.add_user(chat_id, username=username)
            chat.first_name = user["first_name"]
            chat.last_name = user.get("last_name")
            chat.username = user.get("username")
        else:
            chat.title = title or f"Chat {chat_id}"
        self._chats[chat_id] = chat
        status = bot_status or ("administrator" if type == "channel" else "member")
        rights = {"can_post_messages": True, "can_edit_messages": True} if type == "channel" else {}
        self.set_member(chat_id, self.bot_id, status, **(rights | bot_rights))
        return chat.json()

    def set_member(self, chat_id: int, user_id: int, status: str = "member", **fields: Any) -> Json:
        """Set a user's (or the bot's, `server.bot_id`) ChatMember in a chat, for getChatMember.

        `fields` override the defaults of the status (all rights False), e.g.
        `set_member(c, u, "administrator", can_post_messages=True)`.
        """
        if status not in MEMBER_STATUSES:
            raise ValueError(f"status must be one of {sorted(MEMBER_STATUSES)}, not {status!r}")
        if chat_id not in self._chats:
            raise KeyError(f"chat {chat_id} is unknown: add_chat it first")
        if user_id != self.bot_id and user_id not in self._users:
            self.add_user(user_id)
        member = self._member_defaults(self._chats[chat_id], status) | fields
        self._members[(chat_id, user_id)] = member
        return self._member_json(user_id, member)

    def upgrade_to_supergroup(self, chat_id: int, new_chat_id: int) -> Json:
        """Upgrade a group: the supergroup gets its title and members; from now on requests
        for the old id answer 400 with `migrate_to_chat_id`, as Telegram does."""
        old = self._chats[chat_id]
        old.migrated_to = new_chat_id
        new = self.add_chat(new_chat_id, "supergroup", title=old.title, username=old.username)
        for (member_chat, user_id), member in list(self._members.items()):
            if member_chat == chat_id:
                self._members[(new_chat_id, user_id)] = dict(member)
        return new

    def create_topic(self, chat_id: int, name: str, *, by: int | None = None) -> int:
        """A new topic in a forum, opened by user `by` (the bot by default); its thread id
        (the id of its first message, which carries `forum_topic_created`)."""
        chat = self._chats[chat_id]
        if not chat.is_forum:
            raise ValueError(f"chat {chat_id} is not a forum: add_chat(..., is_forum=True)")
        sender = self._user(by) if by is not None else self.bot_user
        first = self._new_message(chat, sender, **ForumTopics.created_message(name))
        thread_id: int = first["message_id"]
        first["message_thread_id"] = thread_id
        first["is_topic_message"] = True
        self.topics.add(chat_id, thread_id, name)
        return thread_id

    def close_topic(self, chat_id: int, thread_id: int, *, closed: bool = True) -> None:
        """Close (or, with closed=False, reopen) a topic: sends into it answer TOPIC_CLOSED."""
        topic = self.topics.get(chat_id, thread_id)
        if topic is None:
            raise KeyError(f"no topic {thread_id} in chat {chat_id}")
        topic.closed = closed

    def delete_topic(self, chat_id: int, thread_id: int) -> None:
        """Delete a topic: sends into it answer "message thread not found"."""
        topic = self.topics.get(chat_id, thread_id)
        if topic is None:
            raise KeyError(f"no topic {thread_id} in chat {chat_id}")
        topic.deleted = True

    # -- scripting: updates --

    def inject_message(
        self,
        chat_id: int,
        user_id: int,
        text: str,
        *,
        reply_to_message_id: int | None = None,
        thread_id: int | None = None,
    ) -> Json:
        """A user's text message (bot_command entities for /cmd and /cmd@bot), in the forum
        topic `thread_id` if given (which need not exist: a stale one, say); the update."""
        chat = self._chat_for_injection(chat_id, user_id)
        if chat.type == "channel":
            raise ValueError("use inject_channel_post for a channel")
        message = self._new_message(chat, self._user(user_id), text=text)
        entities = command_entities(text)
        if entities:
            message["entities"] = entities
        if reply_to_message_id is not None:
            message["reply_to_message"] = self._messages[(chat_id, reply_to_message_id)]
        if thread_id is not None:
            message["message_thread_id"] = thread_id
            if chat.is_forum:
                message["is_topic_message"] = True
                first = self._messages.get((chat_id, thread_id))
                if reply_to_message_id is None and first is not None:
                    message["reply_to_message"] = first
        return self._push({"message": message})

    def inject_inline_query(
        self, user_id: int, query: str, *, offset: str = "", chat_type: str = "sender"
    ) -> Json:
        """A user typing `@bot query` (an inline query); the update. The query id is
        `update["inline_query"]["id"]`; answerInlineQuery accepts it once."""
        query_id = str(self._next_inline)
        self._next_inline += 1
        self._inline_queries[query_id] = False
        inline = {
            "id": query_id,
            "from": self._user(user_id),
            "query": query,
            "offset": offset,
            "chat_type": chat_type,
        }
        return self._push({"inline_query": inline})

    def add_file(
        self, content: bytes, file_name: str, mime_type: str = "application/octet-stream"
    ) -> Json:
        """A file users can send (a Document object): getFile and the file URL serve it."""
        number = self._next_file
        self._next_file += 1
        file_id = f"BQACAgIAAxkBAAI{number:08d}"
        self._files[file_id] = (f"documents/file_{number}", content)
        return {
            "file_id": file_id,
            "file_unique_id": f"AgAD{number:08d}",
            "file_name": file_name,
            "mime_type": mime_type,
            "file_size": len(content),
        }

    def inject_document(
        self,
        chat_id: int,
        user_id: int,
        content: bytes,
        file_name: str,
        mime_type: str = "application/octet-stream",
        *,
        caption: str | None = None,
    ) -> Json:
        """A user sending a file (see `add_file`); the update."""
        chat = self._chat_for_injection(chat_id, user_id)
        document = self.add_file(content, file_name, mime_type)
        message = self._new_message(chat, self._user(user_id), document=document, caption=caption)
        return self._push({"message": message})

    def inject_channel_post(self, chat_id: int, text: str) -> Json:
        """A post in a known channel; the update."""
        chat = self._chats[chat_id]
        if chat.type != "channel":
            raise ValueError(f"chat {chat_id} is a {chat.type}, not a channel")
        message = self._new_message(chat, None, text=text)
        message["sender_chat"] = chat.json()
        return self._push({"channel_post": message})

    def inject_callback(self, chat_id: int, user_id: int, message_id: int, data: str) -> Json:
        """A user pressing an inline button of a stored message; the update. The query id is
        `update["callback_query"]["id"]`; answerCallbackQuery accepts it once."""
        message = self._messages[(chat_id, message_id)]
        query_id = str(self._next_callback)
        self._next_callback += 1
        self._callbacks[query_id] = False
        query = {
            "id": query_id,
            "from": self._user(user_id),
            "message": message,
            "chat_instance": str((chat_id * 2_654_435_761) % 10**19),
            "data": data,
        }
        return self._push({"callback_query": query})

    def inject_my_chat_member(
        self, chat_id: int, user_id: int, old_status: str, new_status: str, **new_fields: Any
    ) -> Json:
        """The bot's membership changed by user `user_id` (in a private chat, "kicked" is the
        user blocking the bot); the bot's status is updated too. The update."""
        chat = self._chat_for_injection(chat_id, user_id)
        old = self._member_defaults(chat, old_status)
        new = self.set_member(chat_id, self.bot_id, new_status, **new_fields)
        change = {
            "chat": chat.json(),
            "from": self._user(user_id),
            "date": int(time.time()),
            "old_chat_member": self._member_json(self.bot_id, old),
            "new_chat_member": new,
        }
        return self._push({"my_chat_member": change})

    def inject_chat_member(
        self, chat_id: int, user_id: int, new_status: str, *, by: int | None = None
    ) -> Json | None:
        """Member `user_id` of a group gets `new_status` (promoted, demoted, left…), changed by
        `by` (an admin; the member themself by default). As Telegram does, a `chat_member`
        update follows only where the bot is an administrator; the update, or None."""
        chat = self._chat_for_injection(chat_id, by or user_id)
        was = self._members.get((chat_id, user_id), {}).get("status", "left")
        old = self._member_defaults(chat, was)
        new = self.set_member(chat_id, user_id, new_status)
        bot = self._members.get((chat_id, self.bot_id), {})
        if bot.get("status") not in {"administrator", "creator"}:
            return None
        change = {
            "chat": chat.json(),
            "from": self._user(by or user_id),
            "date": int(time.time()),
            "old_chat_member": self._member_json(user_id, old),
            "new_chat_member": new,
        }
        return self._push({"chat_member": change})

    def inject_raw(self, update: Mapping[str, Any]) -> Json:
        """Any update; `update_id` is assigned unless given (then later ids follow it)."""
        copy = dict(update)
        if "update_id" in copy:
            self._next_update_id = max(self._next_update_id, int(copy["update_id"]) + 1)
            self._updates.append(copy)
            self._notify()
            return copy
        return self._push(copy)

    @property
    def pending_updates(self) -> list[Json]:
        """Updates not yet confirmed by a getUpdates offset."""
        return list(self._updates)

    # -- scripting: failures, delays, limits --

    def fail_next(
        self,
        method: str,
        *,
        chat_id: int | str | None = None,
        times: int = 1,
        error: ApiError | None = None,
    ) -> None:
        """Answer the next `times` calls of `method` (for `chat_id` only, if given) with
        `error` (default 500). E.g. `error=ApiError.too_many_requests(3)`, `ApiError.blocked()`,
        `ApiError.chat_migrated(-100123)`, `ApiError.cant_parse_entities()`,
        `ApiError.bad_gateway()`."""
        self._failures.append(
            _Failure(
                method.lower(),
                _normalize_chat_id(chat_id),
                times,
                error or ApiError.server_error(),
            )
        )

    def fail_randomly(
        self,
        method: str,
        *,
        rate: float,
        errors: tuple[ApiError, ...] = (),
        seed: int | None = None,
    ) -> None:
        """Answer each later call of `method` with probability `rate` with one of `errors`
        (default 500), chosen at random; `seed` makes the draws repeatable. `fail_next`
        failures come first. Rate 0 stops it."""
        if not 0 <= rate <= 1:
            raise ValueError(f"rate must be within 0..1, not {rate}")
        if rate == 0:
            self._random_failures.pop(method.lower(), None)
            return
        self._random_failures[method.lower()] = _RandomFailure(
            rate, errors or (ApiError.server_error(),), random.Random(seed)
        )

    def delay(self, method: str, seconds: float, *, chat_id: int | str | None = None) -> None:
        """Answer every later call of `method` (to `chat_id` only, if given) `seconds` late
        (0 to stop)."""
        self._delays[(method.lower(), _normalize_chat_id(chat_id))] = seconds

    def limits(
        self,
        *,
        overall_per_s: float | None = None,
        per_chat_per_s: float | None = None,
        per_group_per_min: float | None = None,
    ) -> None:
        """Token-bucket limits on send*/edit* calls, answering 429 with retry_after when a
        bucket is dry: overall, per private chat, per group/supergroup/channel. Buckets start
        full (a burst of one second's, or one minute's, worth). No arguments: no limits."""
        if overall_per_s is None and per_chat_per_s is None and per_group_per_min is None:
            self._limits = None
            return
        self._limits = _Limits(overall_per_s, per_chat_per_s, per_group_per_min)

    @property
    def throttled_total(self) -> int:
        return sum(self.throttled.values())

    # -- records --

    def calls(self, method: str) -> list[RecordedRequest]:
        """The recorded calls of `method` (case-insensitive), in order."""
        return [r for r in self.requests if r.method.lower() == method.lower()]

    def sent_messages(self, chat_id: int | None = None) -> list[SentMessage]:
        """The messages the bot sent (all chats, or one), in order, deleted ones included."""
        return [m for m in self._sent if chat_id is None or m.chat_id == chat_id]

    def take_records(self) -> tuple[list[RecordedRequest], list[SentMessage]]:
        """The requests and the sent messages recorded so far, forgotten here (the messages
        too: they can no longer be edited, deleted or replied to), so that a long run's
        memory stays flat."""
        requests, self.requests = self.requests, []
        sent, self._sent = self._sent, []
        for message in sent:
            self._messages.pop((message.chat_id, message.message_id), None)
        return requests, sent

    def commands(
        self, scope: Mapping[str, Any] | None = None, language_code: str = ""
    ) -> list[Json] | None:
        """The commands set for a scope (default scope when None) and language (None: never set)."""
        commands = self._commands.get((self._scope_key(scope), language_code))
        return None if commands is None else [dict(c) for c in commands]

    def message(self, chat_id: int, message_id: int) -> Json:
        """A stored message (sent by the bot or injected)."""
        return self._messages[(chat_id, message_id)]

    # -- HTTP --

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        token = request.match_info["token"]
        if token != self.token:
            if _TOKEN_SHAPE.fullmatch(token):
                return ApiError(401, "Unauthorized").response()
            return ApiError(404, "Not Found").response()
        try:
            params = await self._read_params(request)
        except _Reject as reject:
            return reject.error.response()
        asked = request.match_info["method"]
        known = self._methods.get(asked.lower())
        record = RecordedRequest(known[0] if known else asked, params, time.monotonic())
        self.requests.append(record)
        response = await self._answer(known, params, record)
        record.status = response.status
        return response

    async def _answer(
        self, known: tuple[str, _Handler] | None, params: Json, record: RecordedRequest
    ) -> web.Response:
        if known is None:
            return ApiError(404, "Not Found").response()
        name, handler = known
        chat_id = _normalize_chat_id(params.get("chat_id"))
        seconds = self._delays.get((name.lower(), chat_id)) or self._delays.get(
            (name.lower(), None), 0.0
        )
        if seconds > 0:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._closing.wait(), seconds)
        failure = self._take_failure(name.lower(), params)
        if failure is not None:
            record.injected = True
            return failure.response()
        throttle = self._throttle(name.lower(), params)
        if throttle is not None:
            return throttle.response()
        try:
            result = await handler(params)
        except _Reject as reject:
            return reject.error.response()
        if isinstance(result, _Described):
            body = {"ok": True, "result": result.result, "description": result.description}
        else:
            body = {"ok": True, "result": result}
        return web.json_response(body)

    async def _read_params(self, request: web.Request) -> Json:
        params: Json = dict(request.query)
        raw: dict[str, Any] = {}
        if request.content_type == "application/json":
            if request.can_read_body:
                try:
                    body = await request.json()
                except ValueError:
                    raise _bad("can't parse JSON object") from None
                if not isinstance(body, dict):
                    raise _bad("request body must be a JSON object")
                params.update(body)
        elif request.content_type in {"application/x-www-form-urlencoded", "multipart/form-data"}:
            form = await request.post()
            for key, value in form.items():
                if isinstance(value, web.FileField):
                    raw[key] = UploadedFile(
                        key, value.filename, value.content_type, value.file.read()
                    )
                else:
                    params[key] = value
        for key, value in list(params.items()):
            if key in JSON_PARAMS and isinstance(value, str):
                params[key] = _json_param(params, key)
            elif isinstance(value, str) and value.startswith("attach://"):
                params[key] = raw.get(value.removeprefix("attach://"), value)
        for key, value in raw.items():
            params.setdefault(key, value)
        return params

    def _take_failure(self, method: str, params: Json) -> ApiError | None:
        chat_id = _normalize_chat_id(params.get("chat_id"))
        for failure in self._failures:
            if failure.method == method and failure.chat_id in (None, chat_id):
                failure.remaining -= 1
                if failure.remaining <= 0:
                    self._failures.remove(failure)
                return failure.error
        chance = self._random_failures.get(method)
        if chance is not None and chance.random.random() < chance.rate:
            return chance.random.choice(chance.errors)
        return None

    def _throttle(self, method: str, params: Json) -> ApiError | None:
        limits = self._limits
        if limits is None or not method.startswith(("send", "edit", "copy", "forward")):
            return None
        now = time.monotonic()
        buckets: list[tuple[str, _Bucket]] = []
        if limits.overall_per_s:
            if limits.overall is None:
                limits.overall = _Bucket.per_second(limits.overall_per_s, now)
            buckets.append(("overall", limits.overall))
        chat = self._find_chat(params.get("chat_id"))
        if chat is not None:
            private = chat.type == "private"
            if private and limits.per_chat_per_s:
                rate, capacity = limits.per_chat_per_s, max(limits.per_chat_per_s, 1.0)
            elif not private and limits.per_group_per_min:
                rate, capacity = limits.per_group_per_min / 60, max(limits.per_group_per_min, 1.0)
            else:
                rate = capacity = 0.0
            if rate:
                bucket = limits.chats.get(chat.id)
                if bucket is None:
                    bucket = limits.chats[chat.id] = _Bucket(rate, capacity, capacity, now)
                buckets.insert(0, ("chat" if private else "group", bucket))
        waits = [(bucket.wait(now), scope) for scope, bucket in buckets]
        longest, scope = max(waits, default=(0.0, ""))
        if longest > 0:
            self.throttled[scope] += 1
            return ApiError.too_many_requests(max(1, math.ceil(longest)))
        for _, bucket in buckets:
            bucket.tokens -= 1
        return None

    # -- helpers --

    def _notify(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    def _push(self, payload: Json) -> Json:
        update = {"update_id": self._next_update_id, **payload}
        self._next_update_id += 1
        self._updates.append(update)
        self._notify()
        return update

    def _user(self, user_id: int) -> Json:
        if user_id == self.bot_id:
            return self.bot_user
        return self._users.get(user_id) or self.add_user(user_id)

    def _chat_for_injection(self, chat_id: int, user_id: int) -> _Chat:
        if chat_id not in self._chats:
            if chat_id != user_id:
                raise KeyError(f"chat {chat_id} is unknown: add_chat it first")
            self._user(user_id)
            self.add_chat(chat_id, "private")
        return self._chats[chat_id]

    def _new_message(self, chat: _Chat, sender: Json | None, **content: Any) -> Json:
        message_id = self._next_message_id.get(chat.id, 1)
        self._next_message_id[chat.id] = message_id + 1
        message: Json = {"message_id": message_id}
        if sender is not None:
            message["from"] = sender
        message |= {"chat": chat.json(), "date": int(time.time())}
        message |= {key: value for key, value in content.items() if value is not None}
        self._messages[(chat.id, message_id)] = message
        return message

    def _find_chat(self, chat_id: Any) -> _Chat | None:
        key = _normalize_chat_id(chat_id)
        if isinstance(key, int):
            return self._chats.get(key)
        if isinstance(key, str) and key.startswith("@"):
            for chat in self._chats.values():
                if chat.username and f"@{chat.username.lower()}" == key:
                    return chat
        return None

    def _chat(self, params: Json) -> _Chat:
        if params.get("chat_id") in (None, ""):
            raise _bad("chat_id is empty")
        chat = self._find_chat(params["chat_id"])
        if chat is None:
            raise _Reject(ApiError.chat_not_found())
        if chat.migrated_to is not None:
            raise _Reject(ApiError.chat_migrated(chat.migrated_to))
        return chat

    def _writable_chat(self, params: Json) -> _Chat:
        chat = self._chat(params)
        member = self._members.get((chat.id, self.bot_id), {"status": "member"})
        status = member["status"]
        if chat.type == "private":
            if status == "kicked":
                raise _Reject(ApiError.blocked())
        elif chat.type == "channel":
            if status in {"left", "kicked"}:
                raise _Reject(ApiError.forbidden("bot is not a member of the channel chat"))
            if status != "creator" and not member.get("can_post_messages"):
                raise _bad("need administrator rights in the channel chat")
        elif status == "kicked":
            raise _Reject(ApiError.forbidden(f"bot was kicked from the {chat.type} chat"))
        elif status == "left":
            raise _Reject(ApiError.forbidden(f"bot is not a member of the {chat.type} chat"))
        return chat

    def _format(
        self, text: str, parse_mode: str | None, entities: Any, *, limit: int, too_long: str
    ) -> tuple[str, list[Json]]:
        if parse_mode and parse_mode.lower() == "html":
            try:
                plain, parsed = parse_html(text)
            except HtmlParseError as error:
                raise _Reject(ApiError.cant_parse_entities(str(error))) from None
        else:
            # Markdown modes are not parsed: their text is kept as sent.
            plain = text
            parsed = list(entities) if isinstance(entities, list) and not parse_mode else []
        plain, parsed = _strip(plain, parsed)
        if len(plain) > limit:
            raise _bad(too_long)
        return plain, parsed

    def _message_text(self, params: Json) -> tuple[str, list[Json]]:
        text = params.get("text")
        if not isinstance(text, str) or not text.strip():
            raise _bad("message text is empty")
        plain, entities = self._format(
            text,
            params.get("parse_mode"),
            params.get("entities"),
            limit=MESSAGE_MAX,
            too_long="message is too long",
        )
        if not plain:
            raise _bad("message text is empty")
        return plain, entities

    @staticmethod
    def _markup(params: Json) -> Json | None:
        markup = params.get("reply_markup")
        if markup is None:
            return None
        if not isinstance(markup, dict):
            raise _bad("can't parse reply keyboard markup JSON object")
        return markup

    def _record_sent(
        self,
        method: str,
        chat: _Chat,
        message: Json,
        params: Json,
        text: str,
        plain: str,
        entities: list[Json],
    ) -> None:
        self._sent.append(
            SentMessage(
                chat_id=chat.id,
                message_id=message["message_id"],
                method=method,
                text=text,
                parse_mode=params.get("parse_mode"),
                reply_markup=self._markup(params),
                plain_text=plain,
                entities=entities,
                message=message,
            )
        )

    def _replied(self, chat: _Chat, params: Json) -> Json | None:
        reply = params.get("reply_parameters")
        if not isinstance(reply, dict):
            reply = {
                "message_id": params.get("reply_to_message_id"),
                "allow_sending_without_reply": params.get("allow_sending_without_reply"),
            }
        message_id = _int(reply, "message_id")
        if message_id is None:
            return None
        target = _normalize_chat_id(reply.get("chat_id"))
        target_chat = self._find_chat(target) if target is not None else chat
        original = self._messages.get((target_chat.id if target_chat else chat.id, message_id))
        if original is None and not _bool(reply, "allow_sending_without_reply"):
            raise _bad("message to be replied not found")
        return original

    def _sender(self, chat: _Chat) -> Json | None:
        return None if chat.type == "channel" else self.bot_user

    def _stored_bot_message(self, params: Json) -> tuple[_Chat, Json]:
        if params.get("inline_message_id"):
            raise _bad("inline messages are not supported by the fake")
        chat = self._chat(params)
        message_id = _required_int(params, "message_id")
        message = self._messages.get((chat.id, message_id))
        if message is None:
            raise _bad("message to edit not found")
        if message.get("from", {}).get("id") != self.bot_id and chat.type != "channel":
            raise _bad("message can't be edited")
        return chat, message

    def _sent_record(self, chat_id: int, message_id: int) -> SentMessage | None:
        for sent in self._sent:
            if sent.chat_id == chat_id and sent.message_id == message_id:
                return sent
        return None

    @staticmethod
    def _inline_only(markup: Json | None) -> Json | None:
        return markup if markup is not None and "inline_keyboard" in markup else None

    def _scope_key(self, scope: Mapping[str, Any] | None) -> tuple[Any, ...]:
        if not scope:
            return ("default",)
        kind = scope.get("type", "default")
        if kind in {"chat", "chat_administrators", "chat_member"}:
            chat = self._find_chat(scope.get("chat_id"))
            chat_key = chat.id if chat else _normalize_chat_id(scope.get("chat_id"))
            if kind == "chat_member":
                return (kind, chat_key, int(scope.get("user_id", 0)))
            return (kind, chat_key)
        return (kind,)

    def _member_defaults(self, chat: _Chat, status: str) -> Json:
        if status == "creator":
            return {"status": status, "is_anonymous": False}
        if status == "administrator":
            rights = {
                "can_be_edited": False,
                "is_anonymous": False,
                "can_manage_chat": True,
                "can_delete_messages": False,
                "can_manage_video_chats": False,
                "can_restrict_members": False,
                "can_promote_members": False,
                "can_change_info": False,
                "can_invite_users": False,
                "can_post_stories": False,
                "can_edit_stories": False,
                "can_delete_stories": False,
            }
            if chat.type == "channel":
                rights |= {"can_post_messages": False, "can_edit_messages": False}
            return {"status": status, **rights}
        if status == "restricted":
            restricted = {
                "is_member": True,
                "until_date": 0,
                **dict.fromkeys(
                    (
                        "can_change_info",
                        "can_invite_users",
                        "can_pin_messages",
                        "can_send_messages",
                        "can_send_polls",
                        "can_send_other_messages",
                        "can_add_web_page_previews",
                        "can_manage_topics",
                        "can_send_audios",
                        "can_send_documents",
                        "can_send_photos",
                        "can_send_videos",
                        "can_send_video_notes",
                        "can_send_voice_notes",
                        "can_edit_tag",
                        "can_react_to_messages",
                    ),
                    False,
                ),
            }
            return {"status": status, **restricted}
        if status == "kicked":
            return {"status": status, "until_date": 0}
        return {"status": status}

    def _member_json(self, user_id: int, member: Json) -> Json:
        return {"user": self._user(user_id), **member}

    # -- methods --

    async def _true(self, params: Json) -> bool:
        return True

    async def _get_me(self, params: Json) -> Json:
        return self.bot_user | {
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": self.inline_mode,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def _get_updates(self, params: Json) -> list[Json]:
        if self.webhook is not None:
            raise _Reject(
                ApiError.conflict(
                    "can't use getUpdates method while webhook is active; "
                    "use deleteWebhook to delete the webhook first"
                )
            )
        offset = _int(params, "offset")
        limit = min(max(_int(params, "limit", 100) or 100, 1), 100)
        timeout = max(_int(params, "timeout", 0) or 0, 0)
        allowed = params.get("allowed_updates")
        if isinstance(allowed, list):
            self._allowed_updates = frozenset(allowed) if allowed else DEFAULT_ALLOWED
        if offset is not None:
            if offset < 0:
                self._updates = self._updates[offset:]
            else:
                self._updates = [u for u in self._updates if u["update_id"] >= offset]
        self._poll_generation += 1
        generation = self._poll_generation
        self._notify()
        deadline = time.monotonic() + timeout
        while True:
            self._updates = [u for u in self._updates if self._allowed(u)]
            remaining = deadline - time.monotonic()
            if self._updates or remaining <= 0 or self._closing.is_set():
                return self._updates[:limit]
            changed = self._changed
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(changed.wait(), remaining)
            if generation != self._poll_generation:
                raise _Reject(
                    ApiError.conflict(
                        "terminated by other getUpdates request; "
                        "make sure that only one bot instance is running"
                    )
                )

    def _allowed(self, update: Json) -> bool:
        kinds = [key for key in update if key != "update_id"]
        return not kinds or kinds[0] in self._allowed_updates

    def _thread(self, chat: _Chat, params: Json, replied: Json | None) -> Json:
        """The topic fields of a message sent with these parameters (a reply without a
        thread id goes to its message's topic); _Reject as Telegram answers a bad topic."""
        thread = _int(params, "message_thread_id")
        if thread is None and replied is not None and replied.get("is_topic_message"):
            thread = replied.get("message_thread_id")
        if thread is None:
            return {}
        member = self._members.get((chat.id, self.bot_id), {})
        may_manage = member.get("status") == "creator" or bool(member.get("can_manage_topics"))
        try:
            self.topics.check(chat.id, thread, is_forum=chat.is_forum, may_manage=may_manage)
        except TopicError as error:
            raise _bad(str(error)) from None
        return {"message_thread_id": thread, "is_topic_message": True}

    async def _send_message(self, params: Json) -> Json:
        chat = self._writable_chat(params)
        plain, entities = self._message_text(params)
        markup = self._markup(params)
        replied = self._replied(chat, params)
        message = self._new_message(
            chat,
            self._sender(chat),
            **self._thread(chat, params, replied),
            reply_to_message=replied,
            text=plain,
            entities=entities or None,
            reply_markup=self._inline_only(markup),
        )
        if chat.type == "channel":
            message["sender_chat"] = chat.json()
        self._record_sent("sendMessage", chat, message, params, params["text"], plain, entities)
        return message

    async def _send_photo(self, params: Json) -> Json:
        def sizes(photo: str | UploadedFile) -> list[Json]:
            number = self._next_file
            self._next_file += 1
            return [
                {
                    "file_id": f"AgACAgIAAxkDAAI{number:08d}",
                    "file_unique_id": f"AQAD{number:08d}",
                    "width": 800,
                    "height": 600,
                    "file_size": len(photo.data) if isinstance(photo, UploadedFile) else 54_321,
                }
            ]

        return self._send_media("sendPhoto", params, "photo", sizes)

    async def _send_document(self, params: Json) -> Json:
        def described(document: str | UploadedFile) -> Json:
            if isinstance(document, UploadedFile):
                name = document.filename or "document"
                return self.add_file(document.data, name, document.content_type)
            return {"file_id": document, "file_unique_id": f"AgAD{document[-8:]}"}

        return self._send_media("sendDocument", params, "document", described)

    def _send_media(
        self,
        method: str,
        params: Json,
        field: str,
        describe: Callable[[str | UploadedFile], Any],
    ) -> Json:
        """sendPhoto / sendDocument: the file (an upload or a URL/file_id) under `field`,
        an optional caption; `describe` turns the file into what the message carries."""
        chat = self._writable_chat(params)
        media = params.get(field)
        if media is None or media == "":
            raise _bad(f"there is no {field} in the request")
        if isinstance(media, UploadedFile) and not media.data:
            raise _bad("file must be non-empty")
        if not isinstance(media, UploadedFile | str):
            raise _bad("wrong type of the web page content")
        caption = str(params.get("caption") or "")
        plain, entities = self._format(
            caption,
            params.get("parse_mode"),
            params.get("caption_entities"),
            limit=CAPTION_MAX,
            too_long="message caption is too long",
        )
        replied = self._replied(chat, params)
        message = self._new_message(
            chat,
            self._sender(chat),
            **self._thread(chat, params, replied),
            reply_to_message=replied,
            **{field: describe(media)},
            caption=plain or None,
            caption_entities=entities or None,
            reply_markup=self._inline_only(self._markup(params)),
        )
        if chat.type == "channel":
            message["sender_chat"] = chat.json()
        self._record_sent(method, chat, message, params, caption, plain, entities)
        if field == "photo":
            self._sent[-1].photo = media
        else:
            self._sent[-1].document = media
        return message

    async def _get_file(self, params: Json) -> Json:
        file_id = params.get("file_id")
        known = self._files.get(file_id) if isinstance(file_id, str) else None
        if known is None:
            raise _bad("invalid file_id")
        path, content = known
        return {
            "file_id": file_id,
            "file_unique_id": f"AgAD{str(file_id)[-8:]}",
            "file_size": len(content),
            "file_path": path,
        }

    async def _download(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return web.Response(status=404)
        path = request.match_info["path"]
        for known_path, content in self._files.values():
            if known_path == path:
                return web.Response(body=content, content_type="application/octet-stream")
        return web.Response(status=404)

    async def _edit_message_text(self, params: Json) -> Json:
        chat, message = self._stored_bot_message(params)
        if "text" not in message:
            raise _bad("there is no text in the message to edit")
        plain, entities = self._message_text(params)
        markup = self._inline_only(self._markup(params))
        if (
            plain == message["text"]
            and entities == message.get("entities", [])
            and markup == message.get("reply_markup")
        ):
            raise _bad(
                "message is not modified: specified new message content and reply markup are "
                "exactly the same as a current content and reply markup of the message"
            )
        message["text"] = plain
        message.pop("entities", None)
        message.pop("reply_markup", None)
        if entities:
            message["entities"] = entities
        if markup:
            message["reply_markup"] = markup
        message["edit_date"] = int(time.time())
        sent = self._sent_record(chat.id, message["message_id"])
        if sent is not None:
            sent.text = params["text"]
            sent.parse_mode = params.get("parse_mode")
            sent.plain_text, sent.entities, sent.reply_markup = plain, entities, markup
            sent.edit_count += 1
        return message

    async def _edit_message_reply_markup(self, params: Json) -> Json:
        chat, message = self._stored_bot_message(params)
        markup = self._inline_only(self._markup(params))
        if markup == message.get("reply_markup"):
            raise _bad(
                "message is not modified: specified new message content and reply markup are "
                "exactly the same as a current content and reply markup of the message"
            )
        message.pop("reply_markup", None)
        if markup:
            message["reply_markup"] = markup
        message["edit_date"] = int(time.time())
        sent = self._sent_record(chat.id, message["message_id"])
        if sent is not None:
            sent.reply_markup = markup
            sent.edit_count += 1
        return message

    async def _delete_message(self, params: Json) -> bool:
        chat = self._chat(params)
        message_id = _required_int(params, "message_id")
        if self._messages.pop((chat.id, message_id), None) is None:
            raise _bad("message to delete not found")
        sent = self._sent_record(chat.id, message_id)
        if sent is not None:
            sent.deleted = True
        return True

    async def _send_chat_action(self, params: Json) -> bool:
        chat = self._writable_chat(params)
        self._thread(chat, params, None)
        return True

    async def _answer_callback_query(self, params: Json) -> bool:
        query_id = str(params.get("callback_query_id") or "")
        if self._callbacks.get(query_id, True):
            raise _bad("query is too old and response timeout expired or query ID is invalid")
        self._callbacks[query_id] = True
        self.callback_answers[query_id] = params
        return True

    async def _answer_inline_query(self, params: Json) -> bool:
        query_id = str(params.get("inline_query_id") or "")
        if self._inline_queries.get(query_id, True):
            raise _bad("query is too old and response timeout expired or query ID is invalid")
        try:
            check_inline_answer(params, parse_html)
        except InlineAnswerError as error:
            raise _bad(str(error)) from None
        self._inline_queries[query_id] = True
        self.inline_answers[query_id] = params
        return True

    def _commands_key(self, params: Json) -> tuple[tuple[Any, ...], str]:
        scope = params.get("scope")
        if scope is not None and not isinstance(scope, dict):
            raise _bad("can't parse BotCommandScope JSON object")
        if scope and scope.get("type") in {"chat", "chat_administrators", "chat_member"}:
            self._chat(scope)
        return self._scope_key(scope), str(params.get("language_code") or "")

    async def _set_my_commands(self, params: Json) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list):
            raise _bad("can't parse commands JSON object")
        if len(commands) > 100:
            raise _bad("BOT_COMMANDS_TOO_MUCH")
        for command in commands:
            if not isinstance(command, dict) or not _BOT_COMMAND_NAME.fullmatch(
                str(command.get("command", ""))
            ):
                raise _bad("BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", "")).strip()) <= 256:
                raise _bad("BOT_COMMAND_DESCRIPTION_INVALID")
        key = self._commands_key(params)
        if commands:
            self._commands[key] = [
                {"command": c["command"], "description": c["description"]} for c in commands
            ]
        else:
            self._commands.pop(key, None)
        return True

    async def _get_my_commands(self, params: Json) -> list[Json]:
        return list(self._commands.get(self._commands_key(params), []))

    async def _delete_my_commands(self, params: Json) -> bool:
        self._commands.pop(self._commands_key(params), None)
        return True

    async def _get_chat_member(self, params: Json) -> Json:
        chat = self._chat(params)
        user_id = _required_int(params, "user_id")
        member = self._members.get((chat.id, user_id))
        if member is None:
            if chat.type == "private" and user_id == chat.id:
                member = {"status": "member"}
            elif user_id in self._users:
                member = {"status": "left"}
            else:
                raise _bad("user not found")
        return self._member_json(user_id, member)

    async def _get_chat(self, params: Json) -> Json:
        chat = self._chat(params)
        full = chat.json() | {
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": dict.fromkeys(
                (
                    "unlimited_gifts",
                    "limited_gifts",
                    "unique_gifts",
                    "premium_subscription",
                    "gifts_from_channels",
                ),
                False,
            ),
        }
        return full

    async def _set_webhook(self, params: Json) -> _Described:
        url = str(params.get("url") or "")
        if not url:
            return await self._delete_webhook(params)
        if not url.startswith("https://"):
            raise _bad("bad webhook: An HTTPS URL must be provided for webhook")
        if _bool(params, "drop_pending_updates"):
            self._updates.clear()
        self.webhook = {
            "url": url,
            "max_connections": _int(params, "max_connections", 40),
            "allowed_updates": params.get("allowed_updates"),
            "secret_token": params.get("secret_token"),
        }
        self._notify()
        return _Described(True, "Webhook was set")

    async def _delete_webhook(self, params: Json) -> _Described:
        if _bool(params, "drop_pending_updates"):
            self._updates.clear()
        if self.webhook is None:
            return _Described(True, "Webhook is already deleted")
        self.webhook = None
        return _Described(True, "Webhook was deleted")

    async def _get_webhook_info(self, params: Json) -> Json:
        info: Json = {
            "url": "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }
        if self.webhook is not None:
            info |= {
                "url": self.webhook["url"],
                "max_connections": self.webhook["max_connections"],
                "ip_address": "127.0.0.1",
            }
            if self.webhook["allowed_updates"]:
                info["allowed_updates"] = self.webhook["allowed_updates"]
        return info
