"""Discovery for IranSamaneh CMS sites (IRIB News, Tabnak, YJC...): which article pages to fetch.

Two modes, chosen by spider arguments:
  (none)                         the latest news: the articles the home page links (about 80 on IRIB News);
  -a url=ARTICLE_URL             exactly that article.
  -a base_url=http://host:port   sends every request to that host instead of the site's own (mirrors, tests).
  -a from=YYYY-MM-DD [-a to=...] every article of those Jalali days, from each day's archive, when the registry entry
                                 names it (day_archive); the family's own is not known from a stored page yet, so
                                 without it -a from/to is refused with the reason rather than guessed. Reading pages is the family parser's job (crawler/sites/iransamaneh.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from scrapy.exceptions import UsageError
from scrapy.http import Request, Response

from crawler import counters
from crawler.spiders.base import SiteSpider


class IranSamanehSpider(SiteSpider):
    """The spider of an IranSamaneh site; crawler/spiders/registry.py makes one for each registry entry of the
    family."""

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if self.first_day and not self.parser.day_archive:
            raise UsageError(f"-a from/to: the day archives of {self.site.name} ({self.site.family}) are not known yet; "
                             "crawl the latest news (no -a) or one article (-a url=), or name them in its registry "
                             "entry: day_archive = \"/path?date={year}/{month:02d}/{day:02d}&page={page}\"")

    def listing_requests(self) -> Iterator[Request]:
        self.logger.info("latest news: the articles the home page links")
        yield Request(self.base_url + self.parser.home_path, callback=self.parse_listing, errback=self.on_error)

    def parse_listing(self, response: Response) -> Iterator[Request]:
        if self.not_html(response):
            return
        listing = self.parser.listing(response.selector, response.url)
        self.crawler.stats.inc_value(counters.ARCHIVE_PAGES)
        if not listing.articles:
            self.crawler.stats.inc_value(counters.ARCHIVE_EMPTY_LATEST)
            self.logger.error("the home page links no articles (%s): has the layout changed?", response.url)
            return
        yield from self.listed("home page", listing.articles, windowed=False)
