"""Nashra's glue to python-telegram-bot."""

from bot.telegram.request import AiohttpRequest

__all__ = ["AiohttpRequest"]
