"""The outbox at a glance: deliveries by state, today's counters, when the next one is due."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from storage import counters as counter_store
from storage import deliveries as delivery_store
from storage.models import DeliveryState


@dataclass(frozen=True, slots=True)
class OutboxReport:
    states: dict[DeliveryState, int]
    counts: dict[str, int]
    next_due: datetime | None


async def outbox_report(session: AsyncSession, day: date) -> OutboxReport:
    return OutboxReport(
        states=await delivery_store.state_counts(session),
        counts=await counter_store.counts_on(session, day),
        next_due=await delivery_store.next_due(session),
    )
