"""Claiming the outbox: due deliveries taken under a lease, one chat's oldest first (several
at once as a digest), and what sending them needs read back.

A delivery is claimed only when no older one of its chat waits or is being sent, and only
once the chat's `next_send_at` has come; on PostgreSQL rows are locked with
FOR UPDATE SKIP LOCKED, so several senders never claim the same one.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import (
    Table,
    and_,
    case,
    func,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from storage.chat_options import NO_OPTIONS, ChatOptions, option_columns, options_from
from storage.db import dialect_name
from storage.deliveries import WAITING
from storage.models import (
    Article,
    Chat,
    ChatKind,
    Delivery,
    DeliveryState,
    Source,
)

_deliveries = cast(Table, Delivery.__table__)
_chats = cast(Table, Chat.__table__)
# A claimed row ends with its creation time and its chat's options (counted from the end,
# so that columns added before them move nothing).
_OPTIONS = -len(option_columns())
_CREATED = _OPTIONS - 1
_BRIEFING = _OPTIONS + 4  # the chat's briefing times


@dataclass(frozen=True, slots=True)
class ChatTarget:
    """What sending to a chat needs, copied out of its row."""

    id: int
    telegram_id: int
    kind: ChatKind
    language: str | None
    quiet_start_minute: int | None
    quiet_end_minute: int | None
    timezone: str | None
    options: ChatOptions = NO_OPTIONS


@dataclass(frozen=True, slots=True)
class ClaimedDelivery:
    id: int
    article_id: int
    attempts: int
    created_at: datetime | None = None
    thread_id: int | None = None  # the forum topic it goes to


@dataclass(frozen=True, slots=True)
class Claim:
    """Deliveries for one chat, oldest first: one post, or several to send as a digest."""

    chat: ChatTarget
    deliveries: tuple[ClaimedDelivery, ...]

    @property
    def ids(self) -> tuple[int, ...]:
        return tuple(d.id for d in self.deliveries)

    @property
    def is_digest(self) -> bool:
        return len(self.deliveries) > 1

    @property
    def thread_id(self) -> int | None:
        """The forum topic the claim goes to (a digest's deliveries all share it)."""
        return self.deliveries[0].thread_id


async def release_expired(session: AsyncSession, *, now: datetime) -> int:
    """Deliveries whose worker's lease ran out (it died) wait to be claimed again."""
    result = await session.execute(
        update(_deliveries)
        .where(_deliveries.c.state == DeliveryState.SENDING, _deliveries.c.lease_until < now)
        .values(state=DeliveryState.PENDING, lease_owner=None, lease_until=None)
    )
    return max(result.rowcount or 0, 0)  # type: ignore[attr-defined]


async def lease_owners(session: AsyncSession) -> set[str]:
    """The workers with deliveries being sent."""
    rows = await session.scalars(
        select(_deliveries.c.lease_owner)
        .where(_deliveries.c.state == DeliveryState.SENDING)
        .distinct()
    )
    return {owner for owner in rows if owner is not None}


async def release_leases(session: AsyncSession, owners: Sequence[str]) -> int:
    """The deliveries these (dead) workers were sending are pending again."""
    result = await session.execute(
        update(_deliveries)
        .where(_deliveries.c.state == DeliveryState.SENDING, _deliveries.c.lease_owner.in_(owners))
        .values(state=DeliveryState.PENDING, lease_owner=None, lease_until=None)
    )
    return max(result.rowcount or 0, 0)  # type: ignore[attr-defined]


async def claim(
    session: AsyncSession,
    *,
    now: datetime,
    limit: int,
    owner: str,
    lease: timedelta,
    digest_threshold: int = 0,
    digest_max: int = 20,
    briefing_max: int = 0,
) -> list[Claim]:
    """Lease up to `limit` due deliveries, at most one post per chat, oldest due first.

    A chat with more than `digest_threshold` (when > 0) due deliveries has its oldest
    `digest_max` claimed together, for a digest; those count towards `limit`. A chat that
    takes daily briefings has all its due deliveries (up to `briefing_max`, when > 0)
    claimed together, however many there are and whatever room is left. A digest or a
    briefing only holds deliveries for the forum topic of the chat's oldest.
    """
    if limit <= 0:
        return []
    earlier = _deliveries.alias("earlier")
    older_waiting = (
        select(literal(1))
        .where(
            earlier.c.chat_id == _deliveries.c.chat_id,
            earlier.c.id < _deliveries.c.id,
            earlier.c.state.in_(WAITING),
        )
        .exists()
    )
    columns = [
        _deliveries.c.id,
        _deliveries.c.chat_id,
        _deliveries.c.article_id,
        _deliveries.c.attempts,
        _deliveries.c.thread_id,
        _chats.c.telegram_id,
        _chats.c.kind,
        _chats.c.language,
        _chats.c.quiet_start_minute,
        _chats.c.quiet_end_minute,
        _chats.c.timezone,
        # Last, and in this order: see _CREATED and _OPTIONS.
        _deliveries.c.created_at,
        *option_columns(),
    ]
    query = (
        select(*columns)
        .join(_chats, _chats.c.id == _deliveries.c.chat_id)
        .where(
            _deliveries.c.state == DeliveryState.PENDING,
            _deliveries.c.next_attempt_at <= now,
            _chats.c.active.is_(True),
            or_(_chats.c.next_send_at.is_(None), _chats.c.next_send_at <= now),
            ~older_waiting,
        )
        .order_by(_deliveries.c.next_attempt_at, _deliveries.c.id)
        .limit(limit)
    )
    postgres = dialect_name(session) == "postgresql"
    if postgres:
        query = query.with_for_update(of=_deliveries, skip_locked=True)
    heads = list(await session.execute(query))
    if not heads:
        return []
    by_chat: dict[int, list[int]] = {row[1]: [row[0]] for row in heads}
    briefed = {row[1] for row in heads if row[_BRIEFING]}
    if digest_threshold > 0 or (briefed and briefing_max > 0):
        await _gather_digests(
            session,
            by_chat,
            {row[1]: row[4] for row in heads},
            now=now,
            threshold=digest_threshold,
            most=digest_max,
            limit=limit,
            lock=postgres,
            briefed=(briefed, briefing_max),
        )
        heads = [row for row in heads if row[1] in by_chat]
    ids = [i for chat_ids in by_chat.values() for i in chat_ids]
    await session.execute(
        update(_deliveries)
        .where(_deliveries.c.id.in_(ids))
        .values(state=DeliveryState.SENDING, lease_owner=owner, lease_until=now + lease)
    )
    return await _claims(session, heads, by_chat)


async def _gather_digests(
    session: AsyncSession,
    by_chat: dict[int, list[int]],
    threads: dict[int, int | None],
    *,
    now: datetime,
    threshold: int,
    most: int,
    limit: int,
    lock: bool,
    briefed: tuple[set[int], int] = (set(), 0),
) -> None:
    """Widen crowded chats' claims to digests (of the head's forum topic, `threads` by chat),
    `limit` deliveries in all; the chats in `briefed` (with its most) get all their due
    deliveries, outside that limit.

    Chats are taken in claim order, each costing the deliveries its claim carries; those
    that no longer fit are left out (they wait for the next claim). Otherwise a saturated
    outbox, with as many chats due as the limit, would leave no room for any digest, and a
    backlog would go out one post per chat and turn, growing for good.
    """
    briefing_chats, briefing_most = briefed if briefed[1] > 0 else (set(), 0)
    due = and_(
        _deliveries.c.chat_id.in_(list(by_chat)),
        _deliveries.c.state == DeliveryState.PENDING,
        _deliveries.c.next_attempt_at <= now,
    )
    counts = await session.execute(
        select(_deliveries.c.chat_id, func.count())
        .where(due)
        .group_by(_deliveries.c.chat_id)
        .having(func.count() > 1)
    )
    counted: dict[int, int] = dict(counts.all())
    sizes: dict[int, int] = {}
    budget = limit
    for chat_id in list(by_chat):
        if chat_id in briefing_chats:
            sizes[chat_id] = min(counted.get(chat_id, 1), briefing_most)
            continue
        if budget <= 0:
            del by_chat[chat_id]
            continue
        size = min(counted.get(chat_id, 1), most, budget)
        sizes[chat_id] = size if threshold > 0 and size > threshold else 1
        budget -= sizes[chat_id]
    crowded = [chat_id for chat_id, size in sizes.items() if size > 1]
    if not crowded:
        return
    most_of_chat: ColumnElement[int] = (
        case((_deliveries.c.chat_id.in_(briefing_chats), briefing_most), else_=most)
        if briefing_chats
        else literal(most)
    )
    ranked = (
        select(
            _deliveries.c.id,
            _deliveries.c.chat_id,
            _deliveries.c.thread_id,
            func.row_number()
            .over(partition_by=_deliveries.c.chat_id, order_by=_deliveries.c.id)
            .label("position"),
            most_of_chat.label("most"),
        )
        .where(due, _deliveries.c.chat_id.in_(crowded))
        .subquery()
    )
    query = select(ranked.c.id, ranked.c.chat_id, ranked.c.thread_id).where(
        ranked.c.position <= ranked.c.most
    )
    rows = [
        row
        for row in await session.execute(query.order_by(ranked.c.chat_id, ranked.c.id))
        if row.thread_id == threads.get(row.chat_id)
    ]
    if lock:
        # Lock what the window function chose; rows another worker took meanwhile drop out.
        locked = set(
            await session.scalars(
                select(_deliveries.c.id)
                .where(_deliveries.c.id.in_([r.id for r in rows]))
                .with_for_update(skip_locked=True)
            )
        )
        rows = [r for r in rows if r.id in locked]
    grouped: dict[int, list[int]] = defaultdict(list)
    for delivery_id, chat_id, _thread in rows:
        grouped[chat_id].append(delivery_id)
    for chat_id, delivery_ids in grouped.items():
        if delivery_ids and delivery_ids[0] == by_chat[chat_id][0]:
            by_chat[chat_id] = delivery_ids[: sizes[chat_id]]


async def _claims(
    session: AsyncSession, heads: Sequence[Any], by_chat: dict[int, list[int]]
) -> list[Claim]:
    # id, chat_id, article_id, attempts, thread_id, the chat's columns, created_at, its options
    deliveries = {
        row[0]: ClaimedDelivery(row[0], row[2], row[3], row[_CREATED], row[4]) for row in heads
    }
    more = [i for chat_ids in by_chat.values() for i in chat_ids if i not in deliveries]
    if more:
        rows = await session.execute(
            select(
                _deliveries.c.id,
                _deliveries.c.article_id,
                _deliveries.c.attempts,
                _deliveries.c.created_at,
                _deliveries.c.thread_id,
            ).where(_deliveries.c.id.in_(more))
        )
        deliveries |= {r[0]: ClaimedDelivery(r[0], r[1], r[2], r[3], r[4]) for r in rows}
    claims = []
    for row in heads:
        chat_id = row[1]
        telegram_id, kind, language, quiet_start, quiet_end, zone = row[5:11]
        target = ChatTarget(
            chat_id,
            telegram_id,
            kind,
            language,
            quiet_start,
            quiet_end,
            zone,
            options_from(row[_OPTIONS:]),
        )
        claims.append(Claim(target, tuple(deliveries[i] for i in by_chat[chat_id])))
    return claims


async def load_articles(
    session: AsyncSession, article_ids: Iterable[int]
) -> dict[int, tuple[Article, Source]]:
    """The articles (with their sources) a batch of claims will send."""
    wanted = sorted(set(article_ids))
    if not wanted:
        return {}
    rows = await session.execute(
        select(Article, Source)
        .join(Source, Source.id == Article.source_id)
        .where(Article.id.in_(wanted))
    )
    return {article.id: (article, source) for article, source in rows}
