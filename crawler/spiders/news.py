"""`scrapy crawl news -a url=<any article URL>`: one article of any Persian news site, with no registry entry and no
code. The family is decided from the page (crawler/sites/detect.py) and logged (`family: iransamaneh (detected from
...)`), or given with -a family=; a site of no known family is read by the generic parser (crawler/sites/generic.py).
A site that is in the registry is read with its entry (its key, its overrides).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import urlsplit

from scrapy.exceptions import UsageError
from scrapy.http import Request, Response, TextResponse

from crawler.record import Article
from crawler.sites import FAMILIES, Site, parser_for, registered_site, registry
from crawler.sites.detect import detect_family
from crawler.spiders.base import NewsSpider, checked_base_url

# Families detected without a parser of their own yet: read by the generic parser.
UNPARSED_FAMILIES = ("asam",)


class AnyNewsSpider(NewsSpider):
    name = "news"
    options = (*NewsSpider.options, "family")

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if not self.article_url:
            raise UsageError("scrapy crawl news needs the article: -a url=https://example.ir/news/123/...")
        if self.first_day:
            raise UsageError("scrapy crawl news reads one article (-a url=); for dates, crawl a registry site")
        self.article_url = self.article_url.strip()
        checked_base_url(self.article_url, "url")  # an absolute http(s) URL
        self.family = self.arguments.get("family")
        if self.family is not None and self.family not in FAMILIES:
            raise UsageError(f"-a family= must be one of {', '.join(FAMILIES)}, not {self.family!r}")
        parts = urlsplit(self.article_url)
        self.allowed_domains = [parts.hostname]

    async def start(self) -> AsyncIterator[Request]:
        yield Request(self.article_url, callback=self.parse_article, errback=self.on_error)

    def parse_article(self, response: Response) -> Iterator[Article]:
        if not isinstance(response, TextResponse) or not response.body.strip():
            yield from self.records_from(response, None)  # counted and logged as a page with no page in it
            return
        site = self._site(response)
        self.logger.info("site: %s, family: %s", site.key, site.family)
        yield from self.records_from(response, parser_for(site).article)

    def _site(self, response: Response) -> Site:
        host = (urlsplit(response.url).hostname or "").lower()
        for key, entry in registry().items():  # a registry site is read with its own entry
            known = {name.lower() for name in entry.get("hosts", [])} | {(urlsplit(entry.get("base_url", "")).hostname or "")}
            if host in known and entry.get("family") in FAMILIES:
                return registered_site(key)
        family = self.family
        if family is None:
            headers = {name.decode("latin-1").lower(): values[0].decode("latin-1")
                       for name, values in response.headers.items() if values}
            detection = detect_family(response.selector, response.url, headers)
            if detection is None:
                family = "generic"
                self.logger.info("family: generic (no CMS marker found)")
            else:
                family = detection.family if detection.family not in UNPARSED_FAMILIES else "generic"
                self.logger.info("family: %s (detected from %s)%s", detection.family, detection.evidence,
                                 "; read by the generic parser" if family == "generic" else "")
        parts = urlsplit(response.url)
        return Site(key=host.removeprefix("www."), name=host.removeprefix("www."), family=family,
                    base_url=f"{parts.scheme}://{parts.netloc}")
