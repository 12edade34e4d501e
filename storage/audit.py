"""Queries on the audit trail of admin actions."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import AdminAction


async def add_action(
    session: AsyncSession,
    *,
    actor_id: int | None,
    via: str,
    action: str,
    target: str | None,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> AdminAction:
    row = AdminAction(
        actor_id=actor_id,
        via=via,
        action=action[:64],
        target=target[:256] if target else None,
        before=before,
        after=after,
    )
    session.add(row)
    await session.flush()
    return row


async def latest_actions(session: AsyncSession, limit: int, offset: int = 0) -> list[AdminAction]:
    """The newest actions first."""
    rows = await session.scalars(
        select(AdminAction)
        .order_by(AdminAction.created_at.desc(), AdminAction.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return list(rows)
