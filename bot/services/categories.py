"""Categories managed by admins: add, rename, delete (moving what uses it), list.

One implementation for both fronts (the admins' Telegram commands and `nashra categories …`);
every change is recorded with `audit.record` in the caller's transaction, and every check is
made before the first write, so a refused change leaves nothing behind.

Rules:

* A slug is `[a-z0-9_]{1,32}`: it becomes the category's shortcut command (/science), so it
  may not be a command of the bot already. The slug never changes (rename changes the names
  and the aliases); a new category's shortcut command appears after the bot's next start.
* A category's names (Arabic and English) are aliases too, like the default categories'. An
  alias (normalized with `alias_key`) means one category only and may not be another
  category's slug.
* Rename: without aliases, the old names stay aliases (readers who learned them still find
  the category) and the new names are added; with aliases, the aliases become exactly the new
  names plus those given.
* Delete: `general` never (the categorizer's fallback). A category that subscriptions or
  sources (as their fixed category) use is refused unless a move target is given; then, in
  one transaction, subscriptions move to the target (a chat subscribed to both keeps one),
  sources and articles too. Without a target (nothing uses it), its articles keep no
  category (the foreign key's ON DELETE SET NULL).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.audit import Actor, Snapshot, record
from bot.services.errors import ServiceError
from bot.text.fold import alias_key
from storage import categories as category_store
from storage.categories import Usage
from storage.models import Category, CategoryAlias

SLUG: Final = re.compile(r"[a-z0-9_]{1,32}")
PROTECTED: Final = frozenset({"general"})
MAX_NAME_CHARS: Final = 48
MAX_ALIAS_CHARS: Final = 64
MAX_ALIASES: Final = 20
# Invisible joiners are part of some scripts' spelling; every other control or format
# character (bidi overrides, zero-width spaces …) is refused in names and aliases.
_ALLOWED_FORMAT: Final = frozenset("\u200c\u200d")


class CategoryError(ServiceError):
    """A refused category change: `key` names the reason (for translated messages), the
    message says it in English (for the command line)."""

    def __init__(self, key: str, message: str, **values: object) -> None:
        super().__init__(message)
        self.key = key
        self.values = values


@dataclass(frozen=True, slots=True)
class CategoryRow:
    id: int
    slug: str
    names: dict[str, str]
    aliases: tuple[str, ...]
    subscriptions: int
    sources: int


@dataclass(frozen=True, slots=True)
class CategoryView:
    """A category as an admin's reply shows it."""

    slug: str
    names: dict[str, str]
    aliases: tuple[str, ...]

    @classmethod
    def of(cls, category: Category) -> CategoryView:
        return cls(
            category.slug,
            {str(k): str(v) for k, v in category.names.items()},
            tuple(sorted(a.alias for a in category.aliases)),
        )


@dataclass(frozen=True, slots=True)
class DeleteReport:
    slug: str
    moved_to: str | None = None
    subscriptions_moved: int = 0
    subscriptions_merged: int = 0  # the chat followed the target already: one kept
    sources_moved: int = 0
    articles_moved: int = 0


def check_slug(slug: str, reserved: frozenset[str]) -> str:
    """The slug, when it is well formed and not one of the `reserved` command names."""
    if not SLUG.fullmatch(slug):
        raise CategoryError(
            "bad_slug", f"a slug is 1 to 32 of a-z, 0-9 and _ (got {slug[:40]!r})", slug=slug[:40]
        )
    if slug in reserved:
        raise CategoryError("reserved_slug", f"/{slug} is a command of the bot already", slug=slug)
    return slug


