"""Unattended runs, as cron makes them: `scrapy crawl isna` with no output option, again and again, against the mock
ISNA site on 127.0.0.1, each test with its own DATA_DIR. Each article once across runs, a file visible only when
complete, a killed run that loses nothing, one run at a time, and an exit status that tells a failed run from a
quiet one."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from crawler.dates import jalali_to_tehran
from tests.crawling import Ran, scrapy_crawl
from tests.helpers import FAST, ROOT, SCRAPY
from tests.mocksite.server import MockIsnaServer
from tests.mocksite.site import MockSite, later_articles
from tests.serving import running

AFTER_THE_LAST_ARTICLE = jalali_to_tehran(1402, 5, 26, 8, 0)


@pytest.fixture
def site(isna_site):
    """The mock ISNA site, one per test (conftest.py): these tests publish and change its articles."""
    return isna_site


def command(server: MockIsnaServer, data: Path, *args: str) -> list[str]:
    return [str(SCRAPY), "crawl", "isna", "-a", f"base_url={server.base_url}", "-s", f"DATA_DIR={data}", *FAST, *args]


def run(server: MockIsnaServer, data: Path, *args: str, process: bool = False) -> Ran:
    return scrapy_crawl(*command(server, data, *args)[2:], process=process)


def dumps(data: Path) -> list[Path]:
    return sorted((data / "isna").glob("isna-*.jsonl"))


def all_records(data: Path) -> list[dict]:
    """Every record of every dump file, each file read line by line (any unparseable line fails the test)."""
    records = []
    for path in dumps(data):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            assert line.endswith("}"), f"{path.name}:{number} is not a complete line"
            records.append(json.loads(line))
    return records


def runs_log(data: Path) -> list[dict]:
    return [json.loads(line) for line in (data / "runs.jsonl").read_text(encoding="utf-8").splitlines()]


def article_ids(records: list[dict]) -> list[str]:
    return [record["news_id"] for record in records]


def newest_articles(server: MockIsnaServer, pages: int) -> set[str]:
    listing = server.site.newest_first()[: pages * server.site.page_size]
    return {spec.code for spec in listing if spec.is_article}


@pytest.mark.crawl
def test_two_runs_in_a_row_write_each_article_once_and_the_second_is_cheap(site, tmp_path):
    data = tmp_path / "data"
    first = run(site, data)
    assert first.returncode == 0, first.stderr[-2000:]
    assert set(article_ids(all_records(data))) == newest_articles(site, pages=3)
    assert len(dumps(data)) == 1 and not list((data / "isna").glob(".*.part"))

    before = len(site.requests)
    second = run(site, data)
    assert second.returncode == 0, second.stderr[-2000:]
    requests = site.requests[before:]
    assert len(requests) <= 3, requests  # robots.txt, the first archive page(s); no article page
    assert not any(path.startswith("/news/") for path in requests)
    assert len(dumps(data)) == 1  # nothing new: no new file
    records = all_records(data)
    assert len(article_ids(records)) == len(set(article_ids(records)))
    assert all(record["revision"] == 1 for record in records)
    log = runs_log(data)
    assert [entry["exit_status"] for entry in log] == [0, 0]
    assert log[1]["new_articles"] == 0 and log[1]["exit_reason"] == "healthy"
    assert log[0]["field_coverage"] == {"title": 1.0, "body": 1.0, "published_at": 1.0, "news_id": 1.0}
    assert "exit 0: healthy" in second.stderr


@pytest.mark.crawl
def test_articles_published_between_runs_are_exactly_what_the_next_run_writes(site, tmp_path):
    data = tmp_path / "data"
    assert run(site, data).returncode == 0
    first_ids = set(article_ids(all_records(data)))
    fresh = later_articles(3, AFTER_THE_LAST_ARTICLE)
    site.site.publish(*fresh)
    second = run(site, data)
    assert second.returncode == 0, second.stderr[-2000:]
    newest = Path(runs_log(data)[-1]["output"])  # (a run in the same second as the last one is named -2, -3...)
    assert sorted(article_ids(json.loads(line) for line in newest.read_text(encoding="utf-8").splitlines())) == sorted(
        spec.code for spec in fresh)
    assert set(article_ids(all_records(data))) == first_ids | {spec.code for spec in fresh}


@pytest.mark.crawl
def test_a_page_that_is_no_article_is_fetched_once_not_by_every_run(site, tmp_path):
    # The mock's photo page and advertorial (1402052213001, 1402052299999, on 1402-05-22) are listed in the archive:
    # before, every run fetched them again.
    data = tmp_path / "data"
    days = ["-a", "from=1402-05-22", "-a", "to=1402-05-22"]
    first = run(site, data, *days)
    assert first.returncode == 0 and "photo page (nastooh:newsType), not a text article" in first.stderr
    photo = [path for path in site.requests if path.startswith("/news/1402052213001/")]
    assert len(photo) == 1
    site.requests.clear()
    second = run(site, data, "-a", "from=1402-05-21", "-a", "to=1402-05-22")
    assert second.returncode == 0, second.stderr[-2000:]
    assert not [path for path in site.requests if path.startswith(("/news/1402052213001/", "/news/1402052299999/"))]
    assert "2 known from earlier runs to be no article" in second.stderr  # remembered, not fetched
    stored_that_day = [spec for spec in site.site.articles_on((1402, 5, 22), (1402, 5, 22)) if spec.is_article]
    # counted apart: the stored articles of the day, and the two pages that are none
    assert runs_log(data)[-1]["skipped_before"] == 2
    assert runs_log(data)[-1]["already_stored"] == len(stored_that_day) >= 2
    again = run(site, data, *days, "-a", "refresh=1")  # a refresh looks at every page again
    assert again.returncode == 0 and [path for path in site.requests if path.startswith("/news/1402052213001/")]


@pytest.mark.crawl
def test_after_a_gap_the_run_pages_back_until_it_has_caught_up(site, tmp_path):
    data = tmp_path / "data"
    assert run(site, data).returncode == 0
    fresh = later_articles(11, AFTER_THE_LAST_ARTICLE)  # three archive pages of news
    site.site.publish(*fresh)
    second = run(site, data)
    assert second.returncode == 0, second.stderr[-2000:]
    assert "caught up: went back" in second.stderr
    records = all_records(data)
    assert {spec.code for spec in fresh} <= set(article_ids(records))
    assert len(article_ids(records)) == len(set(article_ids(records)))


@pytest.mark.crawl
def test_a_changed_article_is_written_again_as_a_new_revision(site, tmp_path):
    data = tmp_path / "data"
    assert run(site, data, "-a", "from=1402-05-24", "-a", "to=1402-05-24").returncode == 0
    changed = site.site.by_code["1402052415139"]
    changed.paragraphs = [*changed.paragraphs, "این بند پس از انتشار به خبر افزوده شد."]
    again = run(site, data, "-a", "from=1402-05-24", "-a", "to=1402-05-24", "-a", "refresh=1")
    assert again.returncode == 0, again.stderr[-2000:]
    revisions = sorted((record for record in all_records(data) if record["news_id"] == "1402052415139"),
                       key=lambda record: record["revision"])
    assert [record["revision"] for record in revisions] == [1, 2]
    assert revisions[1]["body"].endswith("این بند پس از انتشار به خبر افزوده شد.")
    log = runs_log(data)[-1]
    assert log["revisions"] == 1 and log["new_articles"] == 0 and log["already_stored"] >= 3


@pytest.mark.crawl
def test_resuming_a_backfill_is_the_same_command_again(site, tmp_path):
    data = tmp_path / "data"
    assert run(site, data, "-a", "from=1402-05-20", "-a", "to=1402-05-21").returncode == 0
    before = len(site.requests)
    again = run(site, data, "-a", "from=1402-05-19", "-a", "to=1402-05-22")
    assert again.returncode == 0, again.stderr[-2000:]
    fetched = {path.split("/")[2] for path in site.requests[before:] if path.startswith("/news/")}
    already = {spec.code for spec in site.site.articles_on((1402, 5, 20), (1402, 5, 21))}
    assert not fetched & already
    wanted = {spec.code for spec in site.site.articles_on((1402, 5, 19), (1402, 5, 22))}
    assert sorted(article_ids(all_records(data))) == sorted(wanted)


def wait_for(condition, seconds: float = 60.0, step: float = 0.05) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(step)


@pytest.mark.subprocess
def test_a_run_killed_with_sigkill_loses_nothing_and_the_next_run_completes_it(tmp_path):
    data = tmp_path / "data"
    with running(MockIsnaServer(MockSite(), delay=0.4)) as slow:
        process = subprocess.Popen(command(slow, data, "-a", "from=1402-05-19", "-a", "to=1402-05-25"), cwd=ROOT,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        parts = lambda: list((data / "isna").glob(".isna-*.jsonl.part"))  # noqa: E731
        wait_for(lambda: parts() and parts()[0].read_bytes().count(b"\n") >= 3)
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
        assert parts() and not dumps(data)  # killed: nothing visible yet
        slow.delay = 0
        finished = run(slow, data, "-a", "from=1402-05-19", "-a", "to=1402-05-25")
        assert finished.returncode == 0, finished.stderr[-2000:]
        assert "recovered" in finished.stderr
        assert not parts()
        records = all_records(data)
        wanted = {spec.code for spec in slow.site.articles_on((1402, 5, 19), (1402, 5, 25))}
        assert sorted(article_ids(records)) == sorted(wanted)  # every article, each exactly once
        assert len(dumps(data)) == 2  # the recovered file and the second run's


@pytest.mark.subprocess
def test_a_second_run_while_one_is_running_refuses_and_touches_nothing(tmp_path):
    data = tmp_path / "data"
    slow = MockIsnaServer(MockSite(), delay=1.0).start_in_thread()  # a week of archives at 1 s a page: a long run
    try:
        first = subprocess.Popen(command(slow, data, "-a", "from=1402-05-19", "-a", "to=1402-05-25"), cwd=ROOT,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for(lambda: len(slow.requests) >= 2)  # the first run holds the lock and is crawling
        started = time.monotonic()
        second = run(slow, data, "-a", "from=1402-05-20", "-a", "to=1402-05-22")
        assert first.poll() is None, "the first run ended too soon for this test to mean anything"
        assert second.returncode == 75
        assert time.monotonic() - started < 15
        assert "not started, another run holds" in second.stderr
        assert "Spider opened" not in second.stderr and "Crawled" not in second.stderr  # it never started crawling
        assert first.wait(timeout=300) == 0
        log = runs_log(data)
        assert len(log) == 1 and log[0]["exit_status"] == 0  # the refused run wrote no runs.jsonl line
        assert len(dumps(data)) == 1 and not list((data / "rejects").rglob("*.jsonl"))  # and no file of its own
    finally:
        slow.shutdown()
        slow.server_close()


@pytest.mark.crawl
@pytest.mark.parametrize(("layout", "named"), [
    ("redesigned", ["title on", "body on", "published_at on", "news_id on"]),
    ("no-dates", ["published_at on"]),
])
def test_a_changed_article_layout_fails_the_run_naming_the_missing_fields(tmp_path, layout, named):
    data = tmp_path / "data"
    with running(MockIsnaServer(MockSite(layout=layout))) as server:
        result = run(server, data)
        assert result.returncode == 1
        entry = runs_log(data)[-1]
        assert entry["exit_status"] == 1
        assert entry["exit_reason"].startswith("required fields missing:")
        for field in named:
            assert field in entry["exit_reason"]
        assert "has the article layout changed?" in result.stderr
        if layout == "no-dates":
            assert entry["field_coverage"]["published_at"] == 0.0 and entry["field_coverage"]["title"] == 1.0
            # the pages state no date: their records are written without one and counted, and the coverage check
            # fails the run all the same
            assert entry["rejected"] == 0 and entry["date_missing"] == entry["new_articles"] > 0


@pytest.mark.subprocess
def test_a_terminal_gets_a_progress_line_and_cron_does_not(tmp_path):
    with running(MockIsnaServer(MockSite(), delay=0.5)) as slow:
        quiet = subprocess.run(command(slow, tmp_path / "quiet", "-a", "from=1402-05-20", "-a", "to=1402-05-21"),
                               cwd=ROOT, capture_output=True, timeout=300)
        watched = subprocess.run(command(slow, tmp_path / "watched", "-a", "from=1402-05-20", "-a", "to=1402-05-21",
                                         "-s", "PROGRESS=on", "-s", "LOG_LEVEL=WARNING"),
                                 cwd=ROOT, capture_output=True, timeout=300)
    assert quiet.returncode == 0 and watched.returncode == 0
    assert b"\r[isna]" not in quiet.stderr  # standard error is not a terminal here, as in cron
    progress = watched.stderr.decode("utf-8")
    assert "\r[isna] " in progress and "/2 days, " in progress and " articles, " in progress
    wanted = len(slow.site.articles_on((1402, 5, 20), (1402, 5, 21)))
    assert wanted == 7
    # the last line is the final state: both days done, every article of them written
    assert progress.rstrip().endswith(f"2/2 days, 3 archive pages, {wanted} articles, 0 failed pages")


def test_runs_started_in_the_same_second_never_share_an_output_file(tmp_path, monkeypatch):
    from datetime import UTC, datetime

    from scrapy.utils.test import get_crawler

    import crawler.incremental
    from crawler.spiders.registry import IsnaSpider

    class FrozenClock(datetime):
        @classmethod
        def now(cls, tz=None):
            return datetime(2026, 11, 22, 10, 0, 0, tzinfo=UTC)

    monkeypatch.setattr(crawler.incremental, "datetime", FrozenClock)
    finals = []
    for number in range(2):
        output = crawler.incremental.IncrementalOutput(get_crawler(IsnaSpider, {"DATA_DIR": str(tmp_path)}))
        output.output.write({"news_id": str(number)})
        finals.append(output.finish())
        output.close()
    assert [path.name for path in finals] == ["isna-2026-11-22T10-00-00Z.jsonl", "isna-2026-11-22T10-00-00Z-2.jsonl"]
    assert [json.loads(path.read_text())["news_id"] for path in finals] == ["0", "1"]


@pytest.mark.subprocess
def test_a_run_killed_while_it_recovers_a_killed_run_s_file_loses_nothing_and_writes_nothing_twice(tmp_path):
    """Recovery has two steps that a kill can fall between: the part file's lines into the final file, and the
    articles into the store. Kill inside each; the next runs must end with every article once, on disk and known."""
    data = tmp_path / "data"
    with running(MockIsnaServer(MockSite())) as slow:
        days = ["-a", "from=1402-05-20", "-a", "to=1402-05-22"]
        export = tmp_path / "export.jsonl"
        assert run(slow, tmp_path / "elsewhere", *days, "-O", str(export)).returncode == 0
        real = [json.loads(line) for line in export.read_text(encoding="utf-8").splitlines()]
        # A killed run's part file: the real articles, and many more so that recovering it takes a while.
        filler = {"site": "isna", "url": "https://www.isna.ir/news/1/", "title": "خبر", "body": "متن", "revision": 1}
        part = data / "isna" / ".isna-2026-01-01T00-00-00Z.jsonl.part"
        part.parent.mkdir(parents=True)
        with part.open("w", encoding="utf-8") as handle:
            for record in real:
                handle.write(json.dumps({**record, "revision": 1}, ensure_ascii=False) + "\n")
            for number in range(100_000):
                handle.write(json.dumps({**filler, "news_id": str(9_000_000_000 + number)}, ensure_ascii=False) + "\n")
        final = data / "isna" / "isna-2026-01-01T00-00-00Z.jsonl"
        recovering = part.with_name(part.name + ".recovering")
        for moment in (lambda: recovering.exists(),  # writing the final file
                       lambda: final.exists() and part.exists()):  # recording the articles in the store
            process = subprocess.Popen(command(slow, data, *days), cwd=ROOT, stdout=subprocess.DEVNULL,
                                       stderr=subprocess.DEVNULL)
            wait_for(moment, seconds=60, step=0.002)
            os.kill(process.pid, signal.SIGKILL)
            process.wait()
            assert part.exists()  # the part file stays until the recovery is complete
        finished = run(slow, data, *days)
        assert finished.returncode == 0, finished.stderr[-2000:]
        assert not part.exists()
        ids = article_ids(all_records(data))
        assert len(ids) == len(set(ids)) == 100_000 + len(real)  # nothing lost, nothing twice
        assert set(ids) >= {record["news_id"] for record in real}


@pytest.mark.crawl
def test_a_crawl_with_jobdir_pauses_state_where_scrapy_keeps_it_and_runs_healthy(site, tmp_path):
    data, job = tmp_path / "data", tmp_path / "job"
    result = run(site, data, "-a", "from=1402-05-20", "-a", "to=1402-05-20", "-s", f"JOBDIR={job}")
    assert result.returncode == 0, result.stderr[-2000:]
    assert "AttributeError" not in result.stderr and "Traceback" not in result.stderr
    assert (job / "spider.state").exists()  # Scrapy's own spider.state, no longer hidden by ours
    assert sorted(article_ids(all_records(data))) == sorted(
        spec.code for spec in site.site.articles_on((1402, 5, 20), (1402, 5, 20)))


@pytest.mark.subprocess
def test_scrapy_parse_touches_nothing_under_data(site, tmp_path):
    data = tmp_path / "data"
    url = f"{site.base_url}/news/1402052415139/x"
    result = subprocess.run([str(SCRAPY), "parse", "--spider", "isna", "-a", f"base_url={site.base_url}",
                             "-s", f"DATA_DIR={data}", "-c", "parse_article", url], cwd=ROOT, capture_output=True,
                            text=True, timeout=120, env={**os.environ, "PYTHONIOENCODING": "utf-8"})
    assert result.returncode == 0, result.stderr[-2000:]
    assert "1402052415139" in result.stdout  # it parsed the article
    assert not data.exists()  # no lock, no seen-store, no runs log, no rejects folder


@pytest.mark.subprocess
def test_scrapy_parse_of_an_article_url_gives_the_final_record_with_the_default_callback(site, tmp_path):
    # Before: "NotImplementedError: IsnaSpider.parse callback is not defined"; -c parse_article gave the raw extraction.
    data = tmp_path / "data"
    url = f"{site.base_url}/news/1402052415139/x"
    result = subprocess.run([str(SCRAPY), "parse", "--spider", "isna", "-a", f"base_url={site.base_url}",
                             "-s", f"DATA_DIR={data}", url], cwd=ROOT, capture_output=True, text=True, timeout=120,
                            env={**os.environ, "PYTHONIOENCODING": "utf-8"})
    assert result.returncode == 0, result.stderr[-2000:]
    assert "'news_id': '1402052415139'" in result.stdout
    assert "\\u200c" in result.stdout  # normalized: the ZWNJs the page had lost are back (pprint shows them escaped)
    assert "NotImplementedError" not in result.stderr and not data.exists()


def test_scrapy_parse_finds_the_spider_of_a_url_s_site():
    from scrapy.http import Request
    from scrapy.spiderloader import get_spider_loader
    from scrapy.utils.project import get_project_settings

    loader = get_spider_loader(get_project_settings())
    assert loader.find_by_request(Request("https://www.isna.ir/news/1402052415139/x")) == ["isna"]
    assert loader.find_by_request(Request("https://nazirkerman.ir/?p=12")) == ["nazirkerman"]
    assert loader.find_by_request(Request("https://unknown.example/news/1/")) == []


@pytest.mark.subprocess
def test_a_jobdir_crawl_paused_with_ctrl_c_resumes_with_the_same_command(tmp_path):
    data, job = tmp_path / "data", tmp_path / "job"
    days = ["-a", "from=1402-05-19", "-a", "to=1402-05-25", "-s", f"JOBDIR={job}", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=2"]
    with running(MockIsnaServer(MockSite(), delay=1.0)) as slow:
        process = subprocess.Popen(command(slow, data, *days), cwd=ROOT, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.PIPE, text=True)
        parts = lambda: list((data / "isna").glob(".isna-*.jsonl.part"))  # noqa: E731
        wait_for(lambda: parts() and parts()[0].read_bytes().count(b"\n") >= 2)  # paused with articles written
        process.send_signal(signal.SIGINT)
        paused = process.communicate(timeout=120)[1]
        slow.delay = 0
        resumed = run(slow, data, *days)
        wanted = {spec.code for spec in slow.site.articles_on((1402, 5, 19), (1402, 5, 25))}
    assert process.returncode == 1 and "the run stopped early: shutdown" in paused
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    ids = article_ids(all_records(data))
    assert len(ids) == len(set(ids)) and set(ids) == wanted  # every article once, across the pause
    assert len(dumps(data)) == 2  # what the paused run wrote, and the rest


@pytest.mark.subprocess
@pytest.mark.parametrize("stop", ["ctrl-c twice", "kill -9"])
def test_a_jobdir_crawl_killed_outright_loses_no_article_on_the_next_run(tmp_path, stop):
    # Stopped without closing (Ctrl-C twice, kill -9), a crawl leaves Scrapy's saved queue without the requests in
    # flight while its duplicate filter may remember them: resumed as it was, a day archive page in flight was never
    # fetched again, nor its articles (25 of 28 articles, and the reruns said "healthy", the last with "0 pages").
    from tests.faultserver import FaultyIsnaServer

    data, job = tmp_path / "data", tmp_path / "job"
    days = ["-a", "from=1402-05-19", "-a", "to=1402-05-25", "-s", f"JOBDIR={job}"]
    stalled = "/archive?pi=1&ms=0&dy=23&mn=5&yr=1402"
    with running(FaultyIsnaServer(MockSite(), {stalled: "stall"})) as server:
        process = subprocess.Popen(command(server, data, *days), cwd=ROOT, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.PIPE, text=True)
        parts = lambda: list((data / "isna").glob(".isna-*.jsonl.part"))  # noqa: E731
        # stopped while the day's archive page is in flight, with articles of other days written
        wait_for(lambda: server.served.get(stalled) and parts() and parts()[0].read_bytes().count(b"\n") >= 3)
        if stop == "kill -9":
            process.kill()
        else:
            process.send_signal(signal.SIGINT)
            time.sleep(0.5)
            process.send_signal(signal.SIGINT)
        process.communicate(timeout=60)
        server.faults = {}
        rerun = run(server, data, *days)
        again = run(server, data, *days)
        wanted = {spec.code for spec in server.site.articles_on((1402, 5, 19), (1402, 5, 25))}
    assert "did not stop cleanly" in rerun.stderr and "starting afresh" in rerun.stderr
    ids = article_ids(all_records(data))
    assert len(ids) == len(set(ids)) and set(ids) == wanted  # every article once, across the stop
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    assert again.returncode == 0 and "did not stop cleanly" not in again.stderr  # the rerun stopped cleanly


@pytest.mark.subprocess
def test_the_summary_line_is_the_last_line_of_the_log(site, tmp_path):
    # Before, Scrapy's stats dump and "Spider closed" came after it: `tail -1` and cron mail missed it.
    result = run(site, tmp_path / "data", "-a", "from=1402-05-20", "-a", "to=1402-05-20", process=True)
    assert result.returncode == 0, result.stderr[-2000:]
    last = result.stderr.strip().splitlines()[-1]
    assert "[crawler.run] INFO: isna: 5 new article(s)" in last and last.endswith("exit 0: healthy"), last
