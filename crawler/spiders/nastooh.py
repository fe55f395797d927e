"""Discovery for Nastooh CMS sites (ISNA, Mehr, Hamshahri...): which article pages to fetch, and when to stop.

Three modes, chosen by spider arguments:
  (none)                         the latest news: the first pages of the all-topics archive;
  -a from=YYYY-MM-DD [-a to=...] every article published on those Jalali days (inclusive), each once,
                                 from each day's archive, following its pagination until the day is done;
  -a url=ARTICLE_URL             exactly that article.
  -a base_url=http://host:port   sends every request to that host instead of the site's own (mirrors, tests).

Extraction is the site extractor's job (crawler/sites/); the spider only hands it each article page.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit, urlunsplit

import jdatetime
from scrapy.http import Request, Response, TextResponse

from crawler.dates import (
    DateParseError,
    jalali_days,
    parse_jalali_datetime,
    tehran_jalali_day,
    to_jalali_string,
)
from crawler.record import Article, article_key
from crawler.sites import site_config
from crawler.sites.html import absolute
from crawler.sites.nastooh import NastoohArticleExtractor
from crawler.spiders.base import ARTICLE_PRIORITY, NewsSpider, checked_article_url, checked_base_url

# Archive list markup: li > figure + div.desc > [h4 kicker] + h3 > a + p + time[title]. Items in the sidebar
# and in advertising boxes («لینکستان») are not part of the archive.
ARCHIVE_ITEMS = (
    "//li[.//h3/a[@href]][not(ancestor::aside)][not(ancestor::section[contains(concat(' ', @class, ' '), ' ads ')])]"
)
ARCHIVE_MAIN = "//div[contains(concat(' ', @class, ' '), ' items ')]"
PAGINATION_LINKS = "//*[contains(concat(' ', @class, ' '), ' pagination ')]//a/@href"
PAGINATION_NEXT = (
    "//ul[contains(@class, 'pagination')]/li[contains(concat(' ', @class, ' '), ' active ')]"
    "/following-sibling::li[1]//a/@href",
    "//ul[contains(@class, 'pagination')]//a[normalize-space() = 'بعدی']/@href",
)


@dataclass(frozen=True)
class ArchiveItem:
    url: str
    news_id: str
    listed_at: datetime | None  # the absolute time in time@title, Tehran


class NastoohSpider(NewsSpider):
    """Base spider of a Nastooh site; a subclass names the site (its key in sites.toml)."""

    site_key: str = ""
    options = (*NewsSpider.options, "base_url")

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.config = site_config(self.site_key)
        self.extractor = NastoohArticleExtractor(self.config)
        self.base_url = checked_base_url(self.arguments.get("base_url") or self.config.base_url)
        self.allowed_domains = [urlsplit(self.base_url).hostname]
        self.latest_pages = self.max_pages or self.config.latest_pages
        self._article_path = re.compile(self.config.article_path)
        self._site_hosts = {host.lower() for host in self.config.hosts} | {urlsplit(self.config.base_url).netloc.lower()}
        if self.article_url:
            self.article_url = checked_article_url(self.article_url, self._site_hosts | {urlsplit(self.base_url).netloc.lower()},
                                                   self.config.name)
        self._requested_ids: set[str] = set()
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

    async def start(self) -> AsyncIterator[Request]:
        if self.state and not self.article_url and not self.first_day:
            covered = self.state.store.covered_until(self.config.key)
            self.had_coverage = covered is not None
            if covered and not self.pages_given:
                overlap = timedelta(minutes=self.settings.getint("INCREMENTAL_OVERLAP_MINUTES"))
                self.catchup_from = datetime.fromisoformat(covered) - overlap
                self.logger.info("incremental: paging back to %s (complete up to %s, less %s of overlap)",
                                 to_jalali_string(self.catchup_from), to_jalali_string(datetime.fromisoformat(covered)), overlap)
        for request in self.retries(self.config.key, self._retry_request):
            yield request
        if self.article_url:
            self.logger.info("fetching one article: %s", self.article_url)
            yield Request(self.local_url(self.article_url), callback=self.parse_article, errback=self.on_error)
        elif self.first_day:
            days = jalali_days(self.first_day, self.last_day)
            self.crawler.stats.set_value("progress/days_total", len(days))
            self.logger.info("archive crawl of %d Jalali day(s), %s to %s", len(days), str(self.first_day), str(self.last_day))
            for day in days:
                yield self._archive_request(self.config.day_archive, 1, day)
        else:
            if self.catchup_from is None:
                self.logger.info("latest news: the first %d archive page(s)", self.latest_pages)
            yield self._archive_request(self.config.latest_archive, 1, None)

    def _retry_request(self, url: str, meta: dict) -> Request | None:
        news_id = meta["article"][1].removeprefix("id:")
        if news_id in self._requested_ids:
            return None
        self._requested_ids.add(news_id)
        return Request(self.local_url(url), callback=self.parse_article, errback=self.on_error, meta=meta,
                       priority=ARTICLE_PRIORITY, dont_filter=True)

    def _archive_request(self, template: str, page: int, day: jdatetime.date | None) -> Request:
        fields = {"page": page}
        if day is not None:
            fields.update(year=day.year, month=day.month, day=day.day)
        return Request(self.base_url + template.format(**fields), callback=self.parse_archive,
                       errback=self.on_error, cb_kwargs={"day": day, "page": page})

    # -- archive pages -----------------------------------------------------------------------------------------

    def parse_archive(self, response: Response, day: jdatetime.date | None, page: int) -> Iterator[Request]:
        where = f"archive {'latest' if day is None else str(day)} page {page}"
        self.fetched()
        if self.not_html(response):
            return
        self._archive_urls.add(response.url)
        items = list(self.archive_items(response))
        self.crawler.stats.inc_value("archive/pages")
        if not items:
            if day is None and page == 1:
                self.crawler.stats.inc_value("archive/empty_latest")
                self.logger.error("%s lists no articles (%s): has the list layout changed?", where, response.url)
            else:
                if page == 1:
                    self.crawler.stats.inc_value("archive/days_empty")
                (self.logger.warning if page == 1 else self.logger.info)("%s: no article items (%s)", where, response.url)
            self._day_done(day)
            return
        reached_older = False
        new = known = 0
        for item in items:
            if day is not None and item.listed_at is not None:
                listed_day = tehran_jalali_day(item.listed_at)
                reached_older = reached_older or listed_day < day
                if not self.first_day <= listed_day <= self.last_day:
                    continue
            if item.news_id in self._requested_ids:
                continue
            self._requested_ids.add(item.news_id)
            if self.is_stored(self.config.key, article_key(item.news_id, None)):
                known += 1
                continue
            new += 1
            yield Request(item.url, callback=self.parse_article, errback=self.on_error, priority=ARTICLE_PRIORITY,
                          meta=self.article_meta(self.config.key, article_key(item.news_id, None), item.listed_at))
        self.crawler.stats.inc_value("archive/already_stored", known)
        self.logger.info("%s: %d items, %d to fetch, %d already stored", where, len(items), new, known)

        if day is None and self._latest_done(page, items, known):
            return
        if day is not None and reached_older:
            self._day_done(day)
            return  # the archive is newest first: everything after this is before the day
        next_url = self.next_page_url(response, page)
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
            return self.config.max_archive_pages
        if self.catchup_from is not None:
            return self.settings.getint("CATCHUP_MAX_PAGES")
        return self.latest_pages

    def _latest_done(self, page: int, items: list["ArchiveItem"], known: int) -> bool:
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
        if self.first_day or self.article_url or self.newest_listed is None:
            return None
        if not (self.reached_coverage or self.hit_page_limit):
            return None
        # Articles that could not be stored are on the retry list (crawler/run.py), so the watermark may pass them.
        return self.newest_listed.isoformat()

    def _in_future(self, item: ArchiveItem) -> bool:
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
            self.crawler.stats.inc_value("progress/days_done")

    def archive_items(self, response: TextResponse) -> Iterator[ArchiveItem]:
        scope = response.xpath(ARCHIVE_MAIN) or [response]
        for container in scope:
            for entry in container.xpath("." + ARCHIVE_ITEMS):
                href = absolute(entry.xpath(".//h3/a/@href").get(), response.url)
                if href is None:
                    continue
                url = self.local_url(href)
                match = self._article_path.search(unquote(urlsplit(url).path))
                if not match:
                    continue
                yield ArchiveItem(url=url, news_id=match.group(1), listed_at=self._listed_at(entry, response.url))

    def _listed_at(self, entry, page_url: str) -> datetime | None:
        shown = entry.xpath(".//time/@title").get()
        if not shown:
            return None
        try:
            return parse_jalali_datetime(shown)
        except DateParseError as error:
            self.logger.warning("%s: archive item with an unreadable date: %s", page_url, error)
            return None

    def next_page_url(self, response: TextResponse, page: int) -> str | None:
        """The next archive page: the pagination link whose `pi` is this page's plus one (every page link has one,
        and on this CMS every one of them may carry rel="next"), else the link after the active item, or «بعدی»."""
        for href in response.xpath(PAGINATION_LINKS).getall():
            link = absolute(href, response.url)
            values = parse_qs(urlsplit(link).query).get("pi") if link else None
            if values and values[0].isdigit() and int(values[0]) == page + 1:
                return self.local_url(link)
        for query in PAGINATION_NEXT:
            link = absolute(response.xpath(query).get(), response.url)
            if link:
                url = self.local_url(link)
                return url if url != response.url else None
        return None

    # -- article pages -------------------------------------------------------------------------------------------

    def parse_article(self, response: Response) -> Iterator[Article]:
        yield from self.records_from(response, self.extractor.extract)

    # -- URLs --------------------------------------------------------------------------------------------------------

    def local_url(self, url: str) -> str:
        """The URL with the site's own host replaced by base_url's, so that every request goes to base_url."""
        parts = urlsplit(url)
        if parts.netloc.lower() not in self._site_hosts:
            return url
        base = urlsplit(self.base_url)
        return urlunsplit((base.scheme, base.netloc, parts.path, parts.query, ""))
