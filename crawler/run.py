"""One run of a spider, as cron sees it. Three Scrapy extensions, each with one job, on only in `scrapy crawl`
(RUN_CONTROL, set by crawler/commands/crawl.py):

- RunVerdict (here): the lock of an in-process run, and at the end the verdict: an exit status that means
  something, one line in DATA_DIR/runs.jsonl, one human summary line;
- IncrementalOutput (crawler/incremental.py): the seen-store, the run's output file and the recovery of what a killed
  run left (incremental mode, the default: no -o/-O; records go to DATA_DIR/<run>/<run>-<start>.jsonl, each
  article once across runs; with -o/-O the run is a standalone export);
- Progress (crawler/progress.py): the progress line while a person watches a terminal.

They find each other with `crawler.get_extension(...)`; the counters they read are named in crawler/counters.py.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from scrapy import signals
from scrapy.exceptions import NotConfigured

from crawler import counters
from crawler.config import Config, config_of, run_name_of
from crawler.dates import utc_now_iso
from crawler.distributed import SharedRun
from crawler.incremental import IncrementalOutput
from crawler.state import (
    AnotherRunInProgress,
    RunLock,
    StorageProblem,
    append_line,
    check_writable,
    coverage_of,
)
from crawler.state_redis import check_durability, open_store

logger = logging.getLogger(__name__)

# Fields whose coverage the verdict watches: missing on many article pages, they are the sign of a redesign.
COVERAGE_FIELDS = ("title", "body", "published_at", "news_id")

# Exit statuses of `scrapy crawl` (crawler/commands/crawl.py).
EXIT_OK = 0
EXIT_FAILED = 1
EXIT_LOCKED = 75  # EX_TEMPFAIL: another run of the spider is in progress; nothing was done


def logs_debug(config: Config) -> bool:
    """Whether the log shows DEBUG lines (LOG_LEVEL, a name or a number): tracebacks are for that level only."""
    level = config.log_level or "DEBUG"
    return (level if isinstance(level, int) else logging.getLevelName(str(level).upper())) == logging.DEBUG


def lock_path(data_dir: Path, spider: str) -> Path:
    return data_dir / spider / ".lock"


def rejects_dir(config: Config, spider: str) -> Path:
    return (config.rejects_dir or config.data_dir / "rejects") / spider


def preflight(config: Config, spider: str, incremental: bool) -> None:
    """Before anything is fetched: everything the run will write can be written (StorageProblem, naming the path,
    when not). A run that could not store what it fetched would only lose it, or write it twice later."""
    data_dir = config.data_dir
    check_writable(data_dir)
    check_writable(data_dir / spider)
    check_writable(data_dir / "runs.jsonl", is_file=True)
    check_writable(rejects_dir(config, spider))
    if incremental:
        open_store(config).close()  # SQLite under DATA_DIR, or Redis (REDIS_URL): reachable and writable
        if config.redis_url:
            warning = check_durability(config.redis_url, config.redis_namespace, data_dir,
                                       config.redis_require_persistence)
            if warning:
                logger.warning("%s", warning)


class _WithoutTraceback(logging.Filter):
    """A page that could not be fetched is one line: the reason is in the message, and the traceback of Twisted's
    connection error under it (16 lines of a cron mail) says nothing more. Kept at -L DEBUG."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.exc_info = record.exc_text = None
        return True


def install_short_fetch_errors() -> None:
    """Scrapy's robots.txt middleware logs a failed download with its traceback: one line instead."""
    robots = logging.getLogger("scrapy.downloadermiddlewares.robotstxt")
    if not any(isinstance(existing, _WithoutTraceback) for existing in robots.filters):
        robots.addFilter(_WithoutTraceback())


@dataclass(frozen=True)
class Verdict:
    status: int
    reason: str


