"""One crawl on many machines: worker processes of `scrapy crawl isna -s REDIS_URL=...`, each with its own DATA_DIR,
against one real redis-server (started on a free port) and the mock ISNA site, which answers slowly enough that the
workers share the work. The union of their dumps must be the site's article set, each article once, through a
worker killed with SIGKILL and through Redis going away."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
from datetime import datetime
from pathlib import Path

import pytest

from tests.conftest import RedisServer
from tests.helpers import FAST, ROOT, SCRAPY
from tests.mocksite.server import MockIsnaServer
from tests.mocksite.site import MockSite, jalali_to_tehran, later_articles
from tests.serving import running

DAYS = ["-a", "from=1402-05-19", "-a", "to=1402-05-25"]
# Quick to notice a dead worker (three heartbeats) and to leave once nothing is left to do. Which worker does what
# and when one leaves are decided by events (the shared queue, the busy workers, a sign of life), not by these lengths
# of time, so a slow machine makes the run slower, not different.
SHARED = ["-s", "DISTRIBUTED_IDLE_SECONDS=1", "-s", "DISTRIBUTED_HEARTBEAT_SECONDS=1", "-s", "PROGRESS=off"]


def worker(server, redis_url: str, data: Path, *options: str, arguments: list[str] = DAYS) -> subprocess.Popen:
    log = (data.parent / f"{data.name}.log").open("a", encoding="utf-8")
    return subprocess.Popen([str(SCRAPY), "crawl", "isna", "-a", f"base_url={server.base_url}", *arguments,
                             "-s", f"REDIS_URL={redis_url}", "-s", f"DATA_DIR={data}", *FAST, *SHARED, *options],
                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=log, env={**os.environ, "PYTHONIOENCODING": "utf-8"})


def wait_until(condition, what: str, ceiling: float = 180) -> None:
    """Wait for an event (a file, a log line), with a generous ceiling: never for a length of time."""
    deadline = time.monotonic() + ceiling
    while not condition():
        assert time.monotonic() < deadline, f"{what}: not within {ceiling} s"
        time.sleep(0.05)


def started(server, *logs: Path) -> None:
    """Serve articles only once every worker whose log is given has opened its crawl of the shared run: which worker
    gets which articles then does not depend on how fast the machine starts processes."""
    server.articles_open.clear()
    try:
        wait_until(lambda: all(log.exists() and "of the shared run" in log.read_text(encoding="utf-8") for log in logs),
                   "the workers opening their crawls")
    finally:
        server.articles_open.set()


def log_of(data: Path) -> Path:
    return data.parent / f"{data.name}.log"


def dumped(data: Path) -> list[dict]:
    """Every complete record of a worker's dump files (a .part file is not a dump)."""
    return [json.loads(line) for path in sorted((data / "isna").glob("isna-*.jsonl"))
            for line in path.read_text(encoding="utf-8").splitlines()]


def wanted(site: MockSite) -> set[str]:
    return {spec.code for spec in site.articles_on((1402, 5, 19), (1402, 5, 25))}


