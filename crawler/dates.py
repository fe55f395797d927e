"""Dates: Jalali (Solar Hijri) strings as Persian sites print them, turned into real, Tehran-aware timestamps.

Every date the project reads is parsed here and nowhere else. Tehran's UTC offset changed over time (+04:30 in
summer up to 2022, +03:30 all year since), so offsets always come from the Asia/Tehran zone, never a constant.
"""

from __future__ import annotations

import logging
import re
from datetime import UTC, date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

import jdatetime

logger = logging.getLogger(__name__)

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
# A time of day: «۱۴:۵۹», «۱۴:۵۹:۳۰», optionally followed by a 12-hour marker: «۲:۳۰ ب.ظ», «۱۰:۱۵ صبح».
_TIME = r"(?<!\d)(?P<{p}hour>\d{{1,2}}):(?P<{p}minute>\d{{2}})(?::(?P<{p}second>\d{{2}}))?(?!\d)" \
        r"(?:\s*(?P<{p}half>ق\.?\s?ظ|ب\.?\s?ظ|صبح|عصر|بعدازظهر|بعد از ظهر|[AaPp]\.?[Mm]\b\.?))?"
# Date forms, each with its time after it («۲۹ دی ۱۳۹۵ / ۱۴:۵۹», «۱۳۹۶/۰۲/۲۸ - ۲۲:۵۷», «... ساعت ۱۲:۴۶») or before it
# («۱۲:۴۶ - ۱ فروردین ۱۳۴۰»), at most a few characters apart. «ماه» may follow the month name, spaced or fused, and a
# comma or a kashida may stand before the year («۱۴ اسفند، ۱۳۹۵», «۱۴ـاسفندـ۱۳۹۵»).
_NAMED = (rf"(?<!\d)(?P<day>\d{{1,2}})[\sـ]*(?P<month_name>{_MONTH_ALTERNATION})(?:\s*ماه)?[\s،,ـ]*"
          rf"(?P<year>\d{{4}})(?!\d)")
_NUMERIC = r"(?<!\d)(?P<year>\d{4})[-/.](?P<month>\d{1,2})[-/.](?P<day>\d{1,2})(?!\d)"
# Two-digit years, as older pages print them: «۹۸/۰۲/۱۱» (year first) and «1/3/86» (year last). Only with slashes and
# only years 32-99 (1332-1399): a year of 00-31 could be a day, and «02/05/24» says nothing for sure.
_SHORT_YEAR_FIRST = r"(?<![\d/])(?P<year>3[2-9]|[4-9]\d)/(?P<month>\d{1,2})/(?P<day>\d{1,2})(?![\d/])"
_SHORT_YEAR_LAST = r"(?<![\d/])(?P<day>\d{1,2})/(?P<month>\d{1,2})/(?P<year>3[2-9]|[4-9]\d)(?![\d/])"
# Between a date and its time: a few characters that are no digit (« - », « / », «، ساعت », « :: »); a colon only
# when no digit follows it (the time's own colon does).
_GAP = r"(?:[^\d:]|:(?!\d)){0,12}?"


def _forms(date: str) -> tuple[re.Pattern, re.Pattern]:
    """(time before the date, the date with an optional time after it)."""
    return (re.compile(_TIME.format(p="b") + _GAP + date),
            re.compile(date + rf"(?:{_GAP}{_TIME.format(p='a')})?"))


_NAMED_FORMS = _forms(_NAMED)
_NUMERIC_FORMS = _forms(_NUMERIC)
_SHORT_FORMS = (*_forms(_SHORT_YEAR_FIRST), *_forms(_SHORT_YEAR_LAST))
_PM = ("ب", "عصر", "بعد", "p", "P")
# Years a date on a Persian news page can have: Jalali 1200-1599 (1821-2221), Gregorian 1900-2199.
JALALI_YEARS = range(1200, 1600)
GREGORIAN_YEARS = range(1900, 2200)


class DateParseError(ValueError):
    """A string that should hold a date but does not hold a valid one."""


def ascii_digits(text: str) -> str:
    """Persian and Arabic-Indic digits to ASCII; everything else unchanged."""
    return text.translate(_DIGITS)


