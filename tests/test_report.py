"""The downstream tools: the data-quality report (anomalies found where they were planted, the page opened in real
headless Chromium with every chart drawn and no console error) and the snapshot (the latest revision of each
article, as JSON Lines and as Parquet that DuckDB reads with the record's types)."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest

from pipelines.dataset import find_sources
from pipelines.report import anomalies, read_dataset
from tests.browser import open_page
from tests.generated_dumps import REDESIGN, REJECT_DAY, REJECTS, SILENT, jalali, record, write_dumps
from tests.crawling import Ran, pipelines_command
from tests.helpers import ROOT
from tests.reportdemo import make_demo_data, make_report


def pipelines(*arguments: str) -> Ran:
    return pipelines_command(*arguments)


def both(day: date) -> str:
    return f"{jalali(day)} ({day.isoformat()})"


def write_lines(path: Path, lines: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines), encoding="utf-8")


# -- anomalies ---------------------------------------------------------------------------------------------------------

def test_the_anomalies_planted_in_a_generated_month_are_found_and_nothing_else(tmp_path):
    planted = write_dumps(tmp_path, days=30, end=date(2026, 11, 30))
    found = anomalies(read_dataset(find_sources([tmp_path])))
    silent = [planted.day(number) for number in SILENT]
    reject_day = planted.day(REJECT_DAY)
    assert found == [
        f"isna: lead coverage fell from 100% to 0% on {both(planted.day(REDESIGN))}",
        f"tabnak: no articles for 3 days, from {both(silent[0])} to {both(silent[-1])}",
        f"{both(reject_day)}: {REJECTS} records rejected ({found[2].split('(')[-1]}",
        f"tabnak: 4 of 4 runs failed on {both(silent[0])} (25 of 30 pages failed (HTTP 403: is the crawler blocked?))",
    ]
    assert found[2].endswith("of the day's)")


@pytest.mark.chromium
def test_a_site_silent_at_the_end_and_a_site_with_runs_but_no_articles(tmp_path):
    write_dumps(tmp_path, days=10, sites=("isna", "tabnak"), end=date(2026, 11, 30))
    # tabnak's last three days are gone: a silence that lasts to the end of the data
    for path in sorted((tmp_path / "tabnak").glob("*.jsonl"))[-3:]:
        path.unlink()
    with (tmp_path / "runs.jsonl").open("a", encoding="utf-8") as runs:
        runs.write(json.dumps({"spider": "news-quiet.example", "started_at": "2026-11-30T10:00:00Z", "exit_status": 0,
                               "seconds": 3.0, "pages": 1, "failed_pages": 0}) + "\n")
        # a site named by its URL and its port: its runs are wordpress-127.0.0.1_8080, its records' site 127.0.0.1:8080
        runs.write(json.dumps({"spider": "wordpress-127.0.0.1_8080", "started_at": "2026-11-30T10:00:00Z",
                               "exit_status": 0, "seconds": 3.0, "pages": 1, "failed_pages": 0}) + "\n")
    post = json.loads(sorted((tmp_path / "isna").glob("*.jsonl"))[-1].read_text(encoding="utf-8").splitlines()[0])
    write_lines(tmp_path / "wordpress-127.0.0.1_8080" / "wordpress-127.0.0.1_8080-2026-11-30T10-00-00Z.jsonl",
                [dict(post, site="127.0.0.1:8080")])
    found = anomalies(read_dataset(find_sources([tmp_path])))
    assert f"tabnak: no articles for 3 days, from {both(date(2026, 11, 28))} up to the end of the data" in found
    assert "news-quiet.example: 1 runs in the runs log, no article in the dumps" in found
    assert not [line for line in found if line.startswith("wordpress-")]  # its articles are in the dumps


# -- the report, opened in Chromium --------------------------------------------------------------------------------------

def assert_opened_cleanly(report: Path, screenshot: Path | None = None) -> list[dict]:
    opened = open_page(report, screenshot)
    assert opened.errors == []  # nothing fetched from the network, no error raised
    assert [message for message in opened.console if message[0] in ("error", "warning")] == []
    assert opened.charts, "no chart on the page"
    for chart in opened.charts:
        assert chart["traces"] > 0 and chart["marks"] > 0, f"{chart['id']} drew nothing: {chart}"
    return opened.charts


@pytest.mark.crawl
@pytest.mark.chromium
def test_the_report_of_the_mock_sites_crawl_opens_in_chromium_with_every_chart_drawn(tmp_path):
    make_demo_data(tmp_path / "data")
    result = make_report(tmp_path / "data", tmp_path / "report.html")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "<script src=" not in (tmp_path / "report.html").read_text(encoding="utf-8")  # plotly.js is inside
    charts = assert_opened_cleanly(tmp_path / "report.html", tmp_path / "report.png")
    ids = {chart["id"] for chart in charts}
    assert {"plot-articles", "plot-lengths", "plot-categories", "plot-tags", "plot-revisions", "plot-runs",
            "plot-durations"} <= ids
    sites = {"isna", "nazirkerman", "irna", "tabnak", "khuzpress"}
    assert sum(1 for chart_id in ids if chart_id.startswith("plot-coverage-")) == len(sites)
    opened = open_page(tmp_path / "report.html")
    assert any(item.startswith("irna: lead coverage fell from 100% to 0%") for item in opened.anomalies)
    assert any(item.startswith("tabnak: no articles for 3 days") for item in opened.anomalies)
    assert (tmp_path / "report.png").stat().st_size > 100_000


@pytest.mark.chromium
@pytest.mark.parametrize("case", ["one site, one day", "a site with no articles", "records missing optional fields"])
def test_the_report_works_on_small_and_sparse_dumps(tmp_path, case):
    data = tmp_path / "data"
    from datetime import datetime

    from crawler.dates import TEHRAN
    import random

    rng = random.Random(7)
    moment = datetime(2026, 11, 30, 9, 0, tzinfo=TEHRAN)
    if case == "one site, one day":
        write_lines(data / "isna" / "isna-2026-11-30T06-00-00Z.jsonl",
                    [record("isna", 1000 + number, moment + timedelta(minutes=number), rng) for number in range(3)])
    elif case == "a site with no articles":
        write_lines(data / "isna" / "isna-2026-11-30T06-00-00Z.jsonl", [record("isna", 1000, moment, rng)])
        (data / "tabnak").mkdir()  # crawled, nothing written
        write_lines(data / "runs.jsonl", [
            {"spider": "tabnak", "started_at": "2026-11-30T06:00:00Z", "exit_status": 1, "seconds": 12.5, "pages": 3,
             "failed_pages": 3, "exit_reason": "3 of 3 pages failed"},
            {"spider": "isna", "started_at": "2026-11-30T06:00:00Z", "exit_status": 0, "seconds": 40.0, "pages": 9,
             "failed_pages": 0, "exit_reason": "healthy"}])
    else:
        bare = record("isna", 1000, moment, rng)
        for name in ("lead", "kicker", "category", "reporter_code", "author"):
            bare[name] = None
        bare.update(categories=[], tags=[], images=[])
        del bare["revision"]  # an export run's line (-O): no revision
        write_lines(data / "isna" / "isna-2026-11-30T06-00-00Z.jsonl", [bare, dict(bare, news_id="1001", body=None)])
    result = pipelines("report", str(data), "-o", str(tmp_path / "report.html"))
    assert result.returncode == 0, result.stderr
    charts = assert_opened_cleanly(tmp_path / "report.html")
    assert "plot-articles" in {chart["id"] for chart in charts}
    if case == "a site with no articles":
        opened = open_page(tmp_path / "report.html")
        assert "tabnak: 1 of 1 runs failed on 1405-09-09 (2026-11-30) (3 of 3 pages failed)" in opened.anomalies
        assert "tabnak: 1 runs in the runs log, no article in the dumps" in opened.anomalies


def test_the_report_counts_bad_lines_and_says_what_it_read(tmp_path):
    data = tmp_path / "data"
    write_dumps(data, days=3, sites=("isna",), end=date(2026, 11, 30))
    dump = sorted((data / "isna").glob("*.jsonl"))[0]
    with dump.open("a", encoding="utf-8") as handle:
        handle.write('{"site": "isna", "title": "cut short\n')
    (data / "isna" / ".isna-2026-12-01T00-00-00Z.jsonl.part").write_text("not read\n", encoding="utf-8")
    result = pipelines("report", str(data), "-o", str(tmp_path / "report.html"))
    assert result.returncode == 1
    assert "report: " in result.stderr and "3 dump file(s)" in result.stderr
    assert f"1 line(s) of the files were not JSON and were skipped (first: {dump}:" in \
        (tmp_path / "report.html").read_text(encoding="utf-8")


@pytest.mark.parametrize(("arguments", "message"), [
    (["report", "/nonexistent/data", "-o", "r.html"], "report: /nonexistent/data: no such file or folder"),
    (["snapshot", "/nonexistent/data", "-o", "a.jsonl"], "snapshot: /nonexistent/data: no such file or folder"),
    (["snapshot", "data", "-o", "a.xlsx"], "snapshot: -o must end in .jsonl, .parquet or .csv"),
    (["frobnicate"], "usage: python -m pipelines {reprocess,snapshot,report}"),
])
def test_bad_input_gives_one_line_and_exit_status_2(arguments, message):
    result = pipelines(*arguments)
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr


def test_an_empty_data_folder_is_a_usage_error_with_the_reason(tmp_path):
    result = pipelines("report", str(tmp_path), "-o", str(tmp_path / "r.html"))
    assert result.returncode == 2 and "no dump files" in result.stderr
    assert not (tmp_path / "r.html").exists()


# -- the snapshot ----------------------------------------------------------------------------------------------------

def snapshot_data(data: Path) -> dict:
    """Two runs' dumps: the second revises one article and adds another; a summer date before 2023 (+04:30)."""
    import random
    from datetime import datetime

    from crawler.dates import TEHRAN

    rng = random.Random(3)
    first = record("isna", 111, datetime(2022, 7, 1, 10, 30, tzinfo=TEHRAN), rng)
    second = record("isna", 112, datetime(2022, 12, 1, 9, 0, tzinfo=TEHRAN), rng)
    revised = dict(first, revision=2, title="تیتر به‌روز شده", crawled_at="2022-07-02T08:00:00Z")
    other = record("tabnak", 555, datetime(2022, 7, 1, 8, 0, tzinfo=TEHRAN), rng)
    write_lines(data / "isna" / "isna-2022-07-01T07-00-00Z.jsonl", [first, second])
    write_lines(data / "isna" / "isna-2022-07-02T08-00-00Z.jsonl", [revised])
    write_lines(data / "tabnak" / "tabnak-2022-07-01T05-00-00Z.jsonl", [other])
    return {"first": first, "second": second, "revised": revised, "other": other}