@pytest.mark.subprocess
def test_three_workers_crawl_the_date_range_once_between_them(tmp_path, redis_url):
    site = MockSite()
    folders = [tmp_path / f"worker{number}" for number in range(3)]
    with running(MockIsnaServer(site, delay=0.25)) as server:
        server.articles_open.clear()
        # A worker fetches at most 4 pages at a time (CONCURRENT_REQUESTS_PER_DOMAIN): with 9 article pages asked
        # for at once, each of the three has one, however slow the machine is to run any of them.
        server.hold_articles_until(2 * 4 + 1)
        workers = [worker(server, redis_url, folder) for folder in folders]
        started(server, *map(log_of, folders))
        statuses = [process.wait(timeout=240) for process in workers]
    logs = [(tmp_path / f"{folder.name}.log").read_text(encoding="utf-8") for folder in folders]
    assert statuses == [0, 0, 0], logs[statuses.index(max(statuses))][-3000:]
    per_worker = [[record["news_id"] for record in dumped(folder)] for folder in folders]
    union = [news_id for ids in per_worker for news_id in ids]
    assert sorted(union) == sorted(wanted(site))  # every article, each once
    assert all(per_worker), [len(ids) for ids in per_worker]  # each worker wrote some of it
    assert sum("(leader)" in log for log in logs) == 1 and sum("(follower)" in log for log in logs) == 2
    # each worker's own file; the last worker to leave wrote the whole run's line
    names = [path.name for folder in folders for path in (folder / "isna").glob("*.jsonl")]
    assert all(re.match(r"^isna-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\dZ-[A-Za-z0-9.-]+-\d+\.jsonl$", name) for name in names)
    assert len(set(names)) == 3
    runs = [json.loads(line) for folder in folders if (folder / "runs.jsonl").exists()
            for line in (folder / "runs.jsonl").read_text(encoding="utf-8").splitlines()]
    whole = [run for run in runs if run.get("scope") == "run"]
    assert len(whole) == 1 and whole[0]["workers"] == 3 and whole[0]["new_articles"] == len(wanted(site))
    assert whole[0]["exit_status"] == 0
    assert {run["role"] for run in runs if run.get("scope") != "run"} == {"leader", "follower"}


@pytest.mark.subprocess
def test_a_worker_killed_in_the_middle_loses_nothing_and_a_rerun_writes_nothing_twice(tmp_path, redis_url):
    # Claims last CLAIM_SECONDS (300) here: a killed worker's claims must be taken over when its sign of life lapses
    # (three heartbeats), not when they expire, so an immediate rerun gets everything.
    site = MockSite()
    folders = [tmp_path / f"worker{number}" for number in range(3)]
    long_claims = ["-s", "CLAIM_SECONDS=300"]
    with running(MockIsnaServer(site, delay=0.3)) as server:
        workers = [worker(server, redis_url, folder, *long_claims) for folder in folders]
        # kill the second worker once it has written something (its run file is still a .part)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            parts = list((folders[1] / "isna").glob(".isna-*.jsonl.part")) if (folders[1] / "isna").is_dir() else []
            if parts and parts[0].stat().st_size > 0:
                break
            time.sleep(0.05)
        else:
            raise AssertionError("the second worker wrote nothing to kill it after")
        workers[1].send_signal(signal.SIGKILL)
        assert workers[1].wait(timeout=30) == -signal.SIGKILL
        others = [workers[0].wait(timeout=240), workers[2].wait(timeout=240)]
        rerun = [worker(server, redis_url, folder, *long_claims) for folder in folders]
        assert [process.wait(timeout=240) for process in rerun] == [0, 0, 0]
    # a survivor is healthy only if nothing it left to the killed worker went unwritten; else it says so
    for number, status in zip((0, 2), others, strict=True):
        log = (tmp_path / f"worker{number}.log").read_text(encoding="utf-8")
        assert status == 0 or "left to another worker of the shared run were not stored by it" in log, log[-3000:]
    union = [record["news_id"] for folder in folders for record in dumped(folder)]
    assert sorted(union) == sorted(wanted(site))  # nothing lost (the killed worker's lines recovered), nothing twice
    assert "recovered" in (tmp_path / "worker1.log").read_text(encoding="utf-8")


def test_claims_of_a_worker_whose_sign_of_life_lapsed_are_taken_over_and_counted_as_unsettled(redis_url):
    import redis as redis_client

    from crawler.state_redis import RedisStore

    client = redis_client.Redis.from_url(redis_url)
    holder, other = RedisStore(redis_url, alive_seconds=600), RedisStore(redis_url, alive_seconds=600)
    assert holder.claim_many("isna", ["id:1", "id:2"], "w1", 300) == {"id:1", "id:2"}
    assert other.claim_many("isna", ["id:1", "id:2"], "w2", 300) == set()  # w1 lives: its claims stand
    assert other.unsettled() == []  # ...and it may still write them
    holder.put("isna", "id:2", {"url": "https://www.isna.ir/news/2/", "news_id": "2"}, revision=1, file="f.jsonl",
               now="2026-12-01T10:00:00Z")
    client.delete("persian-news:alive:w1")  # w1 killed: its sign of life lapses
    assert other.unsettled() == [("isna", "id:1")]  # id:2 was stored before it died; id:1 is lost to this run
    assert other.claim_many("isna", ["id:1"], "w2", 300) == {"id:1"}  # taken over at once, not after 300 s
    assert other.unsettled() == []
    holder.close()
    other.close()


