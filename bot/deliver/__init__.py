"""Delivery: the outbox's sender, Telegram's limits, and what a chat is sent."""
