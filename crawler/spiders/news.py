"""Any Persian news site, with no registry entry and no code:

  scrapy crawl news -a url=<an article's URL>         that one article;
  scrapy crawl news -a site_url=<a site's home page>  its latest news, incremental like every spider: the home page
                                                      (with its family's listing), its feeds and sitemaps
                                                      (crawler/spiders/discovery.py); -a from/to reads the days the
                                                      feeds and sitemaps date in that range.

The family is decided from the first page fetched (the home page, or the article) by crawler/sites/detect.py and
logged (`family: iransamaneh (detected from ...)`), or given with -a family=; a site of no known family is read by the
generic parser (crawler/sites/generic.py). A site that is in the registry is read with its entry (its key, its family,
its overrides) and nothing is detected.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

from scrapy.exceptions import UsageError
from scrapy.http import Request, Response, TextResponse

from crawler import counters
from crawler.record import Article
from crawler.sites import (
    FAMILIES,
    LayoutNotRecognized,
    Site,
    parser_for,
    registered_site,
    registry,
    site_key_of,
)
from crawler.sites.detect import detect_family
from crawler.sites.html import PageContext
from crawler.spiders.base import NewsSpider, checked_base_url
from crawler.spiders.discovery import SiteDiscovery


class AnyNewsSpider(SiteDiscovery):
    name = "news"
    options = (*NewsSpider.options, "site_url", "family")

    def __init__(self, *args: Any, **kwargs: Any):
        given = {name: (kwargs.get(name) or "").strip() for name in ("url", "site_url", "family")}
        if not given["url"] and not given["site_url"]:
            raise UsageError("scrapy crawl news needs an article (-a url=https://example.ir/news/123/...) or a site's "
                             "home page (-a site_url=https://example.ir/)")
        if given["url"] and given["site_url"]:
            raise UsageError("give either -a url= (one article) or -a site_url= (a site's latest news), not both")
        if given["family"] and given["family"] not in FAMILIES:
            raise UsageError(f"-a family= must be one of {', '.join(FAMILIES)}, not {given['family']!r}")
        self.family = given["family"] or None
        # the site's origin, which every request stays on (an absolute http(s) URL, or a usage error)
        self._origin = checked_base_url(given["url"] or given["site_url"], "url" if given["url"] else "site_url")
        self.home_url = given["site_url"] or self._origin + "/"
        self._family_decided = self._registered = False
        super().__init__(*args, **kwargs)
        self._generic = parser_for(Site(key=self.site.key, name=self.site.name, family="generic",
                                        base_url=self.site.base_url))

    @classmethod
    def run_name(cls, **arguments: str) -> str:
        """`news-<site>` (its host, and its port when it has its own: crawler/sites site_key_of), for a site's latest
        news and for one of its articles alike: crawls of different sites run side by side, each with its own lock
        and folder under DATA_DIR, and runs of one site never overlap."""
        key = site_key_of((arguments.get("site_url") or arguments.get("url") or "").strip())
        return f"news-{re.sub(r'[^a-z0-9.-]', '_', key)}" if key else cls.name

    def find_site(self) -> Site:
        """The registry's entry when the site is in the registry (its family is known); else a site named by its host,
        of the family given with -a family=, or generic until the first page is read."""
        host = (urlsplit(self._origin).hostname or "").lower()
        for key, entry in registry().items():
            known = {name.lower() for name in entry.get("hosts", [])} | {urlsplit(entry.get("base_url", "")).hostname or ""}
            if host in known | {"www." + name for name in known} and entry.get("family") in FAMILIES:
                self._family_decided = self._registered = True
                return registered_site(key)
        self._family_decided = self.family is not None
        name = site_key_of(self._origin)
        return Site(key=name, name=name, family=self.family or "generic", base_url=self._origin)

    def _set_base_url(self, given: str | None) -> None:
        super()._set_base_url(self._origin)

    def listing_requests(self) -> Iterator[Request]:
        self.logger.info("latest news of %s: its home page, feeds and sitemaps", self.home_url)
        yield self.home_request()

    def parse_home(self, response: Response) -> Iterator[Request]:
        if self.not_html(response):
            return
        self._decide_family(response)
        yield from self.discover(response)

    def parse_article(self, response: Response) -> Iterator[Article]:
        if isinstance(response, TextResponse) and response.body.strip():
            self._decide_family(response)
        yield from self.records_from(response, self._extract)

    def _extract(self, page, url: str) -> Article:
        """The page through its family's parser; on a site detected (not registered) as of a family, what that parser
        does not find (a page it does not recognize, or a title, body or date it misses: a variant of the family's
        markup) is read by the generic parser, from the same page context (parsed, its metas and JSON-LD read once)."""
        if self._registered or self.site.family == "generic":
            return self.parser.article(page, url)
        page = PageContext.of(page, url)
        try:
            article = self.parser.article(page, url)
        except LayoutNotRecognized as reason:
            self.logger.info("%s: the %s parser did not recognize the page (%s); read by the generic parser", url,
                             self.site.family, reason)
            self.crawler.stats.inc_value(counters.ARTICLES_GENERIC_FALLBACK)
            return self._generic.article(page, url)
        missing = [name for name in ("title", "body", "published_at") if not getattr(article, name)]
        if not missing:
            return article
        article, filled = self._generic.fill(article, page)  # each field it lacks, by the generic method for it
        if filled:
            self.logger.info("%s: the %s parser found no %s; taken from the generic reading: %s", url, self.site.family,
                             ", ".join(missing), ", ".join(filled))
            self.crawler.stats.inc_value(counters.ARTICLES_GENERIC_FALLBACK)
        return article

    def _decide_family(self, response: TextResponse) -> None:
        """The family of an unregistered site, from the first page read (once a run), and its parser."""
        if self._family_decided:
            return
        self._family_decided = True
        headers = {name.decode("latin-1").lower(): values[0].decode("latin-1")
                   for name, values in response.headers.items() if values}
        detection = detect_family(response.selector, response.url, headers)
        if detection is None:
            self.logger.info("family: generic (no CMS marker found on %s)", response.url)
            return
        self.logger.info("family: %s (detected from %s)", detection.family, detection.evidence)
        self.crawler.stats.set_value(counters.SITE_FAMILY, detection.family)
        self.site = Site(key=self.site.key, name=self.site.name, family=detection.family, base_url=self.site.base_url)
        self.parser = parser_for(self.site)
