"""Discovery for Nastooh CMS sites (ISNA, Mehr, Hamshahri...): which article pages to fetch, and when to stop.

Three modes, chosen by spider arguments:
  (none)                         the latest news: the first pages of the all-topics archive;
  -a from=YYYY-MM-DD [-a to=...] every article published on those Jalali days (inclusive), each once,
                                 from each day's archive, following its pagination until the day is done;
  -a url=ARTICLE_URL             exactly that article.
  -a base_url=http://host:port   sends every request to that host instead of the site's own (mirrors, tests).

Reading pages is the family parser's job (crawler/sites/nastooh.py: articles and archive listings); the spider only
decides what to fetch, in what order, and when to stop.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import jdatetime
from scrapy.http import Request, Response

from crawler import counters
from crawler.dates import jalali_days, tehran_jalali_day, to_jalali_string
from crawler.state import coverage_of
from crawler.record import article_key
from crawler.sites.discovery import ListedArticle
from crawler.spiders.base import SiteSpider



class NastoohSpider(SiteSpider):
    """The spider of a Nastooh site; crawler/spiders/registry.py makes one for each registry entry of the family."""

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.latest_pages = self.max_pages or self.parser.latest_pages
        self._archive_urls: set[str] = set()
        self._days_done: set[str] = set()
        # Latest-news runs in incremental mode: where to stop paging back, and what this run covered.
        self.catchup_from: datetime | None = None
        self.had_coverage = False
        self.newest_listed: datetime | None = None
        self.oldest_listed: datetime | None = None
        self.reached_coverage = False
        self.hit_page_limit = False
        self._future_ids: set[str] = set()

    # -- start -----------------------------------------------------------------------------------------------

    def read_coverage(self) -> None:
        """Where the last healthy run left the latest news complete (the watermark): this run's archive pages go back
        to it. Every worker of a shared run reads it (crawler/distributed.py), wherever the listing pages go."""
        if self.incremental and not self.article_url and not self.first_day:
            covered = self.incremental.store.covered_until(self.site.key)
            self.had_coverage = covered is not None
            if covered and not self.pages_given:
                overlap = timedelta(minutes=self.settings.getint("INCREMENTAL_OVERLAP_MINUTES"))
                self.catchup_from = datetime.fromisoformat(covered) - overlap
                self.logger.info("incremental: paging back to %s (complete up to %s, less %s of overlap)",
                                 to_jalali_string(self.catchup_from), to_jalali_string(datetime.fromisoformat(covered)), overlap)

    async def start(self) -> AsyncIterator[Request]:
        self.read_coverage()
        for request in self.retries(self.site.key, self.retry_request):
            yield request
        if self.article_url:
            self.logger.info("fetching one article: %s", self.article_url)
            yield Request(self.local_url(self.article_url), callback=self.parse_article, errback=self.on_error)
        elif self.first_day:
            days = jalali_days(self.first_day, self.last_day)
            self.crawler.stats.set_value(counters.PROGRESS_DAYS_TOTAL, len(days))
            self.logger.info("archive crawl of %d Jalali day(s), %s to %s", len(days), str(self.first_day), str(self.last_day))
            for day in days:
                yield self._archive_request(self.parser.day_archive, 1, day)
        else:
            if self.catchup_from is None:
                self.logger.info("latest news: the first %d archive page(s)", self.latest_pages)
            yield self._archive_request(self.parser.latest_archive, 1, None)

    def _archive_request(self, template: str, page: int, day: jdatetime.date | None) -> Request:
        fields = {"page": page}
        if day is not None:
            fields.update(year=day.year, month=day.month, day=day.day)
        return Request(self.base_url + template.format(**fields), callback=self.parse_archive,
                       errback=self.on_error, cb_kwargs={"day": day, "page": page})

    # -- archive pages -----------------------------------------------------------------------------------------

    def parse_archive(self, response: Response, day: jdatetime.date | None, page: int) -> Iterator[Request]:
        where = f"archive {'latest' if day is None else str(day)} page {page}"
        if self.not_html(response):
            return
        self._archive_urls.add(response.url)
        listing = self.parser.listing(response.selector, response.url, page)
        items = [dataclasses.replace(item, url=self.local_url(item.url)) for item in listing.articles]
        self.crawler.stats.inc_value(counters.ARCHIVE_PAGES)
        if not items:
            if day is None and page == 1:
                self.crawler.stats.inc_value(counters.ARCHIVE_EMPTY_LATEST)
                self.logger.error("%s lists no articles (%s): has the list layout changed?", where, response.url)
            else:
                if page == 1:
                    self.crawler.stats.inc_value(counters.ARCHIVE_DAYS_EMPTY)
                (self.logger.warning if page == 1 else self.logger.info)("%s: no article items (%s)", where, response.url)
            self._day_done(day)
            return
        reached_older = False
        new = known = 0
        stored = self.stored_among(self.site.key, [article_key(item.news_id, None) for item in items])
        for item in items:
            if day is not None and item.listed_at is not None:
                listed_day = tehran_jalali_day(item.listed_at)
                reached_older = reached_older or listed_day < day
                if not self.first_day <= listed_day <= self.last_day:
                    continue
            key = article_key(item.news_id, None)
            if item.news_id in self._requested_ids:
                continue
            if key in stored:
                self._requested_ids.add(item.news_id)  # listed again on a later page: counted once
                known += 1
                continue
            new += 1
            yield self.article_request(item.url, self.article_meta(self.site.key, key, item.listed_at))
        self.crawler.stats.inc_value(counters.ARCHIVE_ALREADY_STORED, known)
        self.logger.info("%s: %d items, %d to fetch, %d already stored", where, len(items), new, known)

        if day is None and self._latest_done(page, items, known):
            return
        if day is not None and reached_older:
            self._day_done(day)
            return  # the archive is newest first: everything after this is before the day
        next_url = self.local_url(listing.next_url) if listing.next_url else None
        if next_url in self._archive_urls:
            self.logger.warning("%s: the next-page link points back to a page already read (%s); the listing ends here",
                                where, next_url)
            next_url = None
        limit = self._page_limit(day)
        if not next_url or page >= limit:
            if next_url:
                self.logger.warning("%s: stopping at the limit of %d archive pages", where, limit)
            elif day is None:
                self.reached_coverage = True  # the whole archive was read
            self._day_done(day)
            return
        yield Request(next_url, callback=self.parse_archive, errback=self.on_error,
                      cb_kwargs={"day": day, "page": page + 1})

    def _page_limit(self, day: jdatetime.date | None) -> int:
        """How many archive pages a listing may take: a day's safety stop; for the latest news the page budget
        (-a pages=, or a first run's), or CATCHUP_MAX_PAGES when catching up after earlier runs."""
        if day is not None:
            return self.parser.max_archive_pages
        if self.catchup_from is not None:
            return self.settings.getint("CATCHUP_MAX_PAGES")
        return self.latest_pages

    def _latest_done(self, page: int, items: list[ListedArticle], known: int) -> bool:
        """Whether the latest-news run has paged back far enough: its page budget on a first run (or with
        -a pages=), else until the items reach where the last healthy run was complete (less an overlap)."""
        listed = [item.listed_at for item in items if item.listed_at is not None and not self._in_future(item)]
        if listed:
            if page == 1:
                self.newest_listed = max(listed)
            self.oldest_listed = min(listed + ([self.oldest_listed] if self.oldest_listed else []))
        if self.catchup_from is None:
            if page >= self.latest_pages:
                self.reached_coverage = not self.had_coverage  # a first run starts the record; -a pages= alone does not continue it
                return True
            return False
        if (listed and min(listed) <= self.catchup_from) or (not listed and known == len(items)):
            self.reached_coverage = True
            self.logger.info("caught up: went back %d archive page(s), to %s", page,
                             to_jalali_string(self.oldest_listed) if self.oldest_listed else "articles already stored")
            return True
        if page >= self.settings.getint("CATCHUP_MAX_PAGES"):
            self.hit_page_limit = True
            gap_end = self.oldest_listed or self.catchup_from
            self.logger.warning(
                "could not catch up within %d archive pages: articles from %s to %s were not fetched; backfill them "
                "with: scrapy crawl %s -a from=%s -a to=%s", page, to_jalali_string(self.catchup_from),
                to_jalali_string(gap_end), self.name, tehran_jalali_day(self.catchup_from), tehran_jalali_day(gap_end))
            return True
        return False

    def coverage_reached(self) -> str | None:
        """Up to when the latest-news archive is now complete, for the next run to page back to; None when this
        run does not say (date ranges, single articles, or a run that did not get back far enough)."""
        return coverage_of([self.coverage_seen()])

    def coverage_seen(self) -> dict | None:
        """What this process saw of the latest-news archive: the newest item of its first page (when it read that
        page) and whether it read the last page the run needed. In a shared run each worker reads some of the pages;
        the last to leave puts the workers' parts together (coverage_of)."""
        if self.first_day or self.article_url:
            return None
        return {"newest_listed": self.newest_listed.isoformat() if self.newest_listed else None,
                "complete": self.reached_coverage or self.hit_page_limit}

    def _in_future(self, item: ListedArticle) -> bool:
        """An item dated after now (a typo on the site): it must not move the coverage watermark, or the next run
        would page back only to that date and miss what was published before it."""
        tolerance = timedelta(minutes=self.settings.getint("FUTURE_TOLERANCE_MINUTES"))
        if item.listed_at <= datetime.now(UTC) + tolerance:
            return False
        if item.news_id not in self._future_ids:
            self._future_ids.add(item.news_id)
            self.logger.warning("archive item %s is dated in the future (%s): it does not count for coverage",
                                item.url, to_jalali_string(item.listed_at))
        return True

    def _day_done(self, day: jdatetime.date | None) -> None:
        if day is not None and str(day) not in self._days_done:
            self._days_done.add(str(day))
            self.crawler.stats.inc_value(counters.PROGRESS_DAYS_DONE)
