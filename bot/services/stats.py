"""The deployment at a glance, for /stats and `nashra stats`.

"Today" is the UTC day of `now` (the day the daily counters use), whatever TIMEZONE says:
both fronts label it so.

* chats: active chats by kind (private, group, supergroup, channel), and how many are inactive
  (the bot was removed or blocked);
* subscriptions: per category (every category, in the readers' order), active chats only;
* sources: ok / failing / paused / new (never polled yet), as `nashra sources list` shows them;
* articles today: articles fetched today, a source's first-poll backfill (never delivered)
  left out;
* deliveries: sent today (a post or a digest, by `sent_at`), pending now (waiting or being
  sent, whenever queued), failed today (the sender's daily counter);
* 429s today: Telegram's "too many requests" answers (the sender's daily counter);
* filtered out today: posts a chat's word filter kept from it (fan-out's daily counter);
* median fetch → send: over the deliveries sent today, from the article's fetch to the send.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.sources import source_states
from storage import counters as counter_store
from storage import stats as stat_store
from storage.filtered import FILTERED_COUNTER
from storage.models import ChatKind

SOURCE_STATES = ("ok", "failing", "paused", "new")


@dataclass(frozen=True, slots=True)
class Stats:
    day: date  # the UTC day "today" means
    chats: dict[str, int]  # active chats by kind, every kind present
    inactive_chats: int
    subscriptions: list[tuple[str, int]]  # (category slug, active chats subscribed)
    sources: dict[str, int]  # ok | failing | paused | new
    articles_today: int
    sent_today: int
    pending: int
    failed_today: int
    http_429_today: int
    filtered_today: int
    median_fetch_to_send: timedelta | None  # None: nothing sent today

    @property
    def active_chats(self) -> int:
        return sum(self.chats.values())


async def collect_stats(session: AsyncSession, now: datetime) -> Stats:
    """The figures for the UTC day of `now`."""
    now = now.astimezone(UTC)
    day = now.date()
    start = datetime.combine(day, time(), tzinfo=UTC)
    end = start + timedelta(days=1)

    active, inactive = await stat_store.chats_by_kind(session)
    chats = {kind.value: active.get(kind, 0) for kind in ChatKind}
    subscriptions = await stat_store.subscriptions_by_category(session)
    sources = dict.fromkeys(SOURCE_STATES, 0)
    for state in await source_states(session, now=now):
        sources[state.state] = sources.get(state.state, 0) + 1
    sent = await stat_store.sent_between(session, start, end)
    waits = [max(0.0, (sent_at - fetched_at).total_seconds()) for sent_at, fetched_at in sent]
    counts = await counter_store.counts_on(session, day)
    return Stats(
        day=day,
        chats=chats,
        inactive_chats=inactive,
        subscriptions=subscriptions,
        sources=sources,
        articles_today=await stat_store.articles_fetched(session, start, end),
        sent_today=len(sent),
        pending=await stat_store.pending_deliveries(session),
        failed_today=counts.get("failed", 0),
        http_429_today=counts.get("http_429", 0),
        filtered_today=counts.get(FILTERED_COUNTER, 0),
        median_fetch_to_send=timedelta(seconds=statistics.median(waits)) if waits else None,
    )


def duration(value: timedelta | None) -> str:
    """A short duration: 42s, 3m 05s, 2h 10m; "-" for none."""
    if value is None:
        return "-"
    seconds = round(value.total_seconds())
    if seconds < 60:
        return f"{seconds}s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m {seconds:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m"
