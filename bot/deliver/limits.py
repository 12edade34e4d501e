"""Telegram's rate limits as the sender plans around them.

The overall limit is a pacer: each send takes the next free slot `1/rate` after the last
one, so sends never bunch above the rate, and a pause (a bot-wide 429) moves every later
slot. With several senders the rate is shared: each reserves a window of slots for the sends
it claimed from a budget in the database (`storage/budgets.py`) and paces them inside it.
Per-chat limits are spacing between sends to a chat, kept in the database
(`chats.next_send_at`) so every sender honours them.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable
from datetime import timedelta
from typing import Final

from bot.settings import Settings
from storage.models import ChatKind

# A 429 from this many different chats within the window means the whole bot is limited.
BOT_WIDE_CHATS: Final = 3
BOT_WIDE_WINDOW_SECONDS: Final = 1.0


class Pacer:
    """At most `rate` acquisitions per second, evenly spaced.

    Slots granted from a shared budget (`grant`) are used first, in order, each no earlier
    than its time; without grants the pacer spaces slots on its own. Either way two slots
    are never closer than `1/rate`, and a slot's time that has long passed is dropped rather
    than used at once (which would bunch sends).
    """

    def __init__(self, rate: float, clock: Callable[[], float] = time.monotonic) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self._interval = 1.0 / rate
        self._clock = clock
        self._next = 0.0
        self._granted: deque[float] = deque()
        self._pauses = 0
        self._paused_until = 0.0

    @property
    def rate(self) -> float:
        return 1.0 / self._interval

    def grant(self, start: float, count: int) -> None:
        """`count` slots from `start` (seconds from now), `1/rate` apart."""
        at = self._clock() + start
        self._granted.extend(at + i * self._interval for i in range(count))

    def reserve(self) -> float:
        """Take the next slot; returns the seconds to wait until it."""
        now = self._clock()
        while self._granted and self._granted[0] < now - self._interval:
            self._granted.popleft()
        base = self._granted.popleft() if self._granted else now
        slot = max(base, now, self._next)
        self._next = slot + self._interval
        return slot - now

    async def acquire(self) -> None:
        """Wait for a slot; a pause that comes meanwhile moves the wait past its end."""
        while True:
            pauses = self._pauses
            wait = self.reserve()
            if wait > 0:
                await asyncio.sleep(wait)
            if pauses == self._pauses or self._paused_until <= self._clock():
                return

    def pause(self, seconds: float) -> None:
        """No slot before `seconds` from now, for waits already begun too."""
        self._paused_until = max(self._paused_until, self._clock() + seconds)
        self._next = max(self._next, self._paused_until)
        self._pauses += 1


def chat_spacing(settings: Settings, kind: ChatKind) -> timedelta:
    """The least time between two messages to one chat of this kind."""
    if kind is ChatKind.PRIVATE:
        return timedelta(seconds=1.0 / settings.send_private_per_second)
    return timedelta(seconds=60.0 / settings.send_group_per_minute)


def budget_name(settings: Settings) -> str:
    """The shared budget of the bot's token (its numeric id), so that two bots sharing one
    database keep their own limits."""
    token = settings.telegram_bot_token
    bot_id = token.get_secret_value().split(":", 1)[0] if token is not None else ""
    return f"telegram:{bot_id}" if bot_id else "telegram"


def overall_rate(settings: Settings) -> float:
    return (
        settings.paid_broadcast_per_second if settings.paid_broadcast else settings.send_per_second
    )


class FloodWatch:
    """Tells a chat's own 429 from the whole bot's: Telegram's answer does not say which,
    but when several chats are refused at once the limit is the bot's."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._recent: deque[tuple[float, int]] = deque()

    def bot_wide(self, chat_id: int) -> bool:
        """Record a 429 for the chat; True when it points at a bot-wide limit."""
        now = self._clock()
        self._recent.append((now, chat_id))
        while self._recent and self._recent[0][0] < now - BOT_WIDE_WINDOW_SECONDS:
            self._recent.popleft()
        return len({chat for _, chat in self._recent}) >= BOT_WIDE_CHATS
