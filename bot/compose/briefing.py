"""A daily briefing: the stories since the last one, in one message, grouped by category.

Stories are ranked by how many sources carried them (most covered first), then newest first.
The message holds the best-ranked stories that fit in one Telegram message, grouped under
their categories' names; a category comes where its best story ranks. What does not fit is
counted in a last line (`more`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bot.compose.render import (
    TEXT_LIMIT,
    PostContent,
    RenderedDigest,
    digest_line,
    text_line,
    utf16_units,
)


@dataclass(frozen=True, slots=True)
class BriefingItem:
    content: PostContent
    category: str  # the category's name in the chat's language
    sources: int  # how many sources carried the story
    label: str = ""  # what follows the site on its line, e.g. "(3 sources)"


def ranked(items: Sequence[BriefingItem]) -> list[BriefingItem]:
    """Most covered first, then newest first (the order given breaks the remaining ties)."""
    return sorted(items, key=lambda item: (-item.sources, -item.content.fetched_at.timestamp()))


def grouped(items: Sequence[BriefingItem]) -> list[tuple[str, list[BriefingItem]]]:
    """Ranked items under their categories, each category where its first item ranks."""
    groups: dict[str, list[BriefingItem]] = {}
    for item in items:
        groups.setdefault(item.category, []).append(item)
    return list(groups.items())


def render_briefing(
    header: str,
    language: str,
    items: Sequence[BriefingItem],
    more: Callable[[int], str],
    footer: str = "",
) -> RenderedDigest:
    """The briefing message: a bold header, then the best-ranked items that fit, grouped;
    `more(n)` is the last line when n items were left out, `footer` a line after all.
    `count` is how many items the message names (at least one)."""
    order = ranked(items)
    low, high = 1, len(order)
    while low < high:  # the most items that fit; fewer items never take more room
        middle = (low + high + 1) // 2
        if _fits(_lines(header, language, order, middle, more, footer)):
            low = middle
        else:
            high = middle - 1
    text, markup = _lines(header, language, order, low, more, footer)
    return RenderedDigest("\n".join(markup), "\n".join(text), low)


def _lines(
    header: str,
    language: str,
    order: Sequence[BriefingItem],
    count: int,
    more: Callable[[int], str],
    footer: str,
) -> tuple[list[str], list[str]]:
    plain, bold = text_line(header, language, bold=True)
    text, markup = [plain], [bold]
    for category, members in grouped(order[:count]):
        text.append("")
        markup.append("")
        if category:
            plain, bold = text_line(category, language, bold=True)
            text.append(plain)
            markup.append(bold)
        for item in members:
            plain, line = digest_line(item.content, item.label)
            text.append(plain)
            markup.append(line)
    tail = [more(len(order) - count)] if count < len(order) else []
    if footer:
        tail.append(footer)
    if tail:
        text.append("")
        markup.append("")
        for line in tail:
            plain, escaped = text_line(line, language)
            text.append(plain)
            markup.append(escaped)
    return text, markup


def _fits(lines: tuple[list[str], list[str]]) -> bool:
    return utf16_units("\n".join(lines[0])) <= TEXT_LIMIT
