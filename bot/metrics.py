"""Prometheus metrics (prometheus-client), served at /metrics.

The poller and the sender update these as they work; the outbox's queue depth is read from
the database when /metrics is scraped, so every process reports the same backlog.
"""

from __future__ import annotations

from typing import Final

from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage import deliveries as delivery_store
from storage.models import DeliveryState

POLLS: Final = Counter("nashra_polls_total", "Source polls, by outcome", ["status"])
FETCH_ERRORS: Final = Counter(
    "nashra_fetch_errors_total", "Failed source polls, by kind of error", ["kind"]
)
FULLTEXT_PAGES: Final = Counter(
    "nashra_fulltext_pages_total",
    "Teasers by what their page gave: page, teaser (no longer text), failed, late (past the"
    " poll's deadline) or over_budget (past the poll's page budget); the last two not fetched",
    ["outcome"],
)
ARTICLES: Final = Counter(
    "nashra_articles_total", "New articles stored, by source and category", ["source", "category"]
)
DELIVERIES: Final = Counter(
    "nashra_deliveries_total",
    "Delivery outcomes (sent, retried, failed, chat_gone, migrated, held_quiet …)",
    ["outcome"],
)
TELEGRAM_429: Final = Counter("nashra_telegram_429_total", "429 answers from Telegram")
QUEUE_DEPTH: Final = Gauge(
    "nashra_outbox_deliveries", "Deliveries in the outbox, by state", ["state"]
)
SEND_SECONDS: Final = Histogram(
    "nashra_send_seconds",
    "Time Telegram took to answer one send",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
FETCH_TO_SEND_SECONDS: Final = Histogram(
    "nashra_fetch_to_send_seconds",
    "Time from fetching an article to its post reaching a chat",
    buckets=(1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 4 * 3600, 24 * 3600),
)


async def render(sessions: async_sessionmaker[AsyncSession]) -> tuple[bytes, str]:
    """The metrics in Prometheus' text format (body, content type), the queue depth fresh."""
    async with sessions() as session:
        states = await delivery_store.state_counts(session)
    for state in DeliveryState:
        QUEUE_DEPTH.labels(state=state.value).set(states.get(state, 0))
    return generate_latest(), CONTENT_TYPE_LATEST