def test_the_snapshot_keeps_the_latest_revision_of_each_article_as_jsonl(tmp_path):
    records = snapshot_data(tmp_path / "data")
    result = pipelines("snapshot", str(tmp_path / "data"), "-o", str(tmp_path / "articles.jsonl"))
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in (tmp_path / "articles.jsonl").read_text(encoding="utf-8").splitlines()]
    # by site, then publication time: isna 111 (its revision 2), isna 112, tabnak 555
    assert lines == [records["revised"], records["second"], records["other"]]
    assert "4 lines in 3 file(s), 3 articles" in result.stderr
    # DuckDB reads the JSON Lines directly
    ((count,),) = duckdb.sql(f"SELECT count(*) FROM read_json_auto('{tmp_path / 'articles.jsonl'}')").fetchall()
    assert count == 3


def test_the_parquet_snapshot_has_the_record_s_types_in_duckdb(tmp_path):
    records = snapshot_data(tmp_path / "data")
    # a line of an old dump with a value of another type: its batch is converted line by line, the value null
    odd = dict(records["other"], news_id="777", revision="2")
    write_lines(tmp_path / "data" / "tabnak" / "tabnak-2022-07-03T05-00-00Z.jsonl", [odd])
    target = tmp_path / "articles.parquet"
    result = pipelines("snapshot", str(tmp_path / "data"), "-o", str(target))
    assert result.returncode == 0, result.stderr
    types = dict(duckdb.sql(f"SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM '{target}')").fetchall())
    assert types["published_at"] == types["modified_at"] == types["crawled_at"] == "TIMESTAMP WITH TIME ZONE"
    assert types["tags"] == types["categories"] == "VARCHAR[]"
    assert types["images"] == "STRUCT(url VARCHAR, caption VARCHAR)[]"
    assert types["revision"] == "INTEGER" and types["news_id"] == "VARCHAR"
    connection = duckdb.connect()
    connection.execute("SET TimeZone = 'UTC'")
    rows = connection.execute(f"SELECT site, news_id, title, strftime(published_at, '%Y-%m-%d %H:%M'), revision, tags,"
                              f" images FROM '{target}'").fetchall()
    revised = records["revised"]
    # 2022-07-01 10:30 in Tehran was +04:30 that summer: 06:00 UTC
    assert rows[0][:5] == ("isna", "111", revised["title"], "2022-07-01 06:00", 2)
    assert rows[0][5] == revised["tags"]
    assert rows[0][6] == [{"url": image["url"], "caption": image["caption"]} for image in revised["images"]]
    assert [row[1] for row in rows] == ["111", "112", "555", "777"]
    assert rows[3][4] is None and rows[3][2] == odd["title"]
    # Asia/Tehran is the zone the file declares for published_at
    import pyarrow.parquet as pq

    assert pq.read_schema(target).field("published_at").type.tz == "Asia/Tehran"


