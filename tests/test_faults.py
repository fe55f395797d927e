"""The fault matrix: what a run does when the disk, the command line, the network or the site misbehaves.

Each case is a real `scrapy crawl` process against a real server on 127.0.0.1 (the mock ISNA site, or the fault
server in tests/faultserver.py in front of it) with its own DATA_DIR, and asserts the exit status, the records
written, the reason in runs.jsonl and, for network cases, that no request left 127.0.0.1. Storage faults use real
file systems: a small tmpfs that fills up, a read-only bind mount, and permission bits, with the process's
capability to ignore them dropped when the tests run as root (setpriv). The README's reliability section lists these
cases.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
from pathlib import Path

import pytest

from crawler import counters
from tests.crawling import Ran, pipelines_command, scrapy_crawl
from tests.faultserver import FaultyIsnaServer, TrapProxy
from tests.helpers import FAST, ROOT, SCRAPY, free_port
from tests.mocksite.site import MockSite
from tests.mocksite.server import MockIsnaServer
from tests.serving import running

ROOT_USER = os.geteuid() == 0
# What lets root write where permission bits say no; dropped so that chmod means for root what it means for a user.
NO_OVERRIDE = ["setpriv", "--bounding-set", "-dac_override,-dac_read_search,-fowner", "--"] if ROOT_USER else []
DAYS = ["-a", "from=1402-05-20", "-a", "to=1402-05-22"]


def crawl(data: Path, *args: str, spider: str = "isna", prefix: list[str] | None = None, timeout: float = 180,
          process: bool = False, env: dict[str, str] | None = None) -> Ran:
    return scrapy_crawl(spider, "-s", f"DATA_DIR={data}", *FAST, *args, prefix=prefix, process=process, timeout=timeout,
                        env=env)


def dump_ids(data: Path, spider: str = "isna") -> list[str]:
    """The news ids of every line of every dump; a line that is not complete JSON fails the test."""
    ids = []
    for path in sorted((data / spider).glob(f"{spider}-*.jsonl")):
        for number, line in enumerate(path.read_bytes().split(b"\n")[:-1], start=1):
            ids.append(json.loads(line)["news_id"])  # raises on a cut line
        assert path.read_bytes().endswith(b"\n") or path.stat().st_size == 0, f"{path.name} ends in a partial line"
    return ids


def stored_ids(data: Path, site: str = "isna") -> set[str]:
    with contextlib.closing(sqlite3.connect(data / "state.sqlite3")) as db:
        return {key.removeprefix("id:") for (key,) in db.execute("SELECT key FROM articles WHERE site = ?", (site,))}


def last_run(data: Path) -> dict:
    return json.loads((data / "runs.jsonl").read_text(encoding="utf-8").splitlines()[-1])


def one_line_refusal(result: subprocess.CompletedProcess, *words: str) -> str:
    """The run refused to start in one line naming the problem, and printed no traceback."""
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    lines = [line for line in result.stderr.splitlines() if "CRITICAL: cannot start `scrapy crawl" in line]
    assert len(lines) == 1, result.stderr[-3000:]
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


# -- storage ---------------------------------------------------------------------------------------------------------

@contextlib.contextmanager
def small_disk(size_kb: int):
    """A real, small file system of its own (tmpfs), mounted for the test and gone after it."""
    mount_point = Path(tempfile.mkdtemp(prefix="small-disk-"))
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_kb}k", "tmpfs", str(mount_point)], check=True)
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)
        mount_point.rmdir()


def fill(disk: Path, leave_kb: int) -> Path:
    """Fill the disk up to the last ``leave_kb`` kilobytes with a file; removing it gives the space back."""
    filler = disk / "filler"
    free = shutil.disk_usage(disk).free
    with filler.open("wb") as handle:
        handle.write(b"\0" * max(0, free - leave_kb * 1024))
    return filler


@pytest.mark.crawl
@pytest.mark.skipif(not ROOT_USER, reason="mounting a tmpfs needs root (CI runs as root)")
def test_a_full_disk_fails_the_run_leaves_only_complete_lines_and_the_next_run_fetches_the_rest(isna_site):
    wanted = {spec.code for spec in isna_site.site.articles_on((1402, 5, 20), (1402, 5, 22))}
    with small_disk(4096) as disk:
        data = disk / "data"
        crawl(data, "-a", f"base_url={isna_site.base_url}", "-a", "url=" + isna_site.base_url + "/news/95102918901/")
        filler = fill(disk, leave_kb=120)  # the store exists; room for a few records, not for all of them
        full = crawl(data, "-a", f"base_url={isna_site.base_url}", *DAYS)
        assert full.returncode == 1, full.stderr[-3000:]
        assert "No space left on device" in full.stderr or "database or disk is full" in full.stderr
        assert "exit 1: " in full.stderr  # the summary line is still there
        assert "Traceback" not in full.stderr
        written = dump_ids(data)
        assert set(written) - {"95102918901"} < wanted  # some, not all
        assert stored_ids(data) == set(written)  # the store claims exactly what is on disk, complete

        filler.unlink()
        again = crawl(data, "-a", f"base_url={isna_site.base_url}", *DAYS)
        assert again.returncode == 0, again.stderr[-3000:]
        ids = dump_ids(data)
        assert len(ids) == len(set(ids)), "an article was written twice"
        assert set(ids) == wanted | {"95102918901"}
        assert last_run(data)["exit_status"] == 0
        assert not list((data / "isna").glob(".*.part"))


@pytest.mark.skipif(not ROOT_USER, reason="mounting a tmpfs needs root (CI runs as root)")
def test_a_dump_that_fills_the_disk_is_cut_back_to_its_last_complete_line():
    from crawler.state import PartFile, StorageProblem, append_line

    record = {"title": "خبر " * 300}
    with small_disk(64) as disk:
        dump = PartFile(disk / "isna" / "isna-x.jsonl")
        with pytest.raises(StorageProblem, match="No space left on device|short write"):
            for _ in range(1000):
                dump.write(record)
        assert dump.lines > 3
        assert dump.part.stat().st_size == dump.size  # nothing of the line that did not fit
        with pytest.raises(StorageProblem):
            append_line(disk / "runs.jsonl", record)  # the same for the logs appended to
        assert not (disk / "runs.jsonl").exists() or (disk / "runs.jsonl").stat().st_size == 0
        assert dump.commit() == disk / "isna" / "isna-x.jsonl"
        lines = (disk / "isna" / "isna-x.jsonl").read_bytes().split(b"\n")
        assert lines[-1] == b"" and all(json.loads(line) == record for line in lines[:-1])


@pytest.mark.subprocess
def test_a_read_only_seen_store_refuses_the_run_before_anything_is_fetched(isna_site, tmp_path):
    data = tmp_path / "data"
    assert crawl(data, "-a", f"base_url={isna_site.base_url}", *DAYS).returncode == 0
    before = len(isna_site.requests)
    (data / "state.sqlite3").chmod(0o444)
    result = crawl(data, "-a", f"base_url={isna_site.base_url}", *DAYS, "-a", "refresh=1", prefix=NO_OVERRIDE)
    assert result.returncode == 1
    one_line_refusal(result, "seen-store", "state.sqlite3", "readonly")
    assert len(isna_site.requests) == before  # nothing fetched


@pytest.mark.subprocess
@pytest.mark.parametrize(("target", "mode", "named"), [
    ("isna", 0o555, "/isna"),  # the spider's folder
    ("runs.jsonl", 0o444, "runs.jsonl"),
    (".", 0o555, "data"),  # DATA_DIR itself
])
def test_an_unwritable_place_under_data_refuses_the_run_in_one_line(isna_site, tmp_path, target, mode, named):
    data = tmp_path / "data"
    assert crawl(data, "-a", f"base_url={isna_site.base_url}", "-a", "pages=1").returncode == 0
    before = len(isna_site.requests)
    (data / target).chmod(mode)
    try:
        result = crawl(data, "-a", f"base_url={isna_site.base_url}", "-a", "pages=1", prefix=NO_OVERRIDE)
    finally:
        (data / target).chmod(0o755 if mode == 0o555 else 0o644)
    assert result.returncode == 1
    one_line_refusal(result, named, "Permission denied")
    assert len(isna_site.requests) == before


@pytest.mark.crawl
@pytest.mark.skipif(not ROOT_USER, reason="a read-only bind mount needs root (CI runs as root)")
def test_data_on_a_read_only_mount_refuses_the_run_in_one_line(isna_site, tmp_path):
    data = tmp_path / "data"
    assert crawl(data, "-a", f"base_url={isna_site.base_url}", "-a", "pages=1").returncode == 0
    subprocess.run(["mount", "--bind", str(data), str(data)], check=True)
    try:
        subprocess.run(["mount", "-o", "remount,bind,ro", str(data)], check=True)
        result = crawl(data, "-a", f"base_url={isna_site.base_url}", "-a", "pages=1")
    finally:
        subprocess.run(["umount", str(data)], check=True)
    assert result.returncode == 1
    one_line_refusal(result, "Read-only file system")


@pytest.mark.crawl
def test_an_exception_in_a_pipeline_fails_the_run(isna_site, tmp_path):
    data = tmp_path / "data"
    pipelines = {"pipelines.clean.CleanPipeline": 200, "tests.faultserver.FailingPipeline": 250,
                 "pipelines.normalize.NormalizePipeline": 300, "pipelines.validate.ValidatePipeline": 500,
                 "pipelines.dedupe.DedupePipeline": 600, "pipelines.store.StorePipeline": 700}
    result = crawl(data, "-a", f"base_url={isna_site.base_url}", *DAYS, "-s", f"ITEM_PIPELINES={json.dumps(pipelines)}")
    assert result.returncode == 1
    assert "record(s) could not be processed or stored" in last_run(data)["exit_reason"]
    ids = dump_ids(data)
    assert ids and stored_ids(data) == set(ids)  # the others were written, and only they are claimed


@pytest.mark.crawl
def test_an_exception_in_a_callback_fails_the_run(isna_site, tmp_path):
    # One day's archive page fails in the crawler's own code: its articles are lost to the run, which must say so.
    data = tmp_path / "data"
    middlewares = {"tests.faultserver.FailingSpiderMiddleware": 10}
    result = crawl(data, "-a", f"base_url={isna_site.base_url}", *DAYS, "-s", "FAILING_PAGE_MARK=dy=21",
                   "-s", f"SPIDER_MIDDLEWARES={json.dumps(middlewares)}")
    assert result.returncode == 1, result.stderr[-2000:]
    assert "page(s) lost to an error in the crawler (" in last_run(data)["exit_reason"]
    assert "TypeError" in last_run(data)["exit_reason"]


def test_the_verdict_counts_every_callback_exception_as_a_loss():
    from crawler.config import Config
    from crawler.run import EXIT_FAILED, assess

    settings = Config.from_settings({})  # the defaults
    stats = {"downloader/request_count": 3, counters.PAGES_FETCHED: 3, "spider_exceptions/TypeError": 1}
    assert assess(stats, settings).status == EXIT_FAILED
    del stats["spider_exceptions/TypeError"]
    assert assess(stats, settings).status == 0


def test_the_verdict_is_a_function_of_the_stats_and_the_end_of_the_run():
    # The cases the crawls above reach, decided from stats alone, in the order a run says them: what could not be
    # written, a stop, a single article that gave nothing, articles a dead worker held, an empty range, a silent home page.
    from crawler.config import Config
    from crawler.run import EXIT_FAILED, judge

    settings = Config.from_settings({})  # the defaults
    fetched = {"downloader/request_count": 8, counters.PAGES_FETCHED: 8, counters.ARTICLES_EXTRACTED: 5}
    assert judge(fetched, settings, "finished", [], None).reason == "healthy"
    assert judge(fetched, settings, "finished", [], "cannot write x: disk full").reason == "cannot write x: disk full"
    assert judge(fetched, settings, "shutdown", [], None).reason == "the run stopped early: shutdown"
    single = {**fetched, counters.ARTICLES_EXTRACTED: 0, counters.RUN_ARTICLE_URL: "https://a.ir/news/1",
              counters.RUN_LAST_PROBLEM: "https://a.ir/news/1: photo page"}
    assert judge(single, settings, "finished", [], None).reason == \
        "-a url=https://a.ir/news/1 gave no record (https://a.ir/news/1: photo page)"
    held = judge(fetched, settings, "finished", [("isna", "id:7"), ("isna", "id:9")], None)
    assert held.status == EXIT_FAILED and held.reason.startswith("2 article(s) left to another worker") and "id:9" in held.reason
    empty = {**fetched, counters.ARTICLES_EXTRACTED: 0, counters.PROGRESS_DAYS_TOTAL: 2, counters.ARCHIVE_DAYS_EMPTY: 2,
             counters.RUN_DAYS: "1402-05-20 to 1402-05-21"}
    assert judge(empty, settings, "finished", [], None).reason.startswith(
        "every one of the 2 day archive(s) from 1402-05-20 to 1402-05-21 listed no articles")
    silent = {**fetched, counters.ARTICLES_EXTRACTED: 0, counters.RUN_HOME_READ: "https://a.ir/"}
    assert judge(silent, settings, "finished", [], None).reason.startswith("https://a.ir/: no feed, sitemap or home-page")
    assert judge({**silent, counters.LISTED: 3}, settings, "finished", [], None).reason == "healthy"


# -- bad input --------------------------------------------------------------------------------------------------------

@pytest.mark.crawl
@pytest.mark.parametrize(("args", "words"), [
    (["-a", "form=1402-05-20"], ["unknown option -a form=", "did you mean -a from=?", "-a to="]),
    (["-a", "url=not-a-url"], ["-a url= must be the absolute http(s) URL of an article"]),
    (["-a", "from=1800-01-01"], ["neither Jalali", "nor Gregorian"]),
    (["-a", "from=1402-13-40"], ["'1402-13-40' is not a valid Jalali date"]),
    (["-s", "REDIS_URL=localhost:6379"], ["-s REDIS_URL='localhost:6379' is not a Redis URL", "redis://"]),
    (["-s", "DOWNLOAD_DELAY=abc"], ["-s DOWNLOAD_DELAY='abc': DOWNLOAD_DELAY must be a number"]),
    (["-s", "ROBOTSTXT_OBEY=perhaps"], ["ROBOTSTXT_OBEY must be true or false"]),
])
def test_a_usage_error_is_one_line_and_exit_status_2(tmp_path, args, words):
    result = crawl(tmp_path / "data", *args)
    assert result.returncode == 2
    one_line_refusal(result, *words)
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr  # no start-up banner before it
    assert "Task exception was never retrieved" not in result.stderr
    assert not (tmp_path / "data").exists()  # nothing was touched


@pytest.mark.crawl
def test_a_single_url_of_another_site_is_refused_before_anything_is_fetched(tmp_path):
    result = crawl(tmp_path / "data", "-a", "url=https://example.com/x")
    assert result.returncode == 1  # the run could give no record
    one_line_refusal(result, "-a url=https://example.com/x is not on ایسنا", "www.isna.ir")
    assert not (tmp_path / "data").exists()


@pytest.mark.crawl
def test_an_unknown_option_of_a_wordpress_spider_is_a_usage_error_too(tmp_path):
    result = crawl(tmp_path / "data", "-a", "site_ur=https://example.ir", spider="wordpress")
    assert result.returncode == 2
    one_line_refusal(result, "unknown option -a site_ur=", "did you mean -a site_url=?")


@pytest.mark.crawl
def test_a_misspelled_spider_gets_the_closest_name_and_leaves_no_lock(tmp_path):
    result = crawl(tmp_path / "data", spider="isnaa")
    assert result.returncode == 2
    one_line_refusal(result, "no spider 'isnaa'", "did you mean 'isna'?", "nazirkerman")
    assert not (tmp_path / "data").exists()


@pytest.mark.crawl
def test_gregorian_days_are_converted_and_said_so(isna_site, tmp_path):
    out = tmp_path / "out.jsonl"
    result = crawl(tmp_path / "data", "-a", f"base_url={isna_site.base_url}", "-a", "from=2023-08-11",
                   "-a", "to=2023-08-11", "-O", str(out))
    assert result.returncode == 0, result.stderr[-3000:]
    assert "-a from=2023-08-11 is a Gregorian date: read as the Jalali day 1402-05-20" in result.stderr
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert {record["news_id"] for record in records} == {spec.code for spec in isna_site.site.articles_on(
        (1402, 5, 20), (1402, 5, 20))}


# -- network and site -------------------------------------------------------------------------------------------------

DAY = ["-a", "from=1402-05-20", "-a", "to=1402-05-20"]


@pytest.fixture(scope="module")
def trap():
    """Every request for a host other than 127.0.0.1 goes to this proxy, which records it and answers nothing."""
    proxy = TrapProxy()
    yield proxy
    proxy.shutdown()
    proxy.server_close()


def faulty_site(faults: dict[str, str]):
    """The mock ISNA site behind the fault server, running for a with-block."""
    return running(FaultyIsnaServer(MockSite(), faults))


def crawl_through(trap: TrapProxy, server, data: Path, *args: str) -> Ran:
    """A crawl of the faulty site whose every request to another host would reach the trap instead."""
    result = crawl(data, "-a", f"base_url={server.base_url}", "-s", "RETRY_TIMES=1", "-s", "DOWNLOAD_TIMEOUT=2", *args,
                   env={"http_proxy": trap.url, "https_proxy": trap.url, "no_proxy": "127.0.0.1,localhost"})
    assert trap.caught == [], f"requests left 127.0.0.1: {trap.caught}"
    return result


def day_articles() -> list:
    return MockSite().articles_on((1402, 5, 20), (1402, 5, 20))


def without_crawl_time(record: dict) -> dict:
    return {key: value for key, value in record.items() if key != "crawled_at"}


@pytest.fixture(scope="module")
def clean_day(tmp_path_factory, trap) -> dict[str, dict]:
    """The day's records from a crawl with no fault, by news id: what every recovered fault must give."""
    data = tmp_path_factory.mktemp("clean")
    with faulty_site({}) as server:
        assert crawl_through(trap, server, data, *DAY).returncode == 0
    return {record["news_id"]: without_crawl_time(record) for record in records_of(data)}


