"""The sender: claims due deliveries, sends them at Telegram's pace, records every answer.

    sender = Sender(settings, sessions, Transport(api))
    await sender.run(stop)            # until `stop` is set; sender.wake() after a fan-out

Deliveries are claimed under a lease, at most `SEND_MAX_IN_FLIGHT` at a time, counting those
sent but not yet recorded: after a kill -9 only those can be sent twice. Each claim is sent
in a task of its own, so a slow or throttled chat holds up nothing but itself. One
transaction at a time records the answers that came in (and the day's counters) and claims
as many deliveries as that frees room for.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot import metrics
from bot.compose.render import RenderedDigest, render_digest
from bot.compose.translate import Translator
from bot.deliver.briefing import BRIEFING_MAX_ITEMS, Briefings, split
from bot.deliver.limits import FloodWatch, Pacer, budget_name, chat_spacing, overall_rate
from bot.deliver.posts import BookedPost, PostBook
from bot.deliver.quiet import quiet_until
from bot.deliver.send import (
    SendFailed,
    SendOptions,
    Sent,
    SentAs,
    Transport,
    send_digest,
    send_post,
    with_plain_retry,
)
from bot.deliver.topics import tell_topic_left
from bot.deliver.translations import Translations
from bot.deliver.verdicts import Judgement, Verdict
from bot.i18n import choose_language, t
from bot.leases import worker_id
from bot.services.catalog import CategoryCache
from bot.services.reader_options import chat_zone
from bot.settings import Settings
from storage import budgets as budget_store
from storage import claims as claim_store
from storage import counters as counter_store
from storage import deliveries as delivery_store
from storage.claims import ChatTarget, Claim
from storage.deliveries import Outcome
from storage.models import ChatKind, DeliveryState
from storage.types import utcnow

log = logging.getLogger(__name__)

GATHER_SECONDS = 0.02
COUNT_SECONDS = 1.0  # the day's counters are written at most this often
IDLE_SECONDS = 1.0
MIN_IDLE_SECONDS = 0.01
STOP_GRACE_SECONDS = 10.0


class Sender:
    def __init__(
        self,
        settings: Settings,
        sessions: async_sessionmaker[AsyncSession],
        transport: Transport,
        *,
        owner: str | None = None,
        clock: Callable[[], datetime] = utcnow,
        categories: CategoryCache | None = None,
        translator: Translator | None = None,
    ) -> None:
        self._settings = settings
        self._sessions = sessions
        self._transport = transport
        self._owner = owner or worker_id()
        self._clock = clock
        self._lease = timedelta(seconds=settings.send_lease_seconds)
        self._pacer = Pacer(overall_rate(settings))
        self._budget = budget_name(settings)
        self._budget_ready = False
        self._hold_until: float | None = None  # a bot-wide pause to share with other senders
        self._flood = FloodWatch()
        self._categories = categories or CategoryCache(sessions)
        self._book = PostBook(settings, sessions, self._categories)
        # Readers' options: daily briefings, translated posts (docs/briefing-and-settings.md).
        self._briefings = Briefings(sessions, self._categories)
        self._translations = Translations(settings, sessions, translator, self._categories)
        self.counts: Counter[str] = Counter()
        """Every outcome since start, by name (sent, http_429, failed …)."""
        self._unsaved: Counter[str] = Counter()
        self._results: list[Outcome] = []
        self._in_flight = 0
        self._tasks: set[asyncio.Task[None]] = set()
        self._unsent: set[asyncio.Task[None]] = set()  # still waiting for a send slot
        self._wake = asyncio.Event()
        self._answered = asyncio.Event()  # an answer waits to be recorded
        self._enough = asyncio.Event()  # enough answers wait to be worth a transaction
        self._claim_at = max(1, settings.send_max_in_flight // 4)
        self._flush_at = max(1, settings.send_max_in_flight // 4)
        self._counted_at = 0.0
        self._released_at = 0.0

    @property
    def in_flight(self) -> int:
        """Deliveries claimed and not yet recorded."""
        return self._in_flight

    def wake(self) -> None:
        """New deliveries may be due: look now rather than at the next idle check."""
        self._wake.set()

    async def run(self, stop: asyncio.Event) -> None:
        """Send until `stop` is set; then finish what is in flight (briefly) and record it."""
        try:
            while not stop.is_set():
                try:
                    claimed = await self.step()
                except Exception:
                    log.exception("could not record or claim deliveries")
                    await self._wait(self._wake, IDLE_SECONDS, stop)
                    continue
                if not claimed:
                    await self._idle(stop)
        finally:
            await self._finish()
            await self._flush_all()

    async def run_until_idle(self, *, horizon: float = 0.0) -> None:
        """Send until no delivery is being sent or due within `horizon` seconds (tests and
        benchmarks; bound it with asyncio.timeout)."""
        never = asyncio.Event()
        try:
            while True:
                if await self.step():
                    continue
                if self._in_flight:
                    await self._idle(never)
                    continue
                async with self._sessions() as session:
                    waiting = await delivery_store.waiting_count(
                        session, due_by=self._clock() + timedelta(seconds=horizon)
                    )
                if not waiting:
                    return
                await asyncio.sleep(await self._until_due())
        finally:
            await self._flush_all()
            await self._translations.close()

    async def step(self, *, claiming: bool = True) -> int:
        """One transaction: record the answers so far and (unless `claiming` is off) claim
        what then fits in flight; start sending it. Returns the deliveries claimed."""
        batch, counts = self._take_results()
        recorded = sum(len(o.delivery_ids) for o in batch)
        free = self._settings.send_max_in_flight - self._in_flight + recorded if claiming else 0
        hold_until, self._hold_until = self._hold_until, None
        if not batch and not counts and hold_until is None and free < self._claim_at:
            return 0
        now = self._clock()
        window: float | None = None
        try:
            async with self._sessions.begin() as session:
                if batch or counts:
                    await delivery_store.record(session, batch)
                    await counter_store.add_counts(session, now.date(), counts)
                if hold_until is not None:
                    await budget_store.hold(session, self._budget, until=hold_until)
                claims = await self._claim(session, now, free) if free >= self._claim_at else []
                if claims:
                    window = await self._reserve(session, len(claims))
        except BaseException:
            self._results = batch + self._results
            self._unsaved.update(counts)
            if hold_until is not None:
                self._hold_until = max(hold_until, self._hold_until or 0.0)
            raise
        self._in_flight -= recorded
        if not claims:
            return 0
        if window is not None:
            self._pacer.grant(window - time.time(), len(claims))
        posts = await self._book.get(d.article_id for c in claims for d in c.deliveries)
        count = 0
        for claim in claims:
            count += len(claim.deliveries)
            self._in_flight += len(claim.deliveries)
            task = asyncio.create_task(self._deliver(claim, posts))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return count

    async def _claim(self, session: AsyncSession, now: datetime, free: int) -> list[Claim]:
        if time.monotonic() - self._released_at > self._settings.send_lease_seconds / 4:
            self._released_at = time.monotonic()
            released = await claim_store.release_expired(session, now=now)
            if released:
                log.warning("%d deliveries of a dead worker are due again", released)
        return await claim_store.claim(
            session,
            now=now,
            limit=free,
            owner=self._owner,
            lease=self._lease,
            digest_threshold=self._settings.digest_threshold,
            digest_max=self._settings.digest_max_items,
            briefing_max=BRIEFING_MAX_ITEMS,
        )

    async def _reserve(self, session: AsyncSession, messages: int) -> float:
        """A window of the bot's shared rate budget for `messages` sends; when it starts."""
        if not self._budget_ready:
            await budget_store.ensure_budget(session, self._budget)
            self._budget_ready = True
        span = messages / self._pacer.rate
        return await budget_store.reserve(session, self._budget, now=time.time(), span=span)

    def _take_results(self) -> tuple[list[Outcome], Counter[str]]:
        """The answers not yet recorded, and the counts when they are due to be written."""
        batch, self._results = self._results, []
        self._answered.clear()
        self._enough.clear()
        counts: Counter[str] = Counter()
        if time.monotonic() - self._counted_at >= COUNT_SECONDS or not self._tasks:
            counts, self._unsaved = self._unsaved, Counter()
            self._counted_at = time.monotonic()
        return batch, counts

    async def _until_due(self) -> float:
        """Seconds until the next pending delivery may be due (IDLE_SECONDS at most)."""
        async with self._sessions() as session:
            due = await delivery_store.next_due(session)
        if due is None:
            return IDLE_SECONDS
        seconds = (due - self._clock()).total_seconds()
        return min(IDLE_SECONDS, max(MIN_IDLE_SECONDS, seconds))

    async def _idle(self, stop: asyncio.Event) -> None:
        """Wait for answers to record (a few, or GATHER_SECONDS after the first), or, with
        nothing in flight, until the next delivery may be due; a wake-up or a stop ends the
        wait early."""
        self._wake.clear()
        if self._in_flight:
            if not self._results:
                await self._wait(self._answered, IDLE_SECONDS, stop, self._wake)
            if 0 < len(self._results) < self._flush_at and len(self._tasks) > len(self._results):
                await self._wait(self._enough, GATHER_SECONDS, stop)
            return
        try:
            timeout = await self._until_due()
        except Exception:
            log.exception("could not read when deliveries are due")
            timeout = IDLE_SECONDS
        await self._wait(self._wake, timeout, stop)

    @staticmethod
    async def _wait(event: asyncio.Event, seconds: float, *more: asyncio.Event) -> None:
        events = (event, *more)
        if any(e.is_set() for e in events):
            event.clear()
            return
        waits = [asyncio.ensure_future(e.wait()) for e in events]
        try:
            await asyncio.wait(waits, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for wait in waits:
                wait.cancel()
            event.clear()

    # -- sending --

    async def _deliver(self, claim: Claim, posts: dict[int, BookedPost]) -> None:
        try:
            outcomes = await self._outcomes(claim, posts)
        except asyncio.CancelledError:
            # Stopping: back to pending at once rather than when the lease runs out.
            self._results.append(
                Outcome(
                    claim.ids, claim.chat.id, DeliveryState.PENDING, next_attempt_at=self._clock()
                )
            )
            raise
        except Exception as exc:
            log.exception(
                "delivery to chat %s failed",
                claim.chat.telegram_id,
                extra={"chat_id": claim.chat.telegram_id},
            )
            outcomes = [self._retry_or_fail(claim, f"{type(exc).__name__}: {exc}")]
        self._results.extend(outcomes)
        self._answered.set()
        if len(self._results) >= self._flush_at:
            self._enough.set()

    async def _outcomes(self, claim: Claim, posts: dict[int, BookedPost]) -> list[Outcome]:
        """Send the claim: a post or a digest, or, for a chat that takes briefings, the
        briefing of the stories whose time has come (the others held for theirs)."""
        chat = claim.chat
        if not chat.options.briefing:
            posts = await self._translations.localize(claim, posts)
            claim = self._fit_digest(claim, posts)
            return [await self._attempt(claim, posts)]
        plan = split(claim, self._clock(), self._zone(chat), posts)
        if plan.due is None:
            return plan.outcomes()
        posts = await self._translations.localize(plan.due, posts)
        return plan.outcomes(await self._attempt(plan.due, posts))

    def _zone(self, chat: ChatTarget) -> str:
        return chat_zone(chat.timezone, chat.language, self._settings)

    def _fit_digest(self, claim: Claim, posts: dict[int, BookedPost]) -> Claim:
        """The claim with only the digest items that fit in one message; the others are
        pending again at once, for the next digest."""
        if not claim.is_digest or any(d.article_id not in posts for d in claim.deliveries):
            return claim
        fitting = self._digest(claim, posts).count
        if fitting >= len(claim.deliveries):
            return claim
        kept, rest = claim.deliveries[:fitting], claim.deliveries[fitting:]
        self._results.append(
            Outcome(
                tuple(d.id for d in rest),
                claim.chat.id,
                DeliveryState.PENDING,
                next_attempt_at=self._clock(),
            )
        )
        return Claim(claim.chat, kept)

    def _digest(self, claim: Claim, posts: dict[int, BookedPost]) -> RenderedDigest:
        language = choose_language(claim.chat.language, None, self._settings.default_language)
        header = t("digest.header", language, count=len(claim.deliveries))
        contents = [posts[d.article_id].content for d in claim.deliveries]
        translated = any(content.note for content in contents)
        return render_digest(
            header, contents, t("translate.headlines", language) if translated else ""
        )

    async def _attempt(self, claim: Claim, posts: dict[int, BookedPost]) -> Outcome:
        chat = claim.chat
        now = self._clock()
        if chat.kind is ChatKind.PRIVATE:
            held_until = quiet_until(
                now,
                chat.quiet_start_minute,
                chat.quiet_end_minute,
                chat.timezone or self._settings.timezone,
            )
            if held_until is not None:
                self._count("held_quiet", len(claim.deliveries))
                return Outcome(
                    claim.ids,
                    chat.id,
                    DeliveryState.PENDING,
                    next_attempt_at=held_until,
                    chat_next_send_at=held_until,
                )
        missing = [d.id for d in claim.deliveries if d.article_id not in posts]
        if missing:
            self._count("failed", len(claim.deliveries))
            return Outcome(
                claim.ids,
                chat.id,
                DeliveryState.FAILED,
                error="the article is no longer stored or its post could not be rendered",
            )

        async def attempt(plain: bool) -> Sent:
            await self._send_slot()
            if plain:
                self._count("plain_fallback")
            return await self._send(claim, posts, plain=plain)

        started = time.perf_counter()
        try:
            sent = await with_plain_retry(attempt)
        except SendFailed as failure:
            metrics.SEND_SECONDS.observe(time.perf_counter() - started)
            if failure.judgement.verdict is Verdict.TOPIC_GONE and claim.thread_id is not None:
                await tell_topic_left(
                    self._transport,
                    self._sessions,
                    self._categories,
                    chat,
                    claim.thread_id,
                    default_language=self._settings.default_language,
                    slot=self._send_slot,
                )
            return self._judged(claim, failure.judgement)
        metrics.SEND_SECONDS.observe(time.perf_counter() - started)
        outcome = self._sent(claim, sent)
        if sent.sent_as == SentAs.BRIEFING:
            return outcome  # a briefing's wait is the reader's choice, not the outbox's latency
        for delivery in claim.deliveries:
            fetched = posts[delivery.article_id].content.fetched_at
            waited = (outcome.sent_at or now) - fetched
            metrics.FETCH_TO_SEND_SECONDS.observe(waited.total_seconds())
        return outcome

    async def _send_slot(self) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._unsent.add(task)
        try:
            await self._pacer.acquire()
        finally:
            self._unsent.discard(task)

    async def _send(self, claim: Claim, posts: dict[int, BookedPost], *, plain: bool) -> Sent:
        chat = claim.chat
        chat_id = chat.telegram_id
        paid = self._settings.paid_broadcast
        options = SendOptions(chat.options.silent, chat.options.link_preview, chat.options.photos)
        if chat.options.briefing:
            language = choose_language(chat.language, None, self._settings.default_language)
            briefing, lead = await self._briefings.render(
                claim, posts, language=language, zone=self._zone(chat), now=self._clock()
            )
            return await send_digest(
                self._transport,
                chat_id,
                briefing.text,
                briefing.plain,
                plain=plain,
                paid=paid,
                options=options,
                lead_url=lead,
                sent_as=SentAs.BRIEFING,
                thread_id=claim.thread_id,
            )
        if not claim.is_digest:
            post = posts[claim.deliveries[0].article_id]
            sent = await send_post(
                self._transport,
                chat_id,
                post.rendered,
                plain=plain,
                paid=paid,
                options=options,
                thread_id=claim.thread_id,
            )
            if sent.photo_refused:
                self._count("photo_fallback")
            return sent
        digest = self._digest(claim, posts)
        lead = posts[claim.deliveries[0].article_id].content.url
        return await send_digest(
            self._transport,
            chat_id,
            digest.text,
            digest.plain,
            plain=plain,
            paid=paid,
            options=options,
            lead_url=lead,
            thread_id=claim.thread_id,
        )

    def _sent(self, claim: Claim, sent: Sent) -> Outcome:
        now = self._clock()
        digest = claim.is_digest or sent.sent_as == SentAs.BRIEFING
        self._count("sent", len(claim.deliveries))
        self._count(f"sent_{sent.sent_as}")
        return Outcome(
            claim.ids,
            claim.chat.id,
            DeliveryState.DIGESTED if digest else DeliveryState.SENT,
            message_id=sent.message_id,
            sent_as=sent.sent_as,
            sent_at=now,
            error=sent.photo_refused,
            chat_next_send_at=now + chat_spacing(self._settings, claim.chat.kind),
        )

    def _judged(self, claim: Claim, judgement: Judgement) -> Outcome:
        chat = claim.chat
        now = self._clock()
        verdict = judgement.verdict
        if verdict is Verdict.THROTTLED:
            self._count("http_429")
            wait = max(judgement.retry_after, 1.0)
            if self._flood.bot_wide(chat.id):
                log.warning("bot-wide flood limit: every send waits %.0f s", wait)
                self._pacer.pause(wait)
                self._hold_until = max(self._hold_until or 0.0, time.time() + wait)
            later = now + timedelta(seconds=wait)
            return Outcome(
                claim.ids,
                chat.id,
                DeliveryState.PENDING,
                next_attempt_at=later,
                error=judgement.reason,
                chat_next_send_at=later,
            )
        if verdict is Verdict.MIGRATED:
            self._count("migrated")
            log.info(
                "chat %s moved to %s",
                chat.telegram_id,
                judgement.new_chat_id,
                extra={"chat_id": chat.telegram_id},
            )
            return Outcome(
                claim.ids,
                chat.id,
                DeliveryState.PENDING,
                next_attempt_at=now,
                error=judgement.reason,
                moved_to=judgement.new_chat_id,
            )
        if verdict is Verdict.TOPIC_GONE and claim.thread_id is not None:
            self._count("topic_gone")
            log.info(
                "chat %s: topic %s is gone, its posts go to General: %s",
                chat.telegram_id,
                claim.thread_id,
                judgement.reason,
                extra={"chat_id": chat.telegram_id},
            )
            return Outcome(
                claim.ids,
                chat.id,
                DeliveryState.PENDING,
                next_attempt_at=now,
                error=judgement.reason,
                chat_next_send_at=now + chat_spacing(self._settings, chat.kind),
                topic_gone=claim.thread_id,
            )
        if verdict is Verdict.CHAT_GONE:
            self._count("chat_gone")
            log.info(
                "chat %s is gone: %s",
                chat.telegram_id,
                judgement.reason,
                extra={"chat_id": chat.telegram_id},
            )
            return Outcome(
                claim.ids,
                chat.id,
                DeliveryState.CANCELLED,
                error=judgement.reason,
                chat_gone=judgement.reason,
            )
        if verdict is Verdict.TRANSIENT:
            return self._retry_or_fail(claim, judgement.reason)
        self._count("failed", len(claim.deliveries))
        log.warning(
            "delivery to chat %s failed: %s",
            chat.telegram_id,
            judgement.reason,
            extra={"chat_id": chat.telegram_id},
        )
        return Outcome(claim.ids, chat.id, DeliveryState.FAILED, error=judgement.reason)

    def _retry_or_fail(self, claim: Claim, reason: str) -> Outcome:
        attempts = max(d.attempts for d in claim.deliveries) + 1
        if attempts >= self._settings.send_max_attempts:
            self._count("failed", len(claim.deliveries))
            log.warning(
                "delivery to chat %s failed after %d attempts: %s",
                claim.chat.telegram_id,
                attempts,
                reason,
                extra={"chat_id": claim.chat.telegram_id},
            )
            return Outcome(claim.ids, claim.chat.id, DeliveryState.FAILED, error=reason)
        self._count("retried")
        delay = min(
            self._settings.send_retry_max_seconds,
            self._settings.send_retry_base_seconds * 2.0 ** (attempts - 1),
        )
        return Outcome(
            claim.ids,
            claim.chat.id,
            DeliveryState.PENDING,
            next_attempt_at=self._clock() + timedelta(seconds=delay),
            attempted=True,
            error=reason,
        )

    def _count(self, name: str, n: int = 1) -> None:
        self.counts[name] += n
        self._unsaved[name] += n
        metrics.DELIVERIES.labels(outcome=name).inc(n)
        if name == "http_429":
            metrics.TELEGRAM_429.inc(n)

    # -- recording --

    async def _finish(self) -> None:
        """Let the sends in progress end (briefly); the rest go back to pending."""
        for task in list(self._unsent):
            task.cancel()
        if self._tasks:
            _, pending = await asyncio.wait(self._tasks, timeout=STOP_GRACE_SECONDS)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        await self._translations.close()

    async def _flush_all(self) -> None:
        """Record what is left, claiming nothing."""
        for _ in range(3):
            try:
                await self.step(claiming=False)
                return
            except Exception:
                log.exception("could not record the last deliveries")
                await asyncio.sleep(0.5)
