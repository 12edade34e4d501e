"""Sending a post or a digest to a chat: the one send path of the outbox, /latest and the
admins' previews.

Every post goes through `Transport` (the lean `BotApi` client), which raises `SendFailed`
carrying the verdict on Telegram's answer; `with_plain_retry` sends once more without markup
when Telegram cannot parse it.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import urlsplit

from bot.compose.render import RenderedPost
from bot.deliver.verdicts import Judgement, Verdict, judge_answer, judge_network
from bot.telegram.botapi import BotApi, BotApiError, BotApiNetworkError, encode_rest

Markup = dict[str, Any]


class SentAs:
    PHOTO: Final = "photo"
    TEXT: Final = "text"
    PLAIN: Final = "plain"
    DIGEST: Final = "digest"
    BRIEFING: Final = "briefing"


@dataclass(frozen=True, slots=True)
class Sent:
    message_id: int
    sent_as: str
    photo_refused: str | None = None  # why the photo was dropped for the text post


@dataclass(frozen=True, slots=True)
class SendOptions:
    """A chat's send-time options (/settings): they change how a post is sent, never how it
    is rendered."""

    silent: bool = False  # disable_notification
    link_preview: bool = False  # a preview of the article's own page under a text message
    photos: bool = True  # a post with a photo goes as a photo


PLAIN_OPTIONS: Final = SendOptions()


def preview_url(url: str | None, options: SendOptions) -> str | None:
    """The page a text message's link preview shows: the article's, when the chat wants
    previews and the link is an article's page (a site's homepage is never previewed)."""
    if not options.link_preview or not url:
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    if parts.path.strip("/") == "" and not parts.query:
        return None
    return url


class SendFailed(Exception):
    def __init__(self, judgement: Judgement) -> None:
        super().__init__(judgement.reason)
        self.judgement = judgement


def button_markup(post: RenderedPost) -> Markup | None:
    if not post.button_url:
        return None
    return {"inline_keyboard": [[{"text": post.button_text, "url": post.button_url}]]}


async def send_post(
    transport: Transport,
    chat_id: int,
    post: RenderedPost,
    *,
    plain: bool = False,
    paid: bool = False,
    reply_to: int | None = None,
    options: SendOptions = PLAIN_OPTIONS,
    thread_id: int | None = None,
) -> Sent:
    """The post as a photo with its caption when it has one (and the chat takes photos), else
    (or when Telegram cannot take the photo) as a text message; `plain` sends the text
    without markup, `thread_id` into that forum topic.

    Raises SendFailed with the verdict on the last call's answer.
    """
    markup = button_markup(post)
    refused: str | None = None
    if post.photo_url and post.caption and not plain and options.photos:
        try:
            message_id = await transport.send_photo(
                chat_id,
                post.photo_url,
                post.caption,
                markup=markup,
                paid=paid,
                reply_to=reply_to,
                silent=options.silent,
                thread_id=thread_id,
            )
            return Sent(message_id, SentAs.PHOTO)
        except SendFailed as failure:
            if failure.judgement.verdict is not Verdict.BAD_PHOTO:
                raise
            refused = failure.judgement.reason
    message_id = await transport.send_message(
        chat_id,
        post.plain if plain else post.text,
        html=not plain,
        markup=markup,
        paid=paid,
        reply_to=reply_to,
        silent=options.silent,
        preview=preview_url(post.button_url, options),
        thread_id=thread_id,
    )
    return Sent(message_id, SentAs.PLAIN if plain else SentAs.TEXT, refused)


async def with_plain_retry(send: Callable[[bool], Awaitable[Sent]]) -> Sent:
    """`send(False)`, and when Telegram cannot parse the markup, `send(True)` (plain) once."""
    try:
        return await send(False)
    except SendFailed as failure:
        if failure.judgement.verdict is not Verdict.BAD_MARKUP:
            raise
    return await send(True)


async def send_reply_post(
    transport: Transport,
    chat_id: int,
    post: RenderedPost,
    *,
    reply_to: int | None = None,
    options: SendOptions = PLAIN_OPTIONS,
    thread_id: int | None = None,
) -> Sent:
    """A post sent in answer to a command (/latest, a preview), as plain text when Telegram
    cannot parse its markup. Raises SendFailed."""
    return await with_plain_retry(
        lambda plain: send_post(
            transport,
            chat_id,
            post,
            plain=plain,
            reply_to=reply_to,
            options=options,
            thread_id=thread_id,
        )
    )


async def send_digest(
    transport: Transport,
    chat_id: int,
    html: str,
    plain_text: str,
    *,
    plain: bool,
    paid: bool,
    options: SendOptions = PLAIN_OPTIONS,
    lead_url: str | None = None,
    sent_as: str = SentAs.DIGEST,
    thread_id: int | None = None,
) -> Sent:
    """A digest: HTML, or `plain_text` without markup; with link previews on, the preview is
    of `lead_url` (its first story's page)."""
    message_id = await transport.send_message(
        chat_id,
        plain_text if plain else html,
        html=not plain,
        markup=None,
        paid=paid,
        reply_to=None,
        silent=options.silent,
        preview=preview_url(lead_url, options),
        thread_id=thread_id,
    )
    return Sent(message_id, sent_as)


class Transport:
    """Posts through the lean BotApi client. The same post going to many chats is JSON-encoded
    once (the last few encodings are kept)."""

    CACHE_SIZE: Final = 256

    def __init__(self, api: BotApi) -> None:
        self._api = api
        self._encoded: OrderedDict[tuple[object, ...], bytes] = OrderedDict()

    async def send_message(
        self,
        chat_id: int,
        text: str,
        *,
        html: bool,
        markup: Markup | None,
        paid: bool,
        reply_to: int | None,
        silent: bool = False,
        preview: str | None = None,
        thread_id: int | None = None,
    ) -> int:
        """Send a text message; `preview`: the page its link preview shows (None: no
        preview); `silent`: without a notification; `thread_id`: into that forum topic."""
        key = (
            "sendMessage",
            text,
            html,
            _markup_key(markup),
            paid,
            reply_to,
            silent,
            preview,
            thread_id,
        )
        rest = self._encoded.get(key)
        if rest is None:
            shown = {"url": preview} if preview else {"is_disabled": True}
            params: dict[str, Any] = {"text": text, "link_preview_options": shown}
            if html:
                params["parse_mode"] = "HTML"
            if silent:
                params["disable_notification"] = True
            rest = self._encode(key, params, markup, paid, reply_to, thread_id)
        return await self._send("sendMessage", chat_id, rest, topic=thread_id is not None)

    async def send_photo(
        self,
        chat_id: int,
        photo: str,
        caption: str,
        *,
        markup: Markup | None,
        paid: bool,
        reply_to: int | None,
        silent: bool = False,
        thread_id: int | None = None,
    ) -> int:
        key = ("sendPhoto", photo, caption, _markup_key(markup), paid, reply_to, silent, thread_id)
        rest = self._encoded.get(key)
        if rest is None:
            params: dict[str, Any] = {"photo": photo, "caption": caption, "parse_mode": "HTML"}
            if silent:
                params["disable_notification"] = True
            rest = self._encode(key, params, markup, paid, reply_to, thread_id)
        return await self._send("sendPhoto", chat_id, rest, photo=True, topic=thread_id is not None)

    def _encode(
        self,
        key: tuple[object, ...],
        params: dict[str, Any],
        markup: Markup | None,
        paid: bool,
        reply_to: int | None,
        thread_id: int | None,
    ) -> bytes:
        if thread_id is not None:
            params["message_thread_id"] = thread_id
        if markup is not None:
            params["reply_markup"] = markup
        if paid:
            params["allow_paid_broadcast"] = True
        if reply_to is not None:
            params["reply_parameters"] = {"message_id": reply_to}
        rest = self._encoded[key] = encode_rest(params)
        if len(self._encoded) > self.CACHE_SIZE:
            self._encoded.popitem(last=False)
        return rest

    async def _send(
        self, method: str, chat_id: int, rest: bytes, *, photo: bool = False, topic: bool = False
    ) -> int:
        try:
            message = await self._api.call_to_chat(method, chat_id, rest)
        except BotApiError as error:
            raise SendFailed(
                judge_answer(
                    error.status,
                    error.description,
                    retry_after=error.retry_after,
                    migrate_to_chat_id=error.migrate_to_chat_id,
                    photo=photo,
                    topic=topic,
                )
            ) from error
        except BotApiNetworkError as error:
            raise SendFailed(judge_network(str(error))) from error
        if not isinstance(message, dict) or not isinstance(message.get("message_id"), int):
            raise SendFailed(judge_network(f"{method}: the answer holds no message"))
        message_id: int = message["message_id"]
        return message_id


def _markup_key(markup: Markup | None) -> str | None:
    return None if markup is None else repr(markup)
