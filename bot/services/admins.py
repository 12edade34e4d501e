"""Who is an admin: the ADMIN_IDS of the settings, and those an admin added (stored)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.audit import Actor, record
from bot.services.errors import ServiceError
from bot.settings import Settings
from storage import admins as admin_store


class AdminError(ServiceError):
    """The change cannot be made as asked; the message says why."""


@dataclass(frozen=True, slots=True)
class AdminEntry:
    user_id: int
    from_settings: bool
    added_by: int | None = None
    added_at: datetime | None = None


async def is_admin(session: AsyncSession, settings: Settings, user_id: int) -> bool:
    return user_id in settings.admin_ids or await admin_store.is_stored_admin(session, user_id)


async def list_admins(session: AsyncSession, settings: Settings) -> list[AdminEntry]:
    entries = [AdminEntry(user_id, True) for user_id in settings.admin_ids]
    for admin in await admin_store.stored_admins(session):
        if admin.user_id not in settings.admin_ids:
            entries.append(AdminEntry(admin.user_id, False, admin.added_by, admin.created_at))
    return entries


async def add_admin(session: AsyncSession, settings: Settings, actor: Actor, user_id: int) -> bool:
    """Make `user_id` an admin; False when it already was."""
    if user_id <= 0:
        raise AdminError("a Telegram user id is a positive number")
    if await is_admin(session, settings, user_id):
        return False
    await admin_store.add_admin(session, user_id, actor.user_id)
    await record(
        session,
        actor,
        "admin.add",
        f"user {user_id}",
        before={"admin": False},
        after={"admin": True},
    )
    return True


async def remove_admin(
    session: AsyncSession, settings: Settings, actor: Actor, user_id: int
) -> bool:
    """Take `user_id`'s admin rights away; False when it was not a stored admin."""
    if user_id in settings.admin_ids:
        raise AdminError(f"user {user_id} is an admin by ADMIN_IDS; change the setting instead")
    if not await admin_store.remove_admin(session, user_id):
        return False
    await record(
        session,
        actor,
        "admin.remove",
        f"user {user_id}",
        before={"admin": True},
        after={"admin": False},
    )
    return True