def hostile_data(data: Path) -> None:
    """Dumps a broken or hostile writer could leave: absurd dates, a reason that is no list, a folder and a dangling
    link named like dumps, beside three good days."""
    write_dumps(data, days=3, sites=("isna",), end=date(2026, 11, 30))
    good = json.loads(sorted((data / "isna").glob("*.jsonl"))[0].read_text(encoding="utf-8").splitlines()[0])
    write_lines(data / "isna" / "isna-2026-12-01T00-00-00Z.jsonl", [
        dict(good, news_id="1", published_at="0001-01-01T00:00:00+05:00"),
        dict(good, news_id="2", published_at="2999-01-01T00:00:00+03:30", crawled_at="2999-01-01T00:00:00Z"),
    ])
    write_lines(data / "rejects" / "isna" / "rejects-2026-11-30T00-00-00Z.jsonl", [{"reasons": 5, "record": good}])
    (data / "isna" / "isna-2026-12-02T00-00-00Z.jsonl").mkdir()
    (data / "isna" / "isna-2026-12-03T00-00-00Z.jsonl").symlink_to(data / "nowhere.jsonl")


@pytest.mark.parametrize("command", [["report", "-o", "report.html"], ["snapshot", "-o", "articles.jsonl"],
                                     ["snapshot", "-o", "articles.parquet"]])
