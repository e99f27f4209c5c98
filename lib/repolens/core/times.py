"""Times as reports write them: nanoseconds since the epoch, as ISO 8601 in UTC, within
the years a date can hold (1 to 9999)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import lru_cache

__all__ = ["MAX_TIME_NS", "MIN_TIME_NS", "iso_time", "time_in_range"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Times a report can write as ISO 8601 (years 1 to 9999), in nanoseconds since the epoch.
MIN_TIME_NS = int((datetime(1, 1, 1, tzinfo=UTC) - _EPOCH).total_seconds()) * 1_000_000_000
MAX_TIME_NS = int((datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC) - _EPOCH).total_seconds() + 1)
MAX_TIME_NS = MAX_TIME_NS * 1_000_000_000 - 1


def time_in_range(ns: int | None) -> bool:
    """Whether a time can be written as a date (years 1 to 9999)."""
    return ns is not None and MIN_TIME_NS <= ns <= MAX_TIME_NS


@lru_cache(maxsize=4096)
def _second(seconds: int) -> str:
    """``YYYY-MM-DDTHH:MM:SS`` of a whole second since the epoch (files share seconds)."""
    return (_EPOCH + timedelta(seconds=seconds)).isoformat()[:19]


def iso_time(ns: int | None) -> str | None:
    """Nanoseconds since the epoch as ISO 8601 in UTC, to the microsecond; None when
    absent or outside the years 1 to 9999 (the record's reason then says so). The text
    ``datetime.isoformat`` gives: the fraction only when it is not zero, then ``+00:00``."""
    if ns is None or ns < MIN_TIME_NS or ns > MAX_TIME_NS:
        return None
    seconds, micro = divmod(ns // 1000, 1_000_000)
    if micro:
        return f"{_second(seconds)}.{micro:06d}+00:00"
    return _second(seconds) + "+00:00"
