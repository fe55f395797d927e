"""Jalali dates as Persian pages print them, to real Tehran timestamps."""

import jdatetime
import pytest

from crawler.dates import (
    DateParseError,
    jalali_days,
    parse_iso_datetime,
    parse_jalali_datetime,
    parse_jalali_day,
    parse_machine_datetime,
    to_jalali_string,
    to_tehran_iso,
)


@pytest.mark.parametrize(("shown", "expected"), [
    # The real ISNA article's meta list (checked against its article:published_time 2017-01-18T11:29:36Z).
    ("۲۹ دی ۱۳۹۵ / ۱۴:۵۹", "2017-01-18T14:59:00+03:30"),
    # The Khuzestan seed: 1402-05-24 12:46 Tehran.
    ("سه‌شنبه / ۲۴ مرداد ۱۴۰۲ / ۱۲:۴۶", "2023-08-15T12:46:00+03:30"),
    # Archive time@title form; 30 Esfand 1403 exists (leap year) and is 2025-03-20.
    ("پنجشنبه ۳۰ اسفند ۱۴۰۳ - ۰۹:۰۰", "2025-03-20T09:00:00+03:30"),
    # Summer before 2023: Tehran was at +04:30.
    ("۱۰ تیر ۱۴۰۰ ۱۰:۰۰", "2021-07-01T10:00:00+04:30"),
    ("۲۴ مرداد ۱۴۰۱ / ۰۰:۰۷", "2022-08-15T00:07:00+04:30"),
    # Arabic yeh in the month name (دي), Arabic-Indic digits, no time.
    ("٢٩ دي ١٣٩٥", "2017-01-18T00:00:00+03:30"),
    ("1402/05/24 12:46", "2023-08-15T12:46:00+03:30"),
])
def test_shown_jalali_dates(shown, expected):
    assert to_tehran_iso(parse_jalali_datetime(shown)) == expected


@pytest.mark.parametrize("text", ["۳۰ اسفند ۱۴۰۲", "۳۲ دی ۱۴۰۲", "1402/13/01", "دیروز", ""])
def test_invalid_or_missing_dates_raise(text):
    with pytest.raises(DateParseError):
        parse_jalali_datetime(text)


def test_jalali_string_is_tehran_wall_clock():
    moment = parse_iso_datetime("2017-01-18T11:29:36Z")
    assert to_tehran_iso(moment) == "2017-01-18T14:59:36+03:30"
    assert to_jalali_string(moment) == "1395-10-29T14:59"
    assert to_jalali_string(parse_iso_datetime("2023-08-15T09:16:00Z")) == "1402-05-24T12:46"


def test_naive_iso_timestamps_are_tehran_time():
    # The 2017 template's in-article datePublished has no offset and is local time.
    assert to_tehran_iso(parse_iso_datetime("2017-01-18 14:59:36.473")) == "2017-01-18T14:59:36+03:30"


def test_day_range_crosses_the_new_year():
    days = jalali_days(parse_jalali_day("1402-12-28"), parse_jalali_day("1403-01-02"))
    assert [str(day) for day in days] == ["1402-12-28", "1402-12-29", "1403-01-01", "1403-01-02"]
    assert days[0] == jdatetime.date(1402, 12, 28)


@pytest.mark.parametrize("text", ["1402-5-40", "yesterday", "1402-05", "14020524"])
def test_bad_day_arguments_are_refused(text):
    with pytest.raises(DateParseError, match="Jalali date"):
        parse_jalali_day(text)


@pytest.mark.parametrize(("markup", "expected"), [
    ("2023-08-15T09:16:00+00:00", "2023-08-15T12:46:00+03:30"),
    ("2023-08-15T12:46:00+03:30", "2023-08-15T12:46:00+03:30"),
    # wp-parsidate and similar plugins print Jalali dates in ISO form, with whatever offset the site is set to
    ("1402-05-24T12:46:00+04:30", "2023-08-15T12:46:00+03:30"),
    ("۱۴۰۲-۰۵-۲۴ ۱۲:۴۶", "2023-08-15T12:46:00+03:30"),
    ("1401-05-24", "2022-08-15T00:00:00+04:30"),
])
def test_machine_dates_gregorian_or_jalali(markup, expected):
    assert to_tehran_iso(parse_machine_datetime(markup)) == expected


def test_machine_date_that_is_neither_raises():
    with pytest.raises(DateParseError):
        parse_machine_datetime("yesterday")