@pytest.mark.subprocess
def test_a_worker_that_left_articles_to_one_that_died_is_not_healthy(tmp_path, redis_url):
    # A worker skips two articles another worker holds; that worker dies without writing them. Before, the run said
    # "healthy" and the articles waited CLAIM_SECONDS (300) for anyone to fetch them.
    import redis as redis_client

    from crawler.state_redis import RedisStore

    site = MockSite()
    codes = sorted(wanted(site))[:2]
    holder = RedisStore(redis_url, alive_seconds=600)  # alive until the test kills it
    assert len(holder.claim_many("isna", [f"id:{code}" for code in codes], "doomed:1", 300)) == 2
    holder.close()
    data = tmp_path / "skipping"
    with running(MockIsnaServer(site)) as server:
        process = worker(server, redis_url, data, "-s", "CLAIM_SECONDS=300")
        part = lambda: list((data / "isna").glob(".isna-*.jsonl.part")) if (data / "isna").is_dir() else []  # noqa: E731
        deadline = time.monotonic() + 120  # every other article written: it has passed the two it left
        while time.monotonic() < deadline and not (part() and part()[0].read_bytes().count(b"\n") >= len(wanted(site)) - 2):
            time.sleep(0.05)
        redis_client.Redis.from_url(redis_url).delete("persian-news:alive:doomed:1")  # the holder dies
        status = process.wait(timeout=240)
        rerun = worker(server, redis_url, tmp_path / "rerun", "-s", "CLAIM_SECONDS=300").wait(timeout=240)
    log = (tmp_path / "skipping.log").read_text(encoding="utf-8")
    assert status == 1 and "2 article(s) left to another worker of the shared run were not stored by it" in log, \
        log[-3000:]
    assert rerun == 0 and sorted(r["news_id"] for r in dumped(tmp_path / "rerun")) == codes  # taken over at once


@pytest.mark.subprocess
def test_redis_going_away_stops_every_worker_with_the_reason_and_nothing_half_written(tmp_path):
    redis = RedisServer()
    site = MockSite()
    folders = [tmp_path / f"worker{number}" for number in range(2)]
    try:
        with running(MockIsnaServer(site, delay=0.4)) as server:
            server.articles_open.clear()
            workers = [worker(server, redis.url, folder) for folder in folders]
            started(server, *map(log_of, folders))  # Redis goes away while both work, not while one starts
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline and not any(
                    path.stat().st_size for folder in folders if (folder / "isna").is_dir()
                    for path in (folder / "isna").glob(".isna-*.part")):
                time.sleep(0.05)
            redis.stop()
            statuses = [process.wait(timeout=120) for process in workers]
    finally:
        redis.stop()
    logs = [(tmp_path / f"{folder.name}.log").read_text(encoding="utf-8") for folder in folders]
    assert statuses == [1, 1], [log[-2000:] for log in logs]
    for log in logs:
        assert f"Redis at redis://127.0.0.1:{redis.port}/0" in log and "exit 1: " in log
    for folder in folders:  # what was written is whole: committed files of complete lines, no .part left
        assert not list((folder / "isna").glob(".*.part"))
        for path in (folder / "isna").glob("*.jsonl"):
            for line in path.read_text(encoding="utf-8").splitlines():
                assert json.loads(line)["news_id"]
        # a batch of writes Redis did not take is off the disk and uncounted: the runs log counts what is in the files
        (run,) = [json.loads(line) for line in (folder / "runs.jsonl").read_text(encoding="utf-8").splitlines()]
        assert run["new_articles"] == len(dumped(folder))


