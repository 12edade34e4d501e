"""Who acts (an admin in Telegram, or the CLI) and the record of every admin action.

Every service function that changes what the deployment does takes an `Actor` and calls
`record` in the same transaction as the change, with the state before and after (plain JSON
values), so the trail never claims a change that was rolled back or misses one that was not.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from sqlalchemy.ext.asyncio import AsyncSession

from storage import audit as audit_store
from storage.models import AdminAction

Snapshot = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Actor:
    user_id: int | None  # None: the command line
    via: str  # "telegram" | "cli"

    @classmethod
    def telegram(cls, user_id: int) -> Actor:
        return cls(user_id, "telegram")

    def describe(self) -> str:
        return f"user {self.user_id}" if self.user_id is not None else "the command line"


CLI: Final = Actor(None, "cli")


async def record(
    session: AsyncSession,
    actor: Actor,
    action: str,
    target: str | None,
    *,
    before: Snapshot | None = None,
    after: Snapshot | None = None,
) -> AdminAction:
    """Store one admin action (`action` like "source.pause", `target` like "source 12")."""
    return await audit_store.add_action(
        session,
        actor_id=actor.user_id,
        via=actor.via,
        action=action,
        target=target,
        before=_plain(before),
        after=_plain(after),
    )


async def latest(session: AsyncSession, limit: int = 20, offset: int = 0) -> list[AdminAction]:
    return await audit_store.latest_actions(session, limit, offset)


def _plain(snapshot: Snapshot | None) -> Snapshot | None:
    """JSON-safe: datetimes as ISO strings, enums as their values, tuples as lists."""
    if snapshot is None:
        return None
    return {key: _value(value) for key, value in snapshot.items()}


def _value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _value(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_value(v) for v in value]
    if hasattr(value, "value") and isinstance(value.value, str | int):
        return value.value
    return value
