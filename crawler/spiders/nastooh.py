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

import logging
import re
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit, urlunsplit

import jdatetime
import scrapy
from scrapy.exceptions import UsageError
from scrapy.http import Request, Response, TextResponse
from twisted.python.failure import Failure

from crawler.dates import (
    TEHRAN,
    DateParseError,
    jalali_days,
    parse_jalali_datetime,
    parse_jalali_day,
    tehran_jalali_day,
    utc_now_iso,
)
from crawler.record import Article
from crawler.sites import NotAnArticle, site_config
from crawler.sites.nastooh import NastoohArticleExtractor

# Archive list markup: li > figure + div.desc > [h4 kicker] + h3 > a + p + time[title]. Items in the sidebar
# and in advertising boxes («لینکستان») are not part of the archive.
ARCHIVE_ITEMS = (
    "//li[.//h3/a[@href]][not(ancestor::aside)][not(ancestor::section[contains(concat(' ', @class, ' '), ' ads ')])]"
)
ARCHIVE_MAIN = "//div[contains(concat(' ', @class, ' '), ' items ')]"
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


class NastoohSpider(scrapy.Spider):
    """Base spider of a Nastooh site; a subclass names the site (its key in sites.toml)."""

    site_key: str = ""

    @classmethod
    def from_crawler(cls, crawler, *args: Any, **kwargs: Any):
        try:
            return super().from_crawler(crawler, *args, **kwargs)
        except UsageError as error:
            logging.getLogger(cls.name).critical("bad arguments for `scrapy crawl %s`: %s", cls.name, error)
            raise

    @classmethod
    def update_settings(cls, settings) -> None:
        super().update_settings(settings)
        if not settings.getdict("FEEDS"):
            settings.set("FEEDS", settings.getdict("DEFAULT_FEEDS"), priority="spider")

    def __init__(self, *args: Any, url: str | None = None, base_url: str | None = None,
                 pages: str | None = None, **kwargs: Any):
        first = kwargs.pop("from", None)
        last = kwargs.pop("to", None)
        super().__init__(*args, **kwargs)
        self.config = site_config(self.site_key)
        self.extractor = NastoohArticleExtractor(self.config)
        self.base_url = _checked_base_url(base_url or self.config.base_url)
        self.allowed_domains = [urlsplit(self.base_url).hostname]
        self.article_url = url
        self.latest_pages = _positive_int(pages, "pages") if pages else self.config.latest_pages
        self.first_day, self.last_day = _day_range(first, last)
        if url and self.first_day:
            raise UsageError("give either -a url=... or -a from=.../-a to=..., not both")
        self._article_path = re.compile(self.config.article_path)
        self._site_hosts = {host.lower() for host in self.config.hosts} | {urlsplit(self.config.base_url).netloc.lower()}
        self._requested_ids: set[str] = set()

    # -- start -----------------------------------------------------------------------------------------------

    async def start(self) -> AsyncIterator[Request]:
        if self.article_url:
            self.logger.info("fetching one article: %s", self.article_url)
            yield Request(self.local_url(self.article_url), callback=self.parse_article, errback=self.on_error)
        elif self.first_day:
            days = jalali_days(self.first_day, self.last_day)
            self.logger.info("archive crawl of %d Jalali day(s), %s to %s", len(days), str(self.first_day), str(self.last_day))
            for day in days:
                yield self._archive_request(self.config.day_archive, 1, day)
        else:
            self.logger.info("latest news: the first %d archive page(s)", self.latest_pages)
            yield self._archive_request(self.config.latest_archive, 1, None)

    def _archive_request(self, template: str, page: int, day: jdatetime.date | None) -> Request:
        fields = {"page": page}
        if day is not None:
            fields.update(year=day.year, month=day.month, day=day.day)
        return Request(self.base_url + template.format(**fields), callback=self.parse_archive,
                       errback=self.on_error, cb_kwargs={"day": day, "page": page})

    # -- archive pages -----------------------------------------------------------------------------------------

    def parse_archive(self, response: Response, day: jdatetime.date | None, page: int) -> Iterator[Request]:
        where = f"archive {'latest' if day is None else str(day)} page {page}"
        if not isinstance(response, TextResponse):
            self.logger.error("%s: not an HTML page (%s): %s", where, response.headers.get("Content-Type"), response.url)
            return
        items = list(self.archive_items(response))
        self.crawler.stats.inc_value("archive/pages")
        if not items:
            level = self.logger.warning if page == 1 else self.logger.info
            level("%s: no article items (%s)", where, response.url)
            return
        reached_older = False
        new = 0
        for item in items:
            if day is not None and item.listed_at is not None:
                listed_day = tehran_jalali_day(item.listed_at)
                reached_older = reached_older or listed_day < day
                if not self.first_day <= listed_day <= self.last_day:
                    continue
            if item.news_id in self._requested_ids:
                continue
            self._requested_ids.add(item.news_id)
            new += 1
            yield Request(item.url, callback=self.parse_article, errback=self.on_error)
        self.logger.info("%s: %d items, %d new articles to fetch", where, len(items), new)

        if day is None and page >= self.latest_pages:
            return
        if reached_older:
            return  # the archive is newest first: everything after this is before the day
        next_url = self.next_page_url(response)
        if not next_url:
            return
        if page >= self.config.max_archive_pages:
            self.logger.warning("%s: stopping at the limit of %d archive pages", where, self.config.max_archive_pages)
            return
        yield Request(next_url, callback=self.parse_archive, errback=self.on_error,
                      cb_kwargs={"day": day, "page": page + 1})

    def archive_items(self, response: TextResponse) -> Iterator[ArchiveItem]:
        scope = response.xpath(ARCHIVE_MAIN) or [response]
        for container in scope:
            for entry in container.xpath("." + ARCHIVE_ITEMS):
                href = entry.xpath(".//h3/a/@href").get()
                url = self.local_url(urljoin(response.url, href.strip()))
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

    def next_page_url(self, response: TextResponse) -> str | None:
        for query in PAGINATION_NEXT:
            href = response.xpath(query).get()
            if href:
                url = self.local_url(urljoin(response.url, href.strip()))
                return url if url != response.url else None
        return None

    # -- article pages -------------------------------------------------------------------------------------------

    def parse_article(self, response: Response) -> Iterator[Article]:
        stats = self.crawler.stats
        if not isinstance(response, TextResponse):
            self._skip(response.url, f"not an HTML page ({response.headers.get('Content-Type', b'').decode()})")
            return
        try:
            article = self.extractor.extract(response.selector, response.url)
        except NotAnArticle as reason:
            self._skip(response.url, str(reason))
            return
        if self.first_day and article.published_at:
            published_day = tehran_jalali_day(datetime.fromisoformat(article.published_at))
            if not self.first_day <= published_day <= self.last_day:
                stats.inc_value("articles/outside_range")
                self.logger.info("not in %s..%s (published %s): %s", str(self.first_day), str(self.last_day),
                                 article.published_jalali, response.url)
                return
        article.crawled_at = utc_now_iso()
        stats.inc_value("articles/extracted")
        yield article

    def _skip(self, url: str, reason: str) -> None:
        self.crawler.stats.inc_value("articles/skipped")
        self.logger.info("skipped %s: %s", url, reason)

    def on_error(self, failure: Failure) -> None:
        self.crawler.stats.inc_value("pages/failed")
        self.logger.error("could not fetch %s: %s", failure.request.url, failure.getErrorMessage() or failure.type.__name__)

    # -- URLs --------------------------------------------------------------------------------------------------------

    def local_url(self, url: str) -> str:
        """The URL with the site's own host replaced by base_url's, so that every request goes to base_url."""
        parts = urlsplit(url)
        if parts.netloc.lower() not in self._site_hosts:
            return url
        base = urlsplit(self.base_url)
        return urlunsplit((base.scheme, base.netloc, parts.path, parts.query, ""))


def _checked_base_url(value: str) -> str:
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(f"base_url must be an http(s) URL such as http://127.0.0.1:8800, not {value!r}")
    return f"{parts.scheme}://{parts.netloc}"


def _positive_int(value: str, name: str) -> int:
    if not value.isdigit() or int(value) < 1:
        raise UsageError(f"-a {name}= must be a whole number of at least 1, not {value!r}")
    return int(value)


def _day_range(first: str | None, last: str | None) -> tuple[jdatetime.date | None, jdatetime.date | None]:
    if not first and not last:
        return None, None
    if not first:
        raise UsageError("-a to=... needs -a from=... (Jalali days, e.g. -a from=1402-05-20 -a to=1402-05-24)")
    try:
        start = parse_jalali_day(first)
        end = parse_jalali_day(last) if last else jdatetime.date.fromgregorian(date=datetime.now(TEHRAN).date())
    except DateParseError as error:
        raise UsageError(str(error)) from None
    if end < start:
        raise UsageError(f"-a to={end!s} is before -a from={start!s}")
    return start, end
