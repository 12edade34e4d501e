"""Daily briefings in the outbox: when a briefing chat's stories are due, and its message.

A chat with briefing times gets no post as it comes: the sender claims all its due deliveries
together (`storage.claims.claim`, `briefing_max`), sends those whose briefing has come as one
message, and holds the others (pending, and the chat paced) until their briefing. The
schedule is the chat's stored times and zone, and each delivery's creation time; nothing of
it lives in memory, so a restart loses nothing.

A delivery's briefing is the first briefing instant after both its creation and the chat's
last briefing (a story stored late by a slow poll joins the next briefing rather than
following the last one alone). Every local date has one instant per briefing time: a time
that a DST change skips is read with the offset before the change (02:30 on a spring-forward
night is 03:30 by the new clock); one it repeats is read at its first pass only.
"""

from __future__ import annotations

from collections.abc import Container, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, time, timedelta
from typing import Final
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.compose.briefing import BriefingItem, ranked, render_briefing
from bot.compose.dates import fetch_date
from bot.compose.render import RenderedDigest
from bot.deliver.posts import BookedPost
from bot.deliver.send import SentAs
from bot.i18n import local_digits, t, tn
from bot.services.catalog import CategoryCache
from storage import coverage as coverage_store
from storage.claims import Claim
from storage.deliveries import Outcome
from storage.models import DeliveryState

BRIEFING_MAX_ITEMS: Final = 300
"""The most deliveries one briefing claims (the message names what fits and counts the rest)."""
LOST: Final = "the article is no longer stored or its post could not be rendered"


def next_briefing(after: datetime, minutes: Sequence[int], zone: str) -> datetime:
    """The first briefing instant strictly after `after` (aware), in UTC."""
    if not minutes:
        raise ValueError("no briefing times")
    tz = ZoneInfo(zone)
    today = after.astimezone(tz).date()
    candidates = (
        datetime.combine(today + timedelta(days=offset), time(m // 60, m % 60), tzinfo=tz)
        for offset in (-1, 0, 1, 2)
        for m in minutes
    )
    return min(at.astimezone(UTC) for at in candidates if at > after)


@dataclass(frozen=True, slots=True)
class BriefingPlan:
    """A briefing chat's claim, sorted: what is sent now (`due`), the deliveries held until
    the next briefing (`hold`), those whose article is gone (`lost`)."""

    due: Claim | None
    hold: Outcome | None = None
    lost: Outcome | None = None

    def outcomes(self, sent: Outcome | None = None) -> list[Outcome]:
        """Every outcome of the claim, `sent` being the due part's. A briefing sent marks
        when the chat was briefed, and the chat is paced by the later of the send's pace and
        the hold; a briefing to try again keeps its own pace (a retry is not put off to the
        next briefing)."""
        hold = self.hold
        if sent is not None:
            done = sent.state in (DeliveryState.SENT, DeliveryState.DIGESTED)
            if done and sent.sent_as == SentAs.BRIEFING:
                sent = replace(sent, chat_briefed_at=sent.sent_at)
            if hold is not None:
                if done:
                    paces = [a for a in (sent.chat_next_send_at, hold.chat_next_send_at) if a]
                    sent = replace(sent, chat_next_send_at=max(paces))
                hold = replace(hold, chat_next_send_at=None)
        return [o for o in (self.lost, hold, sent) if o is not None]


def split(claim: Claim, now: datetime, zone: str, posts: Container[int]) -> BriefingPlan:
    """Sort a briefing chat's claim by each delivery's briefing (see the module); deliveries
    whose article is not in `posts` fail."""
    options = claim.chat.options
    due = []
    held = []
    lost = []
    for delivery in claim.deliveries:
        start = delivery.created_at or now
        if options.briefed_at is not None:
            start = max(start, options.briefed_at)
        at = next_briefing(start, options.briefing_minutes, zone)
        if at > now:
            held.append((delivery, at))
        elif delivery.article_id in posts:
            due.append(delivery)
        else:
            lost.append(delivery.id)
    chat_id = claim.chat.id
    hold = None
    if held:
        until = min(at for _, at in held)
        ids = tuple(d.id for d, _ in held)
        hold = Outcome(
            ids, chat_id, DeliveryState.PENDING, next_attempt_at=until, chat_next_send_at=until
        )
    return BriefingPlan(
        Claim(claim.chat, tuple(due)) if due else None,
        hold,
        Outcome(tuple(lost), chat_id, DeliveryState.FAILED, error=LOST) if lost else None,
    )


class Briefings:
    """Briefing messages: the due stories ranked by how many sources carried them."""

    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], categories: CategoryCache
    ) -> None:
        self._sessions = sessions
        self._categories = categories

    async def render(
        self,
        claim: Claim,
        posts: Mapping[int, BookedPost],
        *,
        language: str,
        zone: str,
        now: datetime,
    ) -> tuple[RenderedDigest, str | None]:
        """The briefing of the claim's posts in `language`, and the page its link preview
        would show (its best-ranked story's)."""
        categories = await self._categories.get()
        ids = [d.article_id for d in claim.deliveries]
        async with self._sessions() as session:
            covered = await coverage_store.coverage(session, ids)
        items = []
        for article_id in ids:
            booked = posts[article_id]
            facts = covered.get(article_id)
            sources = facts.sources if facts is not None else 1
            slug = categories.slug_of(facts.category_id if facts is not None else None)
            items.append(
                BriefingItem(
                    booked.content,
                    categories.name(slug, language) if slug else "",
                    sources,
                    tn("briefing.sources", language, sources) if sources > 1 else "",
                )
            )
        local = now.astimezone(ZoneInfo(zone))
        header = t(
            "briefing.header",
            language,
            date=fetch_date(local, language),
            time=local_digits(local.strftime("%H:%M"), language),
        )
        translated = any(item.content.note for item in items)
        digest = render_briefing(
            header,
            language,
            items,
            lambda left: tn("briefing.more", language, left),
            t("translate.headlines", language) if translated else "",
        )
        lead = ranked(items)[0].content.url if items else None
        return digest, lead