def records_of(data: Path) -> list[dict]:
    return [json.loads(line) for path in sorted((data / "isna").glob("isna-*.jsonl"))
            for line in path.read_text(encoding="utf-8").splitlines()]


# (fault on one article page, extra arguments, whether the article still comes through)
ARTICLE_FAULTS = [
    ("503-once", [], True),
    ("429-retry-after", [], True),
    ("cp1256-header", [], True),
    ("cp1256-meta", [], True),
    ("cp1256-none", [], True),
    ("503", [], False),
    ("stall", [], False),
    ("reset", [], False),
    ("short-body", [], False),
    ("empty-200", [], False),
    ("garbage", [], False),
    ("redirect-loop", [], False),
    ("redirect-offsite", [], False),
    ("oversized", ["-s", "DOWNLOAD_MAXSIZE=1000000"], False),
]


@pytest.mark.crawl
@pytest.mark.parametrize(("fault", "args", "survives"), ARTICLE_FAULTS, ids=[case[0] for case in ARTICLE_FAULTS])
def test_a_fault_on_one_article_page(trap, clean_day, tmp_path, fault, args, survives):
    target = day_articles()[0]
    with faulty_site({"/news/" + target.code + "*": fault}) as server:
        result = crawl_through(trap, server, tmp_path, *DAY, *args)
    records = {record["news_id"]: without_crawl_time(record) for record in records_of(tmp_path)}
    run = last_run(tmp_path)
    # One page of six lost is within RUN_MAX_ERROR_SHARE: the run is healthy and says what it lost.
    assert result.returncode == 0, result.stderr[-3000:]
    assert run["exit_reason"] == "healthy"
    if survives:
        assert records == clean_day  # the same records, byte for byte, whatever the fault was
        assert run["failed_pages"] == 0
    else:
        assert records == {code: record for code, record in clean_day.items() if code != target.code}
        assert run["failed_pages"] == 1 and run["to_retry"] == 1  # counted, and remembered for the next run
        assert f"could not fetch {server.base_url}/news/{target.code}" in result.stderr