def assess(stats: dict[str, Any], config: Config) -> Verdict:
    """Healthy or not, from a run's stats. A run that found nothing new is healthy; a run is failed when what it
    fetched could not all be stored, when nothing could be fetched, when too many pages failed, or when required
    fields went missing on too many article pages (the sign of a site redesign)."""
    errors = stats.get(counters.RECORDS_ERRORS, 0)
    if errors:
        return Verdict(EXIT_FAILED, f"{errors} record(s) could not be processed or stored (see the ERROR lines)")
    # Scrapy counts a callback's exception (the page's records and links lost with it) as spider_exceptions/<type>
    lost = {key.rpartition("/")[2]: count for key, count in stats.items()
            if key.startswith("spider_exceptions/") and count}
    if lost:
        kinds = ", ".join(f"{count} {kind}" for kind, count in sorted(lost.items()))
        return Verdict(EXIT_FAILED, f"{sum(lost.values())} page(s) lost to an error in the crawler ({kinds}; see the "
                                    "ERROR lines)")
    requests = stats.get("downloader/request_count", 0) - stats.get("robotstxt/request_count", 0)
    failed = stats.get(counters.PAGES_FAILED, 0)
    fetched = stats.get(counters.PAGES_FETCHED, 0)
    if (requests or failed) and not fetched:
        if failed and stats.get(counters.PAGES_FORBIDDEN, 0) == failed:
            return Verdict(EXIT_FAILED, f"nothing could be fetched: {stats[counters.PAGES_FORBIDDEN_EXAMPLE]}")
        last = stats.get(counters.RUN_LAST_PROBLEM)
        return Verdict(EXIT_FAILED, f"nothing could be fetched ({failed} of {failed} pages failed"
                                    + (f"; the last, {last}" if last else "") + ")")
    attempted = fetched + failed
    if failed >= config.run_min_errors and failed > config.run_max_error_share * attempted:
        return Verdict(EXIT_FAILED, f"{failed} of {attempted} pages failed")
    if stats.get(counters.ARCHIVE_EMPTY_LATEST, 0):
        return Verdict(EXIT_FAILED, "the latest-news archive page lists no articles (has the list layout changed?)")
    pages = stats.get(counters.ARTICLES_PAGES, 0)
    if pages >= config.run_min_article_pages:
        limit = config.run_max_missing_field_share
        missing = {name: stats.get(counters.missing(name), 0) for name in COVERAGE_FIELDS}
        bad = {name: count for name, count in missing.items() if count > limit * pages}
        if bad:
            listed = ", ".join(f"{name} on {count} of {pages}" for name, count in bad.items())
            return Verdict(EXIT_FAILED, f"required fields missing: {listed} article pages (has the article layout changed?)")
    return Verdict(EXIT_OK, "healthy")


def run_problem(stats: dict[str, Any], unsettled: list[tuple[str, str]]) -> str | None:
    """Why a run failed although no page failed too often, from the facts the spider stated in the stats: a single
    article that gave no record, articles left to another worker of a shared run that stopped without writing them
    (``unsettled``), a date range whose every day archive listed nothing (a redesign or a block, not a quiet week), a
    home page that led to no article. None when there is none."""
    article_url = stats.get(counters.RUN_ARTICLE_URL)
    extracted = stats.get(counters.ARTICLES_EXTRACTED, 0)
    if article_url and not extracted:
        return f"-a url={article_url} gave no record ({stats.get(counters.RUN_LAST_PROBLEM) or 'see the log'})"
    if article_url and stats.get(counters.RECORDS_REJECTED, 0) >= extracted:
        return (f"-a url={article_url} gave no valid record: "
                f"{stats.get(counters.RECORDS_REJECTED_EXAMPLE) or 'see the rejects file'}")
    if unsettled:
        return (f"{len(unsettled)} article(s) left to another worker of the shared run were not stored by it (it "
                f"stopped holding them: {', '.join(key for _, key in unsettled[:5])}); the next run fetches them")
    days = stats.get(counters.PROGRESS_DAYS_TOTAL) or 0
    if days and stats.get(counters.ARCHIVE_DAYS_EMPTY, 0) >= days and not extracted:
        return (f"every one of the {days} day archive(s) from {stats.get(counters.RUN_DAYS)} listed no articles (has "
                "the list layout changed, or is the crawler blocked?)")
    home = stats.get(counters.RUN_HOME_READ)
    if home and not article_url and not stats.get(counters.LISTED):
        return (f"{home}: no feed, sitemap or home-page link listed an article (is it a news site's home page, or is "
                "the crawler blocked?)")
    return None


def judge(stats: dict[str, Any], config: Config, close_reason: str, unsettled: list[tuple[str, str]],
          storage_problem: str | None) -> Verdict:
    """The run's verdict, from its stats and the facts of its end: why the spider closed, the articles a shared run
    left unsettled, and a seen-store or output that could not be written. A pure function: what a run did decides its
    exit status, whoever asks."""
    verdict = assess(stats, config)
    shared_problem = stats.get(counters.DISTRIBUTED_PROBLEM)
    if storage_problem or shared_problem:
        return Verdict(EXIT_FAILED, storage_problem or shared_problem)
    if close_reason != "finished":
        # stopped (a signal: Ctrl-C, `timeout`'s SIGTERM; a CLOSESPIDER_* limit): that is what the run says first,
        # not "nothing could be fetched" of requests it never had time to finish
        lost = stats.get(counters.PAGES_FAILED, 0) and verdict.status != EXIT_OK
        return Verdict(EXIT_FAILED, f"the run stopped early: {close_reason}" + (f"; {verdict.reason}" if lost else ""))
    problem = run_problem(stats, unsettled)
    if problem and not stats.get(counters.RECORDS_ERRORS):
        return Verdict(EXIT_FAILED, problem if verdict.status == EXIT_OK else f"{verdict.reason}; {problem}")
    return verdict