def jalali_to_tehran(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    """A Jalali wall-clock time in Tehran as an aware datetime; DateParseError for dates that do not exist.

    In the years Iran kept summer time (up to 2022), one hour a year did not exist on Tehran clocks (00:00-01:00 on
    the day summer time began) and one occurred twice (23:00-24:00 on the day it ended). As Python's zoneinfo does
    (PEP 495, fold=0), such a time is read with the offset in force before the change: a time in the missing hour
    as winter time (00:30 is 00:30+03:30, which Tehran clocks showed as 01:30+04:30), a time in the repeated hour as
    its first occurrence, in summer time. Both are logged, since the page cannot have meant them exactly."""
    if year not in JALALI_YEARS:
        raise DateParseError(f"{year} is not a plausible Jalali year ({JALALI_YEARS.start}-{JALALI_YEARS.stop - 1})")
    try:
        gregorian = _gregorian_day(year, month, day)
        moment = datetime(gregorian.year, gregorian.month, gregorian.day, hour, minute, second, tzinfo=TEHRAN)
    except ValueError as error:
        raise DateParseError(f"no such Jalali date/time {year:04d}-{month:02d}-{day:02d} {hour:02d}:{minute:02d}: {error}") from None
    if moment.utcoffset() != moment.replace(fold=1).utcoffset():
        wall = f"{year:04d}-{month:02d}-{day:02d} {hour:02d}:{minute:02d}"
        if moment.astimezone(UTC).astimezone(TEHRAN).replace(tzinfo=None) != moment.replace(tzinfo=None):
            logger.info("Tehran time %s did not exist (clocks went forward): read as %s", wall, moment.isoformat())
        else:
            logger.info("Tehran time %s occurred twice (clocks went back): read as the first, %s", wall, moment.isoformat())
    return moment


# Calendar conversions by day, remembered: a crawl sees the same few days over and over, and every jdatetime
# object asks the C library for the locale when it is made.
@lru_cache(maxsize=4096)
def _gregorian_day(year: int, month: int, day: int) -> date:
    return jdatetime.date(year, month, day).togregorian()


@lru_cache(maxsize=4096)
def _jalali_day(day: date) -> tuple[int, int, int]:
    jalali = jdatetime.date.fromgregorian(date=day)
    return jalali.year, jalali.month, jalali.day


def parse_jalali(text: str) -> tuple[datetime, bool]:
    """Find a Jalali date, and its time of day if given, in free text: (aware Tehran datetime, whether a time of day
    was given; midnight when not).

    Accepts month names (with Arabic or Persian letters, «ماه» after them or not) and numeric forms (four-digit
    years, or two-digit ones with slashes: «۹۸/۰۲/۱۱», «1/3/86»), in any digits, with the time before or after the
    date and a 12-hour marker (ق.ظ, ب.ظ, صبح, عصر, بعدازظهر) or none. Raises DateParseError with the offending text
    when nothing valid is found, or the year is not a Jalali one."""
    if not isinstance(text, str) or not text:
        raise DateParseError(f"no date text: {text!r}")
    cleaned = ascii_digits(text).translate(_ARABIC_LETTERS)
    for forms in (_NAMED_FORMS, _NUMERIC_FORMS, _SHORT_FORMS):
        found = [match for form in forms if (match := form.search(cleaned))]
        if found:
            match = min(found, key=lambda match: match.start("year"))
            parts = match.groupdict()
            month = JALALI_MONTHS[parts["month_name"]] if parts.get("month_name") else int(parts["month"])
            prefix = "b" if parts.get("bhour") is not None else "a"
            given = parts.get(prefix + "hour") is not None
            hour = _hour(parts, prefix) if given else 0
            minute = int(parts[prefix + "minute"]) if given else 0
            second = int(parts.get(prefix + "second") or 0) if given else 0
            year = int(parts["year"])
            return jalali_to_tehran(year + 1300 if year < 100 else year, month, int(parts["day"]), hour, minute,
                                    second), given
    raise DateParseError(f"no Jalali date in {text!r}")


def _hour(parts: dict, prefix: str) -> int:
    hour, half = int(parts[prefix + "hour"]), parts.get(prefix + "half")
    if half is None:
        return hour
    if hour > 12:
        raise DateParseError(f"{hour} o'clock with a 12-hour marker ({half})")
    if half.startswith(_PM):
        return hour % 12 + 12
    return hour % 12


def parse_jalali_datetime(text: str) -> datetime:
    """parse_jalali's datetime alone (midnight when the text gives no time of day)."""
    return parse_jalali(text)[0]


def parse_jalali_day(text: str) -> jdatetime.date:
    """A Jalali calendar day given as YYYY-MM-DD (or with /), e.g. a command-line argument."""
    day, gregorian = parse_day_argument(text)
    if gregorian:
        raise DateParseError(f"{text!r} is a Gregorian date, not a Jalali one")
    return day


def parse_day_argument(text: str) -> tuple[jdatetime.date, bool]:
    """A day given as YYYY-MM-DD (or with /) on the command line: (the Jalali day, whether it was given as a
    Gregorian date). Years 1200-1599 are Jalali, 1900-2199 Gregorian (converted); any other year is refused, so a
    Gregorian date is never read as a Jalali one."""
    match = re.fullmatch(r"\s*(\d{4})[-/](\d{1,2})[-/](\d{1,2})\s*", ascii_digits(text or ""))
    if not match:
        raise DateParseError(f"{text!r} is not a Jalali date of the form YYYY-MM-DD (for example 1402-05-24)")
    year, month, day = (int(part) for part in match.groups())
    calendar = "Jalali" if year in JALALI_YEARS else "Gregorian"
    try:
        if year in JALALI_YEARS:
            return jdatetime.date(year, month, day), False
        if year in GREGORIAN_YEARS:
            return jdatetime.date.fromgregorian(date=date(year, month, day)), True
    except ValueError as error:
        raise DateParseError(f"{text!r} is not a valid {calendar} date: {error}") from None
    raise DateParseError(f"{text!r}: the year is neither Jalali ({JALALI_YEARS.start}-{JALALI_YEARS.stop - 1}) "
                         f"nor Gregorian ({GREGORIAN_YEARS.start}-{GREGORIAN_YEARS.stop - 1})")


def parse_iso_datetime(text: str, *, naive_zone: ZoneInfo = TEHRAN) -> datetime:
    """An ISO 8601 timestamp (``Z`` or an offset) as an aware datetime; a naive one is read in ``naive_zone``.
    Years outside 1900-2199 are refused (they are no publication dates, and would overflow time zone arithmetic)."""
    if not text or not isinstance(text, str):
        raise DateParseError(f"not a timestamp: {text!r}")
    candidate = text.strip().replace(" T ", "T")
    try:
        value = datetime.fromisoformat(candidate)
    except ValueError:
        raise DateParseError(f"{text!r} is not an ISO 8601 timestamp") from None
    if value.year not in GREGORIAN_YEARS:
        raise DateParseError(f"{text!r}: the year {value.year} is not a plausible one")
    if value.tzinfo is None:
        value = value.replace(tzinfo=naive_zone)
    return value


_ISO_LIKE = re.compile(r"\s*(\d{4})-(\d{1,2})-(\d{1,2})(?:[T\s]+(\d{1,2}):(\d{2})(?::(\d{2}))?)?")


def parse_machine_datetime(text: str) -> datetime:
    """A timestamp from markup (time@datetime, JSON-LD, meta tags): ISO 8601, or the Jalali date that Persian
    WordPress date plugins put into the same form (`1402-05-24T12:46:00+04:30`). A year before 1700 is Jalali,
    read as Tehran wall-clock time (the plugins print local time, and their offset is not always the one in force)."""
    if not isinstance(text, str):
        raise DateParseError(f"not a timestamp: {text!r}")
    cleaned = ascii_digits(text)
    match = _ISO_LIKE.match(cleaned)
    if match and int(match.group(1)) < 1700:
        year, month, day, hour, minute, second = match.groups()
        return jalali_to_tehran(int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0))
    return parse_iso_datetime(cleaned)


