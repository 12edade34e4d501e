"""bot.deliver.quiet.quiet_until: when a private chat's quiet span holding `now` ends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.deliver.quiet import quiet_until

BERLIN = ZoneInfo("Europe/Berlin")
DAMASCUS = ZoneInfo("Asia/Damascus")  # UTC+3 all year since 2022
TOKYO = ZoneInfo("Asia/Tokyo")


def _utc(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def _at(zone: ZoneInfo, year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    """A local wall-clock time in `zone`, as a UTC instant."""
    return datetime(year, month, day, hour, minute, tzinfo=zone).astimezone(UTC)


def _minute(hour: int, minute: int = 0) -> int:
    return hour * 60 + minute


# ---- a span inside one day: 13:00–15:30 UTC ---------------------------------------------------


@pytest.mark.parametrize(
    ("hour", "minute", "quiet"),
    [
        (12, 59, False),
        (13, 0, True),  # start is inclusive
        (14, 0, True),
        (15, 29, True),
        (15, 30, False),  # end is exclusive
        (23, 0, False),
        (0, 0, False),
    ],
)
def test_a_span_inside_one_day(hour: int, minute: int, quiet: bool) -> None:
    now = _utc(2026, 5, 4, hour, minute)
    end = quiet_until(now, _minute(13), _minute(15, 30), "UTC")
    assert end == (_utc(2026, 5, 4, 15, 30) if quiet else None)


# ---- a span crossing midnight: 23:00–07:00 UTC ------------------------------------------------


@pytest.mark.parametrize(
    ("now", "end"),
    [
        (_utc(2026, 5, 4, 22, 59), None),
        (_utc(2026, 5, 4, 23, 0), _utc(2026, 5, 5, 7)),  # start is inclusive: ends tomorrow
        (_utc(2026, 5, 4, 23, 59), _utc(2026, 5, 5, 7)),
        (_utc(2026, 5, 5, 0, 0), _utc(2026, 5, 5, 7)),  # after midnight: ends today
        (_utc(2026, 5, 5, 6, 59), _utc(2026, 5, 5, 7)),
        (_utc(2026, 5, 5, 7, 0), None),  # end is exclusive
        (_utc(2026, 5, 5, 12, 0), None),
    ],
)
def test_a_span_crossing_midnight(now: datetime, end: datetime | None) -> None:
    assert quiet_until(now, _minute(23), _minute(7), "UTC") == end


def test_a_span_from_midnight_and_one_ending_at_midnight() -> None:
    assert quiet_until(_utc(2026, 5, 4, 0, 0), 0, _minute(6), "UTC") == _utc(2026, 5, 4, 6)
    assert quiet_until(_utc(2026, 5, 4, 23, 59), _minute(22), 0, "UTC") == _utc(2026, 5, 5, 0)
    assert quiet_until(_utc(2026, 5, 5, 0, 0), _minute(22), 0, "UTC") is None


# ---- no quiet hours ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end"), [(None, None), (_minute(23), None), (None, _minute(7)), (0, 0), (600, 600)]
)
def test_no_span_means_never_quiet(start: int | None, end: int | None) -> None:
    for hour in range(24):
        assert quiet_until(_utc(2026, 5, 4, hour, 30), start, end, "Asia/Damascus") is None


# ---- time zones -------------------------------------------------------------------------------


def test_the_span_is_read_on_the_chats_own_clock() -> None:
    # 23:00–07:00 in Damascus (UTC+3) is 20:00–04:00 UTC.
    start, end = _minute(23), _minute(7)
    assert quiet_until(_utc(2026, 5, 4, 19, 59), start, end, "Asia/Damascus") is None
    assert quiet_until(_utc(2026, 5, 4, 20, 0), start, end, "Asia/Damascus") == _utc(2026, 5, 5, 4)
    assert quiet_until(_utc(2026, 5, 5, 3, 59), start, end, "Asia/Damascus") == _utc(2026, 5, 5, 4)
    assert quiet_until(_utc(2026, 5, 5, 4, 0), start, end, "Asia/Damascus") is None
    # At 22:00 UTC it is 23:00 in Berlin (summer, UTC+2) but 07:00 the next day in Tokyo.
    now = _utc(2026, 5, 4, 22)
    assert quiet_until(now, start, end, "Europe/Berlin") == _at(BERLIN, 2026, 5, 5, 7)
    assert quiet_until(now, start, end, "Asia/Tokyo") is None
    assert quiet_until(now - timedelta(minutes=1), start, end, "Asia/Tokyo") == _at(
        TOKYO, 2026, 5, 5, 7
    )


def test_the_local_date_decides_which_day_the_span_ends() -> None:
    # 22:30 UTC on the 4th is already 01:30 on the 5th in Damascus: the span ends at 07:00 on
    # the 5th there, not on the 6th.
    end = quiet_until(_utc(2026, 5, 4, 22, 30), _minute(23), _minute(7), "Asia/Damascus")
    assert end == _at(DAMASCUS, 2026, 5, 5, 7)


def test_the_end_is_an_aware_utc_instant() -> None:
    end = quiet_until(_utc(2026, 5, 4, 21), _minute(23), _minute(7), "Asia/Damascus")
    assert end is not None
    assert end.utcoffset() == timedelta(0)
    assert end == _utc(2026, 5, 5, 4)
    assert (end.hour, end.minute) == (4, 0)


# ---- daylight saving time in Europe/Berlin ----------------------------------------------------
# 2026-03-29: 02:00 CET (01:00 UTC) jumps to 03:00 CEST. 2026-10-25: 03:00 CEST (01:00 UTC)
# falls back to 02:00 CET, so 02:00–02:59 happens twice.


def test_a_span_ending_after_the_spring_change_is_one_hour_shorter_in_utc() -> None:
    # 23:00 CET (22:00 UTC) to 07:00 CEST (05:00 UTC): seven hours, not eight.
    start, end = _minute(23), _minute(7)
    assert quiet_until(_utc(2026, 3, 28, 22), start, end, "Europe/Berlin") == _utc(2026, 3, 29, 5)
    assert quiet_until(_utc(2026, 3, 29, 4, 59), start, end, "Europe/Berlin") == _utc(
        2026, 3, 29, 5
    )
    assert quiet_until(_utc(2026, 3, 29, 5), start, end, "Europe/Berlin") is None
    # The same span the night before ends at 07:00 CET, 06:00 UTC.
    assert quiet_until(_utc(2026, 3, 27, 22), start, end, "Europe/Berlin") == _utc(2026, 3, 28, 6)


def test_a_span_ending_after_the_autumn_change_is_one_hour_longer_in_utc() -> None:
    # 23:00 CEST (21:00 UTC) to 07:00 CET (06:00 UTC): nine hours.
    start, end = _minute(23), _minute(7)
    assert quiet_until(_utc(2026, 10, 24, 21), start, end, "Europe/Berlin") == _utc(2026, 10, 25, 6)
    assert quiet_until(_utc(2026, 10, 24, 20, 59), start, end, "Europe/Berlin") is None
    assert quiet_until(_utc(2026, 10, 25, 6), start, end, "Europe/Berlin") is None


def test_a_span_ending_inside_the_skipped_spring_hour_ends_as_zoneinfo_reads_it() -> None:
    # 02:30 does not exist on 2026-03-29; fold 0 reads it with the offset before the change
    # (CET, UTC+1): 01:30 UTC, which the clocks show as 03:30 CEST.
    end = quiet_until(_at(BERLIN, 2026, 3, 29, 1, 45), _minute(1), _minute(2, 30), "Europe/Berlin")
    assert end == _utc(2026, 3, 29, 1, 30)


def test_a_span_ending_inside_the_repeated_autumn_hour_ends_at_its_first_pass() -> None:
    # 00:00–02:30: at 02:15 CEST (00:15 UTC), the first time through, the span ends at the
    # first 02:30, 00:30 UTC.
    end = quiet_until(_utc(2026, 10, 25, 0, 15), 0, _minute(2, 30), "Europe/Berlin")
    assert end == _utc(2026, 10, 25, 0, 30)


def test_the_end_is_never_before_now_in_the_repeated_autumn_hour() -> None:
    # 02:15 CET (01:15 UTC), the second time through: the wall clock is inside 00:00–02:30,
    # and the returned end (00:30 UTC, the first 02:30) lies 45 minutes in the past.
    now = _utc(2026, 10, 25, 1, 15)
    end = quiet_until(now, 0, _minute(2, 30), "Europe/Berlin")
    assert end is None or end > now


@pytest.mark.parametrize("first_day", [_utc(2026, 3, 28, 0), _utc(2026, 10, 24, 0)])
def test_around_a_change_the_end_is_ahead_and_the_span_holds_now(first_day: datetime) -> None:
    # Every five minutes over two days around a change, a span crossing midnight: quiet
    # exactly when the local clock is inside it, and then the end is later than now, at most
    # a day away, at 06:45 local.
    start, end_minute = _minute(22, 15), _minute(6, 45)
    for step in range(2 * 24 * 12):
        now = first_day + timedelta(minutes=5 * step)
        end = quiet_until(now, start, end_minute, "Europe/Berlin")
        local = now.astimezone(BERLIN)
        minute = local.hour * 60 + local.minute
        assert (end is not None) == (minute >= start or minute < end_minute), now
        if end is not None:
            assert now < end <= now + timedelta(days=1), now
            assert end.astimezone(BERLIN).time().isoformat() == "06:45:00", now


def test_the_end_is_utc_even_when_now_is_given_in_another_zone() -> None:
    now = _at(BERLIN, 2026, 5, 4, 23).astimezone(BERLIN)
    end = quiet_until(now, _minute(23), _minute(7), "Europe/Berlin")
    assert end == _at(BERLIN, 2026, 5, 5, 7)
    assert end is not None
    assert end.tzinfo is UTC
