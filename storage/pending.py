"""Queries on pending admin actions: put one away, take it back once."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import PendingAction


async def put(
    session: AsyncSession,
    token: str,
    *,
    user_id: int,
    kind: str,
    payload: dict[str, Any],
    expires_at: datetime,
) -> None:
    session.add(
        PendingAction(
            token=token, user_id=user_id, kind=kind, payload=payload, expires_at=expires_at
        )
    )
    await session.flush()


async def get(session: AsyncSession, token: str, *, now: datetime) -> PendingAction | None:
    """The action under `token`, unless it expired."""
    return await session.scalar(
        select(PendingAction).where(PendingAction.token == token, PendingAction.expires_at > now)
    )


async def drop(session: AsyncSession, token: str) -> bool:
    """Remove the action; False when it was gone already (another press took it)."""
    result = await session.execute(delete(PendingAction).where(PendingAction.token == token))
    return bool(getattr(result, "rowcount", 0))


async def drop_expired(session: AsyncSession, *, now: datetime) -> int:
    result = await session.execute(delete(PendingAction).where(PendingAction.expires_at <= now))
    return int(getattr(result, "rowcount", 0) or 0)


async def count_of(session: AsyncSession, user_id: int) -> int:
    return (
        await session.scalar(
            select(func.count()).select_from(PendingAction).where(PendingAction.user_id == user_id)
        )
        or 0
    )
