"""The outbox: one delivery row per post and chat, claimed under a lease, updated with what
Telegram answered.

A chat gets each story at most once (unique chat and story), its posts in the order they
were stored (a delivery is claimed only when no older one of its chat waits or is being
sent), and no faster than its `next_send_at` allows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import cast

from sqlalchemy import (
    ColumnElement,
    Table,
    and_,
    bindparam,
    case,
    delete,
    func,
    literal,
    or_,
    select,
    type_coerce,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from storage import subscriptions as subscription_store
from storage.articles import insert_ignoring_conflicts
from storage.filtered import Admit, filtered_fan_out, unfiltered
from storage.models import (
    Article,
    ArticleStatus,
    Chat,
    ChatKind,
    Delivery,
    DeliveryState,
    Subscription,
)
from storage.types import UTCDateTime

WAITING = (DeliveryState.PENDING, DeliveryState.SENDING)

_deliveries = cast(Table, Delivery.__table__)
_chats = cast(Table, Chat.__table__)


async def fan_out(
    session: AsyncSession, article_ids: Sequence[int], *, now: datetime, admit: Admit
) -> int:
    """One pending delivery per active chat subscribed to each ready article's category,
    when the subscription's filter (judged by `admit`) lets the article through.

    Runs in the transaction that stores the articles. A chat that already has the article's
    story (from another source) gets nothing new. Returns the deliveries created; those that
    filters held back are counted (storage/filtered.py).
    """
    if not article_ids:
        return 0
    chosen = (
        select(
            Article.id,
            Subscription.chat_id,
            Article.story_id,
            literal(DeliveryState.PENDING.value),
            literal(0),
            literal(now, type_=_deliveries.c.next_attempt_at.type),
            literal(now, type_=_deliveries.c.created_at.type),
            Subscription.thread_id,
        )
        .join(Subscription, Subscription.category_id == Article.category_id)
        .join(Chat, Chat.id == Subscription.chat_id)
        .where(*_fan_out_conditions(article_ids), unfiltered())
        .order_by(Article.id, Subscription.chat_id)
    )
    statement = insert_ignoring_conflicts(session, _deliveries).from_select(
        [
            "article_id",
            "chat_id",
            "story_id",
            "state",
            "attempts",
            "next_attempt_at",
            "created_at",
            "thread_id",
        ],
        chosen,
    )
    result = await session.execute(statement)
    created = max(result.rowcount or 0, 0)  # type: ignore[attr-defined]
    filtered = await filtered_fan_out(
        session, _fan_out_conditions(article_ids), now=now, admit=admit
    )
    return created + filtered


def _fan_out_conditions(article_ids: Sequence[int]) -> list[ColumnElement[bool]]:
    had = _deliveries.alias("had")
    story_delivered = (
        select(literal(1))
        .where(had.c.chat_id == Subscription.chat_id, had.c.story_id == Article.story_id)
        .exists()
    )
    return [
        Article.id.in_(article_ids),
        Article.status == ArticleStatus.READY,
        Article.story_id.is_not(None),
        Chat.active.is_(True),
        ~story_delivered,  # the unique constraint holds anyway; this skips the work
    ]


@dataclass(frozen=True, slots=True)
class Outcome:
    """What became of one claim. `state` is where its deliveries go:

    SENT/DIGESTED with `message_id`; PENDING again at `next_attempt_at` (`attempted`: the try
    counts towards the attempt limit); FAILED or CANCELLED with `error`. `chat_next_send_at`
    paces the chat; `chat_gone` makes the chat inactive and cancels everything it has waiting;
    `moved_to` gives the chat its new Telegram id (a group that became a supergroup);
    `chat_briefed_at` is when the chat's daily briefing was sent; `topic_gone` (a forum
    topic's id) sends what the chat has for that topic to its General topic from now on.
    """

    delivery_ids: tuple[int, ...]
    chat_id: int
    state: DeliveryState
    message_id: int | None = None
    sent_as: str | None = None
    sent_at: datetime | None = None
    error: str | None = None
    next_attempt_at: datetime | None = None
    attempted: bool = False
    chat_next_send_at: datetime | None = None
    chat_gone: str | None = None
    moved_to: int | None = None
    chat_briefed_at: datetime | None = None
    topic_gone: int | None = None


@dataclass(slots=True)
class _Rows:
    sent: list[dict[str, object]] = field(default_factory=list)
    pending: list[dict[str, object]] = field(default_factory=list)
    ended: list[dict[str, object]] = field(default_factory=list)
    paced: list[dict[str, object]] = field(default_factory=list)


async def record(session: AsyncSession, outcomes: Sequence[Outcome]) -> None:
    """Write what Telegram answered: one executemany per kind of change."""
    rows = _Rows()
    for outcome in outcomes:
        for delivery_id in outcome.delivery_ids:
            _add_row(rows, outcome, delivery_id)
        if outcome.chat_next_send_at is not None:
            rows.paced.append({"_id": outcome.chat_id, "_at": outcome.chat_next_send_at})
    d = _deliveries
    if rows.sent:
        await session.execute(
            update(d)
            .where(d.c.id == bindparam("_id"))
            .values(
                state=bindparam("_state"),
                telegram_message_id=bindparam("_message_id"),
                sent_as=bindparam("_sent_as"),
                sent_at=bindparam("_sent_at"),
                attempts=d.c.attempts + 1,
                last_error=bindparam("_error"),
                lease_owner=None,
                lease_until=None,
            ),
            rows.sent,
        )
    if rows.pending:
        await session.execute(
            update(d)
            .where(d.c.id == bindparam("_id"))
            .values(
                state=DeliveryState.PENDING,
                attempts=d.c.attempts + bindparam("_attempted"),
                next_attempt_at=bindparam("_at"),
                last_error=bindparam("_error"),
                lease_owner=None,
                lease_until=None,
            ),
            rows.pending,
        )
    if rows.ended:
        await session.execute(
            update(d)
            .where(d.c.id == bindparam("_id"))
            .values(
                state=bindparam("_state"),
                attempts=d.c.attempts + 1,
                last_error=bindparam("_error"),
                lease_owner=None,
                lease_until=None,
            ),
            rows.ended,
        )
    if rows.paced:
        await session.execute(
            update(_chats)
            .where(_chats.c.id == bindparam("_id"))
            .values(next_send_at=bindparam("_at")),
            rows.paced,
        )
    briefed = [
        {"_id": o.chat_id, "_at": o.chat_briefed_at}
        for o in outcomes
        if o.chat_briefed_at is not None
    ]
    if briefed:
        await session.execute(
            update(_chats)
            .where(_chats.c.id == bindparam("_id"))
            .values(briefed_at=bindparam("_at")),
            briefed,
        )
    for outcome in outcomes:
        if outcome.topic_gone is not None:
            await leave_topic(session, outcome.chat_id, outcome.topic_gone)
        if outcome.moved_to is not None:
            await move_chat(session, outcome.chat_id, outcome.moved_to)
        if outcome.chat_gone is not None:
            await deactivate_chat(session, outcome.chat_id, outcome.chat_gone)


async def leave_topic(session: AsyncSession, chat_id: int, thread_id: int) -> set[int]:
    """The chat's forum topic is gone (deleted or closed): its subscriptions, and the posts
    waiting for it, go to the chat's General topic. Returns the categories moved."""
    moved = await subscription_store.leave_topic(session, chat_id, thread_id)
    await session.execute(
        update(_deliveries)
        .where(
            _deliveries.c.chat_id == chat_id,
            _deliveries.c.thread_id == thread_id,
            _deliveries.c.state.in_(WAITING),
        )
        .values(thread_id=None)
    )
    return moved


