"""What every news spider shares, whatever the site's CMS: argument checks, the run's incremental state, the
date-range filter, and the accounting that crawler/run.py judges a run by (pages fetched and failed, article
pages and the required fields missing on them, pages skipped with their reason)."""

from __future__ import annotations

import difflib
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

from crawler.dates import TEHRAN, DateParseError, parse_day_argument, tehran_jalali_day, utc_now_iso
from crawler.record import Article
from crawler.run import REQUIRED_FIELDS
from crawler.sites import LayoutNotRecognized, NotAnArticle, SiteEntryError

# Article pages go before listing pages (archive, feed), and the scheduler's queues are first in, first out
# (crawler/settings.py). Scrapy's default queue is last in, first out: the next listing page, yielded last, went
# first, so a long backfill's listing ran ahead of its articles and queued them by the thousand, and a from/to crawl
# fetched every day's first archive page before any article. Now each listing page's articles go next, in its order.
ARTICLE_PRIORITY = 1


class NewsSpider(scrapy.Spider):
    """Base of the project's spiders. Subclasses discover pages; extraction is the site extractor's."""

    # The -a options a spider takes; any other is a usage error (a typo such as `form=` must not silently become a
    # latest-news crawl). Options starting with "_" are passed by schedulers (scrapyd's _job) and left alone.
    options: tuple[str, ...] = ("from", "to", "url", "pages", "refresh")

    @classmethod
    def from_crawler(cls, crawler, *args: Any, **kwargs: Any):
        try:
            spider = super().from_crawler(crawler, *args, **kwargs)
        except (UsageError, SiteEntryError) as error:
            logging.getLogger(cls.name).critical("cannot start `scrapy crawl %s`: %s", cls.name, error)
            raise
        if spider.argument_note:
            spider.logger.info("%s", spider.argument_note)  # here, not in __init__, which check_arguments also runs
        return spider

    @classmethod
    def check_arguments(cls, **arguments: str) -> None:
        """UsageError (or SiteEntryError) for what the spider would refuse, before any crawl machinery starts: the
        same checks as the run's own, since they are the spider's constructor."""
        cls(**arguments)

    @classmethod
    def update_settings(cls, settings) -> None:
        super().update_settings(settings)
        if not settings.getdict("FEEDS"):
            settings.set("INCREMENTAL_OUTPUT", True, priority="spider")

    def __init__(self, *args: Any, **kwargs: Any):
        arguments = {name: kwargs.pop(name, None) for name in self.options}
        unknown = sorted(name for name in kwargs if not name.startswith("_") and name != "name")
        if unknown:
            guesses = [match for name in unknown for match in difflib.get_close_matches(name, self.options, n=1)]
            raise UsageError(f"unknown option {', '.join(f'-a {name}=' for name in unknown)}"
                             + (f" (did you mean -a {guesses[0]}=?)" if guesses else "")
                             + f"; `scrapy crawl {self.name}` takes: {', '.join(f'-a {name}=' for name in self.options)}")
        super().__init__(*args, **kwargs)
        self.arguments = {name: value for name, value in arguments.items() if value is not None}
        self.first_day, self.last_day, self.argument_note = day_range(arguments.get("from"), arguments.get("to"))
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


def checked_article_url(value: str, hosts: set[str], site_name: str) -> str:
    """An -a url= that is an absolute http(s) URL on one of the site's hosts (lower-case host[:port])."""
    url = value.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise UsageError(f"-a url= must be the absolute http(s) URL of an article, not {value!r}")
    if parts.netloc.lower() not in hosts:
        raise UsageError(f"-a url={url} is not on {site_name} ({', '.join(sorted(hosts))}); "
                         "use -a base_url= to crawl a copy of the site elsewhere")
    return url


def positive_int(value: str, name: str) -> int:
    if not value.isdigit() or int(value) < 1:
        raise UsageError(f"-a {name}= must be a whole number of at least 1, not {value!r}")
    return int(value)


def day_range(first: str | None, last: str | None) -> tuple[jdatetime.date | None, jdatetime.date | None, str | None]:
    """The -a from/to days, and a note when one was given as a Gregorian date (and converted)."""
    if not first and not last:
        return None, None, None
    if not first:
        raise UsageError("-a to=... needs -a from=... (Jalali days, e.g. -a from=1402-05-20 -a to=1402-05-24)")
    notes = []
    try:
        start = _day_argument("from", first, notes)
        end = (_day_argument("to", last, notes) if last
               else jdatetime.date.fromgregorian(date=datetime.now(TEHRAN).date()))
    except DateParseError as error:
        raise UsageError(str(error)) from None
    if end < start:
        raise UsageError(f"-a to={end!s} is before -a from={start!s}")
    return start, end, "; ".join(notes) or None


def _day_argument(name: str, text: str, notes: list[str]) -> jdatetime.date:
    day, gregorian = parse_day_argument(text)
    if gregorian:
        notes.append(f"-a {name}={text.strip()} is a Gregorian date: read as the Jalali day {day!s}")
    return day