@pytest.mark.crawl
@pytest.mark.parametrize(("fault", "words"), [
    ("redirect-loop", ["redirect loop, back to"]),
    ("redirect-offsite", ["redirected off the site, to http://elsewhere.example/moved/news/"]),
])
def test_a_refused_redirect_is_a_warning_naming_where_it_pointed(trap, tmp_path, fault, words):
    target = day_articles()[0]
    with faulty_site({"/news/" + target.code + "*": fault}) as server:
        result = crawl_through(trap, server, tmp_path, *DAY)
    warnings = [line for line in result.stderr.splitlines() if "WARNING" in line and target.code in line]
    assert len(warnings) == 1 and all(word in warnings[0] for word in words), warnings


@pytest.mark.crawl
@pytest.mark.parametrize(("mode", "forbidden"), [
    (["-a", "pages=1"], "/archive"),
    (DAY, "/archive"),
    (["-a", "url=https://www.isna.ir/news/1402052010007/"], "/news/1402052010007/"),
])
def test_robots_txt_that_forbids_everything_fails_the_run_with_the_reason(trap, tmp_path, mode, forbidden):
    with faulty_site({"/robots.txt": "robots-disallow"}) as server:
        result = crawl_through(trap, server, tmp_path, *mode)
    assert result.returncode == 1
    host = server.base_url.removeprefix("http://")
    assert f"robots.txt of {host} forbids {forbidden}" in last_run(tmp_path)["exit_reason"]