def clean_name(text: str, *, limit: int = MAX_NAME_CHARS) -> str:
    """A name or alias on one line, spaces collapsed; refused when empty, too long or holding
    control or invisible formatting characters."""
    text = unicodedata.normalize("NFC", text)
    if any(
        unicodedata.category(ch).startswith("C") and ch not in _ALLOWED_FORMAT and ch not in "\t\n"
        for ch in text
    ):
        raise CategoryError("bad_name", "names may not hold control characters")
    cleaned = " ".join(text.split())
    if not cleaned or not alias_key(cleaned):
        raise CategoryError("empty_name", "a name may not be empty")
    if len(cleaned) > limit:
        raise CategoryError(
            "long_name", f"{cleaned[:40]!r}… is longer than {limit} characters", limit=limit
        )
    return cleaned


def _names(ar: str, en: str) -> dict[str, str]:
    return {"ar": clean_name(ar), "en": clean_name(en)}


def _extra_aliases(aliases: Sequence[str]) -> list[str]:
    cleaned = [clean_name(a, limit=MAX_ALIAS_CHARS) for a in aliases if a.strip()]
    if len(cleaned) > MAX_ALIASES:
        raise CategoryError(
            "many_aliases", f"at most {MAX_ALIASES} aliases per category", limit=MAX_ALIASES
        )
    return cleaned


def _alias_keys(slug: str, texts: Sequence[str]) -> list[str]:
    keys = dict.fromkeys(alias_key(text) for text in texts)
    keys.pop(slug, None)
    keys.pop("", None)
    return list(keys)


async def _check_aliases(
    session: AsyncSession, category_id: int | None, keys: Sequence[str]
) -> None:
    """Refuse aliases that mean another category already (as its alias or its slug)."""
    if not keys:
        return
    taken = await category_store.alias_owner(session, keys, other_than=category_id)
    if taken is not None:
        alias, other = taken
        raise CategoryError(
            "alias_taken",
            f"the alias {alias!r} already means the category {other!r}",
            alias=alias,
            category=other,
        )
    clash = await category_store.slug_among(
        session, (key.replace(" ", "_") for key in keys), other_than=category_id
    )
    if clash is not None:
        raise CategoryError(
            "alias_taken",
            f"the alias {clash!r} is the slug of the category {clash!r}",
            alias=clash,
            category=clash,
        )


async def _get(session: AsyncSession, slug: str) -> Category:
    category = await category_store.get_by_slug(session, slug)
    if category is None:
        raise CategoryError("unknown", f"no category with the slug {slug[:40]!r}", slug=slug[:40])
    return category


def snapshot(category: Category) -> Snapshot:
    return {
        "slug": category.slug,
        "names": dict(category.names),
        "aliases": sorted(a.alias for a in category.aliases),
    }


async def _flush(session: AsyncSession) -> None:
    """Flush; a uniqueness clash with a concurrent change becomes a CategoryError."""
    try:
        await session.flush()
    except IntegrityError as exc:
        raise CategoryError("conflict", "a slug or alias was taken meanwhile; try again") from exc


async def add_category(
    session: AsyncSession,
    actor: Actor,
    slug: str,
    *,
    ar: str,
    en: str,
    aliases: Sequence[str] = (),
    reserved: frozenset[str] = frozenset(),
) -> Category:
    """Add a category at the end of the list; its slug may not be a `reserved` command."""
    check_slug(slug, reserved)
    names = _names(ar, en)
    keys = _alias_keys(slug, [names["ar"], names["en"], *_extra_aliases(aliases)])
    if await category_store.get_by_slug(session, slug) is not None:
        raise CategoryError("slug_taken", f"the category {slug!r} exists already", slug=slug)
    await _check_aliases(session, None, [*keys, alias_key(slug)])
    position = await category_store.next_position(session)
    category = Category(slug=slug, names=names, position=position)
    category.aliases = [CategoryAlias(alias=key) for key in keys]
    session.add(category)
    await _flush(session)
    await record(session, actor, "category.add", f"category {slug}", after=snapshot(category))
    return category


