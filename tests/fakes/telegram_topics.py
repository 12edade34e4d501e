"""Forum topics and inline queries for the fake Bot API server (tests/fakes/telegram_server.py).

Forum topics, as https://core.telegram.org/bots/api describes them and Telegram answers: a
supergroup with `is_forum` holds topics, each a thread whose id is the id of its first
message (a service message with `forum_topic_created`). A message sent into a topic carries
`message_thread_id` and `is_topic_message`; the General topic has no thread id. Sending with
the `message_thread_id` of a topic that was deleted (or never was) is answered 400 "Bad
Request: message thread not found", of a closed one 400 "Bad Request: TOPIC_CLOSED" (unless
the bot may manage topics); a reply without a thread id goes to the replied message's topic.

Inline queries: `answerInlineQuery` is checked as Telegram checks it (the query id answered
once, at most 50 results with unique ids of 1–64 bytes, an article's title and message text,
its HTML, the offset and the button) and the answer is kept for the test to read.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

Json = dict[str, Any]

TOPIC_ICON_COLOR: Final = 7322096
MAX_RESULTS: Final = 50
MAX_RESULT_ID_BYTES: Final = 64
MAX_OFFSET_BYTES: Final = 64
MESSAGE_MAX: Final = 4096
START_PARAMETER: Final = re.compile(r"[A-Za-z0-9_-]{1,64}")
RESULT_TYPES: Final = frozenset(
    {
        "article",
        "photo",
        "gif",
        "mpeg4_gif",
        "video",
        "audio",
        "voice",
        "document",
        "location",
        "venue",
        "contact",
        "game",
        "sticker",
    }
)


class TopicError(Exception):
    """Telegram's answer to a send into a topic that cannot take it (the description)."""


@dataclass(slots=True)
class Topic:
    chat_id: int
    thread_id: int
    name: str
    closed: bool = False
    deleted: bool = False


class ForumTopics:
    """The topics of the fake's forums."""

    def __init__(self) -> None:
        self._topics: dict[tuple[int, int], Topic] = {}

    def add(self, chat_id: int, thread_id: int, name: str) -> Topic:
        topic = self._topics[(chat_id, thread_id)] = Topic(chat_id, thread_id, name)
        return topic

    def get(self, chat_id: int, thread_id: int) -> Topic | None:
        return self._topics.get((chat_id, thread_id))

    def check(self, chat_id: int, thread_id: int, *, is_forum: bool, may_manage: bool) -> None:
        """Raise TopicError unless a message may go into this thread."""
        topic = self._topics.get((chat_id, thread_id))
        if not is_forum or topic is None or topic.deleted:
            raise TopicError("message thread not found")
        if topic.closed and not may_manage:
            raise TopicError("TOPIC_CLOSED")

    @staticmethod
    def created_message(name: str) -> Json:
        """What a topic's first message carries."""
        return {"forum_topic_created": {"name": name, "icon_color": TOPIC_ICON_COLOR}}


class InlineAnswerError(Exception):
    """An answerInlineQuery Telegram refuses (the description, after "Bad Request: ")."""


def check_inline_answer(params: Json, parse_html: Callable[[str], tuple[str, list[Json]]]) -> None:
    """Raise InlineAnswerError for an answer Telegram would refuse; `parse_html` checks a
    message text in HTML parse mode (raising ValueError with Telegram's wording)."""
    results = params.get("results")
    if not isinstance(results, list):
        raise InlineAnswerError("can't parse inline query results JSON object")
    if len(results) > MAX_RESULTS:
        raise InlineAnswerError("RESULTS_TOO_MUCH")
    seen: set[str] = set()
    for result in results:
        _check_result(result, seen, parse_html)
    offset = params.get("next_offset")
    if offset is not None and len(str(offset).encode()) > MAX_OFFSET_BYTES:
        raise InlineAnswerError("NEXT_OFFSET_INVALID")
    button = params.get("button")
    if button is not None:
        if not isinstance(button, dict) or not str(button.get("text") or "").strip():
            raise InlineAnswerError("BUTTON_TEXT_INVALID")
        start = button.get("start_parameter")
        if button.get("web_app") is None and not START_PARAMETER.fullmatch(str(start or "")):
            raise InlineAnswerError("START_PARAM_INVALID")


def _check_result(
    result: object, seen: set[str], parse_html: Callable[[str], tuple[str, list[Json]]]
) -> None:
    if not isinstance(result, dict):
        raise InlineAnswerError("can't parse inline query result")
    for field in ("type", "id"):
        if field not in result:
            raise _missing(field)
    if result["type"] not in RESULT_TYPES:
        raise InlineAnswerError("RESULT_TYPE_INVALID")
    result_id = str(result["id"])
    if not 1 <= len(result_id.encode()) <= MAX_RESULT_ID_BYTES:
        raise InlineAnswerError("RESULT_ID_INVALID")
    if result_id in seen:
        raise InlineAnswerError("RESULT_ID_DUPLICATE")
    seen.add(result_id)
    if result["type"] != "article":
        return
    for field in ("title", "input_message_content"):
        if field not in result:
            raise _missing(field)
    if not str(result["title"]).strip():
        raise InlineAnswerError("RESULT_TITLE_EMPTY")
    content = result["input_message_content"]
    if not isinstance(content, dict) or "message_text" not in content:
        raise _missing("message_text")
    text = str(content["message_text"])
    mode = str(content.get("parse_mode") or "").lower()
    if mode == "html":
        try:
            text, _ = parse_html(text)
        except ValueError as error:
            raise InlineAnswerError(f"can't parse entities: {error}") from None
    if not text.strip():
        raise InlineAnswerError("MESSAGE_EMPTY")
    if len(text) > MESSAGE_MAX:
        raise InlineAnswerError("MESSAGE_TOO_LONG")
    markup = result.get("reply_markup")
    if markup is not None and "inline_keyboard" not in markup:
        raise InlineAnswerError("REPLY_MARKUP_INVALID")


def _missing(field: str) -> InlineAnswerError:
    return InlineAnswerError(f"can't parse inline query result: Can't find field \"{field}\"")
