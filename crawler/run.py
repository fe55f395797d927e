"""One run of a spider, as cron sees it: the lock, recovery of what a killed run left, the seen-store and the
run's output file (incremental mode), and at the end a verdict: an exit status that means something, one line
in DATA_DIR/runs.jsonl, one human summary line, and a progress line while a person watches a terminal.

Incremental mode is the default output (no -o/-O): records go to DATA_DIR/<spider>/<spider>-<start>.jsonl, each
article once across runs. With -o/-O the run is a standalone export: everything found is written there.
"""

from __future__ import annotations

import logging
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from scrapy import signals
from scrapy.exceptions import NotConfigured
from scrapy.utils.defer import deferred_from_coro
from twisted.internet import task

from crawler.dates import utc_now_iso
from crawler.record import article_key
from crawler.state import (
    AnotherRunInProgress,
    PartFile,
    RunLock,
    SeenStore,
    StorageProblem,
    append_line,
    check_writable,
    discard_part,
    fingerprint,
    part_path,
    recover_part_file,
)

logger = logging.getLogger(__name__)

# Fields whose coverage the verdict watches: missing on many article pages, they are the sign of a redesign.
COVERAGE_FIELDS = ("title", "body", "published_at", "news_id")

# Exit statuses of `scrapy crawl` (crawler/commands/crawl.py).
EXIT_OK = 0
EXIT_FAILED = 1
EXIT_LOCKED = 75  # EX_TEMPFAIL: another run of the spider is in progress; nothing was done


def run_name_of(crawler) -> str:
    """What names a run's lock, folder and files: the spider's name, or what the crawl command set as RUN_NAME (the
    spider's run_name() for its arguments: `news-example.ir` for `scrapy crawl news -a site_url=https://example.ir/`)."""
    return crawler.settings.get("RUN_NAME") or crawler.spidercls.name


def lock_path(data_dir: Path, spider: str) -> Path:
    return data_dir / spider / ".lock"


def rejects_dir(settings, spider: str) -> Path:
    return Path(settings.get("REJECTS_DIR") or Path(settings.get("DATA_DIR")) / "rejects") / spider


def preflight(settings, spider: str, incremental: bool) -> None:
    """Before anything is fetched: everything the run will write can be written (StorageProblem, naming the path,
    when not). A run that could not store what it fetched would only lose it, or write it twice later."""
    data_dir = Path(settings.get("DATA_DIR"))
    check_writable(data_dir)
    check_writable(data_dir / spider)
    check_writable(data_dir / "runs.jsonl", is_file=True)
    check_writable(rejects_dir(settings, spider))
    if incremental:
        SeenStore(data_dir / "state.sqlite3").close()


@dataclass(frozen=True)
class Verdict:
    status: int
    reason: str


def assess(stats: dict[str, Any], settings) -> Verdict:
    """Healthy or not, from a run's stats. A run that found nothing new is healthy; a run is failed when what it
    fetched could not all be stored, when nothing could be fetched, when too many pages failed, or when required
    fields went missing on too many article pages (the sign of a site redesign)."""
    errors = stats.get("records/errors", 0)
    if errors:
        return Verdict(EXIT_FAILED, f"{errors} record(s) could not be processed or stored (see the ERROR lines)")
    requests = stats.get("downloader/request_count", 0) - stats.get("robotstxt/request_count", 0)
    failed = stats.get("pages/failed", 0)
    fetched = stats.get("pages/fetched", 0)
    if (requests or failed) and not fetched:
        if failed and stats.get("pages/forbidden", 0) == failed:
            return Verdict(EXIT_FAILED, f"nothing could be fetched: {stats['pages/forbidden_example']}")
        return Verdict(EXIT_FAILED, f"nothing could be fetched ({failed} of {failed} pages failed)")
    attempted = fetched + failed
    if failed >= settings.getint("RUN_MIN_ERRORS") and failed > settings.getfloat("RUN_MAX_ERROR_SHARE") * attempted:
        return Verdict(EXIT_FAILED, f"{failed} of {attempted} pages failed")
    if stats.get("archive/empty_latest", 0):
        return Verdict(EXIT_FAILED, "the latest-news archive page lists no articles (has the list layout changed?)")
    pages = stats.get("articles/pages", 0)
    if pages >= settings.getint("RUN_MIN_ARTICLE_PAGES"):
        limit = settings.getfloat("RUN_MAX_MISSING_FIELD_SHARE")
        missing = {name: stats.get(f"articles/missing/{name}", 0) for name in COVERAGE_FIELDS}
        bad = {name: count for name, count in missing.items() if count > limit * pages}
        if bad:
            listed = ", ".join(f"{name} on {count} of {pages}" for name, count in bad.items())
            return Verdict(EXIT_FAILED, f"required fields missing: {listed} article pages (has the article layout changed?)")
    return Verdict(EXIT_OK, "healthy")


