"""The incremental dump: each article written once across runs; a changed article as a new revision.

Active only in incremental mode (no -o/-O): the record goes to the run's output file (crawler/state.PartFile,
renamed into place when the run ends) and then into the seen-store, in that order, so the store never claims an
article whose line is not on disk; when the store cannot take it, the line is taken back off the disk. A write that
fails (a full disk) fails and stops the run (crawler/run.py): nothing half-written stays, nothing is claimed. An article already stored with the same text and modification time is dropped.
"""

from __future__ import annotations

import dataclasses

from scrapy.exceptions import DropItem, NotConfigured

from crawler.dates import utc_now_iso
from crawler.record import Article, article_key
from crawler.state import StorageProblem, fingerprint


class StorePipeline:
    def __init__(self, crawler):
        self.crawler = crawler
        self.state = crawler.run_state

    @classmethod
    def from_crawler(cls, crawler):
        state = getattr(crawler, "run_state", None)
        if state is None or not state.incremental:
            # An export run (-o/-O): records go to the feed. No message, so that Scrapy logs no warning for it.
            raise NotConfigured
        return cls(crawler)

    def process_item(self, item: Article) -> Article:
        stats = self.crawler.stats
        key = article_key(item.news_id, item.url)
        record = dataclasses.asdict(item)
        stored = self.state.store.get(item.site, key)
        if stored is not None and stored.fingerprint == fingerprint(record):
            stats.inc_value("records/already_stored")
            self.state.forget_failure(item.site, key)
            raise DropItem(f"already stored, unchanged ({key}, revision {stored.revision} in {stored.file})")
        item.revision = record["revision"] = stored.revision + 1 if stored else 1
        output = self.state.output
        size, lines = output.size, output.lines
        try:
            output.write(record)
            try:
                self.state.store.put(item.site, key, record, item.revision, output.final.name, utc_now_iso())
            except StorageProblem:
                output.take_back(size, lines)  # not in the store, so not on disk either: the next run writes it once
                raise
        except StorageProblem as problem:
            self.state.storage_failed(problem)
            raise DropItem(f"not stored ({key}): {problem}") from None
        stats.inc_value("records/written")
        stats.inc_value("records/revisions" if stored else "records/new")
        return item
