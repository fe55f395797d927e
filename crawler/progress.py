"""The progress line a person watching a long crawl sees on the terminal, rewritten every 2 seconds:
`[isna] 3/30 days, 12 archive pages, 240 articles, 0 failed pages`.

A Scrapy extension, on in `scrapy crawl` runs (RUN_CONTROL) when PROGRESS says so: "on", "off", or "auto" (the
default), which shows it only when standard error is a terminal (cron's logs stay clean).
"""

from __future__ import annotations

import sys

from scrapy import signals
from scrapy.exceptions import NotConfigured
from twisted.internet import task

from crawler import counters
from crawler.config import config_of, run_name_of


class Progress:
    def __init__(self, crawler):
        self.crawler = crawler
        self.run_name = run_name_of(crawler)
        self.incremental = config_of(crawler.settings).incremental_output
        self._loop: task.LoopingCall | None = None
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler):
        config = config_of(crawler.settings)
        if not config.run_control or not shown(config.progress):
            raise NotConfigured
        return cls(crawler)

    def spider_opened(self, spider) -> None:
        self._loop = task.LoopingCall(self.print_line)
        self._loop.start(2.0, now=False)

    def spider_closed(self, spider, reason: str) -> None:
        if self._loop is not None and self._loop.running:
            self._loop.stop()
        self.print_line()  # the final state, whatever the last tick showed
        sys.stderr.write("\n")

    def print_line(self) -> None:
        stats = self.crawler.stats
        days_total = stats.get_value(counters.PROGRESS_DAYS_TOTAL)
        written = stats.get_value(counters.RECORDS_WRITTEN if self.incremental else "item_scraped_count", 0)
        parts = []
        if days_total:
            parts.append(f"{stats.get_value(counters.PROGRESS_DAYS_DONE, 0)}/{days_total} days")
        parts += [f"{stats.get_value(counters.ARCHIVE_PAGES, 0)} archive pages", f"{written} articles",
                  f"{stats.get_value(counters.PAGES_FAILED, 0)} failed pages"]
        sys.stderr.write(f"\r[{self.run_name}] " + ", ".join(parts) + "   ")
        sys.stderr.flush()


def shown(setting: str | None) -> bool:
    if setting == "on":
        return True
    if setting == "off":
        return False
    return sys.stderr.isatty()