def _add_row(rows: _Rows, outcome: Outcome, delivery_id: int) -> None:
    state = outcome.state
    if state in (DeliveryState.SENT, DeliveryState.DIGESTED):
        rows.sent.append(
            {
                "_id": delivery_id,
                "_state": state,
                "_message_id": outcome.message_id,
                "_sent_as": outcome.sent_as,
                "_sent_at": outcome.sent_at,
                "_error": outcome.error,
            }
        )
    elif state is DeliveryState.PENDING:
        rows.pending.append(
            {
                "_id": delivery_id,
                "_attempted": 1 if outcome.attempted else 0,
                "_at": outcome.next_attempt_at,
                "_error": outcome.error,
            }
        )
    else:
        rows.ended.append({"_id": delivery_id, "_state": state, "_error": outcome.error})


async def deactivate_chat(session: AsyncSession, chat_id: int, reason: str) -> int:
    """The chat stops being reachable: inactive, and what waits for it is cancelled.

    Returns the deliveries cancelled.
    """
    await session.execute(
        update(_chats)
        .where(_chats.c.id == chat_id)
        .values(active=False, inactive_reason=reason[:256])
    )
    return await cancel_waiting(session, chat_id, reason)


async def cancel_waiting(session: AsyncSession, chat_id: int, reason: str) -> int:
    """Cancel the chat's pending deliveries and those being sent (their sends are moot)."""
    result = await session.execute(
        update(_deliveries)
        .where(_deliveries.c.chat_id == chat_id, _deliveries.c.state.in_(WAITING))
        .values(
            state=DeliveryState.CANCELLED,
            last_error=reason[:1000],
            lease_owner=None,
            lease_until=None,
        )
    )
    return max(result.rowcount or 0, 0)  # type: ignore[attr-defined]


