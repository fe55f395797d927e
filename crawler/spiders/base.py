"""What every news spider shares, whatever the site's CMS: argument checks, the run's incremental state, the
date-range filter, and the accounting that crawler/run.py judges a run by (pages fetched and failed, article
pages and the required fields missing on them, pages skipped with their reason)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import jdatetime
import scrapy
from parsel import Selector
from scrapy.exceptions import UsageError
from scrapy.http import Response, TextResponse
from twisted.python.failure import Failure

from crawler.dates import TEHRAN, DateParseError, parse_jalali_day, tehran_jalali_day, utc_now_iso
from crawler.record import Article
from crawler.run import REQUIRED_FIELDS
from crawler.sites import LayoutNotRecognized, NotAnArticle

# Article pages go before listing pages (archive, feed), and the scheduler's queues are first in, first out
# (crawler/settings.py). Scrapy's default queue is last in, first out: the next listing page, yielded last, went
# first, so a long backfill's listing ran ahead of its articles and queued them by the thousand, and a from/to crawl
# fetched every day's first archive page before any article. Now each listing page's articles go next, in its order.
ARTICLE_PRIORITY = 1


class NewsSpider(scrapy.Spider):
    """Base of the project's spiders. Subclasses discover pages; extraction is the site extractor's."""

    @classmethod
    def from_crawler(cls, crawler, *args: Any, **kwargs: Any):
        try:
            return super().from_crawler(crawler, *args, **kwargs)
        except UsageError as error:
            logging.getLogger(cls.name).critical("cannot start `scrapy crawl %s`: %s", cls.name, error)
            raise

    @classmethod
    def update_settings(cls, settings) -> None:
        super().update_settings(settings)
        if not settings.getdict("FEEDS"):
            settings.set("INCREMENTAL_OUTPUT", True, priority="spider")

    def __init__(self, *args: Any, arguments: dict[str, str | None], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.arguments = {name: value for name, value in arguments.items() if value is not None}
        self.first_day, self.last_day = day_range(arguments.get("from"), arguments.get("to"))
        self.article_url = arguments.get("url")
        if self.article_url and self.first_day:
            raise UsageError("give either -a url=... or -a from=.../-a to=..., not both")
        pages = arguments.get("pages")
        self.pages_given = pages is not None
        self.max_pages = positive_int(pages, "pages") if pages else None
        self.refresh = arguments.get("refresh") not in (None, "", "0", "false", "no")

    @property
    def state(self):
        """The run's incremental state (crawler/run.py), or None in an export run."""
        state = getattr(self.crawler, "run_state", None)
        return state if state is not None and state.incremental else None

    def is_stored(self, site: str, key: str) -> bool:
        """Whether an incremental run may skip this article (not with -a refresh=1)."""
        return bool(self.state and not self.refresh and self.state.is_known(site, key))

    # -- accounting ----------------------------------------------------------------------------------------------

    def fetched(self) -> None:
        self.crawler.stats.inc_value("pages/fetched")

    def count_fields(self, article: Article | None) -> None:
        """Article pages and the required fields missing on them: what tells a redesign from a quiet day."""
        stats = self.crawler.stats
        stats.inc_value("articles/pages")
        for name in REQUIRED_FIELDS:
            if article is None or not getattr(article, name):
                stats.inc_value(f"articles/missing/{name}")

    def skip(self, url: str, reason: str) -> None:
        self.crawler.stats.inc_value("articles/skipped")
        self.logger.info("skipped %s: %s", url, reason)

    def not_html(self, response: Response) -> bool:
        if isinstance(response, TextResponse):
            return False
        self.skip(response.url, f"not an HTML page ({response.headers.get('Content-Type', b'').decode()})")
        return True

    def on_error(self, failure: Failure) -> None:
        self.crawler.stats.inc_value("pages/failed")
        self.logger.error("could not fetch %s: %s", failure.request.url, failure.getErrorMessage() or failure.type.__name__)

    # -- records -------------------------------------------------------------------------------------------------

    def records_from(self, response: Response, extract: Callable[[Selector, str], Article]) -> Iterator[Article]:
        """An article page through the site's extractor: skipped with its reason when it is no article, counted
        as missing every field when its markup is not recognized."""
        self.fetched()
        if self.not_html(response):
            return
        try:
            article = extract(response.selector, response.url)
        except LayoutNotRecognized as reason:
            self.count_fields(None)
            self.skip(response.url, str(reason))
            return
        except NotAnArticle as reason:
            self.skip(response.url, str(reason))
            return
        yield from self.accept(article, response.url)

    def accept(self, article: Article, url: str) -> Iterator[Article]:
        """Count the record's fields and hand it on, unless a date range leaves it out."""
        self.count_fields(article)
        if self.in_range(article, url):
            yield self.finished(article)

    def in_range(self, article: Article, url: str) -> bool:
        """With -a from/to: whether the article was published on those days (it is dropped, and logged, if not)."""
        if not self.first_day or not article.published_at:
            return True
        published_day = tehran_jalali_day(datetime.fromisoformat(article.published_at))
        if self.first_day <= published_day <= self.last_day:
            return True
        self.crawler.stats.inc_value("articles/outside_range")
        self.logger.info("not in %s..%s (published %s): %s", str(self.first_day), str(self.last_day),
                         article.published_jalali, url)
        return False

    def finished(self, article: Article) -> Article:
        article.crawled_at = utc_now_iso()
        self.crawler.stats.inc_value("articles/extracted")
        return article


def checked_base_url(value: str, name: str = "base_url") -> str:
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(f"{name} must be an http(s) URL such as http://127.0.0.1:8800, not {value!r}")
    return f"{parts.scheme}://{parts.netloc}"


def positive_int(value: str, name: str) -> int:
    if not value.isdigit() or int(value) < 1:
        raise UsageError(f"-a {name}= must be a whole number of at least 1, not {value!r}")
    return int(value)


def day_range(first: str | None, last: str | None) -> tuple[jdatetime.date | None, jdatetime.date | None]:
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
