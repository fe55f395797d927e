"""The latest news of a site of any family, found where the site lists them: its home page (with the family's own
listing when the family has one), the feeds the home page declares, and the sitemaps robots.txt names (else
/sitemap.xml). When none of them lists an article, the home page's links that look like articles are read instead.
Reading each of these is crawler/sites/discovery.py's; this is the fetching, the window and the accounting.

Which articles: in a latest-news run, every article the home page and the feeds list, and those the sitemaps list
from the last LATEST_NEWS_DAYS days (a general sitemap of a big site lists every article it ever had, so an undated
sitemap entry is left out: it may be years old); with -a from/to, those the listings date within the range (undated
ones are fetched and the record's own date decides). Articles the seen-store already has are not fetched again.
-a pages=N reads at most N sitemap files. What a site controls is bounded (DISCOVERY_* settings): sitemap files and
how deep indexes nest, entries taken from one listing, article requests in one run; a bound hit is a warning and is
counted in the run's line.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from urllib.parse import urlsplit

from scrapy import signals
from scrapy.exceptions import DontCloseSpider
from scrapy.http import Request, Response
from scrapy.utils.gz import gunzip
from twisted.python.failure import Failure

from crawler import counters
from crawler.dates import TEHRAN
from crawler.sites.discovery import (
    ListedArticle,
    article_links,
    feed_entries,
    feed_links,
    looks_like_article,
    news_id_in_url,
    read_sitemap,
    robots_sitemaps,
)
from crawler.record import host_of
from crawler.spiders.base import SiteSpider

# A feed or sitemap that is not there is no failure of the run: the next place is tried.
NOT_THERE = [400, 401, 403, 404, 405, 410, 500, 502, 503]
MAX_SITEMAP_BYTES = 50 * 1024 * 1024  # the sitemap protocol's own limit, uncompressed


class SiteDiscovery(SiteSpider):
    """A site spider that finds its articles on the home page, in feeds and in sitemaps. Subclasses give the home
    page's URL (`home_url`) and call `discover()` with the fetched home page."""

    home_url: str = ""

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider._idle, signal=signals.spider_idle)
        return spider

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._home_links: list[str] = []
        self._home_read = False
        self._fallback_used = False
        self._sitemaps_read: set[str] = set()

    # -- the home page ------------------------------------------------------------------------------------------

    def home_request(self) -> Request:
        return Request(self.home_url, callback=self.parse_home, errback=self.on_error, dont_filter=True)

    def parse_home(self, response: Response) -> Iterator[Request]:
        if self.not_html(response):
            return
        yield from self.discover(response)

    def discover(self, response: Response) -> Iterator[Request]:
        """Everything the home page leads to: its articles by the family's listing, its feeds, the sitemaps."""
        self._home_read = True
        self.crawler.stats.set_value(counters.RUN_HOME_READ, self.home_url)
        self.crawler.stats.inc_value(counters.ARCHIVE_PAGES)
        hosts = self._hosts()
        self._home_links = article_links(response.selector, response.url, hosts)
        listing = getattr(self.parser, "listing", None)
        if listing is not None and not self.first_day:
            articles = listing(response.selector, response.url).articles
            yield from self.listed(f"home page ({self.site.family} listing)", articles, windowed=False)
        feeds = [feed for feed in feed_links(response.selector, response.url) if host_of(feed) in hosts]
        self.logger.info("discovery: %d feed(s) declared on the home page%s; sitemaps from robots.txt", len(feeds),
                         f" ({', '.join(feeds)})" if feeds else "")
        for feed in feeds:
            yield Request(feed, callback=self.parse_feed, errback=self.listing_failed, dont_filter=True,
                          meta={"handle_httpstatus_list": NOT_THERE})
        robots = f"{urlsplit(response.url).scheme}://{urlsplit(response.url).netloc}/robots.txt"
        yield Request(robots, callback=self.parse_robots, errback=self.robots_failed, dont_filter=True,
                      meta={"handle_httpstatus_list": NOT_THERE})

    # -- feeds --------------------------------------------------------------------------------------------------

    def parse_feed(self, response: Response) -> Iterator[Request]:
        if response.status != 200:
            self.logger.info("no feed at %s (HTTP %d)", response.url, response.status)
            return
        self.fetched()
        entries = feed_entries(response.body, response.url, self._news_id_of)
        if not entries:
            self.logger.warning("%s is no RSS or Atom feed with items: left out", response.url)
            return
        self.crawler.stats.inc_value(counters.ARCHIVE_PAGES)
        yield from self.listed(f"feed {response.url}", entries, windowed=bool(self.first_day))

    # -- sitemaps -----------------------------------------------------------------------------------------------

    def parse_robots(self, response: Response) -> Iterator[Request]:
        sitemaps = robots_sitemaps(response.body, response.url) if response.status == 200 else []
        sitemaps = [sitemap for sitemap in sitemaps if host_of(sitemap) in self._hosts()]
        if not sitemaps:
            base = f"{urlsplit(response.url).scheme}://{urlsplit(response.url).netloc}"
            self.logger.info("robots.txt names no sitemap: trying %s/sitemap.xml", base)
            sitemaps = [f"{base}/sitemap.xml"]
        yield from self._sitemap_requests(sitemaps)

    def robots_failed(self, failure: Failure) -> Iterator[Request]:
        parts = urlsplit(failure.request.url)
        self.logger.info("no robots.txt (%s): trying /sitemap.xml", failure.getErrorMessage() or failure.type.__name__)
        yield from self._sitemap_requests([f"{parts.scheme}://{parts.netloc}/sitemap.xml"])

    def _sitemap_requests(self, urls: Iterable[str], depth: int = 0) -> Iterator[Request]:
        """Requests for sitemaps not read yet this run; ``depth`` is how many indexes led to them."""
        if depth > self.config.discovery_max_sitemap_depth:
            self.bound_hit("DISCOVERY_MAX_SITEMAP_DEPTH", f"sitemap indexes nested {depth} deep: the deepest not read")
            return
        for url in urls:
            if url in self._sitemaps_read:
                continue
            if self.max_pages and len(self._sitemaps_read) >= self.max_pages:
                self.logger.info("-a pages=%d: no more sitemaps read", self.max_pages)
                return
            if len(self._sitemaps_read) >= self.config.discovery_max_sitemaps:
                self.bound_hit("DISCOVERY_MAX_SITEMAPS", f"{len(self._sitemaps_read)} sitemaps read: no more this run")
                return
            self._sitemaps_read.add(url)
            yield Request(url, callback=self.parse_sitemap, errback=self.listing_failed, dont_filter=True,
                          meta={"handle_httpstatus_list": NOT_THERE, "sitemap_depth": depth})

    def parse_sitemap(self, response: Response) -> Iterator[Request]:
        if response.status != 200:
            self.logger.info("no sitemap at %s (HTTP %d)", response.url, response.status)
            return
        self.fetched()
        body = response.body
        if body[:2] == b"\x1f\x8b":  # a .xml.gz served as a file, not with Content-Encoding
            try:
                body = gunzip(body, max_size=MAX_SITEMAP_BYTES)
            except (OSError, EOFError, ValueError) as error:
                self.logger.warning("%s: not a readable gzip file (%s): left out", response.url, error)
                return
        sitemap = read_sitemap(body, response.url, self._news_id_of)
        if not sitemap.sitemaps and not sitemap.pages:
            self.logger.info("%s lists nothing (not a sitemap?)", response.url)
            return
        self.crawler.stats.inc_value(counters.ARCHIVE_PAGES)
        since, _ = self._window()
        children = [(url, lastmod) for url, lastmod in sitemap.sitemaps if lastmod is None or lastmod >= since]
        if sitemap.sitemaps:
            self.logger.info("sitemap index %s: %d sitemaps, %d changed in the window", response.url,
                             len(sitemap.sitemaps), len(children))
            # the newest first: a capped run (-a pages=) reads what changed last
            children.sort(key=lambda child: child[1] or datetime.max.replace(tzinfo=TEHRAN), reverse=True)
            yield from self._sitemap_requests((url for url, _ in children), response.meta.get("sitemap_depth", 0) + 1)
        pages = sitemap.pages if sitemap.is_news else [
            page for page in sitemap.pages if looks_like_article(page.url, self._hosts())]
        if pages:
            yield from self.listed(f"{'news ' if sitemap.is_news else ''}sitemap {response.url}", pages, windowed=True)

    def listing_failed(self, failure: Failure) -> None:
        self.logger.info("could not read %s: %s", failure.request.url, failure.getErrorMessage() or failure.type.__name__)

    def _idle(self) -> None:
        """When the listings are all read and listed no article: the home page's links that look like articles."""
        if self._fallback_used or not self._home_read or self._listed:
            return
        self._fallback_used = True
        if not self._home_links:
            return
        self.logger.info("no feed or sitemap listed an article: reading the %d home-page links that look like articles",
                         len(self._home_links))
        entries = [ListedArticle(link, self._news_id_of(link), None) for link in self._home_links]
        requests = list(self.listed("home-page links", entries, windowed=False))
        for request in requests:
            self.crawler.engine.crawl(request)
        if requests:
            raise DontCloseSpider

    def _news_id_of(self, url: str) -> str | None:
        reader = getattr(self.parser, "news_id_in_url", None)
        return reader(url) if reader else news_id_in_url(url)


class ListedSiteSpider(SiteDiscovery):
    """The spider of a registry entry whose family has no day archive we know (Asam, generic): the latest news from
    the home page, feeds and sitemaps; -a url= for one article; -a base_url= to crawl a mirror."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.home_url = self.base_url + "/"

    def listing_requests(self) -> Iterator[Request]:
        self.logger.info("latest news of %s: its home page, feeds and sitemaps", self.site.name)
        yield self.home_request()
