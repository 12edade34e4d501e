"""The command menus: never more than setMyCommands takes, whatever the number of categories."""

from __future__ import annotations

import pytest

from bot.compose.categorize import CategoryInfo
from bot.compose.compose import CategorySet
from bot.settings import Settings
from handlers.commands import ADMINS, READERS
from handlers.menus import MAX_COMMANDS, command_list


def _categories(count: int) -> tuple[CategorySet, list[str]]:
    slugs = ["general", *(f"topic{i}" for i in range(count))]
    infos = [CategoryInfo(slug, {"ar": f"فئة {slug}", "en": slug.title()}, ()) for slug in slugs]
    return CategorySet.build(infos, {slug: i for i, slug in enumerate(slugs, 1)}), slugs[1:]


@pytest.mark.parametrize("admin", [False, True])
def test_a_menu_holds_at_most_what_telegram_takes(admin: bool) -> None:
    categories, slugs = _categories(150)
    listed = command_list(Settings(_env_file=None), categories, slugs, "en", admin=admin)
    assert len(listed) == MAX_COMMANDS
    names = [c.command for c in listed]
    assert names[: len(READERS)] == list(READERS)
    assert set(ADMINS) <= set(names) if admin else not set(ADMINS) & set(names)


def test_a_small_deployment_lists_every_shortcut() -> None:
    categories, slugs = _categories(9)
    listed = command_list(Settings(_env_file=None), categories, slugs, "ar", admin=False)
    assert [c.command for c in listed][len(READERS) :] == slugs