@pytest.mark.subprocess
def test_an_article_a_live_worker_has_claimed_is_not_fetched_until_that_worker_is_gone(tmp_path, redis_url):
    import redis

    site = MockSite()
    codes = sorted(wanted(site))
    taken = codes[len(codes) // 2]
    # another worker claimed this article (it is fetching it) and is alive: its sign of life stands
    client = redis.Redis.from_url(redis_url)
    client.set(f"persian-news:claim:isna:id:{taken}", "other-host:1", ex=300)
    client.set("persian-news:alive:other-host:1", "1", ex=600)
    data = tmp_path / "worker0"
    with running(MockIsnaServer(site)) as server:
        assert worker(server, redis_url, data).wait(timeout=240) == 0  # left to a live worker: healthy
        first = [path for path in server.requests if taken in path]
        client.delete("persian-news:alive:other-host:1")  # that worker is gone
        assert worker(server, redis_url, data).wait(timeout=240) == 0
        second = [path for path in server.requests if taken in path and path not in first]
    ids = [record["news_id"] for record in dumped(data)]
    assert not [path for path in first if path.startswith("/news/")]  # not fetched while claimed
    assert second and sorted(ids) == codes  # fetched once its holder was gone (the claim had 300 s left)


@pytest.mark.subprocess
def test_a_worker_that_stops_early_hands_back_what_it_took_and_the_others_finish_the_run(tmp_path, redis_url):
    site = MockSite()
    folders = [tmp_path / "stops", tmp_path / "stays"]
    with running(MockIsnaServer(site, delay=0.3)) as server:
        server.articles_open.clear()
        stays = worker(server, redis_url, folders[1])
        stops = worker(server, redis_url, folders[0], "-s", "CLOSESPIDER_ITEMCOUNT=3")
        started(server, *map(log_of, folders))
        statuses = [stops.wait(timeout=240), stays.wait(timeout=240)]
    logs = [(tmp_path / f"{folder.name}.log").read_text(encoding="utf-8") for folder in folders]
    assert statuses == [1, 0], [log[-2000:] for log in logs]
    assert "the run stopped early: closespider_itemcount" in logs[0]
    union = [record["news_id"] for folder in folders for record in dumped(folder)]
    assert sorted(union) == sorted(wanted(site)), logs[0][-3000:]  # in the same run: nothing lost, nothing twice


@pytest.mark.subprocess
def test_a_worker_talks_to_redis_less_than_once_per_article(tmp_path, redis_url):
    """Every round trip to Redis costs the worker and the server CPU. Requests go to the shared queue a page's worth
    at a time and are taken TAKE_AT_ONCE at a time (8, when the worker fetches 8 at once), with their articles'
    claims; the articles written go to the store write_batch at a time, each with its claim's release and its retry
    entry. Round trips counted with MONITOR (a MULTI ... EXEC block is one; the commands scripts run are none): 0.9
    per article for 300 articles, the start, the heartbeats and a second of idle wait included; 6.6 before the
    batching."""
    site = MockSite(later_articles(300, jalali_to_tehran(1402, 5, 20)), page_size=20)
    log = tmp_path / "monitor.log"
    with log.open("w") as out:
        monitor = subprocess.Popen(["redis-cli", "-u", redis_url, "monitor"], stdout=out)
    try:
        wait_until(lambda: log.read_text().startswith("OK"), "redis-cli monitor attaching")
        with running(MockIsnaServer(site)) as server:
            assert worker(server, redis_url, tmp_path / "worker0", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=8",
                          "-s", "DISTRIBUTED_IDLE_SECONDS=1").wait(timeout=240) == 0
    finally:
        monitor.terminate()
        monitor.wait()
    trips, in_transaction = 0, False
    for line in log.read_text().splitlines():
        if '"' not in line or "[0 lua]" in line:
            continue
        command = line.split('"')[1].lower()
        trips += command == "multi" or not (in_transaction or command == "exec")
        in_transaction = command == "multi" or (in_transaction and command != "exec")
    articles = len(dumped(tmp_path / "worker0"))
    assert articles == len(wanted(site))
    assert trips / articles < 1.2, (trips, articles)


@pytest.mark.subprocess
def test_shared_latest_news_runs_move_the_watermark_together_and_page_back_to_it(tmp_path, redis_url, isna_site):
    """Cron starting the latest-news crawl on two machines: each run's listing pages go to whichever worker is free,
    every worker pages back as far as the last run left the archive complete, and the last worker to leave moves the
    watermark to what the run covered between them."""
    import redis

    from crawler.dates import jalali_to_tehran

    server = isna_site
    folders = [tmp_path / "worker0", tmp_path / "worker1"]

    def shared_run(number: int) -> list[str]:
        for folder in folders:
            log_of(folder).unlink(missing_ok=True)
        server.articles_open.clear()
        workers = [worker(server, redis_url, folder, arguments=[]) for folder in folders]
        started(server, *map(log_of, folders))
        statuses = [process.wait(timeout=240) for process in workers]
        logs = [(tmp_path / f"{folder.name}.log").read_text(encoding="utf-8") for folder in folders]
        assert statuses == [0, 0], [log[-2000:] for log in logs]
        whole = [json.loads(line) for folder in folders if (folder / "runs.jsonl").exists()
                 for line in (folder / "runs.jsonl").read_text(encoding="utf-8").splitlines()
                 if json.loads(line).get("scope") == "run"]
        assert len(whole) == number and whole[-1]["joined"] == 2
        return logs

    def watermark() -> datetime:
        value = redis.Redis.from_url(redis_url).hget("persian-news:coverage", "isna")
        return datetime.fromisoformat(value.decode())

    shared_run(1)
    listed = server.site.newest_first()[: 3 * server.site.page_size]  # a first run reads three archive pages
    first = [record["news_id"] for folder in folders for record in dumped(folder)]
    assert sorted(first) == sorted(spec.code for spec in listed if spec.is_article)
    assert watermark() == listed[0].published

    fresh = later_articles(21, jalali_to_tehran(1402, 5, 26, 8, 0))  # more archive pages of news than a first run reads
    server.site.publish(*fresh)
    logs = shared_run(2)
    assert all("incremental: paging back to" in log for log in logs)  # the follower too, as it opens
    assert "caught up: went back" in "".join(logs)
    union = [record["news_id"] for folder in folders for record in dumped(folder)]
    assert sorted(union) == sorted(first + [spec.code for spec in fresh])  # the new ones, each once
    assert watermark() == max(spec.published for spec in fresh)


@pytest.mark.subprocess
def test_a_killed_worker_restarted_late_leaves_out_what_another_worker_wrote_meanwhile(tmp_path, redis_url):
    """A worker killed after writing articles to its .part file but before its writes reached Redis, restarted after
    its claims expired: another worker has written those articles since. Its recovery keeps only the others."""
    site = MockSite()
    folders = [tmp_path / "worker0", tmp_path / "worker1"]
    with running(MockIsnaServer(site)) as server:
        assert worker(server, redis_url, folders[0]).wait(timeout=240) == 0
        written = dumped(folders[0])
        unknown = dict(written[2], news_id="1402052599999", url=written[2]["url"].replace(written[2]["news_id"], "1402052599999"))
        part = folders[1] / "isna" / ".isna-2026-01-01T00-00-00Z-otherhost-1.jsonl.part"
        part.parent.mkdir(parents=True)
        part.write_text("".join(json.dumps(record, ensure_ascii=False) + "\n" for record in (written[0], written[1], unknown))
                        + '{"news_id": "14020', encoding="utf-8")  # the line being written when it was killed
        assert worker(server, redis_url, folders[1]).wait(timeout=240) == 0
    log = (tmp_path / "worker1.log").read_text(encoding="utf-8")
    assert "2 record(s) of an interrupted run were written by another worker since" in log
    recovered = folders[1] / "isna" / "isna-2026-01-01T00-00-00Z-otherhost-1.jsonl"
    assert [json.loads(line)["news_id"] for line in recovered.read_text(encoding="utf-8").splitlines()] == ["1402052599999"]
    union = [record["news_id"] for folder in folders for record in dumped(folder)]
    assert sorted(union) == sorted(wanted(site) | {"1402052599999"})  # each once


@pytest.mark.subprocess
def test_a_worker_stays_while_the_run_has_work_even_when_the_queue_runs_dry_between_pages(tmp_path, redis_url):
    """A latest-news run on polite workers: the archive pages come one after another, so the shared queue is empty for
    moments while a worker reads the next page. A worker leaves only after the queue has been empty and it has had
    nothing to do for DISTRIBUTED_IDLE_SECONDS in a row, not when those moments add up."""
    site = MockSite(later_articles(40, jalali_to_tehran(1402, 5, 20)), page_size=4)
    folders = [tmp_path / "worker0", tmp_path / "worker1"]
    polite = ["-s", "CONCURRENT_REQUESTS_PER_DOMAIN=1", "-s", "DISTRIBUTED_IDLE_SECONDS=1.5"]
    with running(MockIsnaServer(site, delay=0.3)) as server:
        server.articles_open.clear()
        workers = [worker(server, redis_url, folder, *polite, arguments=["-a", "pages=10"]) for folder in folders]
        started(server, *map(log_of, folders))
        assert [process.wait(timeout=240) for process in workers] == [0, 0]
    runs = [json.loads((folder / "runs.jsonl").read_text(encoding="utf-8").splitlines()[0]) for folder in folders]
    assert min(run["seconds"] for run in runs) > 6  # the run takes a while: ten pages, one request at a time
    records = [record for folder in folders for record in dumped(folder)]
    # both stayed to the end: neither left before the last article of the run was written, by either
    assert min(run["ended_at"] for run in runs) >= max(record["crawled_at"] for record in records), runs
    assert sorted(record["news_id"] for record in records) == sorted(spec.code for spec in site.articles)


@pytest.mark.subprocess
def test_a_redis_that_came_back_empty_stops_the_run_instead_of_writing_every_article_again(tmp_path, redis_server):
    # kill -9 of a redis-server without persistence, restarted empty: the rerun wrote all 28 articles again, unseen.
    redis_server.client.flushall()
    site = MockSite()
    data = tmp_path / "worker"
    with running(MockIsnaServer(site)) as server:
        assert worker(server, redis_server.url, data).wait(timeout=240) == 0
        first = dumped(data)
        redis_server.client.flushall()  # what a restart without persistence leaves
        refused = worker(server, redis_server.url, data).wait(timeout=240)
    log = (tmp_path / "worker.log").read_text(encoding="utf-8")
    assert sorted(record["news_id"] for record in first) == sorted(wanted(site))
    assert refused == 1 and dumped(data) == first  # nothing written twice
    assert "does not hold the seen-store this data folder last used" in log
    assert str(data / ".redis-store-persian-news") in log  # and what to do about it


@pytest.mark.subprocess
def test_a_redis_without_persistence_is_a_warning_and_with_redis_require_persistence_a_refusal(tmp_path, redis_server):
    redis_server.client.flushall()
    redis_server.client.config_set("appendonly", "no")
    with running(MockIsnaServer(MockSite())) as server:
        warned = worker(server, redis_server.url, tmp_path / "warned", arguments=["-a", "from=1402-05-19", "-a",
                                                                                  "to=1402-05-19"]).wait(timeout=240)
        refused = worker(server, redis_server.url, tmp_path / "refused", "-s", "REDIS_REQUIRE_PERSISTENCE=1").wait(timeout=240)
        redis_server.client.config_set("appendonly", "yes")
        try:
            quiet = worker(server, redis_server.url, tmp_path / "quiet", "-s", "REDIS_REQUIRE_PERSISTENCE=1",
                           arguments=["-a", "from=1402-05-20", "-a", "to=1402-05-20"]).wait(timeout=240)
        finally:
            redis_server.client.config_set("appendonly", "no")
    logs = {name: (tmp_path / f"{name}.log").read_text(encoding="utf-8") for name in ("warned", "refused", "quiet")}
    assert warned == 0 and "WARNING" in logs["warned"] and "keeps no append-only file" in logs["warned"]
    assert refused == 1 and "REDIS_REQUIRE_PERSISTENCE is set" in logs["refused"] and not dumped(tmp_path / "refused")
    assert quiet == 0 and "append-only" not in logs["quiet"], logs["quiet"][-2000:]
