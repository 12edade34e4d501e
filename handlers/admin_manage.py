"""Admin commands: manage (being built)."""

from __future__ import annotations

from typing import Final

from handlers.admin import Handler

COMMANDS: Final[list[str]] = []


def handlers() -> list[Handler]:
    return []