def publication_time(machine: datetime | None, shown: str | None, url: str,
                     modified: datetime | None = None) -> datetime | None:
    """The publication time from a page's machine-readable time and the date it shows readers: the machine time
    when the two agree (to the minute, or on the day when the page shows no time of day), or when what the page shows
    is its modification time (``modified``, to the minute: many sites show when an article was last edited); else
    the shown one (what readers and the archive see), with a warning naming both; either one alone when the other is
    missing or unreadable (that is logged too)."""
    visible, has_time = None, False
    if shown:
        try:
            visible, has_time = parse_jalali(shown)
        except DateParseError as error:
            logger.warning("%s: unreadable publication date on the page: %s", url, error)
    if machine is None or visible is None:
        return machine or visible
    if has_time:
        agrees = _same_minute(machine, visible)
    else:
        agrees = tehran_jalali_day(machine) == tehran_jalali_day(visible)
    if agrees:
        return machine
    if has_time and modified is not None and _same_minute(modified, visible):
        logger.info("%s: the page shows its modification time %s; the publication time is the metadata's %s", url,
                    to_tehran_iso(visible), to_tehran_iso(machine))
        return machine
    logger.warning("%s: page shows %s but metadata says %s; using the date shown on the page",
                   url, to_tehran_iso(visible), to_tehran_iso(machine))
    return visible


