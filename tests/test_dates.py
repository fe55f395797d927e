"""Jalali dates as Persian pages print them, to real Tehran timestamps."""

import jdatetime
import pytest

from crawler.dates import (
    DateParseError,
    jalali_days,
    parse_day_argument,
    parse_iso_datetime,
    parse_jalali,
    parse_jalali_datetime,
    parse_jalali_day,
    parse_machine_datetime,
    publication_time,
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


@pytest.mark.parametrize(("shown", "expected"), [
    # The time before the date, and numeric Jalali dates with a time (IranSamaneh's article:published_time form).
    ("۱۲:۴۶ - ۱ فروردین ۱۳۴۰", "1961-03-21T12:46:00+03:30"),
    ("۱۳۹۶/۰۲/۲۸ - ۲۲:۵۷", "2017-05-18T22:57:00+04:30"),
    ("۱۳۴۰/۰۱/۰۱ ساعت ۱۲:۴۶", "1961-03-21T12:46:00+03:30"),
    # «ماه» after the month name, spaced, fused, or joined by a ZWNJ.
    ("۲۴ مرداد ماه ۱۴۰۲", "2023-08-15T00:00:00+03:30"),
    ("۲۴ مردادماه ۱۴۰۲", "2023-08-15T00:00:00+03:30"),
    ("۲۴ مرداد‌ماه ۱۴۰۲ - ۱۲:۴۶", "2023-08-15T12:46:00+03:30"),
    # 12-hour times.
    ("۲۴ مرداد ۱۴۰۲ ساعت ۲:۳۰ ب.ظ", "2023-08-15T14:30:00+03:30"),
    ("۲۴ مرداد ۱۴۰۲ - ۱۰:۱۵ ق.ظ", "2023-08-15T10:15:00+03:30"),
    ("۲۴ مرداد ۱۴۰۲ - ۱۲:۱۵ ق.ظ", "2023-08-15T00:15:00+03:30"),
    ("۲۴ مرداد ۱۴۰۲ ۰۵:۴۰ عصر", "2023-08-15T17:40:00+03:30"),
    ("۲۴ مرداد ۱۴۰۲ ساعت ۱۲:۴۶ بعدازظهر", "2023-08-15T12:46:00+03:30"),
    ("۲۴ مرداد ۱۴۰۲ ساعت ۷:۰۵ صبح", "2023-08-15T07:05:00+03:30"),
    ("۲۴ مرداد ۱۴۰۲ ساعت ۲:۳۰ بعد از ظهر", "2023-08-15T14:30:00+03:30"),
])
def test_dates_that_used_to_lose_their_time_or_fail(shown, expected):
    assert to_tehran_iso(parse_jalali_datetime(shown)) == expected


def test_whether_a_time_of_day_was_given_is_reported():
    assert parse_jalali("۲۹ دی ۱۳۹۵ / ۱۴:۵۹")[1] is True
    assert parse_jalali("۲۹ دی ۱۳۹۵")[1] is False


@pytest.mark.parametrize("text", ["۲۴ مرداد ۲۰۲۳", "۲۴ مرداد ۱۰۲۳", "2023/08/15 10:00", "۲۴ مرداد ۱۴۰۲ ۱۴:۳۰ ب.ظ"])
def test_years_that_are_not_jalali_and_impossible_times_are_refused(text):
    with pytest.raises(DateParseError):
        parse_jalali_datetime(text)


def test_a_time_that_did_not_exist_in_tehran_is_read_with_the_offset_before_the_change_and_logged(caplog):
    # 1401-01-02 (2022-03-22): clocks went from 00:00 straight to 01:00.
    with caplog.at_level("INFO", logger="crawler.dates"):
        moment = parse_jalali_datetime("۲ فروردین ۱۴۰۱ - ۰۰:۳۰")
    assert to_tehran_iso(moment) == "2022-03-22T01:30:00+04:30"  # 00:30 winter time is 01:30 summer time
    assert to_jalali_string(moment) == "1401-01-02T01:30"
    assert "did not exist" in caplog.text


def test_a_time_that_occurred_twice_in_tehran_is_read_as_the_first_and_logged(caplog):
    # 1401-06-30 (2022-09-21): clocks went from 24:00 back to 23:00.
    with caplog.at_level("INFO", logger="crawler.dates"):
        moment = parse_jalali_datetime("۳۰ شهریور ۱۴۰۱ - ۲۳:۳۰")
    assert to_tehran_iso(moment) == "2022-09-21T23:30:00+04:30"
    assert "occurred twice" in caplog.text


@pytest.mark.parametrize("text", ["9999-12-31T23:59:59Z", "0001-01-01T00:00:00", "1800-01-01T00:00:00+03:30"])
def test_out_of_range_timestamps_are_a_parse_error_not_a_crash(text):
    with pytest.raises(DateParseError):
        to_tehran_iso(parse_machine_datetime(text))


@pytest.mark.parametrize("value", [5, None, ["2023-08-15"], {"date": 1}])
def test_timestamps_of_the_wrong_type_are_a_parse_error(value):
    with pytest.raises(DateParseError):
        parse_machine_datetime(value)


def test_command_line_days_may_be_gregorian_and_are_converted_never_read_as_jalali():
    assert parse_day_argument("2023-08-15") == (jdatetime.date(1402, 5, 24), True)
    assert parse_day_argument("1402-05-24") == (jdatetime.date(1402, 5, 24), False)
    with pytest.raises(DateParseError, match="neither Jalali"):
        parse_day_argument("1800-01-01")


@pytest.mark.parametrize(("machine", "shown", "expected"), [
    ("2017-01-18T11:29:36Z", "۲۹ دی ۱۳۹۵ / ۱۴:۵۹", "2017-01-18T14:59:36+03:30"),  # agree to the minute: machine
    ("2017-01-18T11:29:36Z", "۲۹ دی ۱۳۹۵", "2017-01-18T14:59:36+03:30"),  # shown day without a time: machine
    ("2017-01-18T11:29:36Z", "۲۹ دی ۱۳۹۵ / ۱۶:۰۰", "2017-01-18T16:00:00+03:30"),  # disagree: what readers see
    ("2017-01-18T11:29:36Z", "۳۰ دی ۱۳۹۵", "2017-01-19T00:00:00+03:30"),  # another day: what readers see
    (None, "۲۹ دی ۱۳۹۵ / ۱۴:۵۹", "2017-01-18T14:59:00+03:30"),
    ("2017-01-18T11:29:36Z", "نامعلوم", "2017-01-18T14:59:36+03:30"),
])
def test_the_publication_time_weighs_the_machine_time_against_the_shown_date(machine, shown, expected):
    moment = publication_time(parse_iso_datetime(machine) if machine else None, shown, "https://example.ir/1")
    assert to_tehran_iso(moment) == expected


@pytest.mark.parametrize(("shown", "expected"), [
    # Two-digit years (years 32-99 are 1332-1399), year first or last, as older pages and archives print them.
    ("۹۸/۰۲/۱۱ :: ۱۹:۰۴", "2019-05-01T19:04:00+04:30"),
    ("1/3/86", "2007-05-22T00:00:00+03:30"),  # Iran kept no summer time in 2007
    ("روزنامه سرمايه86/3/1: ", "2007-05-22T00:00:00+03:30"),
    # `::` or «، ساعت:» between the date and its time; a label before both.
    ("1398/02/11 :: 19:04", "2019-05-01T19:04:00+04:30"),
    ("۱۳۹۸/۰۲/۱۱، ساعت: ۱۹:۰۴", "2019-05-01T19:04:00+04:30"),
    ("زمان: 19:04  1398/02/11", "2019-05-01T19:04:00+04:30"),
    # A comma or kashida before the year, a kashida as the dash before the time.
    ("۱۴ اسفند، ۱۳۹۵ - ۱۲:۳۰", "2017-03-04T12:30:00+03:30"),
    ("۱۴ـاسفندـ۱۳۹۵", "2017-03-04T00:00:00+03:30"),
    ("۱۴ اسفند ۱۳۹۵ ـ ۱۲:۳۰", "2017-03-04T12:30:00+03:30"),
])
def test_shown_dates_of_older_pages_and_other_spellings(shown, expected):
    assert to_tehran_iso(parse_jalali_datetime(shown)) == expected


@pytest.mark.parametrize("text", ["1608590/13", "02/05/24", "11/02", "98/13/01", 5, None])
def test_numbers_that_are_no_date_and_values_that_are_no_text_are_refused(text):
    with pytest.raises(DateParseError):
        parse_jalali_datetime(text)


@pytest.mark.parametrize(("markup", "expected"), [
    # Offsets written with a one-digit hour, without a colon, after a space: a Tehran offset means Tehran wall time.
    ("2017-05-20T10:00:00+3:30", "2017-05-20T10:00:00+04:30"),
    ("2017-05-20 10:00:00 +3:30", "2017-05-20T10:00:00+04:30"),
    ("2019-05-30 T 00:20:37 +0430", "2019-05-30T00:20:37+04:30"),
    ("2023-08-15T12:46:00+0330", "2023-08-15T12:46:00+03:30"),
    ("2023-08-15T04:16:00-0500", "2023-08-15T12:46:00+03:30"),
    # No offset at all (og:article:published_time on Varzesh3): Tehran wall time.
    ("2019-05-01T15:54:40.8500000", "2019-05-01T15:54:40+04:30"),
])
def test_machine_times_with_offsets_written_any_way(markup, expected):
    from crawler.dates import tehran_time

    assert to_tehran_iso(tehran_time(markup)) == expected


def test_a_shown_time_that_is_the_modification_time_yields_to_the_machine_publication_time(caplog):
    published, modified = parse_iso_datetime("2019-05-01T15:54:40"), parse_iso_datetime("2019-05-01T19:04:00")
    with caplog.at_level("INFO", logger="crawler.dates"):
        moment = publication_time(published, "زمان: 19:04 1398/02/11", "https://example.ir/1", modified)
    assert to_tehran_iso(moment) == "2019-05-01T15:54:40+04:30"
    assert "shows its modification time" in caplog.text
    # Without the modification time to explain it, the shown time is what readers see, and it wins with a warning.
    assert to_tehran_iso(publication_time(published, "زمان: 19:04 1398/02/11", "https://example.ir/1")) == \
        "2019-05-01T19:04:00+04:30"
