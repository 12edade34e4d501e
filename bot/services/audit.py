"""Who acts (an admin in Telegram, or the CLI), the record of every admin action, and that
record read back.

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


# ---- the trail read back, for /audit and `nashra audit`: one compact line per action ----

DEFAULT_LIMIT: Final = 10
MAX_LIMIT: Final = 50
MAX_CHANGE_CHARS: Final = 300


@dataclass(frozen=True, slots=True)
class FieldChange:
    """One field of an action's record: what it was and what it became (MISSING when the
    action made or removed the whole thing)."""

    field: str
    before: Any
    after: Any


MISSING: Final = object()


@dataclass(frozen=True, slots=True)
class AuditLine:
    when: datetime
    actor_id: int | None  # None: the command line
    via: str
    action: str
    target: str
    changes: tuple[FieldChange, ...]


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
            changes=field_changes(row.before, row.after),
        )
        for row in await latest(session, limit)
    ]


def field_changes(
    before: dict[str, Any] | None, after: dict[str, Any] | None
) -> tuple[FieldChange, ...]:
    """The fields that differ between the two records, in key order; every field of the one
    record there is when the other is missing. A sync's or an import's record, keyed by URL,
    gives one change per URL."""
    old, new = before or {}, after or {}
    return tuple(
        FieldChange(key, old.get(key, MISSING), new.get(key, MISSING))
        for key in sorted(old.keys() | new.keys())
        if old.get(key, MISSING) != new.get(key, MISSING)
    )


def readable(value: Any, *, yes: str, no: str, nothing: str) -> str:
    """A recorded value for a person: yes/no, lists joined, names as "ar: …, en: …", cut
    short when long."""
    if value is MISSING or value is None or value in ("", [], {}):
        text = nothing
    elif isinstance(value, bool):
        text = yes if value else no
    elif isinstance(value, list):
        text = ", ".join(readable(v, yes=yes, no=no, nothing=nothing) for v in value)
    elif isinstance(value, dict):
        text = ", ".join(
            f"{k}: {readable(v, yes=yes, no=no, nothing=nothing)}" for k, v in value.items()
        )
    else:
        text = str(value)
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
