"""End to end: `scrapy crawl isna` run as a user runs it (tests/crawling.py; once in a process of its own), against the mock ISNA site on 127.0.0.1.

The mock site (tests/mocksite) serves the real ISNA article page and generated articles in the real markup;
what each generated article must come out as is computed here from its ArticleSpec, independently of the code
under test.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator
from scrapy.utils.defer import deferred_f_from_coro_f

from crawler.run import RunVerdict
from tests.conftest import crawl_in_process, project_settings
from tests.crawling import Ran, scrapy_crawl
from tests.helpers import FAST, ROOT, letters
from tests.mocksite.server import MockIsnaServer
from tests.mocksite.site import (
    REAL_ARTICLE_CODE,
    REAL_ARTICLE_SLUG,
    ArticleSpec,
    MockSite,
)

SCHEMA = Draft202012Validator(json.loads((ROOT / "data" / "schema" / "article.schema.json").read_text(encoding="utf-8")))


def crawl(tmp_path: Path, *args: str, check: bool = True, process: bool = False) -> Ran:
    result = scrapy_crawl("isna", *args, "-s", f"DATA_DIR={tmp_path / 'data'}", process=process)
    if check:
        assert result.returncode == 0, result.stderr[-3000:]
    return result


def read_jsonl(path: Path) -> list[dict]:
    text = path.read_text(encoding="utf-8")
    assert "\\u06" not in text, "Persian must be written as characters, not \\u escapes"
    records = [json.loads(line) for line in text.splitlines()]
    for record in records:
        assert list(SCHEMA.iter_errors(record)) == []
    return records


def persian_text(text: str | None) -> str | None:
    """What a text field must read: Arabic ي/ك as Persian ی/ک, white space collapsed."""
    if text is None:
        return None
    return " ".join(text.replace("ي", "ی").replace("ك", "ک").replace("ى", "ی").split()) or None


TEXT_FIELDS = {"title", "kicker", "lead", "body"}


def expected_fields(spec: ArticleSpec) -> dict:
    lead = f"{spec.dateline} {spec.lead}" if spec.dateline else spec.lead
    tags = list(dict.fromkeys(persian_text(tag) for tag in spec.tags))
    return {
        "site": "isna",
        "url": f"https://www.isna.ir{spec.path}",
        "news_id": spec.code,
        "title": persian_text(spec.title),
        "kicker": persian_text(spec.kicker),
        "lead": persian_text(lead),
        "body": "\n\n".join(persian_text(paragraph) for paragraph in spec.paragraphs),
        "published_at": spec.published.isoformat(),
        "published_jalali": spec.jalali.strftime("%Y-%m-%dT%H:%M"),
        "category": persian_text(spec.category),
        "categories": [persian_text(spec.category)],
        "reporter_code": spec.reporter,
        "editor": spec.editor,
        "tags": tags,
        "images": [{"url": spec.image, "caption": persian_text(spec.image_alt)}] if spec.image else [],
        # the dateline's province, else the category when it is a province (all the mock's provinces are real)
        "province": spec.dateline.split("/", 1)[1] if spec.dateline else (
            spec.category if spec.category in {"خوزستان", "کرمان", "اصفهان", "فارس"} else None),
    }


@pytest.mark.subprocess
def test_date_range_crawl_returns_every_article_of_those_days_exactly_once(shared_isna_site, tmp_path):
    out = tmp_path / "out.jsonl"
    result = crawl(tmp_path, "-a", f"base_url={shared_isna_site.base_url}", "-a", "from=1402-05-20", "-a", "to=1402-05-24",
                   "-O", str(out), *FAST, process=True)  # once as a user runs it: the executable, in a process
    records = read_jsonl(out)
    wanted = shared_isna_site.site.articles_on((1402, 5, 20), (1402, 5, 24))
    assert len(wanted) == 22  # 21 generated + the Khuzestan story; the photo page and the advertorial are not articles
    ids = [record["news_id"] for record in records]
    assert len(ids) == len(set(ids)), "an article was written twice"
    assert set(ids) == {spec.code for spec in wanted}
    by_id = {record["news_id"]: record for record in records}
    for spec in wanted:
        record = by_id[spec.code]
        for field, value in expected_fields(spec).items():
            if field in TEXT_FIELDS:
                assert letters(record[field]) == letters(value), (spec.code, field)
                if field == "body":
                    assert len(record["body"].split("\n\n")) == len(spec.paragraphs), spec.code
            else:
                assert record[field] == value, (spec.code, field)
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", record["crawled_at"])
    # The Khuzestan story was published without ZWNJs (it is the seed text): they come back.
    khuzestan = by_id["1402052415139"]
    assert "بهره‌مند" in khuzestan["lead"] and "منطقه‌ای" in khuzestan["lead"]
    assert "می‌کنند" in khuzestan["body"] and "شهرک‌های" in khuzestan["body"]
    # The pages that are not articles were fetched, refused and logged with the reason.
    assert "photo page (nastooh:newsType), not a text article" in result.stderr
    assert "advertorial (category «رپرتاژ آگهی»)" in result.stderr
    assert not list((tmp_path / "data" / "rejects").rglob("*.jsonl"))  # nothing rejected


async def crawl_here(server, tmp_path: Path, **arguments: str) -> tuple[list[dict], dict]:
    """An export crawl of the mock site in this process: (the records written, the crawler's stats)."""
    from crawler.spiders.registry import IsnaSpider

    out = tmp_path / "out.jsonl"
    crawler = await crawl_in_process(
        IsnaSpider, {"DATA_DIR": str(tmp_path / "data"), "FEEDS": {str(out): {"format": "jsonlines"}},
                     "DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False}, base_url=server.base_url, **arguments)
    assert crawler.get_extension(RunVerdict).status == 0
    return read_jsonl(out), crawler.stats.get_stats()


@pytest.mark.crawl
@deferred_f_from_coro_f
async def test_date_range_stops_paging_at_the_end_of_each_day(shared_isna_site, tmp_path):
    records, stats = await crawl_here(shared_isna_site, tmp_path, **{"from": "1402-05-22", "to": "1402-05-22"})
    site = shared_isna_site.site
    _, pages = site.page_of(site.day_listing(1402, 5, 22), 1)
    assert pages == 3
    assert stats["archive/pages"] == pages and stats["progress/days_done"] == 1
    assert {record["news_id"] for record in records} == {spec.code for spec in site.articles_on((1402, 5, 22), (1402, 5, 22))}


@pytest.mark.crawl
@deferred_f_from_coro_f
async def test_summer_day_before_2023_gets_the_plus_0430_offset(shared_isna_site, tmp_path):
    records, _ = await crawl_here(shared_isna_site, tmp_path, **{"from": "1401-05-24", "to": "1401-05-24"})
    assert len(records) == 2
    assert {record["published_at"] for record in records} == {"2022-08-15T00:07:00+04:30", "2022-08-15T23:52:00+04:30"}


@pytest.mark.crawl
def test_single_real_article_by_url(shared_isna_site, tmp_path):
    out = tmp_path / "one.jsonl"
    url = f"{shared_isna_site.base_url}/news/{REAL_ARTICLE_CODE}/{REAL_ARTICLE_SLUG}"
    crawl(tmp_path, "-a", f"base_url={shared_isna_site.base_url}", "-a", f"url={url}", "-O", str(out))
    (record,) = read_jsonl(out)
    expected = json.loads((ROOT / "tests/fixtures/isna/isna_article_95102918901_fetched2025-03-20.expected.json").read_text(encoding="utf-8"))
    expected["body"] = "\n\n".join(expected["body"])
    assert {key: value for key, value in record.items() if key != "crawled_at"} == {
        key: value for key, value in expected.items() if key != "crawled_at"}


@pytest.mark.crawl
def test_an_export_to_csv_has_the_record_s_columns_lists_joined_and_images_as_urls(shared_isna_site, tmp_path):
    import csv

    out = tmp_path / "one.csv"
    url = f"{shared_isna_site.base_url}/news/{REAL_ARTICLE_CODE}/{REAL_ARTICLE_SLUG}"
    crawl(tmp_path, "-a", f"base_url={shared_isna_site.base_url}", "-a", f"url={url}", "-O", str(out),
          "-s", "FEED_EXPORT_ENCODING=utf-8-sig")
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    (row,) = list(csv.DictReader(raw.decode("utf-8-sig").splitlines()))
    expected = json.loads((ROOT / "tests/fixtures/isna/isna_article_95102918901_fetched2025-03-20.expected.json").read_text(encoding="utf-8"))
    assert list(row) == list(expected)  # every field of the record, in its order
    assert row["tags"] == "، ".join(expected["tags"])  # one cell, joined with the Persian comma
    assert row["images"] == " ".join(image["url"] for image in expected["images"])  # URLs, not Python reprs
    assert row["title"] == expected["title"] and row["author"] == "" and row["news_id"] == REAL_ARTICLE_CODE


@pytest.mark.crawl
def test_site_urls_are_sent_to_base_url(shared_isna_site, tmp_path):
    out = tmp_path / "one.jsonl"
    before = len(shared_isna_site.requests)
    crawl(tmp_path, "-a", f"base_url={shared_isna_site.base_url}", "-a",
          "url=https://www.isna.ir/news/1402052415139/صنایع-بزرگ-خوزستان", "-O", str(out), *FAST)
    (record,) = read_jsonl(out)
    assert record["news_id"] == "1402052415139"
    assert record["lead"].startswith("ایسنا/خوزستان معاون هماهنگی امور اقتصادی استانداری خوزستان")
    assert record["published_at"] == "2023-08-15T12:46:00+03:30"
    assert record["reporter_code"] == "50227"
    assert any(path.startswith("/news/1402052415139/") for path in shared_isna_site.requests[before:])


@pytest.mark.crawl
@deferred_f_from_coro_f
async def test_latest_news_reads_the_first_archive_pages(shared_isna_site, tmp_path):
    records, stats = await crawl_here(shared_isna_site, tmp_path, pages="2")
    newest = [spec for spec in shared_isna_site.site.newest_first()[:8] if spec.is_article]
    assert {record["news_id"] for record in records} == {spec.code for spec in newest}
    assert stats["archive/pages"] == 2 and stats.get("articles/skipped", 0) == 8 - len(newest)


@deferred_f_from_coro_f
async def test_each_listing_s_articles_are_scheduled_before_any_other_listing_page(shared_isna_site, tmp_path):
    """Scrapy's scheduler, with the project's settings, fed what the spider yields for a three-day archive crawl:
    after each archive page come the articles it listed, in its order, and only then the next archive page. So
    the listing never runs ahead of its articles (a long backfill does not queue every article in memory) and
    articles are fetched, and written, newest first as listed."""
    import urllib.request

    from scrapy.core.engine import ExecutionEngine
    from scrapy.core.scheduler import Scheduler
    from scrapy.http import HtmlResponse, Request
    from scrapy.utils.test import get_crawler

    from crawler.spiders.registry import IsnaSpider

    crawler = get_crawler(IsnaSpider, {**project_settings(), "DATA_DIR": str(tmp_path)})
    spider = IsnaSpider.from_crawler(crawler, base_url=shared_isna_site.base_url, **{"from": "1402-05-21", "to": "1402-05-23"})
    crawler.spider = spider
    crawler.engine = ExecutionEngine(crawler, lambda _: None)  # the scheduler's queue asks the downloader for its slots
    scheduler = Scheduler.from_crawler(crawler)
    scheduler.open(spider)

    async def start() -> list[Request]:
        return [request async for request in spider.start()]

    for request in await start():
        scheduler.enqueue_request(request)
    expected_next: list[str] = []  # the articles the last archive page listed, still to come
    archive_pages = articles = 0
    while (request := scheduler.next_request()) is not None:
        if request.callback != spider.parse_archive:
            assert expected_next and request.url == expected_next.pop(0)
            articles += 1
            continue
        assert expected_next == [], f"{request.url} came before the articles of the page before it"
        archive_pages += 1
        body = urllib.request.urlopen(request.url, timeout=10).read()
        for output in request.callback(HtmlResponse(request.url, body=body, encoding="utf-8", request=request),
                                       **request.cb_kwargs):
            scheduler.enqueue_request(output)
            if output.callback != spider.parse_archive:
                expected_next.append(output.url)
    assert archive_pages >= 6 and articles >= 12  # three days, two or three archive pages each


@pytest.mark.crawl
def test_without_an_output_option_records_go_to_the_incremental_dump(shared_isna_site, tmp_path):
    crawl(tmp_path, "-a", f"base_url={shared_isna_site.base_url}", "-a", f"url={shared_isna_site.base_url}/news/1402052415139/x", *FAST)
    (written,) = (tmp_path / "data" / "isna").glob("isna-*.jsonl")
    (record,) = read_jsonl(written)
    assert record["news_id"] == "1402052415139" and record["revision"] == 1


def test_default_data_dir_is_the_repositorys_data_folder():
    from crawler import settings

    assert Path(settings.DATA_DIR) == ROOT / "data"


@pytest.mark.crawl
def test_server_errors_are_retried_with_backoff_and_nothing_is_lost(tmp_path):
    server = MockIsnaServer(MockSite(), fail_every=3).start_in_thread()
    try:
        out = tmp_path / "out.jsonl"
        result = crawl(tmp_path, "-a", f"base_url={server.base_url}", "-a", "from=1402-05-22", "-a", "to=1402-05-23",
                       "-O", str(out), "-s", "RETRY_BACKOFF_BASE=0.05", *FAST)
        wanted = server.site.articles_on((1402, 5, 22), (1402, 5, 23))
        assert {record["news_id"] for record in read_jsonl(out)} == {spec.code for spec in wanted}
        assert "'retry/count'" in result.stderr
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.crawl
def test_a_dead_server_is_reported_not_crashed_on(tmp_path):
    out = tmp_path / "out.jsonl"
    result = crawl(tmp_path, "-a", "base_url=http://127.0.0.1:9", "-a", "url=http://127.0.0.1:9/news/1/x",
                   "-O", str(out), "-s", "RETRY_TIMES=1", "-s", "RETRY_BACKOFF_BASE=0.05", *FAST, check=False)
    assert "could not fetch http://127.0.0.1:9/news/1/x" in result.stderr
    assert "Spider closed (finished)" in result.stderr
    assert result.returncode == 1
    assert "exit 1: nothing could be fetched" in result.stderr
    assert out.read_text(encoding="utf-8") == ""


@pytest.mark.crawl
@pytest.mark.parametrize(("args", "message"), [
    (["-a", "from=1402-13-01"], "'1402-13-01' is not a valid Jalali date"),
    (["-a", "from=1402-05-24", "-a", "to=1402-05-20"], "-a to=1402-05-20 is before -a from=1402-05-24"),
    (["-a", "to=1402-05-20"], "-a to=... needs -a from=..."),
    (["-a", "base_url=ftp://example"], "base_url must be an http(s) URL"),
    (["-a", "url=http://x/news/1/", "-a", "from=1402-05-20"], "give either -a url=... or -a from="),
])
def test_bad_arguments_fail_with_a_clear_message(tmp_path, args, message):
    result = crawl(tmp_path, *args, check=False)
    assert result.returncode != 0
    assert f"cannot start `scrapy crawl isna`: {message}" in result.stderr


@pytest.mark.crawl
def test_an_explicit_page_budget_is_not_capped_by_the_catch_up_limit(shared_isna_site, tmp_path):
    out = tmp_path / "latest.jsonl"
    crawl(tmp_path, "-a", f"base_url={shared_isna_site.base_url}", "-a", "pages=4", "-s", "CATCHUP_MAX_PAGES=2", "-O", str(out), *FAST)
    assert {record["news_id"] for record in read_jsonl(out)} == {
        spec.code for spec in shared_isna_site.site.newest_first()[:16] if spec.is_article}