@pytest.mark.crawl
@pytest.mark.parametrize("mode", [["-a", "pages=1"], ["-a", "from=1402-05-20", "-a", "to=1402-05-20"]])
def test_an_archive_page_that_is_an_empty_200_fails_the_run_and_counts_once(trap, tmp_path, mode):
    with faulty_site({"/archive*": "empty-200"}) as server:
        result = crawl_through(trap, server, tmp_path, *mode)
    assert result.returncode == 1, result.stderr[-2000:]
    run = last_run(tmp_path)
    assert run["new_articles"] == 0 and run["failed_pages"] == run["pages"] >= 1  # failed, not also fetched


@pytest.mark.crawl
def test_a_date_range_whose_every_day_archive_is_empty_fails_the_run(trap, tmp_path):
    with faulty_site({"/archive*": "empty-archive"}) as server:
        result = crawl_through(trap, server, tmp_path, "-a", "from=1402-05-20", "-a", "to=1402-05-22")
    assert result.returncode == 1
    assert last_run(tmp_path)["exit_reason"].startswith("every one of the 3 day archive(s) from 1402-05-20 to 1402-05-22")


@pytest.mark.crawl
@pytest.mark.parametrize(("fault", "why"), [
    ("empty-200", "the page is empty"),
    ("garbage", "the page is not text"),
    ("redirect-loop", "redirect loop"),
    ("redirect-offsite", "redirected off the site"),
    ("503", "HTTP 503"),
    (None, "photo page (nastooh:newsType), not a text article"),
])
def test_a_single_article_that_gives_no_record_fails_the_run_with_the_reason(trap, tmp_path, fault, why):
    code = "1402052010007" if fault else "1402052213001"  # the second: the mock site's photo page
    with faulty_site({f"/news/{code}*": fault} if fault else {}) as server:
        result = crawl_through(trap, server, tmp_path, "-a", f"url=https://www.isna.ir/news/{code}/")
    assert result.returncode == 1
    reason = last_run(tmp_path)["exit_reason"]
    assert f"-a url=https://www.isna.ir/news/{code}/ gave no record" in reason and why in reason, reason


