"""Queries on categories and their aliases."""

from __future__ import annotations

import re
import unicodedata

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Category, CategoryAlias

_ARABIC_MARKS = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]")
_ALEF_FORMS = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ى": "ي", "ة": "ه"})


def alias_key(text: str) -> str:
    """The lookup form of a category name: case-folded, Arabic letter forms unified, no '#'."""
    text = unicodedata.normalize("NFKC", text).strip().lstrip("#").casefold()
    text = _ARABIC_MARKS.sub("", text).translate(_ALEF_FORMS)
    return " ".join(text.replace("_", " ").split())


async def find_category(session: AsyncSession, name: str) -> Category | None:
    """The category whose slug or alias (in any language) is `name`."""
    key = alias_key(name)
    if not key:
        return None
    by_slug = await session.scalar(select(Category).where(Category.slug == key))
    if by_slug is not None:
        return by_slug
    return await session.scalar(
        select(Category).join(CategoryAlias).where(CategoryAlias.alias == key)
    )


async def list_categories(session: AsyncSession) -> list[Category]:
    result = await session.scalars(select(Category).order_by(Category.position, Category.slug))
    return list(result)