def test_report_and_snapshot_read_hostile_dumps_without_a_traceback(tmp_path, command):
    hostile_data(tmp_path / "data")
    name, _, output = command
    result = pipelines(name, str(tmp_path / "data"), "-o", str(tmp_path / output))
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    assert result.returncode == 0, result.stderr[-3000:]
    assert (tmp_path / output).stat().st_size > 0
    if name == "report":  # the page's days are the good ones, not a time axis from year 1 to 2999
        page = (tmp_path / output).read_text(encoding="utf-8")
        assert "2026-11-30" in page and "2999-01-01" not in page and "0001-01-01" not in page
        assert "2 record(s) with a published_at that is no plausible date" in page  # counted and said


def test_a_dump_line_longer_than_the_limit_is_skipped_not_read_into_memory(tmp_path, monkeypatch):
    import pipelines.dataset as dataset

    monkeypatch.setattr(dataset, "MAX_LINE", 1000)
    path = tmp_path / "x.jsonl"
    path.write_bytes(b'{"a": 1}\n' + b"x" * 5000 + b'\n{"b": 2}\n' + b"y" * 3000)  # the last one has no newline
    count = dataset.LineCount()
    assert [value for _, _, _, value in dataset.json_lines([path], count)] == [{"a": 1}, {"b": 2}]
    assert (count.read, count.bad) == (4, 2) and "longer than 1000 bytes" in count.bad_example


