"""Who acts (an admin in Telegram, or the CLI), the record of every admin action, and that
record read back.

Every service function that changes what the deployment does takes an `Actor` and calls
`record` in the same transaction as the change, with the state before and after (plain JSON
values), so the trail never claims a change that was rolled back or misses one that was not.
"""

from __future__ import annotations

import json
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


# ---- the trail read back, for /audit and `nashra audit`: one compact line per action ----

DEFAULT_LIMIT: Final = 10
MAX_LIMIT: Final = 50
MAX_CHANGE_CHARS: Final = 300


@dataclass(frozen=True, slots=True)
class AuditLine:
    when: datetime
    actor_id: int | None  # None: the command line
    via: str
    action: str
    target: str
    change: str  # "before → after", compact


async def audit_lines(session: AsyncSession, limit: int = DEFAULT_LIMIT) -> list[AuditLine]:
    """The latest `limit` actions (1 to MAX_LIMIT), newest first."""
    limit = max(1, min(limit, MAX_LIMIT))
    return [
        AuditLine(
            when=row.created_at,
            actor_id=row.actor_id,
            via=row.via,
            action=row.action,
            target=row.target or "",
            change=change(row.before, row.after),
        )
        for row in await latest(session, limit)
    ]


def compact(snapshot: dict[str, Any] | None) -> str:
    """A snapshot as short JSON on one line (non-ASCII kept), or "-" for none."""
    if snapshot is None:
        return "-"
    return json.dumps(snapshot, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def change(before: dict[str, Any] | None, after: dict[str, Any] | None) -> str:
    """The keys that differ, before → after; the whole snapshots when one side is missing."""
    if before is not None and after is not None:
        keys = [k for k in sorted(before.keys() | after.keys()) if before.get(k) != after.get(k)]
        before = {k: before[k] for k in keys if k in before}
        after = {k: after[k] for k in keys if k in after}
    text = f"{compact(before)} → {compact(after)}"
    return text if len(text) <= MAX_CHANGE_CHARS else text[: MAX_CHANGE_CHARS - 1] + "…"


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
