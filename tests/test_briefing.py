"""Daily briefings, the pure parts: when each briefing falls (a real zone's DST changes),
which claimed stories are due, and the briefing message (ranking, grouping, fitting)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

import pytest

from bot.compose.briefing import BriefingItem, grouped, ranked, render_briefing
from bot.compose.render import TEXT_LIMIT, PostContent, utf16_units
from bot.deliver.briefing import next_briefing, split
from bot.deliver.send import SentAs
from storage.chat_options import ChatOptions
from storage.claims import ChatTarget, Claim, ClaimedDelivery
from storage.deliveries import Outcome
from storage.models import ChatKind, DeliveryState

BERLIN = "Europe/Berlin"  # CET/CEST: 2026-03-29 02:00 → 03:00, 2026-10-25 03:00 → 02:00
DAMASCUS = "Asia/Damascus"  # UTC+3 all year


def _utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


def _local(zone: str, *parts: int) -> datetime:
    return datetime(*parts, tzinfo=ZoneInfo(zone)).astimezone(UTC)  # type: ignore[misc]


def _walk(start: datetime, minutes: list[int], zone: str, count: int) -> list[datetime]:
    """The next `count` briefings from `start`, each found from the one before it."""
    found = []
    at = start
    for _ in range(count):
        at = next_briefing(at, minutes, zone)
        found.append(at)
    return found


# ---- when briefings fall ----------------------------------------------------------------------


def test_the_next_briefing_is_the_next_local_time_in_the_chats_zone() -> None:
    # 08:00 in Damascus is 05:00 UTC.
    assert next_briefing(_utc(2026, 5, 4, 4, 59), [480], DAMASCUS) == _utc(2026, 5, 4, 5)
    assert next_briefing(_utc(2026, 5, 4, 5, 0), [480], DAMASCUS) == _utc(2026, 5, 5, 5)
    assert next_briefing(_utc(2026, 5, 4, 12), [480, 1200], DAMASCUS) == _utc(2026, 5, 4, 17)
    # 23:30 UTC on the 4th is already 02:30 on the 5th in Damascus.
    assert next_briefing(_utc(2026, 5, 4, 23, 30), [480], DAMASCUS) == _utc(2026, 5, 5, 5)


def test_several_times_a_day_come_in_order_each_once() -> None:
    times = _walk(_utc(2026, 5, 4, 0), [1200, 480, 780], DAMASCUS, 6)
    assert times == [
        _utc(2026, 5, 4, 5),
        _utc(2026, 5, 4, 10),
        _utc(2026, 5, 4, 17),
        _utc(2026, 5, 5, 5),
        _utc(2026, 5, 5, 10),
        _utc(2026, 5, 5, 17),
    ]


def test_a_time_the_spring_change_skips_is_sent_once_an_hour_later_by_the_new_clock() -> None:
    # 02:30 does not exist in Berlin on 29 March 2026: it is read as 02:30 CET = 01:30 UTC,
    # which the clocks show as 03:30 CEST.
    times = _walk(_local(BERLIN, 2026, 3, 27, 12), [150], BERLIN, 4)
    assert times == [
        _local(BERLIN, 2026, 3, 28, 2, 30),
        _utc(2026, 3, 29, 1, 30),
        _local(BERLIN, 2026, 3, 30, 2, 30),
        _local(BERLIN, 2026, 3, 31, 2, 30),
    ]
    assert times[1].astimezone(ZoneInfo(BERLIN)).strftime("%H:%M %Z") == "03:30 CEST"
    assert [t.astimezone(ZoneInfo(BERLIN)).date().day for t in times] == [28, 29, 30, 31]


def test_a_time_the_autumn_change_repeats_is_sent_once_at_its_first_pass() -> None:
    # 02:30 happens twice in Berlin on 25 October 2026: 00:30 UTC (CEST), 01:30 UTC (CET).
    times = _walk(_local(BERLIN, 2026, 10, 23, 12), [150], BERLIN, 3)
    assert times == [
        _utc(2026, 10, 24, 0, 30),
        _utc(2026, 10, 25, 0, 30),
        _utc(2026, 10, 26, 1, 30),
    ]
    # From anywhere between the two passes, the next briefing is the next day's.
    assert next_briefing(_utc(2026, 10, 25, 0, 30), [150], BERLIN) == _utc(2026, 10, 26, 1, 30)
    assert next_briefing(_utc(2026, 10, 25, 1, 0), [150], BERLIN) == _utc(2026, 10, 26, 1, 30)
    assert next_briefing(_utc(2026, 10, 25, 1, 30), [150], BERLIN) == _utc(2026, 10, 26, 1, 30)


@pytest.mark.parametrize("minute", [0, 59, 120, 150, 179, 180, 1439])
@pytest.mark.parametrize("month", [3, 10])
def test_around_a_dst_change_every_local_date_gets_exactly_one_briefing(
    minute: int, month: int
) -> None:
    day = 29 if month == 3 else 25
    start = _local(BERLIN, 2026, month, day - 3, 12)
    times = _walk(start, [minute], BERLIN, 6)
    dates = [t.astimezone(ZoneInfo(BERLIN)).date() for t in times]
    assert dates == [dates[0] + timedelta(days=n) for n in range(6)]
    assert all(b > a for a, b in itertools.pairwise(times))


def test_no_times_is_an_error() -> None:
    with pytest.raises(ValueError, match="no briefing times"):
        next_briefing(_utc(2026, 5, 4), [], DAMASCUS)


# ---- which claimed stories are due ------------------------------------------------------------


def _claim(
    created: list[datetime], *, minutes: tuple[int, ...] = (480,), briefed: datetime | None = None
) -> Claim:
    chat = ChatTarget(
        7,
        777,
        ChatKind.PRIVATE,
        "ar",
        None,
        None,
        DAMASCUS,
        ChatOptions(briefing_minutes=minutes, briefed_at=briefed),
    )
    deliveries = tuple(ClaimedDelivery(n, 100 + n, 0, at) for n, at in enumerate(created, 1))
    return Claim(chat, deliveries)


def test_stories_before_the_briefing_wait_for_it() -> None:
    claim = _claim([_utc(2026, 5, 4, 1), _utc(2026, 5, 4, 2)])
    plan = split(claim, _utc(2026, 5, 4, 3), DAMASCUS, {101, 102})
    assert plan.due is None
    assert plan.outcomes() == [
        Outcome(
            (1, 2),
            7,
            DeliveryState.PENDING,
            next_attempt_at=_utc(2026, 5, 4, 5),
            chat_next_send_at=_utc(2026, 5, 4, 5),
        )
    ]


def test_at_the_briefing_the_earlier_stories_are_due_and_later_ones_wait() -> None:
    claim = _claim([_utc(2026, 5, 4, 1), _utc(2026, 5, 4, 5, 0, 30)])
    plan = split(claim, _utc(2026, 5, 4, 5, 1), DAMASCUS, {101, 102})
    assert plan.due is not None
    assert [d.id for d in plan.due.deliveries] == [1]
    assert plan.hold is not None
    assert plan.hold.delivery_ids == (2,)
    assert plan.hold.next_attempt_at == _utc(2026, 5, 5, 5)
    sent = Outcome(
        (1,),
        7,
        DeliveryState.DIGESTED,
        sent_as=SentAs.BRIEFING,
        sent_at=_utc(2026, 5, 4, 5, 1),
        chat_next_send_at=_utc(2026, 5, 4, 5, 1, 1),
    )
    hold, done = plan.outcomes(sent)
    # The chat is paced by the hold (tomorrow's briefing), and marked as briefed now.
    assert done.chat_next_send_at == _utc(2026, 5, 5, 5)
    assert done.chat_briefed_at == _utc(2026, 5, 4, 5, 1)
    assert hold.chat_next_send_at is None


def test_a_briefing_to_try_again_keeps_its_own_pace_and_marks_nothing() -> None:
    claim = _claim([_utc(2026, 5, 4, 1), _utc(2026, 5, 4, 5, 0, 30)])
    plan = split(claim, _utc(2026, 5, 4, 5, 1), DAMASCUS, {101, 102})
    throttled = Outcome(
        (1,),
        7,
        DeliveryState.PENDING,
        next_attempt_at=_utc(2026, 5, 4, 5, 1, 7),
        chat_next_send_at=_utc(2026, 5, 4, 5, 1, 7),
    )
    hold, retry = plan.outcomes(throttled)
    assert retry == throttled
    assert hold.chat_next_send_at is None
    assert hold.next_attempt_at == _utc(2026, 5, 5, 5)


def test_a_story_stored_late_after_the_briefing_joins_the_next_one() -> None:
    # Created (its poll began) at 04:59 UTC, stored after the 05:00 briefing went at 05:00:10.
    claim = _claim([_utc(2026, 5, 4, 4, 59)], briefed=_utc(2026, 5, 4, 5, 0, 10))
    plan = split(claim, _utc(2026, 5, 4, 5, 1), DAMASCUS, {101})
    assert plan.due is None
    assert plan.hold is not None
    assert plan.hold.next_attempt_at == _utc(2026, 5, 5, 5)


def test_a_late_briefing_still_sends_what_waited() -> None:
    # The sender was down at 05:00; at 09:00 yesterday's stories are sent at once.
    claim = _claim([_utc(2026, 5, 3, 20)], briefed=_utc(2026, 5, 3, 5))
    plan = split(claim, _utc(2026, 5, 4, 9), DAMASCUS, {101})
    assert plan.due is not None
    assert plan.hold is None


def test_a_story_whose_article_is_gone_fails_alone() -> None:
    claim = _claim([_utc(2026, 5, 4, 1), _utc(2026, 5, 4, 2)])
    plan = split(claim, _utc(2026, 5, 4, 6), DAMASCUS, {101})
    assert plan.due is not None
    assert [d.id for d in plan.due.deliveries] == [1]
    assert plan.lost is not None
    assert plan.lost.delivery_ids == (2,)
    assert plan.lost.state is DeliveryState.FAILED


# ---- the message ------------------------------------------------------------------------------

T0 = datetime(2026, 5, 4, 4, tzinfo=UTC)


def _item(
    headline: str,
    category: str,
    sources: int,
    *,
    minutes: int = 0,
    url: str | None = "https://enabbaladi.net/a",
    language: str = "ar",
) -> BriefingItem:
    content = PostContent(
        headline=headline,
        summary="",
        title=headline,
        site="enabbaladi.net",
        fetched_at=T0 + timedelta(minutes=minutes),
        language=language,
        category=category,
        url=url,
    )
    return BriefingItem(content, category, sources, f"({sources} sources)" if sources > 1 else "")


def test_stories_rank_by_coverage_then_recency_and_group_by_category() -> None:
    items = [
        _item("local old", "Local", 1, minutes=1),
        _item("politics widely covered", "Politics", 4, minutes=2),
        _item("local covered twice", "Local", 2, minutes=3),
        _item("politics new", "Politics", 1, minutes=9),
        _item("economy", "Economy", 1, minutes=5),
    ]
    order = [i.content.headline for i in ranked(items)]
    assert order == [
        "politics widely covered",
        "local covered twice",
        "politics new",
        "economy",
        "local old",
    ]
    groups = [
        (name, [i.content.headline for i in members]) for name, members in grouped(ranked(items))
    ]
    assert groups == [
        ("Politics", ["politics widely covered", "politics new"]),
        ("Local", ["local covered twice", "local old"]),
        ("Economy", ["economy"]),
    ]


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)


def test_the_briefing_names_each_story_as_a_linked_headline_under_its_category() -> None:
    items = [
        _item("خبر عن <دمشق> & حلب", "سياسة", 3, url="https://enabbaladi.net/p/1"),
        _item("خبر محلي", "محليات", 1, url=None),
    ]
    briefing = render_briefing("📰 موجز", "ar", items, lambda n: f"{n} more")
    assert briefing.count == 2
    assert briefing.plain.split("\n") == [
        "📰 موجز",
        "",
        "سياسة",
        "• خبر عن <دمشق> & حلب — enabbaladi.net (3 sources)",
        "",
        "محليات",
        "• خبر محلي — enabbaladi.net",
    ]
    assert '<a href="https://enabbaladi.net/p/1">خبر عن &lt;دمشق&gt; &amp; حلب</a>' in briefing.text
    assert briefing.text.startswith("<b>📰 موجز</b>\n\n<b>سياسة</b>\n")
    parser = _Tags()
    parser.feed(briefing.text)
    assert set(parser.tags) == {"b", "a"}


def test_a_crowded_day_keeps_the_best_ranked_that_fit_and_counts_the_rest() -> None:
    items = [
        _item(
            f"headline number {n} " + "word " * 20,
            f"Category {n % 4}",
            1 + n % 3,
            minutes=n,
            language="en",
        )
        for n in range(120)
    ]
    briefing = render_briefing("Briefing", "en", items, lambda n: f"…and {n} more", "footer")
    assert 10 < briefing.count < 120
    assert utf16_units(briefing.plain) <= TEXT_LIMIT
    lines = briefing.plain.split("\n")
    assert lines[-2:] == [f"…and {120 - briefing.count} more", "footer"]
    shown = {line.split(" — ")[0][2:] for line in lines if line.startswith("• ")}
    best = {i.content.headline.strip() for i in ranked(items)[: briefing.count]}
    assert {s.strip() for s in shown} == {" ".join(b.split()) for b in best}
    assert all(i.sources == 3 for i in ranked(items)[: briefing.count])
