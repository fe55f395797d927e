"""What every news spider shares, whatever the site's CMS: argument checks, the run's incremental state, the
date-range filter, and the accounting that crawler/run.py judges a run by (pages fetched and failed, article
pages and the required fields missing on them, pages skipped with their reason)."""

from __future__ import annotations

import dataclasses
import difflib
import logging
import re
from collections.abc import Callable, Generator, Iterable, Iterator
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import jdatetime
import scrapy
from parsel import Selector
from scrapy.exceptions import IgnoreRequest, UsageError
from scrapy.http import Request, Response, TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from crawler import counters
from crawler.config import Config, config_of
from crawler.dates import (
    TEHRAN,
    DateParseError,
    jalali_days,
    jalali_to_tehran,
    parse_day_argument,
    tehran_jalali_day,
    utc_now_iso,
)
from crawler.distributed import ClaimedElsewhere
from crawler.incremental import IncrementalOutput
from crawler.record import Article, article_key, host_of
from crawler.run import COVERAGE_FIELDS
from crawler.sites import (
    LayoutNotRecognized,
    NotAnArticle,
    Site,
    SiteEntryError,
    parser_for,
    registered_site,
)
from crawler.sites.discovery import ListedArticle
from pipelines.reprocess import process_record
from pipelines.validate import problems

# Article pages go before listing pages (archive, feed), and the scheduler's queues are first in, first out
# (crawler/settings.py). Scrapy's default queue is last in, first out: the next listing page, yielded last, went
# first, so a long backfill's listing ran ahead of its articles and queued them by the thousand, and a from/to crawl
# fetched every day's first archive page before any article. Now each listing page's articles go next, in its order.
ARTICLE_PRIORITY = 1


@dataclasses.dataclass
class Listed:
    """What one listing page gave, as SiteSpider.wanted counted it."""

    total: int = 0  # entries
    new: int = 0  # asked for
    known: int = 0  # already stored
    skipped_before: int = 0  # found to be no article by an earlier run
    old: int = 0  # outside the window (or undated in a latest-news window)
    elsewhere: int = 0  # on other sites
    again: int = 0  # listed earlier in this run