# a next link to page 1, or to its own page (which the parser used to drop, ending the listing without a word)
@pytest.mark.crawl
@pytest.mark.parametrize("fault", ["back-to-first-page", "next-to-itself"])
def test_an_archive_whose_next_link_points_back_to_a_page_already_read_stops_with_a_warning(trap, tmp_path, fault):
    with faulty_site({"/archive?pi=2&ms=0": fault}) as server:
        result = crawl_through(trap, server, tmp_path, "-a", "pages=5")
    assert result.returncode == 0
    assert "archive latest page 2: the next-page link points back to a page already read" in result.stderr
    assert [path for path in server.requests if path.startswith("/archive")] == ["/archive?pi=1&ms=0", "/archive?pi=2&ms=0"]


@pytest.mark.crawl
def test_an_article_page_larger_than_the_bound_is_skipped_with_a_warning_and_counted(trap, tmp_path):
    target = day_articles()[0]
    with faulty_site({"/news/" + target.code + "*": "oversized"}) as server:  # 3 MB, under DOWNLOAD_MAXSIZE
        result = crawl_through(trap, server, tmp_path, *DAY, "-s", "ARTICLE_MAX_BYTES=1000000")
    assert result.returncode == 0, result.stderr[-2000:]
    assert [line for line in result.stderr.splitlines() if "WARNING" in line and target.code in line
            and "-s ARTICLE_MAX_BYTES=1000000" in line]
    assert last_run(tmp_path)["bounds_hit"] == {"ARTICLE_MAX_BYTES": 1}
    assert dump_ids(tmp_path) and target.code not in dump_ids(tmp_path)