def test_the_snapshot_as_csv_opens_right_in_a_spreadsheet(tmp_path):
    import csv

    records = snapshot_data(tmp_path / "data")
    result = pipelines("snapshot", str(tmp_path / "data"), "-o", str(tmp_path / "articles.csv"), "--bom")
    assert result.returncode == 0, result.stderr
    raw = (tmp_path / "articles.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # the byte-order mark Excel needs to read UTF-8
    rows = list(csv.DictReader(raw.decode("utf-8-sig").splitlines()))
    assert [row["news_id"] for row in rows] == [records["revised"]["news_id"], records["second"]["news_id"],
                                                records["other"]["news_id"]]
    first = rows[0]
    assert first["tags"] == "، ".join(records["revised"]["tags"]) and "[" not in first["tags"]
    assert first["images"] == " ".join(image["url"] for image in records["revised"]["images"])
    assert "Image(" not in raw.decode("utf-8-sig") and first["kicker"] in ("", records["revised"]["kicker"])


@pytest.mark.crawl
def test_the_report_of_a_first_day_of_crawls_is_true_and_draws_in_chromium(tmp_path):
    # What a user's first day leaves: latest news of a site (articles of the last two days), a WordPress site whose
    # posts are years old, one 2017 article asked for by URL, and an export. Before: the WordPress runs were
    # reported as runs with no article, the export as a run, and the 2017 article stretched every axis over years.
    from tests.mockfeedsite import MockFeedSiteServer
    from tests.mockwp.site import MockWordPress, MockWordPressServer
    from tests.crawling import scrapy_crawl
    from tests.reportdemo import FAST
    from tests.serving import running
    from tests.test_sites import serve_pages

    data = tmp_path / "data"

    def crawl(spider: str, data: Path, *arguments: str):
        return scrapy_crawl(spider, *arguments, "-s", f"DATA_DIR={data}", *FAST)

    isna_2017 = (ROOT / "tests/fixtures/isna/isna_article_95102918901_fetched2017-05-29.html").read_text(encoding="utf-8")
    with running(MockFeedSiteServer()) as feed, running(MockWordPressServer(MockWordPress())) as wordpress, \
            serve_pages({"/news/95102918901/x": isna_2017}) as old:
        runs = [crawl("news", data, "-a", f"site_url={feed.base_url}/"),
                crawl("wordpress", data, "-a", f"site_url={wordpress.base_url}/"),
                crawl("news", data, "-a", f"url={old.base_url}/news/95102918901/x"),
                crawl("news", data, "-a", f"url={old.base_url}/news/95102918901/x", "-O", str(tmp_path / "one.jsonl"))]
    assert [run.returncode for run in runs] == [0, 0, 0, 0], [run.stderr[-2000:] for run in runs if run.returncode]
    assert len((data / "runs.jsonl").read_text(encoding="utf-8").splitlines()) == 3  # the export is no run
    result = make_report(data, tmp_path / "report.html")
    assert result.returncode == 0, result.stderr[-3000:]
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "no article in the dumps" not in page  # every run's site has its articles
    assert "published outside these days are counted but not drawn" in page
    assert "2017-01-18" not in page and "2023-08-1" not in page  # the old articles stretch no axis
    assert '"tickformat":",d"' in page  # counts are whole numbers
    charts = assert_opened_cleanly(tmp_path / "report.html", tmp_path / "report.png")
    assert {"plot-articles", "plot-runs"} <= {chart["id"] for chart in charts}


@pytest.mark.parametrize(("reason", "kind"), [
    ("title: missing", "title: missing"),
    ("url: not an absolute http(s) URL ('javascript:alert(1)')", "url: not an absolute http(s) URL"),
    ("published_at: 2099-01-01T00:00:00+03:30 is after the page was crawled (2026-11-22T10:00:00Z)",
     "published_at: <time> is after the page was crawled (<time>)"),
])
def test_rejects_are_counted_by_the_kind_of_their_reason(reason, kind):
    from pipelines.report import reason_kind

    assert reason_kind(reason) == kind


def test_since_and_until_choose_the_days_drawn_in_either_calendar(tmp_path):
    write_dumps(tmp_path / "data", days=40, sites=("isna",), end=date(2026, 11, 30))
    default = read_dataset(find_sources([tmp_path / "data"]))
    assert (default.days[0], default.days[-1]) == (date(2026, 11, 1), date(2026, 11, 30))  # the last 30 days
    result = pipelines("report", str(tmp_path / "data"), "-o", str(tmp_path / "r.html"), "--since", "1405-08-01",
                       "--until", "2026-10-31")
    assert result.returncode == 0, result.stderr
    page = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "1405-08-01 (2026-10-23) – 1405-08-09 (2026-10-31)" in page  # 1405-08-01 is 2026-10-23
    bad = pipelines("report", str(tmp_path / "data"), "-o", str(tmp_path / "r.html"), "--since", "yesterday")
    assert bad.returncode == 2 and "'yesterday' is not a Jalali date" in bad.stderr


def test_a_category_is_one_bar_whatever_letters_or_spacing_a_site_spells_it_with():
    from pipelines.report import Dataset, top_chart

    data = Dataset()
    data.sites["isna"].categories.update({"سیاست خارجی": 3, "ورزشی": 2})
    data.sites["irna"].categories.update({"سياست خارجي": 2})  # Arabic yeh
    data.sites["tasnim"].categories.update({"سیاست‌خارجی": 1, "ورزش": 1})  # a ZWNJ; «ورزش» is another word
    bars = {trace.name: dict(zip(trace.y, trace.x, strict=True)) for trace in top_chart(data, "categories", "t").data}
    assert bars["isna"]["سیاست خارجی"] == 3 and bars["irna"]["سیاست خارجی"] == 2 and bars["tasnim"]["سیاست خارجی"] == 1
    assert bars["isna"]["ورزشی"] == 2 and bars["tasnim"]["ورزش"] == 1
