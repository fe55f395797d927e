"""Each article once per run: a record whose (site, news_id), or canonical URL when it has no id, was already
written in this run is dropped and counted."""

from __future__ import annotations

from scrapy.exceptions import DropItem

from crawler import counters
from crawler.record import Record


class DedupePipeline:
    def __init__(self, crawler):
        self.crawler = crawler
        self.seen: set[tuple[str, str]] = set()

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_item(self, item: Record) -> Record:
        key = (item["site"], item.key)
        if key in self.seen:
            self.crawler.stats.inc_value(counters.RECORDS_DUPLICATE)
            raise DropItem(f"duplicate of an article already written in this run: {key[1]}", log_level="INFO")
        self.seen.add(key)
        return item
