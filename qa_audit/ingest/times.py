"""Dates and clock offsets as exports write them, parsed one way for every reader."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

# Tried in this order after ISO 8601. Slashes are read month/day first (US), then day/month;
# a file that needs otherwise names its format with --timestamp-format.
DATETIME_FORMATS = (
    "%d.%m.%Y %H:%M:%S",
    "%d.%m.%Y %H:%M",
    "%d.%m.%Y, %H:%M:%S",
    "%d.%m.%Y, %H:%M",
    "%d.%m.%y %H:%M:%S",
    "%d.%m.%y %H:%M",
    "%d.%m.%Y",
    "%m/%d/%Y %I:%M:%S %p",
    "%m/%d/%Y %I:%M %p",
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y %H:%M",
    "%m/%d/%y %I:%M:%S %p",
    "%m/%d/%y %I:%M %p",
    "%m/%d/%y %H:%M",
    "%m/%d/%Y",
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
    "%d/%m/%Y",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y-%m-%d %H:%M:%S %z",
    "%Y-%m-%d %I:%M:%S %p",
    "%d %b %Y %H:%M:%S",
    "%d %b %Y %H:%M",
    "%b %d, %Y %I:%M %p",
    "%b %d, %Y %H:%M",
)
_EPOCH = re.compile(r"^\d{9,13}(\.\d+)?$")
_CLOCK = re.compile(r"^(?:(\d+):)?(\d{1,2}):(\d{1,2})(?:[.,](\d{1,3}))?$")


def parse_datetime(value: object, fmt: str | None = None) -> datetime | None:
    """A date-time from a string or a Unix epoch number; None for empty; ValueError otherwise.

    fmt (strptime) is tried first when given. Epoch numbers above 10^11 are milliseconds.
    Results from epochs are UTC-aware; strings keep whatever zone they carry.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, datetime):
        return value
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a date-time")
    if isinstance(value, (int, float)):
        return _from_epoch(float(value))
    text = str(value).strip()
    if fmt:
        try:
            return datetime.strptime(text, fmt)
        except ValueError:
            raise ValueError(f"{text!r} does not match the timestamp format {fmt!r}") from None
    if _EPOCH.match(text):
        return _from_epoch(float(text))
    try:
        return datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text)
    except ValueError:
        pass
    for candidate in DATETIME_FORMATS:
        try:
            return datetime.strptime(text, candidate)
        except ValueError:
            continue
    try:
        return parsedate_to_datetime(text)  # RFC 2822, as in mail headers
    except (TypeError, ValueError, IndexError):
        pass
    raise ValueError(f"{text!r} is not a date-time in a known format (use --timestamp-format)")


def _from_epoch(number: float) -> datetime:
    if number > 1e11:
        number /= 1000.0
    return datetime.fromtimestamp(number, tz=timezone.utc)


def parse_clock(value: object) -> float:
    """Seconds from '01:02:03.5', '01:02:03,500', '02:03', '75', '75.5' or '75,5'; ValueError otherwise."""
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a number of seconds")
    if isinstance(value, (int, float)):
        return float(value)
    text = str(value).strip()
    match = _CLOCK.match(text)
    if match:
        hours, minutes, seconds, fraction = match.groups()
        total = int(hours or 0) * 3600 + int(minutes) * 60 + int(seconds)
        return total + (int(fraction.ljust(3, "0")) / 1000.0 if fraction else 0.0)
    try:
        return float(text.replace(",", "."))
    except ValueError:
        raise ValueError(f"{text!r} is not a time offset (seconds or hh:mm:ss)") from None


def as_aware(value: datetime | None) -> datetime | None:
    """Naive date-times are taken as UTC, so that dates from different sources compare."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value
