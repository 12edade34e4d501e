"""The bot's command names, by audience: what the menus list and what a category's slug may
not be. Each audience's module implements its own; `handlers/__init__` registers them."""

from __future__ import annotations

from typing import Final

# The readers' options (handlers/briefing.py, handlers/reader_options.py).
READER_OPTIONS: Final = ("briefing", "timezone", "settings", "translate")
READERS: Final = (
    "start",
    "help",
    "categories",
    "subscribe",
    "unsubscribe",
    "mysubs",
    "latest",
    "language",
    "quiet",
    *READER_OPTIONS,
    "filter",
    "filters",
    "search",
    "whoami",
)
ADMIN_SOURCES: Final = (
    "addsource",
    "sources",
    "source",
    "pausesource",
    "resumesource",
    "delsource",
    "setinterval",
    "export",
)
ADMIN_CHANNELS: Final = ("addchannel", "channels", "delchannel", "channelcats", "channelfilter")
ADMIN_MANAGE: Final = (
    "addcategory",
    "renamecategory",
    "delcategory",
    "stats",
    "audit",
    "admins",
    "addadmin",
    "deladmin",
)
ADMINS: Final = (*ADMIN_SOURCES, *ADMIN_CHANNELS, *ADMIN_MANAGE)
RESERVED: Final = frozenset((*READERS, *ADMINS))
"""Names a category's slug may not take: it becomes a shortcut command (/politics)."""
