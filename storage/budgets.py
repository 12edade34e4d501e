"""Rate budgets shared by every worker: slots reserved in the database, in turn.

A budget is a point on a timeline (epoch seconds): the first free slot. Reserving `span`
seconds takes the window from max(that point, now) and moves the point to the window's end,
under the row's lock, so windows of different workers never overlap.
"""

from __future__ import annotations

from sqlalchemy import case, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.articles import insert_ignoring_conflicts
from storage.models import RateBudget


async def ensure_budget(session: AsyncSession, name: str) -> None:
    await session.execute(
        insert_ignoring_conflicts(session, RateBudget).values(name=name, next_at=0.0)
    )


async def reserve(session: AsyncSession, name: str, *, now: float, span: float) -> float:
    """Reserve `span` seconds of the budget; returns when the window starts (epoch seconds).
    The budget must exist (`ensure_budget`)."""
    start = case((RateBudget.next_at > now, RateBudget.next_at), else_=now)
    end = await session.scalar(
        update(RateBudget)
        .where(RateBudget.name == name)
        .values(next_at=start + span)
        .returning(RateBudget.next_at)
    )
    if end is None:
        raise LookupError(f"no rate budget {name!r}")
    return float(end) - span


async def hold(session: AsyncSession, name: str, *, until: float) -> None:
    """No window of the budget starts before `until` (a bot-wide 429's retry_after)."""
    await session.execute(
        update(RateBudget)
        .where(RateBudget.name == name, RateBudget.next_at < until)
        .values(next_at=until)
    )
