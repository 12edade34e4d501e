"""Counters per UTC day, added to by every worker (deliveries by outcome, 429s …)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import dialect_name
from storage.models import DailyCount


async def add_counts(session: AsyncSession, day: date, counts: Mapping[str, int]) -> None:
    """Add to the day's counters, creating the ones missing."""
    rows = [{"day": day, "name": name, "value": n} for name, n in counts.items() if n]
    if not rows:
        return
    insert = postgresql.insert if dialect_name(session) == "postgresql" else sqlite.insert
    statement = insert(DailyCount)
    statement = statement.on_conflict_do_update(
        index_elements=[DailyCount.day, DailyCount.name],
        set_={"value": DailyCount.value + statement.excluded.value},
    )
    await session.execute(statement, rows)


async def counts_on(session: AsyncSession, day: date) -> dict[str, int]:
    rows = await session.scalars(select(DailyCount).where(DailyCount.day == day))
    return {row.name: row.value for row in rows}
