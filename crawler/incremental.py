"""The incremental dump and what it needs between runs: the seen-store (each article written once across runs, a
changed one as a new revision), the run's output file (written as a `.part` and renamed when the run ends), the
recovery of what a killed run left, and the list of articles that failed for a reason that may pass. A record goes to
the file first and then to the store: at once with SQLite, in batches with Redis (IncrementalOutput.write).

A Scrapy extension, on only in `scrapy crawl` runs without -o/-O (RUN_CONTROL and INCREMENTAL_OUTPUT; NotConfigured
otherwise, so that `scrapy parse`, `shell`, `check`, `bench` and export runs touch nothing under DATA_DIR). The
spiders and the store pipeline find it with `crawler.get_extension(IncrementalOutput)`; the run's verdict
(crawler/run.py) commits its file at the end and moves the coverage watermark.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path

from scrapy import signals
from scrapy.exceptions import NotConfigured
from scrapy.utils.defer import deferred_from_coro
from scrapy.utils.reactor import CallLaterOnce

from crawler import counters
from crawler.config import config_of, run_name_of
from crawler.dates import utc_now_iso
from crawler.record import article_key
from crawler.state import (
    PartFile,
    StorageProblem,
    StoredArticle,
    claims_of,
    discard_part,
    final_path,
    fingerprint,
    part_path,
    recover_part_file,
)
from crawler.state_redis import open_store, worker_label, worker_name

logger = logging.getLogger(__name__)


class IncrementalOutput:
    def __init__(self, crawler):
        self.crawler = crawler
        self.run_name = run_name_of(crawler)
        self.config = config = config_of(crawler.settings)
        self.data_dir = config.data_dir
        self.started_at = datetime.now(UTC)
        self.recovered = 0
        self.storage_problem: str | None = None
        self.worker = worker_label() if config.distributed_role else None
        self.owner = worker_name()  # of the claims this worker takes (crawler/distributed.py)
        self.store = open_store(config)
        # Writes the store learns of in batches (Redis: one round trip for many); SQLite's are each at once.
        self.claims = claims_of(self.store)  # one worker per article, in a run shared by many machines
        self.write_batch = self.store.write_batch
        self._pending: list[tuple[tuple, tuple[str, ...]]] = []  # (put's arguments, the counters it raised)
        self._pending_entries: dict[tuple[str, str], StoredArticle] = {}
        self._batch_start = (0, 0)  # the output's size and lines before the first pending line
        self._flush_soon = CallLaterOnce(self._flush_in_time)
        try:
            self._recover()
        except StorageProblem as problem:
            self.storage_problem = str(problem)  # the run is stopped as soon as it opens
        self.output = PartFile(self._free_output_name())
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)

    @classmethod
    def from_crawler(cls, crawler):
        config = config_of(crawler.settings)
        if not (config.run_control and config.incremental_output):
            raise NotConfigured
        return cls(crawler)

    def _recover(self) -> None:
        """Complete the output of runs that were killed: their complete lines become a normal file, and the
        articles in them count as written (the store may have missed the last one)."""
        folder = self.data_dir / self.run_name
        for part in sorted(folder.glob(".*.jsonl.part")) if folder.is_dir() else []:
            elsewhere: list[str] = []

            def not_written_elsewhere(record: dict, final: str = final_path(part).name, elsewhere=elsewhere) -> bool:
                # A worker of a shared run killed before its write reached the store, and restarted after its claims
                # expired: another worker may have written the same article since. The union keeps one.
                stored = self.store.get(record.get("site") or self.run_name,
                                        article_key(record.get("news_id"), record.get("url")))
                if stored is not None and stored.file != final and stored.fingerprint == fingerprint(record):
                    elsewhere.append(f"{record.get('news_id') or record.get('url')} (in {stored.file})")
                    return False
                return True

            final, records, dropped = recover_part_file(part, not_written_elsewhere)
            if elsewhere:
                logger.warning("%d record(s) of an interrupted run were written by another worker since, and are "
                               "left out: %s", len(elsewhere), ", ".join(elsewhere[:5]))
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
            worker = f"-{self.worker}" if self.worker else ""  # a worker of a shared run: its own file
            candidate = folder / f"{self.run_name}-{stamp}{worker}{suffix}.jsonl"
            if not candidate.exists() and not part_path(candidate).exists():
                return candidate
        raise RuntimeError(f"no free output file name in {folder} for {stamp}")

    def stored_among(self, site: str, keys: list[str]) -> set[str]:
        return self.store.stored_among(site, keys)

    def skipped_among(self, site: str, keys: list[str]) -> set[str]:
        return self.store.skipped_among(site, keys)

    def remember_alias(self, site: str, key: str, article: str) -> None:
        """The page listed as ``key`` was read as the article ``article``: later listings of ``key`` are known once
        the article is stored."""
        try:
            self.store.alias(site, key, article)
        except StorageProblem as problem:
            self.storage_failed(problem)

    def remember_skipped(self, site: str, key: str, reason: str) -> None:
        """This page is no article: later runs do not fetch it again (its retry, if any, is forgotten)."""
        try:
            self.store.skip(site, key, reason, utc_now_iso())
        except StorageProblem as problem:
            self.storage_failed(problem)
        self.forget_failure(site, key)

    # -- the records written: on disk, then in the store -------------------------------------------------------------

    def stored_entry(self, site: str, key: str) -> StoredArticle | None:
        """What the store has of an article, or will have once the pending writes reach it."""
        pending = self._pending_entries.get((site, key))
        return pending if pending is not None else self.store.get(site, key)

    def write(self, site: str, key: str, record: dict, revision: int, counted: tuple[str, ...]) -> None:
        """The record on disk, then in the store, counted (``counted``: the counters it raises). With SQLite the
        store takes it at once, and when it cannot the line is taken back off the disk. With Redis the store takes
        the writes in batches (write_batch of them, or what WRITE_DELAY_SECONDS gathered): until then the line is
        on disk and the article claimed by this worker, so no other writes it, and a kill leaves it to the recovery
        of the .part file. When the store cannot take a batch, its lines are taken back. StorageProblem either way."""
        if len(self._pending) >= self.write_batch:
            self.flush()
        size, lines = self.output.size, self.output.lines
        self.output.write(record)
        arguments = (site, key, record, revision, self.output.final.name, utc_now_iso())
        if self.write_batch == 1:
            try:
                self.store.put(*arguments)
            except StorageProblem:
                self.output.take_back(size, lines)  # not in the store, so not on disk either: the next run writes it once
                raise
        else:
            if not self._pending:
                self._batch_start = (size, lines)
            self._pending.append((arguments, counted))
            self._pending_entries[(site, key)] = StoredArticle(revision, fingerprint(record), self.output.final.name)
            self._flush_soon.schedule(self.config.write_delay_seconds)
        for name in counted:
            self.crawler.stats.inc_value(name)

    def flush(self) -> None:
        """The pending writes into the store, all in one transaction; when it fails, their lines are taken back off
        the disk and their counters undone (StorageProblem)."""
        pending, self._pending, self._pending_entries = self._pending, [], {}
        if not pending:
            return
        try:
            with self.store.transaction():
                for arguments, _ in pending:
                    self.store.put(*arguments)
        except StorageProblem:
            self.output.take_back(*self._batch_start)
            for _, counted in pending:
                for name in counted:
                    self.crawler.stats.inc_value(name, -1)
            raise

    def _flush_in_time(self) -> None:
        try:
            self.flush()
        except StorageProblem as problem:
            self.storage_failed(problem)

    def is_known(self, site: str, key: str) -> bool:
        return self.store.has(site, key)

    # -- articles that failed for a reason that may pass ---------------------------------------------------------------

    def note_failure(self, site: str, key: str, url: str, listed_at: str | None, reason: str) -> None:
        """Remember an article this run could not store (fetch error, empty page, refused redirect, rejected record):
        the next latest-news runs try it again (RETRY_FAILED_ARTICLES times), then report it as given up."""
        try:
            attempts = self.store.note_failure(site, key, url, listed_at, reason, utc_now_iso())
            self.claims.release_claim(site, key, self.owner)  # this worker is done with it; another run may try
        except StorageProblem as problem:
            self.storage_failed(problem)
            return
        self.crawler.stats.inc_value(counters.ARTICLES_TO_RETRY)
        logger.debug("%s: failure %d, to be tried again by the next run: %s", url, attempts, reason)

    def forget_failure(self, site: str, key: str) -> None:
        try:
            self.store.forget_failure(site, key)
            self.claims.release_claim(site, key, self.owner)  # no article, or stored already: nothing to write
        except StorageProblem as problem:
            self.storage_failed(problem)

    def retries_due(self, site: str) -> list:
        """The site's failed articles to try again in this run; those tried too often are given up (and reported)."""
        due, limit = [], self.config.retry_failed_articles
        for retry in self.store.retries(site):
            if retry.attempts <= limit:
                due.append(retry)
                continue
            self.store.give_up(site, retry.key, utc_now_iso())
            self.crawler.stats.inc_value(counters.ARTICLES_GIVEN_UP)
            logger.warning("gave up on %s after %d failed attempt(s); the last: %s", retry.url, retry.attempts,
                           retry.reason)
        return due

    def storage_failed(self, problem: StorageProblem) -> None:
        """What was fetched can no longer be stored (a full disk, a store gone read-only): fail the run and stop it,
        since every further page would be lost. What is on disk stays, complete; the next run fetches the rest."""
        self.crawler.stats.inc_value(counters.RECORDS_ERRORS)
        if self.storage_problem is None:
            self.storage_problem = str(problem)
            logger.error("%s; stopping the run", problem)
            deferred_from_coro(self.crawler.engine.close_spider_async(reason="storage_failed"))

    def spider_opened(self, spider) -> None:
        if self.storage_problem:
            logger.error("%s; stopping the run", self.storage_problem)
            deferred_from_coro(self.crawler.engine.close_spider_async(reason="storage_failed"))
            return
        spider.logger.info("run started: incremental, to %s", self.output.final)

    # -- the end of the run (called by the verdict, crawler/run.py) ------------------------------------------------

    def finish(self) -> Path | None:
        """The run's file, complete and in place (None when nothing was written); a failure to commit it is a
        storage problem of the run."""
        self._flush_soon.cancel()
        try:
            self.flush()
        except StorageProblem as problem:
            logger.error("%s", problem)
            self.storage_problem = self.storage_problem or str(problem)
        try:
            return self.output.commit()
        except StorageProblem as problem:
            logger.error("%s", problem)
            self.storage_problem = self.storage_problem or str(problem)
            return None

    def advance_coverage(self, site: str, moment: str | None) -> None:
        """A healthy run moves the site's watermark to ``moment``, what it covered (crawler/state.py coverage_of);
        StorageProblem if it cannot."""
        if moment:
            self.store.set_covered_until(site, moment, utc_now_iso())

    def close(self) -> None:
        try:
            self.claims.release_claims()  # claims taken for pages this worker did not get to fetch: free at once
        except StorageProblem as problem:
            logger.warning("%s (the claims expire by themselves)", problem)
        self.store.close()