class NewsSpider(scrapy.Spider):
    """Base of the project's spiders. Subclasses discover pages; extraction is the site extractor's."""

    # The -a options a spider takes; any other is a usage error (a typo such as `form=` must not silently become a
    # latest-news crawl). Options starting with "_" are passed by schedulers (scrapyd's _job) and left alone.
    options: tuple[str, ...] = ("from", "to", "url", "pages", "refresh")
    # The callback that reads an article page (what `scrapy parse <url>` runs through `parse`).
    article_callback = "parse_article"

    @classmethod
    def handles_request(cls, request) -> bool:
        """Whether the URL is on this spider's site: how `scrapy parse <url>` finds the registry spider without
        --spider."""
        key = getattr(cls, "site_key", None)
        if not key:
            return False
        try:
            return host_of(request.url) in registered_site(key).host_names
        except SiteEntryError:
            return False

    def parse(self, response: Response, **kwargs: Any) -> Iterator[Article]:
        """The default callback, for `scrapy parse <url>`: the article page's record as a crawl would write it,
        through cleaning, normalization and validation (the reasons logged when it would be rejected); nothing is
        stored (`scrapy parse` runs no run control)."""
        for item in getattr(self, self.article_callback)(response):
            if isinstance(item, Article):
                record, _ = process_record(item)
                reasons = problems(dataclasses.asdict(record))
                if reasons:
                    self.logger.warning("%s would be rejected: %s", response.url, "; ".join(reasons))
                yield record
            else:
                yield item

    @classmethod
    def from_crawler(cls, crawler, *args: Any, **kwargs: Any):
        try:
            spider = super().from_crawler(crawler, *args, **kwargs)
        except (UsageError, SiteEntryError, UrlNotOnSite) as error:
            logging.getLogger(cls.name).critical("cannot start `scrapy crawl %s`: %s", cls.name, error)
            raise
        if spider.argument_note:
            spider.logger.info("%s", spider.argument_note)  # here, not in __init__, which check_arguments also runs
        crawler.signals.connect(spider.state_the_request, signal=scrapy.signals.spider_opened)
        return spider

    def state_the_request(self) -> None:
        """What the run was asked for, in the stats, for its verdict (crawler/run.py judge)."""
        if self.article_url:
            self.crawler.stats.set_value(counters.RUN_ARTICLE_URL, self.article_url)
        if self.first_day:
            self.crawler.stats.set_value(counters.RUN_DAYS, f"{self.first_day!s} to {self.last_day!s}")

    @classmethod
    def check_arguments(cls, **arguments: str) -> None:
        """UsageError (or SiteEntryError) for what the spider would refuse, before any crawl machinery starts: the
        same checks as the run's own, since they are the spider's constructor."""
        cls(**arguments)

    @classmethod
    def run_name(cls, **arguments: str) -> str:
        """What names a run of the spider with these arguments (its lock, its folder under DATA_DIR, its files): runs
        of one name never overlap, runs of different names may."""
        return cls.name

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
    def config(self) -> Config:
        """The project's settings of this run (crawler/config.py)."""
        return config_of(self.crawler.settings)

    @property
    def incremental(self):
        """The run's incremental output and store (crawler/incremental.py), or None in an export run. (Not `state`: that is Scrapy's own
        attribute, the dict JOBDIR keeps between a paused and a resumed crawl.)"""
        crawler = getattr(self, "crawler", None)
        return crawler.get_extension(IncrementalOutput) if crawler is not None else None

    def known_among(self, site: str, keys: list[str]) -> tuple[set[str], set[str]]:
        """Of a listing's articles, those an incremental run may skip (none with -a refresh=1), asked about at once
        (one query, or one round trip to Redis): those stored, and the pages earlier runs found to be no article
        (photo and video pages, advertorials), which are not fetched again either."""
        if not self.incremental or self.refresh:
            return set(), set()
        stored = self.incremental.stored_among(site, keys)
        return stored, self.incremental.skipped_among(site, [key for key in keys if key not in stored])

    # -- accounting ----------------------------------------------------------------------------------------------

    def fetched(self) -> None:
        self.crawler.stats.inc_value(counters.PAGES_FETCHED)

    def count_fields(self, article: Article | None) -> None:
        """Article pages and the required fields missing on them: what tells a redesign from a quiet day."""
        stats = self.crawler.stats
        stats.inc_value(counters.ARTICLES_PAGES)
        for name in COVERAGE_FIELDS:
            if article is None or not getattr(article, name):
                stats.inc_value(counters.missing(name))

    def skip(self, url: str, reason: str) -> None:
        self.crawler.stats.inc_value(counters.ARTICLES_SKIPPED)
        self.crawler.stats.set_value(counters.RUN_LAST_PROBLEM, f"{url}: {reason}")
        self.logger.info("skipped %s: %s", url, reason)

    def not_html(self, response: Response) -> bool:
        """Whether the response has no page in it: not HTML, empty, or bytes that are no text. Such a page failed
        (a broken server or proxy, most likely passing), unlike a page that is no article, which is skipped. A page
        is counted once: as failed here, or else as fetched."""
        if not isinstance(response, TextResponse):
            kind = response.headers.get("Content-Type", b"").decode("latin-1") or "no content type"
            self.page_failed(response.url, f"not an HTML page ({kind})", response.meta, warning=True)
            return True
        if not response.body.strip():
            self.page_failed(response.url, "the page is empty", response.meta, warning=True)
            return True
        if not readable(response.text):
            self.page_failed(response.url, "the page is not text (unreadable bytes)", response.meta, warning=True)
            return True
        self.fetched()
        return False

    def on_error(self, failure: Failure) -> None:
        """A page that could not be fetched: counted as failed, logged with why."""
        url = failure.request.url
        message = failure.getErrorMessage() or failure.type.__name__
        if failure.check(ClaimedElsewhere):  # another worker of the shared run has it: not a failure here
            self.crawler.stats.inc_value(counters.ARTICLES_CLAIMED_ELSEWHERE)
            self.logger.debug("%s: %s", url, message)
            return
        if failure.check(HttpError):
            message = f"HTTP {failure.value.response.status}"
        elif failure.check(IgnoreRequest) and "robots.txt" in message:
            parts = urlsplit(url)
            message = f"robots.txt of {parts.netloc} forbids {parts.path or '/'}"
            self.crawler.stats.inc_value(counters.PAGES_FORBIDDEN)
            if not self.crawler.stats.get_value(counters.PAGES_FORBIDDEN_EXAMPLE):
                self.crawler.stats.set_value(counters.PAGES_FORBIDDEN_EXAMPLE, message)
        self.page_failed(url, message, failure.request.meta, warning=bool(failure.check(IgnoreRequest, HttpError)))

    def page_failed(self, url: str, reason: str, meta: dict, warning: bool = False) -> None:
        """A page lost to this run (a fetch error, a refused redirect, an empty or unreadable body). An article
        page is remembered, and the next latest-news runs try it again."""
        self.crawler.stats.inc_value(counters.PAGES_FAILED)
        self.crawler.stats.set_value(counters.RUN_LAST_PROBLEM, f"{url}: {reason}")
        (self.logger.warning if warning else self.logger.error)("could not fetch %s: %s", url, reason)
        self.article_failed(meta, url, reason)

    # -- articles to try again ---------------------------------------------------------------------------------------

    @staticmethod
    def article_meta(site: str, key: str, listed_at: datetime | None = None) -> dict:
        """What an article request carries, so that a failure can be remembered under the article's key."""
        return {"article": (site, key), "listed_at": listed_at}

    def article_failed(self, meta: dict, url: str, reason: str) -> None:
        if self.incremental and meta.get("article"):
            site, key = meta["article"]
            listed_at = meta.get("listed_at")
            self.incremental.note_failure(site, key, url, listed_at.isoformat() if listed_at else None, reason)

    def article_settled(self, meta: dict) -> None:
        """The article of this request needs no retry: it is no article, or was read under another key."""
        if self.incremental and meta.get("article"):
            self.incremental.forget_failure(*meta["article"])

    def retries(self, site: str, request_for: Callable[[str, dict], Request | None]) -> Iterator[Request]:
        """Latest-news runs first try again the articles earlier runs could not store. ``request_for(url, meta)``
        makes the spider's article request (None when this run already asked for it)."""
        if not self.incremental or self.article_url or self.first_day:
            return
        due = self.incremental.retries_due(site)
        if due:
            self.logger.info("trying again %d article(s) that earlier runs could not store", len(due))
        for retry in due:
            if self.incremental.is_known(site, retry.key):
                self.incremental.forget_failure(site, retry.key)
                continue
            listed_at = datetime.fromisoformat(retry.listed_at) if retry.listed_at else None
            request = request_for(retry.url, self.article_meta(site, retry.key, listed_at))
            if request is not None:
                self.crawler.stats.inc_value(counters.ARTICLES_RETRIED)
                yield request

    # -- records -------------------------------------------------------------------------------------------------

    def records_from(self, response: Response, extract: Callable[[Selector, str], Article]) -> Iterator[Article]:
        """An article page through the site's extractor: skipped with its reason when it is no article, counted
        as missing every field when its markup is not recognized."""
        if self.not_html(response):
            return
        if len(response.body) > self.config.article_max_bytes:
            self.bound_hit("ARTICLE_MAX_BYTES", f"{response.url}: a page of {len(response.body) // 1024} KB is no "
                                                "article page we read")
            self.skip(response.url, "larger than ARTICLE_MAX_BYTES")
            self.article_settled(response.meta)
            return
        try:
            article = extract(response.selector, response.url)
        except LayoutNotRecognized as reason:
            self.count_fields(None)
            self.skip(response.url, str(reason))
            self.article_failed(response.meta, response.url, str(reason))  # a broken page, or a redesign: try again
            return
        except NotAnArticle as reason:
            self.skip(response.url, str(reason))
            if self.incremental and response.meta.get("article"):
                self.incremental.remember_skipped(*response.meta["article"], str(reason))
            else:
                self.article_settled(response.meta)
            return
        except Exception as error:  # an extractor bug must cost one page, never the run
            self.logger.exception("the extractor failed on %s", response.url)
            self.page_failed(response.url, f"the extractor failed: {type(error).__name__}: {error}", response.meta)
            return
        listed, key = response.meta.get("article"), article_key(article.news_id, article.url)
        if listed and listed != (article.site, key):
            self.article_settled(response.meta)  # from here on the article is known by its record's key...
            if self.incremental and listed[0] == article.site:  # ...and listings that give its URL know it too
                self.incremental.remember_alias(*listed, key)
        yield from self.accept(article, response.url)

    def accept(self, article: Article, url: str) -> Iterator[Article]:
        """Count the record's fields and hand it on, unless a date range leaves it out."""
        self.count_fields(article)
        if self.in_range(article, url):
            yield self.finished(article)

    def range_bounds(self) -> tuple[datetime, datetime]:
        """The -a from/to days as Tehran times: the first day's start and the start of the day after the last."""
        start = jalali_to_tehran(self.first_day.year, self.first_day.month, self.first_day.day)
        end = jalali_to_tehran(self.last_day.year, self.last_day.month, self.last_day.day) + timedelta(days=1)
        return start, end

    def in_range(self, article: Article, url: str) -> bool:
        """With -a from/to: whether the article was published on those days (it is dropped, and logged, if not)."""
        if not self.first_day or not article.published_at:
            return True
        published_day = tehran_jalali_day(datetime.fromisoformat(article.published_at))
        if self.first_day <= published_day <= self.last_day:
            return True
        self.crawler.stats.inc_value(counters.ARTICLES_OUTSIDE_RANGE)
        self.logger.info("not in %s..%s (published %s): %s", str(self.first_day), str(self.last_day),
                         article.published_jalali, url)
        return False

    def finished(self, article: Article) -> Article:
        article.crawled_at = utc_now_iso()
        self.crawler.stats.inc_value(counters.ARTICLES_EXTRACTED)
        return article


