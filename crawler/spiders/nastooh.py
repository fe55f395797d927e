"""Discovery for Nastooh CMS sites (ISNA, Mehr, Hamshahri...): which article pages to fetch, and when to stop.

Three modes, chosen by spider arguments:
  (none)                         the latest news: the first pages of the all-topics archive;
  -a from=YYYY-MM-DD [-a to=...] every article published on those Jalali days (inclusive), each once,
                                 from each day's archive, following its pagination until the day is done;
  -a url=ARTICLE_URL             exactly that article.
  -a base_url=http://host:port   sends every request to that host instead of the site's own (mirrors, tests).

Reading pages is the family parser's job (crawler/sites/nastooh.py: articles and archive listings); paging through an
archive and listing its articles is the base spider's (crawler/spiders/base.py parse_archive, listed). What is
Nastooh's own is how far a latest-news run pages back: to where the last healthy run left the archive complete.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import jdatetime
from scrapy import signals
from scrapy.http import Request

from crawler import counters
from crawler.dates import tehran_jalali_day, to_jalali_string
from crawler.sites.discovery import ListedArticle
from crawler.spiders.base import Listed, SiteSpider


class NastoohSpider(SiteSpider):
    """The spider of a Nastooh site; crawler/spiders/registry.py makes one for each registry entry of the family."""

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.latest_pages = self.max_pages or self.parser.latest_pages
        # Latest-news runs in incremental mode: whether an earlier run left a watermark, and how far back this one
        # read (what it covered is in its stats: counters.COVERAGE_*).
        self.had_coverage = False
        self.oldest_listed: datetime | None = None
        self._future_ids: set[str] = set()

    # -- start -----------------------------------------------------------------------------------------------

    @classmethod
    def from_crawler(cls, crawler, *args: Any, **kwargs: Any):
        spider = super().from_crawler(crawler, *args, **kwargs)
        # every worker of a shared run reads the watermark as it opens, the leader and those that join alike
        crawler.signals.connect(spider.read_watermark, signal=signals.spider_opened)
        return spider

    def read_watermark(self) -> None:
        self.catchup_from  # noqa: B018 (read now, and logged, rather than at the first archive page)

    @functools.cached_property
    def catchup_from(self) -> datetime | None:
        """Where this latest-news run pages back to: where the last healthy run left the latest news complete (the
        watermark), less an overlap; None on a first run, with -a pages=, or in a run that is no latest-news run.
        Read as the spider opens, by every worker of a shared run, wherever the listing pages go."""
        if not self.incremental or self.article_url or self.first_day:
            return None
        covered = self.incremental.store.covered_until(self.site.key)
        self.had_coverage = covered is not None
        if not covered or self.pages_given:
            return None
        overlap = timedelta(minutes=self.config.incremental_overlap_minutes)
        catchup_from = datetime.fromisoformat(covered) - overlap
        self.logger.info("incremental: paging back to %s (complete up to %s, less %s of overlap)",
                         to_jalali_string(catchup_from), to_jalali_string(datetime.fromisoformat(covered)), overlap)
        return catchup_from

    def listing_requests(self) -> Iterator[Request]:
        """The latest news: the all-topics archive's first pages (or back to the watermark)."""
        if self.catchup_from is None:
            self.logger.info("latest news: the first %d archive page(s)", self.latest_pages)
        yield self.archive_request(None, 1)

    # -- how far the latest news' archive is read (the paging itself is the base spider's parse_archive) ---------

    def archive_continues(self, day: jdatetime.date | None, page: int, entries: list[ListedArticle],
                          counted: Listed) -> bool:
        if day is not None:
            return super().archive_continues(day, page, entries, counted)
        return not self._latest_done(page, entries, counted.known + counted.skipped_before + counted.again
                                     == counted.total)

    def archive_ended(self, day: jdatetime.date | None) -> None:
        if day is None:
            self._covered()  # the whole archive was read

    def archive_page_limit(self, day: jdatetime.date | None) -> int:
        """A day's safety stop; for the latest news the page budget (-a pages=, or a first run's), or
        CATCHUP_MAX_PAGES when catching up after earlier runs."""
        if day is not None:
            return self.parser.max_archive_pages
        if self.catchup_from is not None:
            return self.config.catchup_max_pages
        return self.latest_pages

    def _latest_done(self, page: int, items: list[ListedArticle], nothing_new: bool) -> bool:
        """Whether the latest-news run has paged back far enough: its page budget on a first run (or with
        -a pages=), else until the items reach where the last healthy run was complete (less an overlap)."""
        listed = [item.listed_at for item in items if item.listed_at is not None and not self._in_future(item)]
        if listed:
            if page == 1:
                self.crawler.stats.set_value(counters.COVERAGE_NEWEST, max(listed).isoformat())
            self.oldest_listed = min(listed + ([self.oldest_listed] if self.oldest_listed else []))
        if self.catchup_from is None:
            if page >= self.latest_pages:
                if not self.had_coverage:  # a first run starts the record; -a pages= alone does not continue it
                    self._covered()
                return True
            return False
        if (listed and min(listed) <= self.catchup_from) or (not listed and nothing_new):
            self._covered()
            self.logger.info("caught up: went back %d archive page(s), to %s", page,
                             to_jalali_string(self.oldest_listed) if self.oldest_listed else "articles already stored")
            return True
        if page >= self.config.catchup_max_pages:
            self._covered()  # what is past the limit is said, with the backfill command: the watermark moves on
            gap_end = self.oldest_listed or self.catchup_from
            self.logger.warning(
                "could not catch up within %d archive pages: articles from %s to %s were not fetched; backfill them "
                "with: scrapy crawl %s -a from=%s -a to=%s", page, to_jalali_string(self.catchup_from),
                to_jalali_string(gap_end), self.name, tehran_jalali_day(self.catchup_from), tehran_jalali_day(gap_end))
            return True
        return False

    def _covered(self) -> None:
        """The run read the last latest-news page it needed: the watermark may move (counters.coverage_seen)."""
        self.crawler.stats.set_value(counters.COVERAGE_COMPLETE, True)

    def _in_future(self, item: ListedArticle) -> bool:
        """An item dated after now (a typo on the site): it must not move the coverage watermark, or the next run
        would page back only to that date and miss what was published before it."""
        tolerance = timedelta(minutes=self.config.future_tolerance_minutes)
        if item.listed_at <= datetime.now(UTC) + tolerance:
            return False
        if item.news_id not in self._future_ids:
            self._future_ids.add(item.news_id)
            self.logger.warning("archive item %s is dated in the future (%s): it does not count for coverage",
                                item.url, to_jalali_string(item.listed_at))
        return True