class RunVerdict:
    """The run as cron sees it (a Scrapy extension, on in `scrapy crawl` only: RUN_CONTROL): the lock when the crawl
    command has not taken it (a crawl started in-process), then at the end the verdict: `status`, the exit status the
    crawl command returns, one line in DATA_DIR/runs.jsonl and one summary line in the log. It commits the
    incremental output first (crawler/incremental.py), since a file that cannot be committed fails the run."""

    def __init__(self, crawler):
        self.crawler = crawler
        self.run_name = run_name_of(crawler)
        self.config = config = config_of(crawler.settings)
        self.data_dir = config.data_dir
        self.started_at = datetime.now(UTC)
        self._started = time.monotonic()
        self.status = EXIT_FAILED  # until the run is judged: a run that ended without a verdict did not succeed
        self.reason = "the run ended before it was judged"
        self.lock: RunLock | None = None
        # an export (-o/-O) writes nothing under DATA_DIR: no lock, no runs log line
        self.export = not config.incremental_output
        if not logs_debug(config):
            install_short_fetch_errors()
        if not config.run_lock_held and not self.export:
            self.lock = RunLock(lock_path(self.data_dir, self.run_name))
            self.lock.acquire()  # raises AnotherRunInProgress before anything is touched
        self.summary: tuple[int, str] | None = None  # (log level, the run's one summary line), once judged
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(self.engine_stopped, signal=signals.engine_stopped)
        crawler.signals.connect(self.item_error, signal=signals.item_error)

    @classmethod
    def from_crawler(cls, crawler):
        if not config_of(crawler.settings).run_control:
            # `scrapy parse`, `shell`, `check`, `bench`: no lock, no seen-store, no runs log, nothing under DATA_DIR.
            raise NotConfigured
        return cls(crawler)

    def item_error(self, item, response, spider, failure) -> None:
        """A pipeline raised (Scrapy has logged the traceback): the record is lost to this run, so the run failed."""
        self.crawler.stats.inc_value(counters.RECORDS_ERRORS)

    def spider_opened(self, spider) -> None:
        if self.export:
            spider.logger.info("run started: export to the -o/-O file(s)")

    def engine_stopped(self) -> None:
        """The summary line, last: after Scrapy's stats dump and "Spider closed", where cron mail and `tail -1` see
        it."""
        if self.summary is not None:
            logger.log(*self.summary)

    def spider_closed(self, spider, reason: str) -> None:
        incremental = self.crawler.get_extension(IncrementalOutput)
        try:
            self._close(spider, reason, incremental)
        except Exception:
            # The verdict must never be lost to a bug in the bookkeeping: the run failed, and says so.
            logger.exception("%s: the end-of-run bookkeeping failed", self.run_name)
            self.status, self.reason = EXIT_FAILED, "the end-of-run bookkeeping failed"
        finally:
            if incremental is not None:
                incremental.close()
            if self.lock is not None:
                self.lock.release()

    def _close(self, spider, reason: str, incremental) -> None:
        output = incremental.finish() if incremental is not None else None
        stats = self.crawler.stats.get_stats()
        try:
            unsettled = incremental.claims.unsettled() if incremental is not None else []
        except StorageProblem:
            unsettled = []  # the store is gone: the run fails for that, with its reason
        storage_problem = incremental.storage_problem if incremental is not None else None
        verdict = judge(stats, self.config, reason, unsettled, storage_problem)
        coverage = counters.coverage_seen(stats)  # what this process saw of the latest news
        shared = self._shared_run()
        # In a shared run no worker knows what the others stored: the last to leave moves the watermark, over what
        # the whole run covered (SharedRun.leave).
        if incremental is not None and verdict.status == EXIT_OK and shared is None:
            try:
                incremental.advance_coverage(spider.site.key, coverage_of([coverage]))
            except StorageProblem as problem:
                verdict = Verdict(EXIT_FAILED, str(problem))
        record = self._run_record(stats, verdict, output, reason, incremental)
        try:
            if not self.export:
                append_line(self.data_dir / "runs.jsonl", record)
        except StorageProblem as problem:
            verdict = Verdict(EXIT_FAILED, f"{verdict.reason}; and the runs log: {problem}"
                              if verdict.status != EXIT_OK else f"the runs log: {problem}")
        self.status, self.reason = verdict.status, verdict.reason
        whole = shared.leave(record, coverage) if shared is not None else None
        if whole is not None and whole.get("covered_until") and incremental is not None:
            try:
                incremental.advance_coverage(spider.site.key, whole["covered_until"])
            except StorageProblem as problem:
                logger.error("the watermark of the shared run: %s", problem)
                whole["covered_until"] = None
        if whole is not None:
            try:
                append_line(self.data_dir / "runs.jsonl", whole)
            except StorageProblem as problem:
                logger.error("the runs log: %s", problem)
            (logger.info if whole["exit_status"] == EXIT_OK else logger.error)(
                "%s: the last worker of the shared run %s: %d worker(s), %d new article(s), %d pages (%d failed); %s",
                self.run_name, whole["run_id"], whole.get("workers", 0), whole.get("new_articles", 0),
                whole.get("pages", 0), whole.get("failed_pages", 0), whole["exit_reason"])
        summary = (f"{self.run_name}: {record['new_articles']} new article(s), {record['revisions']} revision(s), "
                   f"{record['already_stored']} already stored, "
                   + (f"{record['skipped_before']} known from earlier runs to be no article, "
                      if record['skipped_before'] else "")
                   + f"{record['rejected']} rejected, "
                   f"{record['date_missing']} without a date, "
                   f"{record['retried']} retried, {record['given_up']} given up, "
                   f"{record['pages']} pages ({record['failed_pages']} failed) in {record['seconds']:.1f} s"
                   + (f", bounds hit ({', '.join(f'{name} x{count}' for name, count in bounds.items())})"
                      if (bounds := record['bounds_hit']) else "") +
                   f"{' -> ' + str(output) if output else ''}; exit {verdict.status}: {verdict.reason}")
        self.summary = (logging.INFO if verdict.status == EXIT_OK else logging.ERROR, summary)

    def _shared_run(self):
        return self.crawler.get_extension(SharedRun)

    def _run_record(self, stats: dict[str, Any], verdict: Verdict, output: Path | None, reason: str,
                    incremental) -> dict:
        pages = stats.get(counters.ARTICLES_PAGES, 0)
        coverage = {name: round(1 - stats.get(counters.missing(name), 0) / pages, 4) if pages else None
                    for name in COVERAGE_FIELDS}
        return {
            "spider": self.run_name,
            "started_at": self.started_at.replace(microsecond=0).isoformat().replace("+00:00", "Z"),
            "ended_at": utc_now_iso(),
            "seconds": round(time.monotonic() - self._started, 2),
            "arguments": getattr(self.crawler.spider, "arguments", {}),
            "mode": "incremental" if incremental is not None else "export",
            "pages": stats.get(counters.PAGES_FETCHED, 0) + stats.get(counters.PAGES_FAILED, 0),
            "failed_pages": stats.get(counters.PAGES_FAILED, 0),
            "article_pages": pages,
            "new_articles": (stats.get(counters.RECORDS_NEW, 0) if incremental is not None
                             else stats.get("item_scraped_count", 0)),
            "revisions": stats.get(counters.RECORDS_REVISIONS, 0),
            # articles a listing named that were stored already (not fetched), and records fetched again unchanged
            # (a listing counts the pages known to be no article among them: they are not articles stored)
            "already_stored": stats.get(counters.ARCHIVE_ALREADY_STORED, 0)
                              + stats.get(counters.RECORDS_ALREADY_STORED, 0),
            "skipped_before": stats.get(counters.ARCHIVE_SKIPPED_BEFORE, 0),
            "rejected": stats.get(counters.RECORDS_REJECTED, 0),
            "date_missing": stats.get(counters.RECORDS_DATE_MISSING, 0),
            "bounds_hit": {key.rpartition("/")[2]: count for key, count in stats.items()
                           if key.startswith(counters.bound_hit(""))},
            "skipped_pages": stats.get(counters.ARTICLES_SKIPPED, 0),
            "retried": stats.get(counters.ARTICLES_RETRIED, 0),
            "to_retry": stats.get(counters.ARTICLES_TO_RETRY, 0),
            "given_up": stats.get(counters.ARTICLES_GIVEN_UP, 0),
            "recovered": incremental.recovered if incremental is not None else 0,
            "field_coverage": coverage,
            "output": str(output) if output else None,
            "finish_reason": reason,
            "exit_status": verdict.status,
            "exit_reason": verdict.reason,
            **({"worker": shared.worker, "role": shared.role, "run_id": shared.run_id,
                "claimed_elsewhere": stats.get(counters.ARTICLES_CLAIMED_ELSEWHERE, 0)
                + stats.get(counters.RECORDS_CLAIMED_ELSEWHERE, 0)}
               if (shared := self._shared_run()) is not None else {}),
        }


__all__ = ["EXIT_LOCKED", "AnotherRunInProgress", "RunVerdict", "StorageProblem", "assess", "lock_path", "preflight"]