def _same_minute(one: datetime, other: datetime) -> bool:
    return abs((one.replace(second=0, microsecond=0) - other.replace(second=0, microsecond=0)).total_seconds()) < 60


def to_tehran_iso(moment: datetime) -> str:
    """``2023-08-15T12:46:00+03:30``: the moment in Tehran local time with the offset in force on that date."""
    return tehran_local(moment).replace(microsecond=0).isoformat()


def tehran_local(moment: datetime) -> datetime:
    """The moment on Tehran's clocks. Through UTC: astimezone() to the zone a datetime already has returns it as it
    is, even a wall time that did not exist in Tehran (see jalali_to_tehran)."""
    return moment.astimezone(UTC).astimezone(TEHRAN)


def to_jalali_string(moment: datetime) -> str:
    """``1402-05-24T12:46``: the Tehran wall-clock time of the moment in the Jalali calendar, to the minute."""
    local = tehran_local(moment)
    year, month, day = _jalali_day(local.date())
    return f"{year:04d}-{month:02d}-{day:02d}T{local.hour:02d}:{local.minute:02d}"


def tehran_jalali_day(moment: datetime) -> jdatetime.date:
    """The Jalali calendar day on which the moment falls in Tehran."""
    local = tehran_local(moment)
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


# Tehran's offsets: a timestamp carrying one of them is Tehran wall time, whatever the offset in force was.
_TEHRAN_OFFSETS = ("+03:30", "+04:30")
# An offset after a time of day in any of the ways sites write it (+03:30, +0330, +3:30, + 03:30), to be made ±HH:MM.
_OFFSET = re.compile(r"(?<=\d\d:\d\d)((?::\d\d(?:\.\d+)?)?)\s*([+-])\s*(\d{1,2}):?(\d\d)$")


def _offset_written_out(value: str) -> str:
    """The timestamp with its offset as ±HH:MM and no space before it: «2017-05-20 10:00 +3:30» is
    «2017-05-20 10:00+03:30»."""
    return _OFFSET.sub(lambda match: f"{match[1]}{match[2]}{int(match[3]):02d}:{match[4]}", value)


def tehran_time(text) -> datetime | None:
    """A machine-readable time as Tehran time: ISO (a Tehran offset read as wall time in Tehran, since sites print
    +03:30 for summer dates before 2023), a Jalali date in ISO form, or a numeric Jalali date with its time."""
    if not isinstance(text, str) or not text.strip():
        return None
    value = _offset_written_out(text.strip())
    wall = next((value[: -len(offset)] for offset in _TEHRAN_OFFSETS if value.endswith(offset)), None)
    try:
        if wall is not None:
            moment = parse_machine_datetime(wall)
            return moment if moment.tzinfo == TEHRAN else moment.replace(tzinfo=TEHRAN)
        return parse_machine_datetime(value)
    except DateParseError:
        pass
    try:
        moment, has_time = parse_jalali(value)
    except DateParseError:
        return None
    return moment if has_time else None
