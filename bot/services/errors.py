"""The one error every service raises when a change cannot be made as asked."""

from __future__ import annotations


class ServiceError(ValueError):
    """The message says why, in one line, for a CLI user or an admin in Telegram."""