async def rename_category(
    session: AsyncSession,
    actor: Actor,
    slug: str,
    *,
    ar: str | None = None,
    en: str | None = None,
    aliases: Sequence[str] | None = None,
) -> Category:
    """Change a category's names and/or aliases (see the module's rules)."""
    if ar is None and en is None and aliases is None:
        raise CategoryError("nothing_to_change", "give a new Arabic or English name, or aliases")
    category = await _get(session, slug)
    before = snapshot(category)
    names = dict(category.names)
    if ar is not None:
        names["ar"] = clean_name(ar)
    if en is not None:
        names["en"] = clean_name(en)
    named = [names.get("ar", ""), names.get("en", "")]
    if aliases is None:
        keys = _alias_keys(slug, [*before["aliases"], *named])
    else:
        keys = _alias_keys(slug, [*named, *_extra_aliases(aliases)])
    if {"slug": slug, "names": names, "aliases": sorted(keys)} == before:
        raise CategoryError("nothing_to_change", "the category has these names already")
    await _check_aliases(session, category.id, keys)
    category.names = names
    kept = {a.alias: a for a in category.aliases}
    category.aliases = [kept.get(key) or CategoryAlias(alias=key) for key in keys]
    await _flush(session)
    after = snapshot(category)
    await record(session, actor, "category.rename", f"category {slug}", before=before, after=after)
    return category


async def check_delete(
    session: AsyncSession, slug: str, move_to: str | None = None
) -> tuple[Category, Category | None, Usage]:
    """The category, its move target and what uses it, when the deletion may go ahead."""
    if slug in PROTECTED:
        raise CategoryError(
            "protected", f"the {slug!r} category is needed by the categorizer", slug=slug
        )
    category = await _get(session, slug)
    target = None
    if move_to is not None:
        if move_to == slug:
            raise CategoryError("move_to_self", "move to another category", slug=slug)
        target = await _get(session, move_to)
    used = await category_store.usage(session, category.id)
    if used.in_use and target is None:
        raise CategoryError(
            "in_use",
            f"{used.subscriptions} subscriptions and {used.sources} sources use {slug!r};"
            " give a category to move them to",
            slug=slug,
            subscriptions=used.subscriptions,
            sources=used.sources,
        )
    return category, target, used


async def delete_category(
    session: AsyncSession, actor: Actor, slug: str, *, move_to: str | None = None
) -> DeleteReport:
    """Delete a category, first moving what uses it to `move_to` (see the module's rules)."""
    category, target, used = await check_delete(session, slug, move_to)
    before: Snapshot = {
        **snapshot(category),
        "subscriptions": used.subscriptions,
        "sources": used.sources,
        "articles": used.articles,
    }
    report = DeleteReport(slug)
    if target is not None:
        moved = await category_store.move_usages(session, category.id, target.id)
        report = DeleteReport(
            slug,
            moved_to=target.slug,
            subscriptions_moved=moved.subscriptions,
            subscriptions_merged=moved.merged,
            sources_moved=moved.sources,
            articles_moved=moved.articles,
        )
    await session.delete(category)
    await _flush(session)
    after: Snapshot | None = None
    if target is not None:
        after = {
            "moved_to": report.moved_to,
            "subscriptions_moved": report.subscriptions_moved,
            "subscriptions_merged": report.subscriptions_merged,
            "sources_moved": report.sources_moved,
            "articles_moved": report.articles_moved,
        }
    await record(session, actor, "category.delete", f"category {slug}", before=before, after=after)
    return report


async def slugs_of(session: AsyncSession, category_ids: Sequence[int]) -> dict[int, str]:
    """id → slug of those of these categories that exist."""
    return await category_store.slugs_of(session, category_ids)


async def list_category_rows(session: AsyncSession) -> list[CategoryRow]:
    """Every category in the readers' order, with what uses it."""
    subscriptions, sources = await category_store.use_counts(session)
    categories = await category_store.list_categories(session)
    return [
        CategoryRow(
            id=c.id,
            slug=c.slug,
            names={str(k): str(v) for k, v in c.names.items()},
            aliases=tuple(sorted(a.alias for a in c.aliases)),
            subscriptions=subscriptions.get(c.id, 0),
            sources=sources.get(c.id, 0),
        )
        for c in categories
    ]
