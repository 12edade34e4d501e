"""Queries on admins added at run time (ADMIN_IDS from settings need no row)."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Admin


async def is_stored_admin(session: AsyncSession, user_id: int) -> bool:
    return await session.get(Admin, user_id) is not None


async def stored_admins(session: AsyncSession) -> list[Admin]:
    return list(await session.scalars(select(Admin).order_by(Admin.created_at, Admin.user_id)))


async def add_admin(session: AsyncSession, user_id: int, added_by: int | None) -> bool:
    """Store the admin; False when already stored."""
    if await is_stored_admin(session, user_id):
        return False
    session.add(Admin(user_id=user_id, added_by=added_by))
    await session.flush()
    return True


async def remove_admin(session: AsyncSession, user_id: int) -> bool:
    """Remove a stored admin; False when there was none."""
    result = await session.execute(delete(Admin).where(Admin.user_id == user_id))
    return bool(result.rowcount)  # type: ignore[attr-defined]
