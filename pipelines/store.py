"""The incremental dump: each article written once across runs; a changed article as a new revision.

Active only in incremental mode (no -o/-O): the record goes to the run's output file (crawler/state.PartFile,
renamed into place when the run ends) and then into the seen-store, in that order (with Redis, a batch of writes at a
time: crawler/incremental.py), so the store never claims an article whose line is not on disk; when the store cannot
take it, the line is taken back off the disk. A write that
fails (a full disk) fails and stops the run (crawler/run.py): nothing half-written stays, nothing is claimed. An article already stored with the same text and modification time is dropped.
"""

from __future__ import annotations


from scrapy.exceptions import DropItem, NotConfigured

from crawler import counters
from crawler.config import config_of
from crawler.incremental import IncrementalOutput
from crawler.record import Record
from crawler.state import StorageProblem
from crawler.state_redis import worker_name


class StorePipeline:
    def __init__(self, crawler, state: IncrementalOutput):
        self.crawler = crawler
        self.state = state
        self.owner = worker_name()
        self.claim_seconds = config_of(crawler.settings).claim_seconds

    @classmethod
    def from_crawler(cls, crawler):
        state = crawler.get_extension(IncrementalOutput)
        if state is None:
            # An export run (-o/-O): records go to the feed. No message, so that Scrapy logs no warning for it.
            raise NotConfigured
        return cls(crawler, state)

    def process_item(self, item: Record) -> Record:
        """The record written once: claimed first (in Redis, no other worker writes the article meanwhile; alone, the
        claim is always granted), then on disk, then in the store, then the claim released."""
        key, site, record = item.key, item["site"], item
        claims = self.state.claims
        try:
            if not claims.claim(site, key, self.owner, self.claim_seconds):
                self.crawler.stats.inc_value(counters.RECORDS_CLAIMED_ELSEWHERE)
                # on the retry list, in case that worker dies before writing it (stored, it leaves the list)
                self.state.note_failure(site, key, record["url"], None, "being written by another worker")
                raise DropItem(f"being written by another worker ({key})", log_level="INFO")
            written = False
            try:
                self._write(site, key, record)
                written = True
                return record
            finally:
                if not written:  # a written article's claim goes when the store has it (with its write)
                    claims.release_claim(site, key, self.owner)
        except StorageProblem as problem:
            self.state.storage_failed(problem)
            raise DropItem(f"not stored ({key}): {problem}") from None

    def _write(self, site: str, key: str, record: Record) -> None:
        stats = self.crawler.stats
        stored = self.state.stored_entry(site, key)
        if stored is not None and stored.fingerprint == record.fingerprint:
            stats.inc_value(counters.RECORDS_ALREADY_STORED)
            self.state.forget_failure(site, key)
            # what -a refresh=1 is for, article after article: no warning each
            raise DropItem(f"already stored, unchanged ({key}, revision {stored.revision} in {stored.file})",
                           log_level="INFO")
        record["revision"] = stored.revision + 1 if stored else 1
        self.state.write(site, key, record, record["revision"],
                         (counters.RECORDS_WRITTEN, counters.RECORDS_REVISIONS if stored else counters.RECORDS_NEW))
