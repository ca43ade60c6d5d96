"""Resolve a promise's time expression ("bis Freitag", "within 3 business days") to a due date.

The reference is the message's timestamp (or the conversation start). Returns None when the
expression names no resolvable day (e.g. "next week" resolves to the Friday of next week,
"in 2 hours" to the same day; plain clock times to the reference day).
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

WEEKDAYS = {
    "monday": 0, "tuesday": 1, "wednesday": 2, "thursday": 3, "friday": 4, "saturday": 5, "sunday": 6,
    "mon": 0, "tue": 1, "tues": 1, "wed": 2, "thu": 3, "thur": 3, "thurs": 3, "fri": 4, "sat": 5, "sun": 6,
    "montag": 0, "dienstag": 1, "mittwoch": 2, "donnerstag": 3, "freitag": 4, "samstag": 5,
    "sonnabend": 5, "sonntag": 6,
}
MONTHS = {
    "january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7,
    "august": 8, "september": 9, "october": 10, "november": 11, "december": 12,
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "sept": 9,
    "oct": 10, "nov": 11, "dec": 12,
    "januar": 1, "jänner": 1, "februar": 2, "märz": 3, "maerz": 3, "mai": 5, "juni": 6, "juli": 7,
    "oktober": 10, "dezember": 12, "okt": 10, "dez": 12,
}
NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "ten": 10,
    "a": 1, "an": 1, "ein": 1, "eine": 1, "einem": 1, "einer": 1, "zwei": 2, "drei": 3,
    "vier": 4, "fünf": 5, "sechs": 6, "sieben": 7, "zehn": 10, "couple": 2, "paar": 2,
}
_NUM = r"(\d+|" + "|".join(sorted(NUMBER_WORDS, key=len, reverse=True)) + r")"
_RANGE = _NUM + r"(?:\s*(?:-|–|to|bis)\s*" + _NUM + r")?"
_UNIT = (r"(business days?|working days?|werktage?n?|arbeitstage?n?|days?|tage?n?|hours?|hrs?|"
         r"stunden?|weeks?|wochen?)")
_DURATION = re.compile(_RANGE + r"\s+(?:more\s+|weitere[rn]?\s+)?" + _UNIT, re.I)
_DATE_DOTTED = re.compile(r"\b(\d{1,2})\.\s?(\d{1,2})\.(\d{2,4})?")
_DATE_DAY_MONTH = re.compile(r"\b(\d{1,2})(?:st|nd|rd|th|\.)?\s+(?:of\s+)?([a-zäö]+)\b", re.I)
_DATE_MONTH_DAY = re.compile(r"\b([a-z]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?\b", re.I)
_ISO = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")


def _num(token: str) -> int:
    token = token.lower()
    return int(token) if token.isdigit() else NUMBER_WORDS.get(token, 1)


def _add_business_days(start: date, days: int) -> date:
    d = start
    while days > 0:
        d += timedelta(days=1)
        if d.weekday() < 5:
            days -= 1
    return d


def _next_weekday(ref: date, weekday: int) -> date:
    """The coming day of that weekday; said on that very weekday, a week later."""
    return ref + timedelta(days=(weekday - ref.weekday()) % 7 or 7)


def _year_for(ref: date, month: int, day: int) -> date | None:
    try:
        candidate = date(ref.year, month, day)
    except ValueError:
        return None
    if candidate < ref - timedelta(days=60):  # "3 January" said in December means next year
        try:
            candidate = date(ref.year + 1, month, day)
        except ValueError:
            return None
    return candidate


MAX_DAYS_AHEAD = 3660  # promises further out than ten years are not dates worth resolving


def resolve_due_date(expression: str, reference: datetime | date | None) -> date | None:
    """The day a time expression points to, seen from `reference`; None when unknown."""
    if reference is None:
        return None
    try:
        return _resolve(expression, reference)
    except (OverflowError, ValueError):
        return None


def _resolve(expression: str, reference: datetime | date) -> date | None:
    ref = reference.date() if isinstance(reference, datetime) else reference
    text = expression.lower().strip()

    m = _ISO.search(text)
    if m:
        try:
            return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        except ValueError:
            return None
    m = _DATE_DOTTED.search(text)
    if m:
        day, month = int(m.group(1)), int(m.group(2))
        if m.group(3):
            year = int(m.group(3))
            year = year + 2000 if year < 100 else year
            try:
                return date(year, month, day)
            except ValueError:
                return None
        return _year_for(ref, month, day)
    for m in _DATE_DAY_MONTH.finditer(text):
        if m.group(2) in MONTHS:
            return _year_for(ref, MONTHS[m.group(2)], int(m.group(1)))
    for m in _DATE_MONTH_DAY.finditer(text):
        if m.group(1) in MONTHS:
            return _year_for(ref, MONTHS[m.group(1)], int(m.group(2)))

    m = _DURATION.search(text)
    if m:
        n = _num(m.group(2) or m.group(1))  # the upper end of a range: "3-5 business days" -> 5
        if n > MAX_DAYS_AHEAD:
            return None
        unit = m.group(3).lower()
        if unit.startswith(("business", "working", "werktag", "arbeitstag")):
            return _add_business_days(ref, n)
        if unit.startswith(("day", "tag")):
            return ref + timedelta(days=n)
        if unit.startswith(("week", "woche")):
            return ref + timedelta(weeks=n)
        if unit.startswith(("hour", "hr", "stunde")):
            return (reference + timedelta(hours=n)).date() if isinstance(reference, datetime) else ref

    words = re.findall(r"[a-zäöüß]+", text)
    for w in words:
        if w in WEEKDAYS and (len(w) > 3 or w in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")):
            return _next_weekday(ref, WEEKDAYS[w])
    if "übermorgen" in words or ("day" in words and "after" in words and "tomorrow" in words):
        return ref + timedelta(days=2)
    if "tomorrow" in words or "morgen" in words:
        return ref + timedelta(days=1)
    if any(w in words for w in ("today", "tonight", "heute", "heut", "eod")) or "end of day" in text \
            or "this afternoon" in text or "this evening" in text or "this morning" in text \
            or "within the hour" in text or "innerhalb der nächsten stunde" in text:
        return ref
    if "next week" in text or "nächste woche" in text or "nächsten woche" in text or "kommende woche" in text:
        return ref + timedelta(days=(4 - ref.weekday()) % 7 + 7)  # the Friday of next week
    if "end of the week" in text or "end of this week" in text or "ende der woche" in text or "ende dieser woche" in text:
        return ref + timedelta(days=(4 - ref.weekday()) % 7)
    m = re.search(r"(anfang|mitte|ende|early|mid|end of|beginning of|late)\s+([a-zä]+)", text)
    if m and m.group(2) in MONTHS:
        part = {"anfang": 5, "early": 5, "beginning of": 5, "mitte": 15, "mid": 15}.get(m.group(1), 28)
        return _year_for(ref, MONTHS[m.group(2)], part)
    if re.search(r"\b\d{1,2}(:\d{2})?\s*(am|pm|uhr|h)\b|\b\d{1,2}:\d{2}\b|halb \w+|\bnoon\b|\bmittag", text):
        return ref
    return None