@pytest.mark.crawl
def test_endless_pagination_stops_at_the_page_budget(trap, tmp_path):
    with faulty_site({"/archive?pi=*": "endless-pages"}) as server:
        result = crawl_through(trap, server, tmp_path, "-a", "pages=3")
    assert result.returncode == 0
    assert len([path for path in server.requests if path.startswith("/archive")]) == 3


# -- latest-news runs come back for what they missed ------------------------------------------------------------------

def latest(trap, server, data: Path) -> subprocess.CompletedProcess:
    """An hourly cron run: no arguments but the mirror, incremental."""
    return crawl_through(trap, server, data)


@pytest.mark.crawl
def test_an_article_lost_to_a_passing_fault_is_fetched_by_the_next_run(trap, tmp_path):
    target = MockSite().newest_first()[1]
    with faulty_site({f"/news/{target.code}*": "503"}) as server:
        first = latest(trap, server, tmp_path)
        assert first.returncode == 0, first.stderr[-3000:]
        assert target.code not in dump_ids(tmp_path) and last_run(tmp_path)["to_retry"] == 1
        server.faults.clear()  # the site is well again
        second = latest(trap, server, tmp_path)
    assert second.returncode == 0, second.stderr[-3000:]
    ids = dump_ids(tmp_path)
    assert ids.count(target.code) == 1
    assert last_run(tmp_path)["retried"] == 1 and last_run(tmp_path)["to_retry"] == 0
    assert "trying again 1 article(s) that earlier runs could not store" in second.stderr


@pytest.mark.crawl
def test_an_article_that_keeps_failing_is_tried_a_bounded_number_of_times_then_given_up(trap, tmp_path):
    target = MockSite().newest_first()[1]
    with faulty_site({f"/news/{target.code}*": "empty-200"}) as server:
        runs = [latest(trap, server, tmp_path) for _ in range(5)]
        asked = [path for path in server.requests if path.startswith(f"/news/{target.code}")]
    log = [json.loads(line) for line in (tmp_path / "runs.jsonl").read_text(encoding="utf-8").splitlines()]
    # The first run fails on it, the next three try it again (RETRY_FAILED_ARTICLES = 3), the fifth gives up.
    assert [run["retried"] for run in log] == [0, 1, 1, 1, 0]
    assert [run["given_up"] for run in log] == [0, 0, 0, 0, 1]
    # Asked for once a run: by the retry in runs 2-4; in runs 1 and 5 because the latest archive page still lists it.
    assert len(asked) == 5
    assert "gave up on" in runs[4].stderr and target.code in runs[4].stderr and "the page is empty" in runs[4].stderr
    assert all(run.returncode == 0 for run in runs)


