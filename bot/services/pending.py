"""Admin steps waiting for a confirmation (a previewed source's Save/Cancel), kept in the
database with their expiry: a restart loses none, and only the admin who started one can
finish it."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.errors import ServiceError
from storage import pending as pending_store
from storage.types import utcnow

MAX_PER_USER: Final = 50
"""An admin's waiting steps beyond this many are refused: a flood of previews keeps nothing."""


class PendingError(ServiceError):
    """`reason`: "expired" (gone, or never there), "not_yours", "too_many"."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Pending:
    token: str
    user_id: int
    payload: dict[str, Any]


async def park(
    session: AsyncSession,
    *,
    user_id: int,
    kind: str,
    payload: dict[str, Any],
    ttl: timedelta,
    now: datetime | None = None,
) -> str:
    """Keep a step for `ttl`; the token its buttons carry."""
    now = now or utcnow()
    await pending_store.drop_expired(session, now=now)
    if await pending_store.count_of(session, user_id) >= MAX_PER_USER:
        raise PendingError("too_many")
    token = secrets.token_urlsafe(9)
    await pending_store.put(
        session, token, user_id=user_id, kind=kind, payload=payload, expires_at=now + ttl
    )
    return token


async def take(
    session: AsyncSession, token: str, *, user_id: int, kind: str, now: datetime | None = None
) -> Pending:
    """The step under `token`, removed so that it is finished once. PendingError when it
    expired or was finished already, or when it is another admin's (then it stays)."""
    found = await pending_store.get(session, token, now=now or utcnow())
    if found is None or found.kind != kind:
        raise PendingError("expired")
    if found.user_id != user_id:
        raise PendingError("not_yours")
    if not await pending_store.drop(session, token):
        raise PendingError("expired")
    return Pending(found.token, found.user_id, dict(found.payload))
