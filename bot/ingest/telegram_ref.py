"""Public Telegram channels by name: what an admin pastes (`https://t.me/NAME`, `t.me/s/NAME`,
`@NAME`) to the channel's username, and the URLs built from it. Pure; no I/O.

The channel keeps its public identity (`https://t.me/NAME`, posts `https://t.me/NAME/ID`)
whatever base URL its preview pages are fetched from (TELEGRAM_WEB_BASE_URL: a mirror, or a
local server in tests).
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Final
from urllib.parse import urlencode, urlsplit

TELEGRAM_PUBLIC_BASE: Final = "https://t.me"

# Telegram usernames: 5-32 characters of A-Z a-z 0-9 _, starting with a letter.
_USERNAME: Final = re.compile(r"[A-Za-z][A-Za-z0-9_]{4,31}", re.ASCII)
_HOSTS: Final = frozenset({"t.me", "www.t.me", "telegram.me", "www.telegram.me", "telegram.dog"})
# First path segments of t.me that are not usernames (invite links, sticker sets, sharing…).
_NOT_CHANNELS: Final = frozenset(
    {
        "addemoji",
        "addlist",
        "addstickers",
        "addtheme",
        "boost",
        "confirmphone",
        "contact",
        "giftcode",
        "invoice",
        "login",
        "proxy",
        "setlanguage",
        "share",
        "socks",
    }
)
_PRIVATE_PREFIXES: Final = ("+", "joinchat")


class RefProblem(StrEnum):
    """Why a text does not name a public Telegram channel."""

    NOT_TELEGRAM = "not_telegram"
    PRIVATE = "private"
    INVALID_NAME = "invalid_name"
    NOT_A_CHANNEL = "not_a_channel"


class ChannelRefError(ValueError):
    """The text is not a public channel's name or link; `problem` says why."""

    def __init__(self, problem: RefProblem, message: str) -> None:
        self.problem = problem
        self.message = message
        super().__init__(message)


def is_telegram_ref(value: str) -> bool:
    """Whether `value` is meant as a Telegram reference (@name or a t.me link), valid or not."""
    text = value.strip()
    return text.startswith("@") or _telegram_path(text) is not None


def channel_name(value: str) -> str:
    """The username in `https://t.me/NAME`, `t.me/s/NAME`, `t.me/NAME/123` or `@NAME`.

    Raises ChannelRefError for anything else: another site, an invite link (a private
    channel or group), a t.me link that is not a username, or a name Telegram would refuse.
    """
    text = value.strip()
    if text.startswith("@"):
        return _valid(text[1:])
    path = _telegram_path(text)
    if path is None:
        raise ChannelRefError(
            RefProblem.NOT_TELEGRAM, "not a Telegram link: give https://t.me/NAME or @NAME"
        )
    segments = [segment for segment in path.split("/") if segment]
    if segments[:1] == ["s"]:
        segments = segments[1:]
    if not segments:
        raise ChannelRefError(RefProblem.INVALID_NAME, "the link names no channel")
    first = segments[0]
    if first.startswith(_PRIVATE_PREFIXES) or first == "c":
        raise ChannelRefError(
            RefProblem.PRIVATE,
            "an invite or private link: only public channels (t.me/NAME) can be followed",
        )
    if first.lower() in _NOT_CHANNELS:
        raise ChannelRefError(RefProblem.NOT_A_CHANNEL, f"t.me/{first} links name no channel")
    return _valid(first)


def preview_url(
    name: str, *, base_url: str = TELEGRAM_PUBLIC_BASE, before: int | None = None
) -> str:
    """The channel's preview page (`BASE/s/NAME`), or its page of posts older than `before`."""
    url = f"{base_url.rstrip('/')}/s/{name}"
    return f"{url}?{urlencode({'before': before})}" if before is not None else url


def channel_url(name: str) -> str:
    """The channel's public link, whatever base its pages are fetched from."""
    return f"{TELEGRAM_PUBLIC_BASE}/{name}"


def post_url(name: str, post_id: int) -> str:
    """A post's public permalink."""
    return f"{TELEGRAM_PUBLIC_BASE}/{name}/{post_id}"


def _telegram_path(text: str) -> str | None:
    """The path of a t.me / telegram.me link (scheme optional), or None for anything else."""
    candidate = text if "://" in text else f"https://{text}"
    try:
        parts = urlsplit(candidate)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or (parts.hostname or "") not in _HOSTS:
        return None
    return parts.path


def _valid(name: str) -> str:
    if not _USERNAME.fullmatch(name):
        raise ChannelRefError(
            RefProblem.INVALID_NAME,
            f"{name[:40]!r} is not a Telegram username (5-32 letters, digits or _, "
            "starting with a letter)",
        )
    return name