@pytest.mark.crawl
def test_a_rejected_record_is_tried_again_by_the_next_run(trap, tmp_path):
    target = MockSite().newest_first()[1]
    with faulty_site({}) as server:
        server.site.by_code[target.code].title = "<"  # no letters: the record fails validation
        assert latest(trap, server, tmp_path).returncode == 0
        assert target.code not in dump_ids(tmp_path) and last_run(tmp_path)["rejected"] == 1
        server.site.by_code[target.code].title = target.title
        assert latest(trap, server, tmp_path).returncode == 0
    assert dump_ids(tmp_path).count(target.code) == 1


@pytest.mark.crawl
def test_an_archive_item_dated_in_the_future_does_not_move_the_coverage_watermark(trap, tmp_path):
    from crawler.dates import jalali_to_tehran
    from tests.mocksite.site import later_articles

    with faulty_site({}) as server:
        assert latest(trap, server, tmp_path).returncode == 0
        (typo,) = later_articles(1, jalali_to_tehran(1410, 1, 1, 9, 0), seed=3)  # a wrong year on the site
        server.site.publish(typo)
        second = latest(trap, server, tmp_path)
        assert second.returncode == 0 and "is dated in the future" in second.stderr
        fresh = later_articles(6, jalali_to_tehran(1402, 5, 26, 8, 0))  # more than a page of news
        server.site.publish(*fresh)
        assert latest(trap, server, tmp_path).returncode == 0
    ids = dump_ids(tmp_path)
    assert {spec.code for spec in fresh} <= set(ids) and len(ids) == len(set(ids))


# -- hostile XML -------------------------------------------------------------------------------------------------------

