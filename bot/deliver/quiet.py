"""Quiet hours: a private chat's daily span, in its time zone, when posts wait."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

MINUTES_PER_DAY = 24 * 60


def quiet_until(
    now: datetime, start_minute: int | None, end_minute: int | None, timezone: str
) -> datetime | None:
    """When the quiet span holding `now` ends (aware, UTC), or None outside quiet hours.

    Minutes count from local midnight; a span may cross midnight (22:00–07:00). Equal start
    and end mean no quiet hours. Local times skipped or repeated by a DST change resolve as
    `zoneinfo` does, except that an end read in the first pass of a repeated hour when now is
    in the second pass is read in the second (the end is never before `now`).
    """
    if start_minute is None or end_minute is None or start_minute == end_minute:
        return None
    zone = ZoneInfo(timezone)
    local = now.astimezone(zone)
    minute = local.hour * 60 + local.minute
    if start_minute < end_minute:
        quiet = start_minute <= minute < end_minute
        end_day = local.date()
    else:
        quiet = minute >= start_minute or minute < end_minute
        end_day = local.date() + timedelta(days=1 if minute >= start_minute else 0)
    if not quiet:
        return None
    end = datetime.combine(end_day, time(end_minute // 60, end_minute % 60), tzinfo=zone)
    if end <= now:
        end = end.replace(fold=1)
    return end.astimezone(UTC)