# Characters that do not occur in a page decoded right: C0 controls other than white space, and U+FFFD.
_NOT_TEXT = re.compile(r"[\x00-\x08\x0e-\x1f\ufffd]")


def readable(text: str, sample: int = 4000, most: float = 0.05) -> bool:
    """Whether the start of a decoded page looks like text: at most 5% of its characters are controls or
    replacement characters (random bytes decode to about a third of them)."""
    head = text[:sample]
    return len(_NOT_TEXT.findall(head)) <= most * len(head)


def checked_base_url(value: str, name: str = "base_url") -> str:
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(f"{name} must be an http(s) URL such as http://127.0.0.1:8800, not {value!r}")
    return f"{parts.scheme}://{parts.netloc}"


class UrlNotOnSite(ValueError):
    """-a url= names a page of another site: refused before anything is fetched, as a run that gives no record
    (exit 1), not as a usage error."""


def checked_article_url(value: str, hosts: set[str], site_name: str) -> str:
    """An -a url= that is an absolute http(s) URL on one of the site's hosts (lower-case host[:port])."""
    url = value.strip()
    try:
        parts = urlsplit(url)
        parts.hostname  # noqa: B018 (raises ValueError for a host such as [x)
    except ValueError:
        parts = urlsplit("")
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise UsageError(f"-a url= must be the absolute http(s) URL of an article, not {value!r}")
    if parts.netloc.lower() not in hosts:
        raise UrlNotOnSite(f"-a url={url} is not on {site_name} ({', '.join(sorted(hosts))}); "
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


class SiteSpider(NewsSpider):
    """The spider of one registry site (crawler/spiders/registry.py gives `site_key`): its Site and its family's
    parser, requests sent to -a base_url= when given, and each article asked for once a run."""

    site_key: str = ""
    options = (*NewsSpider.options, "base_url")

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.site = self.find_site()
        self.parser = parser_for(self.site)
        self._set_base_url(self.arguments.get("base_url"))
        self._requested_keys: set[str] = set()  # articles asked for this run, or listed as stored or skipped before
        self._listed = 0  # articles any listing gave (new or already stored)
        self._discovered = 0  # article requests the listings made (DISCOVERY_MAX_ARTICLES)
        self._archive_listed: dict[str, set[str]] = {}  # per archive (a day, or "None": the latest news): its articles
        self._archive_urls: set[str] = set()  # archive pages read
        self._days_done: set[str] = set()

    def find_site(self) -> Site:
        """The site this run crawls: the registry's entry `site_key`."""
        return registered_site(self.site_key)

    # -- where requests go ----------------------------------------------------------------------------------------

    def _set_base_url(self, given: str | None) -> None:
        """Requests go to -a base_url= (a mirror, a test server) or to the site's own base_url; -a url= must be on the
        site."""
        self.base_url = checked_base_url(given or self.site.base_url)
        self.allowed_domains = [urlsplit(self.base_url).hostname]
        self._site_hosts = {host.lower() for host in self.site.hosts} | {urlsplit(self.site.base_url).netloc.lower()}
        if self.article_url:
            self.article_url = checked_article_url(self.article_url, self._site_hosts | {urlsplit(self.base_url).netloc.lower()},
                                                   self.site.name)

    def local_url(self, url: str) -> str:
        """The URL with the site's own host replaced by base_url's, so that every request goes to base_url."""
        parts = urlsplit(url)
        if parts.netloc.lower() not in self._site_hosts:
            return url
        base = urlsplit(self.base_url)
        return urlunsplit((base.scheme, base.netloc, parts.path, parts.query, ""))

    def article_request(self, url: str, meta: dict, *, retry: bool = False) -> Request | None:
        """The request for an article page (`meta` from article_meta); None when this run already asked for it. A
        retry passes Scrapy's duplicate filter, which may remember the URL from the run that failed (JOBDIR)."""
        key = meta["article"][1]
        if key in self._requested_keys:
            return None
        self._requested_keys.add(key)
        return Request(self.local_url(url), callback=self.parse_article, errback=self.on_error, meta=meta,
                       priority=ARTICLE_PRIORITY, dont_filter=retry)

    def retry_request(self, url: str, meta: dict) -> Request | None:
        return self.article_request(url, meta, retry=True)

    async def start(self):
        """The articles earlier runs could not store, then one article (-a url=) or the latest news."""
        for request in self.retries(self.site.key, self.retry_request):
            yield request
        if self.article_url:
            self.logger.info("fetching one article: %s", self.article_url)
            yield Request(self.local_url(self.article_url), callback=self.parse_article, errback=self.on_error)
            return
        if self.first_day and getattr(self.parser, "day_archive", None):
            for request in self.day_archive_requests():
                yield request
            return
        for request in self.listing_requests():
            yield request

    def listing_requests(self) -> Iterator[Request]:
        """Where the site lists its articles (the family's spider says): the latest news, or with -a from/to the
        listings that date them, when the family has no day archive."""
        raise NotImplementedError

    # -- paged archives: a day's (day_archive in the family's or the entry's facts) or the latest news' ---------------
    #
    # A template URL with {page} (and {year} {month} {day} for a day), read page after page: each page's articles
    # through listed(), then the next page (the page's own next link; with archive_paging = "number" the template's
    # next number when the page has none) until the listing ends, lists nothing new, reaches an earlier day, or hits
    # its page limit; archive_continues() is where a family adds its own stop (Nastooh's catching up).

    def day_archive_requests(self) -> Iterator[Request]:
        """The first page of each day's archive of the -a from/to range."""
        days = jalali_days(self.first_day, self.last_day)
        self.crawler.stats.set_value(counters.PROGRESS_DAYS_TOTAL, len(days))
        self.logger.info("archive crawl of %d Jalali day(s), %s to %s", len(days), str(self.first_day),
                         str(self.last_day))
        for day in days:
            yield self.archive_request(day, 1)

    def archive_url(self, day: jdatetime.date | None, page: int) -> str:
        """The template's URL of a page of a day's archive, or of the latest news' (day None: latest_archive)."""
        if day is None:
            return self.base_url + self.parser.latest_archive.format(page=page)
        return self.base_url + self.parser.day_archive.format(year=day.year, month=day.month, day=day.day, page=page)

    def archive_request(self, day: jdatetime.date | None, page: int, url: str | None = None) -> Request:
        """A page of a day's archive, or of the latest news' (at ``url``, else the template's)."""
        return Request(url or self.archive_url(day, page), callback=self.parse_archive, errback=self.on_error,
                       cb_kwargs={"day": day, "page": page})

    def parse_archive(self, response: Response, day: jdatetime.date | None, page: int) -> Iterator[Request]:
        """One page of a paged archive: its articles, then its next page while the archive goes on."""
        where = f"archive {'latest' if day is None else str(day)} page {page}"
        if self.not_html(response):
            return
        self.crawler.stats.inc_value(counters.ARCHIVE_PAGES)
        self._archive_urls.add(response.url)
        listing = self.parser.listing(response.selector, response.url, page)
        entries = [dataclasses.replace(entry, url=self.local_url(entry.url)) for entry in listing.articles]
        seen = self._archive_listed.setdefault(str(day), set())
        fresh = [entry for entry in entries if (entry.news_id or entry.url) not in seen]
        seen.update(entry.news_id or entry.url for entry in entries)
        if not fresh:
            if page == 1 and day is None:
                self.crawler.stats.inc_value(counters.ARCHIVE_EMPTY_LATEST)
                self.logger.error("%s lists no articles (%s): has the list layout changed?", where, response.url)
            elif page == 1:
                self.crawler.stats.inc_value(counters.ARCHIVE_DAYS_EMPTY)
                self.logger.warning("%s: no article items (%s)", where, response.url)
            else:
                self.logger.info("%s: nothing new listed (%s): the archive ends here", where, response.url)
            self._day_done(day)
            return
        counted = yield from self.listed(where, fresh, windowed=day is not None)
        if not self.archive_continues(day, page, fresh, counted):
            self._day_done(day)
            return
        next_url = self.local_url(listing.next_url) if listing.next_url else None
        if next_url in self._archive_urls:
            self.logger.warning("%s: the next-page link points back to a page already read (%s); the listing ends here",
                                where, next_url)
            next_url = None
        elif next_url is None and self.parser.archive_paging == "number":
            next_url = self.archive_url(day, page + 1)
        limit = self.archive_page_limit(day)
        if not next_url or page >= limit:
            if next_url:
                self.logger.warning("%s: stopping at the limit of %d archive pages", where, limit)
            else:
                self.archive_ended(day)
            self._day_done(day)
            return
        yield self.archive_request(day, page + 1, next_url)

    def archive_continues(self, day: jdatetime.date | None, page: int, entries: list[ListedArticle],
                          counted: Listed) -> bool:
        """Whether to read the archive's next page after this one: a day's archive is newest first, so it ends where
        it lists an earlier day."""
        return day is None or not any(entry.listed_at is not None and tehran_jalali_day(entry.listed_at) < day
                                      for entry in entries)

    def archive_ended(self, day: jdatetime.date | None) -> None:
        """The archive has no page after the last one read."""

    def archive_page_limit(self, day: jdatetime.date | None) -> int:
        """How many pages an archive may take: a safety stop (the family's max_archive_pages)."""
        return self.parser.max_archive_pages

    def _day_done(self, day: jdatetime.date | None) -> None:
        if day is not None and str(day) not in self._days_done:
            self._days_done.add(str(day))
            self.crawler.stats.inc_value(counters.PROGRESS_DAYS_DONE)

    def parse_article(self, response: Response) -> Iterator[Article]:
        yield from self.records_from(response, self.parser.article)

    # -- the articles listed -------------------------------------------------------------------------------------

    def listed(self, source: str, entries: Iterable[ListedArticle], windowed: bool) -> Generator[Request, None, Listed]:
        """Requests for the listed articles this run wants (wanted); returns what was counted
        (``counted = yield from self.listed(...)``)."""
        chosen, counted = self.wanted(source, entries, windowed)
        for entry, key in chosen:
            request = self.article_request(entry.url, self.article_meta(self.site.key, key, entry.listed_at))
            if request is not None:
                yield request
        return counted

    def wanted(self, source: str, entries: Iterable[ListedArticle],
               windowed: bool) -> tuple[list[tuple[ListedArticle, str]], Listed]:
        """The listed articles this run wants, each with its key: on the site, in the window (when ``windowed``), not
        stored, not found to be no article by an earlier run, not listed already this run, within
        DISCOVERY_MAX_ARTICLES. The one place where a listing's articles are counted (stats and the log line)."""
        since, until = self._window()
        hosts = self._hosts()
        entries = list(entries)
        most = self.config.discovery_max_listed
        if len(entries) > most:
            self.bound_hit("DISCOVERY_MAX_LISTED", f"{source} lists {len(entries)} articles: the first {most} taken")
            entries = entries[:most]
        latest = windowed and not self.first_day  # a latest-news window: an undated entry may be years old
        keyed = [(entry, article_key(entry.news_id, entry.url)) for entry in entries]
        stored, skipped = self.known_among(self.site.key, [key for _, key in keyed])
        counted = Listed(total=len(entries))
        chosen: dict[str, ListedArticle] = {}
        for entry, key in keyed:
            if host_of(entry.url) not in hosts:
                counted.elsewhere += 1
            elif windowed and (not since <= entry.listed_at < until if entry.listed_at else latest):
                counted.old += 1
            elif key in self._requested_keys or key in chosen:
                counted.again += 1
            elif key in stored or key in skipped:
                self._requested_keys.add(key)  # listed again on a later page: counted once
                counted.known += key in stored
                counted.skipped_before += key in skipped
            elif self._discovered >= self.config.discovery_max_articles:
                if not self.crawler.stats.get_value(counters.bound_hit("DISCOVERY_MAX_ARTICLES")):  # said once
                    self.bound_hit("DISCOVERY_MAX_ARTICLES", f"{self._discovered} articles asked for: no more this run "
                                                             f"(from {source} on)")
            else:
                self._discovered += 1
                chosen[key] = entry
        counted.new = len(chosen)
        listed = counted.new + counted.known + counted.skipped_before
        self._listed += listed
        self.crawler.stats.inc_value(counters.LISTED, listed)
        self.crawler.stats.inc_value(counters.ARCHIVE_ALREADY_STORED, counted.known)
        self.crawler.stats.inc_value(counters.ARCHIVE_SKIPPED_BEFORE, counted.skipped_before)
        self.logger.info("%s: %d articles, %d to fetch, %d already stored%s%s%s", source, counted.total, counted.new,
                         counted.known, f", {counted.skipped_before} no article (found before)"
                         if counted.skipped_before else "",
                         f", {counted.old} outside the window{' or undated' if latest else ''}" if counted.old else "",
                         f", {counted.elsewhere} on other sites" if counted.elsewhere else "")
        return [(entry, key) for key, entry in chosen.items()], counted

    def bound_hit(self, setting: str, what: str) -> None:
        """A bound on what a site controls cut something: a warning naming the setting, counted for the run's line."""
        self.crawler.stats.inc_value(counters.BOUNDS_HIT)
        self.crawler.stats.inc_value(counters.bound_hit(setting))
        self.logger.warning("%s (-s %s=%d)", what, setting, self.config.value_of(setting))

    def _window(self) -> tuple[datetime, datetime]:
        """The publication times this run wants from dated listings: the -a from/to days, or the last
        LATEST_NEWS_DAYS days."""
        if self.first_day:
            return self.range_bounds()
        days = self.config.latest_news_days
        now = datetime.now(TEHRAN)
        return now - timedelta(days=days), now + timedelta(hours=6)

    def _hosts(self) -> set[str]:
        return self.site.host_names | {(urlsplit(self.base_url).hostname or "").lower()}

