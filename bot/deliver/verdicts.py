"""What a Telegram error means for a delivery."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from telegram.error import BadRequest, ChatMigrated, Forbidden, RetryAfter, TelegramError


class Verdict(StrEnum):
    THROTTLED = "throttled"  # 429: wait retry_after, then send again
    TRANSIENT = "transient"  # network, timeout, 5xx: retry with backoff
    CHAT_GONE = "chat_gone"  # blocked, kicked, chat not found: stop sending to the chat
    MIGRATED = "migrated"  # the group is now a supergroup with another id
    BAD_MARKUP = "bad_markup"  # can't parse entities: resend as plain text
    BAD_PHOTO = "bad_photo"  # Telegram could not take the photo: send the text post
    TOPIC_GONE = "topic_gone"  # the forum topic was deleted or closed: use the General topic
    FAILED = "failed"  # any other refusal: do not retry


@dataclass(frozen=True, slots=True)
class Judgement:
    verdict: Verdict
    reason: str
    retry_after: float = 0.0
    new_chat_id: int | None = None


# Lower-cased fragments of 400 descriptions that mean the bot cannot write to the chat.
_GONE: Final = (
    "chat not found",
    "peer_id_invalid",
    "user not found",
    "bot was kicked",
    "bot is not a member",
    "group chat was deactivated",
    "chat_write_forbidden",
    "need administrator rights",
    "not enough rights",
    "have no rights to send",
    "user is deactivated",
    "chat is deactivated",
)
# A send to a forum topic (message_thread_id) that is no more: deleted, or closed to the bot.
_TOPIC: Final = ("message thread not found", "topic_closed", "topic_deleted")
_MARKUP: Final = ("can't parse entities", "can't find end", "unsupported start tag")
_PHOTO: Final = (
    "wrong file identifier",
    "http url",
    "failed to get http url content",
    "wrong type of the web page content",
    "image_process_failed",
    "photo_invalid",
    "wrong remote file",
    "file must be non-empty",
    "there is no photo",
)


def judge_answer(
    status: int,
    description: str,
    *,
    retry_after: float | None = None,
    migrate_to_chat_id: int | None = None,
    photo: bool = False,
    topic: bool = False,
) -> Judgement:
    """The verdict on an error answer of Telegram's (`photo`: to a sendPhoto; `topic`: to a
    send into a forum topic)."""
    reason = f"{status}: {description}"[:1000]
    if status == 429 or retry_after is not None:
        return Judgement(Verdict.THROTTLED, reason, retry_after=retry_after or 1.0)
    if migrate_to_chat_id is not None:
        return Judgement(Verdict.MIGRATED, reason, new_chat_id=migrate_to_chat_id)
    if status == 403:
        return Judgement(Verdict.CHAT_GONE, reason)
    if status == 400:
        text = description.lower()
        if topic and any(fragment in text for fragment in _TOPIC):
            return Judgement(Verdict.TOPIC_GONE, reason)
        if any(fragment in text for fragment in _GONE):
            return Judgement(Verdict.CHAT_GONE, reason)
        if any(fragment in text for fragment in _MARKUP):
            return Judgement(Verdict.BAD_MARKUP, reason)
        if photo and any(fragment in text for fragment in _PHOTO):
            return Judgement(Verdict.BAD_PHOTO, reason)
        return Judgement(Verdict.FAILED, reason)
    # 5xx, and 401/404 (a revoked token): retried, with backoff.
    return Judgement(Verdict.TRANSIENT, reason)


def judge_network(reason: str) -> Judgement:
    """No readable answer (refused, reset, timed out): retried, with backoff."""
    return Judgement(Verdict.TRANSIENT, reason[:1000])


def judge(error: TelegramError, *, photo: bool = False, topic: bool = False) -> Judgement:
    """The verdict on a python-telegram-bot error (`photo`: it was a sendPhoto; `topic`: it
    went to a forum topic)."""
    if isinstance(error, RetryAfter):
        return judge_answer(429, error.message, retry_after=_seconds(error.retry_after))
    if isinstance(error, ChatMigrated):
        return judge_answer(400, error.message, migrate_to_chat_id=error.new_chat_id)
    if isinstance(error, Forbidden):
        return judge_answer(403, error.message)
    if isinstance(error, BadRequest):
        return judge_answer(400, error.message, photo=photo, topic=topic)
    return judge_network(f"{type(error).__name__}: {error.message}")


def _seconds(value: object) -> float:
    total = getattr(value, "total_seconds", None)
    if callable(total):
        return float(total())
    return float(value) if isinstance(value, int | float) else 1.0