async def move_chat(session: AsyncSession, chat_id: int, new_telegram_id: int) -> int:
    """A group became a supergroup with a new id: the chat row takes the new id.

    When the new id already has a row (its my_chat_member came first), that row gets the
    old one's subscriptions and waiting deliveries, and the old row becomes inactive.
    Returns the id of the row that now stands for the chat.
    """
    existing = await session.scalar(select(Chat.id).where(Chat.telegram_id == new_telegram_id))
    if existing is None or existing == chat_id:
        await session.execute(
            update(_chats)
            .where(_chats.c.id == chat_id)
            .values(telegram_id=new_telegram_id, kind=ChatKind.SUPERGROUP)
        )
        return chat_id
    subscriptions = list(
        await session.execute(
            select(Subscription.category_id, Subscription.filters).where(
                Subscription.chat_id == chat_id
            )
        )
    )
    if subscriptions:
        await session.execute(
            insert_ignoring_conflicts(session, Subscription),
            [{"chat_id": existing, "category_id": c, "filters": f or {}} for c, f in subscriptions],
        )
    await session.execute(delete(Subscription).where(Subscription.chat_id == chat_id))
    waiting = list(
        await session.execute(
            select(_deliveries.c.article_id, _deliveries.c.story_id, _deliveries.c.created_at)
            .where(_deliveries.c.chat_id == chat_id, _deliveries.c.state.in_(WAITING))
            .order_by(_deliveries.c.id)
        )
    )
    if waiting:
        await session.execute(
            insert_ignoring_conflicts(session, _deliveries),
            [
                {
                    "article_id": article_id,
                    "chat_id": existing,
                    "story_id": story_id,
                    "state": DeliveryState.PENDING,
                    "attempts": 0,
                    "next_attempt_at": created_at,
                    "created_at": created_at,
                }
                for article_id, story_id, created_at in waiting
            ],
        )
    await deactivate_chat(session, chat_id, f"migrated to {new_telegram_id}")
    await session.execute(
        update(_chats).where(_chats.c.id == existing).values(active=True, inactive_reason=None)
    )
    return existing


async def release_quiet_hold(session: AsyncSession, chat_id: int, *, now: datetime) -> int:
    """The posts held until the end of the chat's quiet hours are due now (its quiet hours
    changed; the sender holds them again if the new span says so). Returns how many."""
    held_until = await session.scalar(select(_chats.c.next_send_at).where(_chats.c.id == chat_id))
    if held_until is None or held_until <= now:
        return 0
    result = await session.execute(
        update(_deliveries)
        .where(
            _deliveries.c.chat_id == chat_id,
            _deliveries.c.state == DeliveryState.PENDING,
            _deliveries.c.last_error.is_(None),
            _deliveries.c.next_attempt_at == held_until,
        )
        .values(next_attempt_at=now)
    )
    released = max(result.rowcount or 0, 0)  # type: ignore[attr-defined]
    if released:
        await session.execute(
            update(_chats).where(_chats.c.id == chat_id).values(next_send_at=None)
        )
    return released


async def state_counts(session: AsyncSession) -> dict[DeliveryState, int]:
    """How many deliveries are in each state."""
    rows = await session.execute(
        select(_deliveries.c.state, func.count()).group_by(_deliveries.c.state)
    )
    return {DeliveryState(state): count for state, count in rows}


async def waiting_count(session: AsyncSession, *, due_by: datetime) -> int:
    """Deliveries being sent, or pending and due by `due_by`."""
    count = await session.scalar(
        select(func.count()).where(
            or_(
                _deliveries.c.state == DeliveryState.SENDING,
                and_(
                    _deliveries.c.state == DeliveryState.PENDING,
                    _deliveries.c.next_attempt_at <= due_by,
                ),
            )
        )
    )
    return count or 0


async def next_due(session: AsyncSession) -> datetime | None:
    """About when the next pending delivery may go (its own time or its chat's pace); None
    when nothing is pending. Early rather than late: the order within chats is not looked at."""
    when = case(
        (
            and_(
                _chats.c.next_send_at.is_not(None),
                _chats.c.next_send_at > _deliveries.c.next_attempt_at,
            ),
            _chats.c.next_send_at,
        ),
        else_=_deliveries.c.next_attempt_at,
    )
    return await session.scalar(
        select(type_coerce(func.min(when), UTCDateTime()))
        .select_from(_deliveries.join(_chats, _chats.c.id == _deliveries.c.chat_id))
        .where(_deliveries.c.state == DeliveryState.PENDING, _chats.c.active.is_(True))
    )
