"""Dates: Jalali (Solar Hijri) strings as Persian sites print them, turned into real, Tehran-aware timestamps.

Every date the project reads is parsed here and nowhere else. Tehran's UTC offset changed over time (+04:30 in
summer up to 2022, +03:30 all year since), so offsets always come from the Asia/Tehran zone, never a constant.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

import jdatetime

TEHRAN = ZoneInfo("Asia/Tehran")

# Persian (U+06F0..) and Arabic-Indic (U+0660..) digits to ASCII.
_DIGITS = str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩", "01234567890123456789")
# Arabic letters that Persian sites still mix in (دي, آذر with Arabic yeh...), so month names match.
_ARABIC_LETTERS = str.maketrans({"ي": "ی", "ك": "ک", "ى": "ی", "\u200c": ""})

JALALI_MONTHS = {
    "فروردین": 1,
    "اردیبهشت": 2,
    "خرداد": 3,
    "تیر": 4,
    "مرداد": 5,
    "امرداد": 5,
    "شهریور": 6,
    "مهر": 7,
    "آبان": 8,
    "آذر": 9,
    "دی": 10,
    "بهمن": 11,
    "اسفند": 12,
}

_MONTH_ALTERNATION = "|".join(sorted(JALALI_MONTHS, key=len, reverse=True))
# «۲۹ دی ۱۳۹۵ / ۱۴:۵۹», «پنجشنبه ۳۰ اسفند ۱۴۰۳ - ۰۹:۰۰»: day, month name, year, then an optional time.
_NAMED_DATE = re.compile(
    rf"(?<!\d)(\d{{1,2}})\s*({_MONTH_ALTERNATION})\s*(\d{{4}})(?!\d)(?:\D{{0,12}}?(\d{{1,2}}):(\d{{2}}))?"
)
# «1402-05-24», «1402/05/24 12:46», «1402-05-24T12:46».
_NUMERIC_DATE = re.compile(
    r"(?<!\d)(1[2-5]\d\d)[-/.](\d{1,2})[-/.](\d{1,2})(?!\d)(?:[T\s]+(\d{1,2}):(\d{2}))?"
)


class DateParseError(ValueError):
    """A string that should hold a date but does not hold a valid one."""


def ascii_digits(text: str) -> str:
    """Persian and Arabic-Indic digits to ASCII; everything else unchanged."""
    return text.translate(_DIGITS)


def jalali_to_tehran(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """A Jalali wall-clock time in Tehran as an aware datetime; ValueError for dates that do not exist."""
    try:
        gregorian = _gregorian_day(year, month, day)
        return datetime(gregorian.year, gregorian.month, gregorian.day, hour, minute, tzinfo=TEHRAN)
    except ValueError as error:
        raise DateParseError(f"no such Jalali date/time {year:04d}-{month:02d}-{day:02d} {hour:02d}:{minute:02d}: {error}") from None


# Calendar conversions by day, remembered: a crawl sees the same few days over and over, and every jdatetime
# object asks the C library for the locale when it is made.
@lru_cache(maxsize=4096)
def _gregorian_day(year: int, month: int, day: int) -> date:
    return jdatetime.date(year, month, day).togregorian()


@lru_cache(maxsize=4096)
def _jalali_day(day: date) -> tuple[int, int, int]:
    jalali = jdatetime.date.fromgregorian(date=day)
    return jalali.year, jalali.month, jalali.day


def parse_jalali_datetime(text: str) -> datetime:
    """Find a Jalali date (and time, if present) in free text and return it as an aware Tehran datetime.

    Accepts month names (with Arabic or Persian letters) and numeric forms, in any digits. Raises
    DateParseError with the offending text when nothing valid is found.
    """
    if not text:
        raise DateParseError("empty date text")
    cleaned = ascii_digits(text).translate(_ARABIC_LETTERS)
    match = _NAMED_DATE.search(cleaned)
    if match:
        day, month_name, year, hour, minute = match.groups()
        month = JALALI_MONTHS[month_name]
    else:
        match = _NUMERIC_DATE.search(cleaned)
        if not match:
            raise DateParseError(f"no Jalali date in {text!r}")
        year, month, day, hour, minute = match.groups()
    return jalali_to_tehran(int(year), int(month), int(day), int(hour or 0), int(minute or 0))


def parse_jalali_day(text: str) -> jdatetime.date:
    """A Jalali calendar day given as YYYY-MM-DD (or with /), e.g. a command-line argument."""
    match = re.fullmatch(r"\s*(\d{4})[-/](\d{1,2})[-/](\d{1,2})\s*", ascii_digits(text or ""))
    if not match:
        raise DateParseError(f"{text!r} is not a Jalali date of the form YYYY-MM-DD (for example 1402-05-24)")
    year, month, day = (int(part) for part in match.groups())
    try:
        return jdatetime.date(year, month, day)
    except ValueError as error:
        raise DateParseError(f"{text!r} is not a valid Jalali date: {error}") from None


def parse_iso_datetime(text: str, *, naive_zone: ZoneInfo = TEHRAN) -> datetime:
    """An ISO 8601 timestamp (``Z`` or an offset) as an aware datetime; a naive one is read in ``naive_zone``."""
    if not text:
        raise DateParseError("empty timestamp")
    candidate = text.strip().replace(" T ", "T")
    try:
        value = datetime.fromisoformat(candidate)
    except ValueError:
        raise DateParseError(f"{text!r} is not an ISO 8601 timestamp") from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=naive_zone)
    return value


_ISO_LIKE = re.compile(r"\s*(\d{4})-(\d{1,2})-(\d{1,2})(?:[T\s]+(\d{1,2}):(\d{2})(?::(\d{2}))?)?")


def parse_machine_datetime(text: str) -> datetime:
    """A timestamp from markup (time@datetime, JSON-LD, meta tags): ISO 8601, or the Jalali date that Persian
    WordPress date plugins put into the same form (`1402-05-24T12:46:00+04:30`). A year before 1700 is Jalali,
    read as Tehran wall-clock time (the plugins print local time, and their offset is not always the one in force)."""
    cleaned = ascii_digits(text or "")
    match = _ISO_LIKE.match(cleaned)
    if match and int(match.group(1)) < 1700:
        year, month, day, hour, minute, _ = match.groups()
        return jalali_to_tehran(int(year), int(month), int(day), int(hour or 0), int(minute or 0))
    return parse_iso_datetime(cleaned)


def to_tehran_iso(moment: datetime) -> str:
    """``2023-08-15T12:46:00+03:30``: the moment in Tehran local time with the offset in force on that date."""
    return moment.astimezone(TEHRAN).replace(microsecond=0).isoformat()


def to_jalali_string(moment: datetime) -> str:
    """``1402-05-24T12:46``: the Tehran wall-clock time of the moment in the Jalali calendar, to the minute."""
    local = moment.astimezone(TEHRAN)
    year, month, day = _jalali_day(local.date())
    return f"{year:04d}-{month:02d}-{day:02d}T{local.hour:02d}:{local.minute:02d}"


def tehran_jalali_day(moment: datetime) -> jdatetime.date:
    """The Jalali calendar day on which the moment falls in Tehran."""
    local = moment.astimezone(TEHRAN)
    return jdatetime.date.fromgregorian(date=local.date())


def jalali_days(first: jdatetime.date, last: jdatetime.date) -> list[jdatetime.date]:
    """Every Jalali day from first to last, inclusive, in order."""
    days = []
    current = first
    while current <= last:
        days.append(current)
        current = current + jdatetime.timedelta(days=1)
    return days


def utc_now_iso() -> str:
    """The current time in UTC, to the second, as ``2026-11-22T18:40:00Z``."""
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