class RunManager:
    """A Scrapy extension; the spider and the store pipeline reach it as `crawler.run_state`."""

    def __init__(self, crawler):
        self.crawler = crawler
        settings = crawler.settings
        self.run_name = run_name_of(crawler)
        self.data_dir = Path(settings.get("DATA_DIR"))
        self.incremental = settings.getbool("INCREMENTAL_OUTPUT")
        self.started_at = datetime.now(UTC)
        self._started = time.monotonic()
        self.lock: RunLock = getattr(crawler, "run_lock", None) or RunLock(lock_path(self.data_dir, self.run_name))
        if not self.lock.held:
            self.lock.acquire()  # raises AnotherRunInProgress before anything is touched
        self.store: SeenStore | None = None
        self.output: PartFile | None = None
        self.recovered = 0
        self._progress: task.LoopingCall | None = None
        self.storage_problem: str | None = None
        if self.incremental:
            self.store = SeenStore(self.data_dir / "state.sqlite3")
            try:
                self._recover()
            except StorageProblem as problem:
                self.storage_problem = str(problem)  # the run is stopped as soon as it opens
            self.output = PartFile(self._free_output_name())
        crawler.run_state = self
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(self.item_error, signal=signals.item_error)

    @classmethod
    def from_crawler(cls, crawler):
        if not crawler.settings.getbool("RUN_CONTROL"):
            # `scrapy parse`, `shell`, `check`, `bench`: no lock, no seen-store, no runs log, nothing under DATA_DIR.
            raise NotConfigured
        return cls(crawler)

    # -- incremental state ---------------------------------------------------------------------------------

    def _recover(self) -> None:
        """Complete the output of runs that were killed: their complete lines become a normal file, and the
        articles in them count as written (the store may have missed the last one)."""
        folder = self.data_dir / self.run_name
        for part in sorted(folder.glob(".*.jsonl.part")) if folder.is_dir() else []:
            final, records, dropped = recover_part_file(part)
            now = utc_now_iso()
            with self.store.transaction():
                for record in records:
                    key = article_key(record.get("news_id"), record.get("url"))
                    stored = self.store.get(record.get("site") or self.run_name, key)
                    if stored is None or stored.fingerprint != fingerprint(record):
                        self.store.put(record.get("site") or self.run_name, key, record,
                                       record.get("revision") or 1, final.name, now)
            discard_part(part)
            self.recovered += len(records)
            logger.warning("recovered %d record(s) of an interrupted run into %s%s", len(records), final,
                           f" ({dropped} incomplete line(s) dropped; those articles will be fetched again)" if dropped else "")

    def _free_output_name(self) -> Path:
        """data/<spider>/<spider>-<UTC start>.jsonl, with -2, -3... when a run that started in the same second
        already used the name (a rename must never replace an earlier run's file)."""
        stamp = self.started_at.strftime("%Y-%m-%dT%H-%M-%SZ")
        folder = self.data_dir / self.run_name
        for number in range(1, 1000):
            suffix = "" if number == 1 else f"-{number}"
            candidate = folder / f"{self.run_name}-{stamp}{suffix}.jsonl"
            if not candidate.exists() and not part_path(candidate).exists():
                return candidate
        raise RuntimeError(f"no free output file name in {folder} for {stamp}")

    def is_known(self, site: str, key: str) -> bool:
        return bool(self.store and self.store.has(site, key))

    # -- articles that failed for a reason that may pass ---------------------------------------------------------------

    def note_failure(self, site: str, key: str, url: str, listed_at: str | None, reason: str) -> None:
        """Remember an article this run could not store (fetch error, empty page, refused redirect, rejected record):
        the next latest-news runs try it again (RETRY_FAILED_ARTICLES times), then report it as given up."""
        if self.store is None:
            return
        try:
            attempts = self.store.note_failure(site, key, url, listed_at, reason, utc_now_iso())
        except StorageProblem as problem:
            self.storage_failed(problem)
            return
        self.crawler.stats.inc_value("articles/to_retry")
        logger.debug("%s: failure %d, to be tried again by the next run: %s", url, attempts, reason)

    def forget_failure(self, site: str, key: str) -> None:
        if self.store is not None:
            try:
                self.store.forget_failure(site, key)
            except StorageProblem as problem:
                self.storage_failed(problem)

    def retries_due(self, site: str) -> list:
        """The site's failed articles to try again in this run; those tried too often are given up (and reported)."""
        if self.store is None:
            return []
        due, limit = [], self.crawler.settings.getint("RETRY_FAILED_ARTICLES")
        for retry in self.store.retries(site):
            if retry.attempts <= limit:
                due.append(retry)
                continue
            self.store.give_up(site, retry.key, utc_now_iso())
            self.crawler.stats.inc_value("articles/given_up")
            logger.warning("gave up on %s after %d failed attempt(s); the last: %s", retry.url, retry.attempts,
                           retry.reason)
        return due

    def storage_failed(self, problem: StorageProblem) -> None:
        """What was fetched can no longer be stored (a full disk, a store gone read-only): fail the run and stop it,
        since every further page would be lost. What is on disk stays, complete; the next run fetches the rest."""
        self.crawler.stats.inc_value("records/errors")
        if self.storage_problem is None:
            self.storage_problem = str(problem)
            logger.error("%s; stopping the run", problem)
            deferred_from_coro(self.crawler.engine.close_spider_async(reason="storage_failed"))

    def item_error(self, item, response, spider, failure) -> None:
        """A pipeline raised (Scrapy has logged the traceback): the record is lost to this run, so the run failed."""
        self.crawler.stats.inc_value("records/errors")

    # -- signals -------------------------------------------------------------------------------------------------

    def spider_opened(self, spider) -> None:
        if self.storage_problem:
            logger.error("%s; stopping the run", self.storage_problem)
            deferred_from_coro(self.crawler.engine.close_spider_async(reason="storage_failed"))
            return
        mode = "incremental, to " + str(self.output.final) if self.incremental else "export to the -o/-O file(s)"
        spider.logger.info("run started: %s", mode)
        if _show_progress(self.crawler.settings.get("PROGRESS")):
            self._progress = task.LoopingCall(self._print_progress)
            self._progress.start(2.0, now=False)

    def _print_progress(self) -> None:
        stats = self.crawler.stats
        days_total = stats.get_value("progress/days_total")
        written = stats.get_value("records/written", 0) if self.incremental else stats.get_value("item_scraped_count", 0)
        parts = []
        if days_total:
            parts.append(f"{stats.get_value('progress/days_done', 0)}/{days_total} days")
        parts += [f"{stats.get_value('archive/pages', 0)} archive pages", f"{written} articles",
                  f"{stats.get_value('pages/failed', 0)} failed pages"]
        sys.stderr.write(f"\r[{self.run_name}] " + ", ".join(parts) + "   ")
        sys.stderr.flush()

    def spider_closed(self, spider, reason: str) -> None:
        try:
            self._close(spider, reason)
        except Exception:
            # The verdict must never be lost to a bug in the bookkeeping: the run failed, and says so.
            logger.exception("%s: the end-of-run bookkeeping failed", self.run_name)
            self.crawler.exit_status = EXIT_FAILED
        finally:
            if self.store:
                self.store.close()
            self.lock.release()

    def _close(self, spider, reason: str) -> None:
        if self._progress is not None and self._progress.running:
            self._progress.stop()
            self._print_progress()  # the final state, whatever the last tick showed
            sys.stderr.write("\n")
        output = None
        try:
            output = self.output.commit() if self.output else None
        except StorageProblem as problem:
            logger.error("%s", problem)
            self.storage_problem = self.storage_problem or str(problem)
        stats = self.crawler.stats.get_stats()
        verdict = assess(stats, self.crawler.settings)
        problem = getattr(spider, "run_problem", lambda: None)()
        if self.storage_problem:
            verdict = Verdict(EXIT_FAILED, self.storage_problem)
        elif problem and not stats.get("records/errors"):
            verdict = Verdict(EXIT_FAILED, problem if verdict.status == EXIT_OK else f"{verdict.reason}; {problem}")
        elif reason not in ("finished",) and verdict.status == EXIT_OK:
            verdict = Verdict(EXIT_FAILED, f"the run stopped early: {reason}")
        if self.incremental and verdict.status == EXIT_OK:
            try:
                self._advance_coverage(spider)
            except StorageProblem as problem:
                verdict = Verdict(EXIT_FAILED, str(problem))
        record = self._run_record(stats, verdict, output, reason)
        try:
            append_line(self.data_dir / "runs.jsonl", record)
        except StorageProblem as problem:
            verdict = Verdict(EXIT_FAILED, f"{verdict.reason}; and the runs log: {problem}"
                              if verdict.status != EXIT_OK else f"the runs log: {problem}")
        self.crawler.exit_status = verdict.status
        summary = (f"{self.run_name}: {record['new_articles']} new article(s), {record['revisions']} revision(s), "
                   f"{record['already_stored']} already stored, {record['rejected']} rejected, "
                   f"{record['retried']} retried, {record['given_up']} given up, "
                   f"{record['pages']} pages ({record['failed_pages']} failed) in {record['seconds']:.1f} s"
                   f"{' -> ' + str(output) if output else ''}; exit {verdict.status}: {verdict.reason}")
        (logger.info if verdict.status == EXIT_OK else logger.error)(summary)

    def _advance_coverage(self, spider) -> None:
        moment = getattr(spider, "coverage_reached", lambda: None)()
        if moment:
            self.store.set_covered_until(spider.site.key, moment, utc_now_iso())

    def _run_record(self, stats: dict[str, Any], verdict: Verdict, output: Path | None, reason: str) -> dict:
        pages = stats.get("articles/pages", 0)
        coverage = {name: round(1 - stats.get(f"articles/missing/{name}", 0) / pages, 4) if pages else None
                    for name in COVERAGE_FIELDS}
        return {
            "spider": self.run_name,
            "started_at": self.started_at.replace(microsecond=0).isoformat().replace("+00:00", "Z"),
            "ended_at": utc_now_iso(),
            "seconds": round(time.monotonic() - self._started, 2),
            "arguments": getattr(self.crawler.spider, "arguments", {}),
            "mode": "incremental" if self.incremental else "export",
            "pages": stats.get("pages/fetched", 0) + stats.get("pages/failed", 0),
            "failed_pages": stats.get("pages/failed", 0),
            "article_pages": pages,
            "new_articles": stats.get("records/new", 0) if self.incremental else stats.get("item_scraped_count", 0),
            "revisions": stats.get("records/revisions", 0),
            "already_stored": stats.get("records/already_stored", 0),
            "rejected": stats.get("records/rejected", 0),
            "skipped_pages": stats.get("articles/skipped", 0),
            "retried": stats.get("articles/retried", 0),
            "to_retry": stats.get("articles/to_retry", 0),
            "given_up": stats.get("articles/given_up", 0),
            "recovered": self.recovered,
            "field_coverage": coverage,
            "output": str(output) if output else None,
            "finish_reason": reason,
            "exit_status": verdict.status,
            "exit_reason": verdict.reason,
        }


def _show_progress(setting: str | None) -> bool:
    if setting == "on":
        return True
    if setting == "off":
        return False
    return sys.stderr.isatty()


__all__ = ["AnotherRunInProgress", "RunManager", "StorageProblem", "assess", "lock_path", "preflight", "EXIT_LOCKED"]
