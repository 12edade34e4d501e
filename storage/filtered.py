"""Fan-out for subscriptions with a word filter: each new article's words are read once and
every filter on its category tried (the judge, `admit`, is bot/text/filters.py's
`admitter`, handed in: storage does not read filters). storage/deliveries.py: `fan_out`
gives the subscriptions without one their deliveries in one statement and calls this for
the rest.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, String, Table, select
from sqlalchemy import cast as sql_cast
from sqlalchemy.ext.asyncio import AsyncSession

from storage import counters as counter_store
from storage.articles import insert_ignoring_conflicts
from storage.models import Article, Chat, Delivery, DeliveryState, Subscription

Admit = Callable[[Sequence[str]], Callable[[Mapping[str, Any]], bool]]
"""Given an article's texts (title, headline, summary, text), a test of a subscription's
stored filter: whether the article passes it (bot/text/filters.py: `admitter`)."""

FILTERED_COUNTER = "filtered"
"""The daily counter of posts a chat's filter kept from it (storage/counters.py)."""


_deliveries = cast(Table, Delivery.__table__)


def unfiltered() -> ColumnElement[bool]:
    """A subscription without a filter."""
    # Filters are written as {} when there are none (storage/subscriptions.py), so their text
    # is compared: JSON has no equality on PostgreSQL.
    return sql_cast(Subscription.filters, String) == "{}"


async def filtered_fan_out(
    session: AsyncSession,
    conditions: Sequence[ColumnElement[bool]],
    *,
    now: datetime,
    admit: Admit,
) -> int:
    """Deliveries for the subscriptions with a filter that the `conditions` (the articles,
    the active chats) select, when the filter lets the article through; those held back are
    added to the day's FILTERED_COUNTER. Returns the deliveries created."""
    pairs = list(
        await session.execute(
            select(
                Article.id,
                Article.story_id,
                Subscription.chat_id,
                Subscription.filters,
                Subscription.thread_id,
            )
            .join(Subscription, Subscription.category_id == Article.category_id)
            .join(Chat, Chat.id == Subscription.chat_id)
            .where(*conditions, ~unfiltered())
            .order_by(Article.id, Subscription.chat_id)
        )
    )
    if not pairs:
        return 0
    texts = await session.execute(
        select(Article.id, Article.title, Article.headline, Article.summary, Article.text).where(
            Article.id.in_({pair[0] for pair in pairs})
        )
    )
    tests = {row[0]: admit([part or "" for part in row[1:]]) for row in texts}
    rows: list[dict[str, object]] = []
    held = 0
    for article_id, story_id, chat_id, filters, thread_id in pairs:
        if not tests[article_id](filters or {}):
            held += 1
            continue
        rows.append(
            {
                "article_id": article_id,
                "chat_id": chat_id,
                "story_id": story_id,
                "state": DeliveryState.PENDING,
                "attempts": 0,
                "next_attempt_at": now,
                "created_at": now,
                "thread_id": thread_id,
            }
        )
    if held:
        await counter_store.add_counts(
            session, now.astimezone(UTC).date(), {FILTERED_COUNTER: held}
        )
    if not rows:
        return 0
    result = await session.execute(insert_ignoring_conflicts(session, _deliveries), rows)
    return max(result.rowcount or 0, 0)  # type: ignore[attr-defined]