XML_ATTACK = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE root [
  <!ENTITY secret SYSTEM "file:///etc/passwd">
  <!ENTITY lol "lol"><!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
  <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
  <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
  <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
  <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
  <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
  <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>"""


@pytest.mark.crawl
@pytest.mark.parametrize("route", ["feed", "sitemap"])
def test_xxe_and_entity_bombs_in_feeds_and_sitemaps_are_harmless(trap, tmp_path, route):
    from tests.mockwp.site import MockWordPress, MockWordPressServer

    class Hostile(MockWordPress):
        def feed(self, page, base):
            text = super().feed(page, base) if route == "feed" else None
            return text and text.replace('<?xml version="1.0" encoding="UTF-8"?>', XML_ATTACK).replace(
                "<language>fa-IR</language>", "<language>&secret;&lol9;</language>")

        def sitemap_posts(self, base):
            return super().sitemap_posts(base).replace('<?xml version="1.0" encoding="UTF-8"?>', XML_ATTACK).replace(
                "<urlset", "<!-- &secret; --><urlset").replace("</urlset>", "<url><loc>&secret;&lol9;</loc></url></urlset>")

    site = Hostile(rest="off")
    with running(MockWordPressServer(site)) as server:
        result = crawl(tmp_path, "-a", f"site_url={server.base_url}", spider="wordpress",
                       env={"http_proxy": trap.url, "no_proxy": "127.0.0.1"})
    assert trap.caught == []
    assert result.returncode == 0, result.stderr[-3000:]
    written = [json.loads(line) for path in (tmp_path / f"wordpress-127.0.0.1_{server.port}").glob("*.jsonl")
               for line in path.read_text(encoding="utf-8").splitlines()]
    assert len(written) == len(site.posts)  # every post, through the route under attack
    everything = result.stderr + json.dumps(written, ensure_ascii=False)
    assert "root:x:0:0" not in everything and "lollollol" not in everything


# -- the report's and the snapshot's output files -----------------------------------------------------------------------

@pytest.mark.parametrize("command", [["report"], ["snapshot"]])
def test_an_output_that_is_not_a_regular_file_is_refused_and_left_as_it_is(tmp_path, command):
    from datetime import date

    from tests.generated_dumps import write_dumps

    write_dumps(tmp_path / "data", days=2, sites=("isna",), end=date(2026, 11, 30))
    pipe = tmp_path / ("out.jsonl" if command == ["snapshot"] else "out.html")
    os.mkfifo(pipe)  # a stand-in for a device such as /dev/full, which a rename would have replaced
    result = pipelines_command(*command, str(tmp_path / "data"), "-o", str(pipe))
    assert result.returncode == 1 and "not a regular file" in result.stderr, result.stderr[-2000:]
    assert pipe.is_fifo() and not list(tmp_path.glob(".out.*"))


@pytest.mark.skipif(not ROOT_USER, reason="mounting a tmpfs needs root (CI runs as root)")
def test_plotly_beside_the_report_on_a_full_disk_leaves_the_good_copy_whole(tmp_path):
    import hashlib
    from datetime import date

    from tests.generated_dumps import write_dumps

    write_dumps(tmp_path / "data", days=2, sites=("isna",), end=date(2026, 11, 30))
    with small_disk(16384) as disk:
        first = pipelines_command("report", str(tmp_path / "data"), "-o", str(disk / "report.html"), "--plotly-js", "beside")
        assert first.returncode == 0, first.stderr[-2000:]
        before = {name: hashlib.sha256((disk / name).read_bytes()).hexdigest() for name in ("plotly.min.js", "report.html")}
        fill(disk, leave_kb=512)  # room for neither a new plotly.min.js nor a new page
        full = pipelines_command("report", str(tmp_path / "data"), "-o", str(disk / "report.html"), "--plotly-js", "beside")
        assert full.returncode == 1 and "No space left on device" in full.stderr, full.stderr[-2000:]
        after = {name: hashlib.sha256((disk / name).read_bytes()).hexdigest() for name in ("plotly.min.js", "report.html")}
        assert after == before and not list(disk.glob(".*.tmp"))


@pytest.mark.subprocess
def test_a_failed_cron_run_is_a_few_lines_without_a_traceback(tmp_path):
    # offline (nothing listens on the port): before, 16 of the mail's 20 lines were a Twisted traceback
    port = free_port()
    result = crawl(tmp_path / "data", "-a", f"base_url=http://127.0.0.1:{port}", *DAY, "-L", "WARNING",
                   "-s", "RETRY_TIMES=1", process=True)  # the mail is what the process writes, tracebacks included
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert "Traceback" not in result.stderr and len(lines) <= 6, result.stderr
    assert "exit 1: nothing could be fetched" in lines[-1]


@pytest.mark.crawl
def test_a_site_that_cannot_be_reached_fails_the_run_after_one_page_s_retries_not_every_page_s(tmp_path):
    # offline, a three-day run retried robots.txt and then each day's archive page with its backoff: 30 s to fail
    port = free_port()
    result = crawl(tmp_path / "data", "-a", f"base_url=http://127.0.0.1:{port}", *DAYS)
    assert result.returncode == 1
    assert result.stderr.count("127.0.0.1 cannot be reached") == 1
    assert "'retry/count': 3," in result.stderr  # robots.txt's three retries; the three archive pages none
    assert "could not fetch http://127.0.0.1" in result.stderr  # each page still tried, and counted as failed
    reason = last_run(tmp_path / "data")["exit_reason"]
    assert reason.startswith("nothing could be fetched (3 of 3 pages failed; the last, http://127.0.0.1:") \
        and "Connection was refused" in reason, reason


@pytest.mark.subprocess
def test_a_run_stopped_by_a_signal_says_it_was_stopped(tmp_path):
    # `timeout 60 scrapy crawl ...` sends SIGTERM: before, the run said "nothing could be fetched (0 of 0 pages failed)"
    import signal
    import time

    with running(MockIsnaServer(MockSite(), delay=3.0)) as slow:
        process = subprocess.Popen([str(SCRAPY), "crawl", "isna", "-a", f"base_url={slow.base_url}", *DAY,
                                    "-s", f"DATA_DIR={tmp_path / 'data'}", *FAST], cwd=ROOT, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 60
        while not slow.requests and time.monotonic() < deadline:  # the crawl has asked for its first page
            time.sleep(0.05)
        process.send_signal(signal.SIGTERM)
        stderr = process.communicate(timeout=120)[1]
    assert process.returncode == 1
    assert last_run(tmp_path / "data")["exit_reason"] == "the run stopped early: shutdown", stderr[-2000:]


@pytest.mark.subprocess
def test_a_crawl_that_raises_before_it_runs_fails_in_one_line_with_the_reason(tmp_path):
    # Before: exit 1 with nothing said (a worker whose Redis went away while its engine opened), or an asyncio
    # "Task exception was never retrieved" traceback, and no summary.
    result = crawl(tmp_path / "data", "-a", "url=https://www.isna.ir/news/95102918901/", "-L", "WARNING",
                   "-s", "DOWNLOADER=no.such.Downloader", process=True)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [result.stderr.strip()], result.stderr[-3000:]  # one line
    assert "CRITICAL: `scrapy crawl isna` stopped: ModuleNotFoundError: No module named 'no'" in result.stderr
