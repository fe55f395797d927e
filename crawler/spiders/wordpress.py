"""Discovery for WordPress news sites: `scrapy crawl wordpress -a site_url=https://example.ir/`, and the spider of
every WordPress entry of the registry (`scrapy crawl nazirkerman`, made in crawler/spiders/registry.py). Reading
posts, feeds and sitemaps is the family parser's job (crawler/sites/wordpress.py).

Route, decided automatically and logged:
  1. the REST API, /wp-json/wp/v2/posts (or ?rest_route=/wp/v2/posts where pretty permalinks are off), 100 posts a
     page with _embed for category, tag and author names (looked up separately when _embed is stripped), paging
     through X-WP-TotalPages, with after/before for date ranges; records are built from the JSON;
  2. when the API is refused (401, 403, 404, HTML instead of JSON): the feed (/feed/, ?paged=N) and the sitemaps
     (/wp-sitemap.xml, /sitemap_index.xml) for the post URLs, and each post's page for the record.
Arguments as for ISNA: -a from=/to= (Jalali days, inclusive), -a url= (one post page), -a pages=N (at most N pages
of posts or feed), -a refresh=1; -a site_url= (or base_url=) sends registry spiders to a mirror.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode, urlsplit

from scrapy.exceptions import UsageError
from scrapy.http import Request, Response, TextResponse
from twisted.python.failure import Failure

from crawler import counters
from crawler.record import Article
from crawler.sites import NotAnArticle, Site, registered_site, site_key_of
from crawler.sites.discovery import ListedArticle
from crawler.sites.html import absolute
from crawler.spiders.base import SiteSpider, checked_article_url, checked_base_url

POSTS_PER_PAGE = 100
REFUSED = [400, 401, 403, 404, 405, 410, 500, 501, 503]


class WordPressSpider(SiteSpider):
    """A WordPress site: a registry entry's (`site_key`), or the one -a site_url= names."""

    name = "wordpress"
    site_key = ""  # set on the registry's spiders
    options = (*SiteSpider.options, "site_url")

    @classmethod
    def handles_request(cls, request) -> bool:
        return bool(cls.site_key) and super().handles_request(request)

    @classmethod
    def run_name(cls, **arguments: str) -> str:
        """A registry spider's name; `wordpress-<site>` for `scrapy crawl wordpress -a site_url=`, so that each
        WordPress site has its own lock and folder, as `news` sites do."""
        if cls.site_key:
            return cls.name
        key = site_key_of((arguments.get("site_url") or arguments.get("base_url") or "").strip())
        return f"{cls.name}-{re.sub(r'[^a-z0-9.-]', '_', key)}" if key else cls.name

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.term_names: dict[int, str] = {}
        self.author_names: dict[int, str] = {}
        self.route: str | None = None
        self._sitemaps_read = False

    def find_site(self) -> Site:
        """The registry's entry, or the site -a site_url= names."""
        if self.site_key:
            return registered_site(self.site_key)
        given = self.arguments.get("site_url") or self.arguments.get("base_url")
        if not given:
            raise UsageError("scrapy crawl wordpress needs the site: -a site_url=https://example.ir/")
        base_url = checked_base_url(given, "site_url")
        host = site_key_of(base_url)
        return Site(key=host, name=host, family="wordpress", base_url=base_url)

    def _set_base_url(self, given: str | None) -> None:
        """-a site_url= (or base_url=) is where requests go; -a url= may be a post's path on it."""
        url = self.arguments.get("site_url") or given
        self.article_url, article_url = None, self.article_url
        super()._set_base_url(checked_base_url(url, "site_url") if url else None)
        if article_url:
            own = urlsplit(self.base_url).netloc.lower()
            self.article_url = checked_article_url(absolute(article_url, self.base_url + "/") or article_url,
                                                   self._site_hosts | {own, own.removeprefix("www."),
                                                                       "www." + own.removeprefix("www.")},
                                                   self.site.name)

    # -- start -------------------------------------------------------------------------------------------------

    def listing_requests(self) -> Iterator[Request]:
        """The REST API's posts (after/before for -a from/to), else the feed and the sitemaps."""
        if self.first_day:
            self.logger.info("posts published %s to %s", str(self.first_day), str(self.last_day))
        yield self._rest_request(1, "wp-json")

    def _rest_request(self, page: int, flavour: str) -> Request:
        params = {"per_page": POSTS_PER_PAGE, "page": page, "_embed": 1, "orderby": "date", "order": "desc"}
        if self.first_day:
            # WordPress reads after/before in the site's own time zone, whatever that is: ask for a day more on
            # each side, and let the Jalali-day filter on each record decide exactly.
            start, end = self.range_bounds()
            params["after"] = (start - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%S")
            params["before"] = (end + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%S")
        if flavour == "wp-json":
            url = f"{self.base_url}/wp-json/wp/v2/posts?{urlencode(params)}"
        else:
            url = f"{self.base_url}/?{urlencode({'rest_route': '/wp/v2/posts', **params})}"
        return Request(url, callback=self.parse_rest, errback=self.rest_failed, dont_filter=True,
                       meta={"handle_httpstatus_list": REFUSED}, cb_kwargs={"page": page, "flavour": flavour})

    # -- route 1: the REST API ------------------------------------------------------------------------------------

    def parse_rest(self, response: Response, page: int, flavour: str) -> Iterator[Request | Article]:
        posts, problem = _json_list(response)
        if problem:
            if page > 1 and response.status == 400:
                return  # past the last page
            yield from self._rest_refused(response.url, flavour, problem)
            return
        self.fetched()
        if page == 1:
            self.route = flavour
            total = response.headers.get(b"X-WP-Total", b"?").decode()
            self.logger.info("route: REST API at %s (%s posts)", response.url.split("?")[0], total)
            self.crawler.stats.set_value(counters.WORDPRESS_ROUTE, f"rest ({flavour})")
        self.crawler.stats.inc_value(counters.ARCHIVE_PAGES)
        posts_by_id = {str(post["id"]): post for post in posts if isinstance(post, dict) and post.get("id") is not None}
        entries = [ListedArticle(self.local_url(_string_or(post.get("link"), f"{self.base_url}/?p={news_id}")),
                                 news_id, None) for news_id, post in posts_by_id.items()]
        chosen, counted = self.wanted(f"REST page {page}", entries, windowed=False)
        self._requested_keys.update(key for _, key in chosen)  # read from the JSON: no page to ask for
        fresh = [posts_by_id[entry.news_id] for entry, _ in chosen]
        bare = [post for post in fresh if not (post.get("_embedded") or {}).get("wp:term")]
        missing = sorted({term for post in bare for term in (post.get("categories") or []) + (post.get("tags") or [])}
                         - self.term_names.keys())
        authors = sorted({post.get("author") for post in bare if post.get("author")} - self.author_names.keys())
        if missing or authors:
            yield self._lookup_request("categories", fresh, missing, authors)
        else:
            yield from self._rest_records(fresh)
        total_pages = _int(response.headers.get(b"X-WP-TotalPages"))
        last_page = total_pages if total_pages is not None else (page + 1 if len(posts) == POSTS_PER_PAGE else page)
        if page >= last_page or (self.max_pages and page >= self.max_pages):
            return
        if self.incremental and posts and counted.known + counted.skipped_before == counted.total:
            self.logger.info("stopping at REST page %d: every post on it is already stored", page)
            return
        yield self._rest_request(page + 1, flavour)

    def _rest_records(self, posts: list[dict]) -> Iterator[Article]:
        for post in posts:
            try:
                article = self.parser.rest_article(post, self.term_names, self.author_names)
            except NotAnArticle as reason:
                self.skip(str(post.get("link")), str(reason))
                continue
            yield from self.accept(article, article.url)

    def _lookup_request(self, kind: str, posts: list[dict], terms: list[int], authors: list[int]) -> Request:
        """Sites that strip _embed: names by id, asked for in turn: categories, tags, then authors (users)."""
        ids = authors if kind == "users" else terms
        query = urlencode({"include": ",".join(map(str, ids)), "per_page": 100})
        if self.route == "wp-json":
            url = f"{self.base_url}/wp-json/wp/v2/{kind}?{query}"
        else:
            url = f"{self.base_url}/?rest_route=/wp/v2/{kind}&{query}"
        return Request(url, callback=self.parse_lookup, errback=self.lookup_failed, dont_filter=True,
                       meta={"handle_httpstatus_list": REFUSED},
                       cb_kwargs={"kind": kind, "posts": posts, "terms": terms, "authors": authors})

    def parse_lookup(self, response: Response, kind: str, posts: list[dict], terms: list[int], authors: list[int]):
        found, problem = _json_list(response)
        if problem:
            self.logger.warning("could not look up %s names (%s): they stay empty", kind, problem)
        names = self.author_names if kind == "users" else self.term_names
        for entry in found or []:
            if isinstance(entry, dict) and entry.get("id") is not None and entry.get("name"):
                names[entry["id"]] = entry["name"]
        yield from self._next_lookup(kind, posts, terms, authors)

    def lookup_failed(self, failure: Failure):
        kwargs = failure.request.cb_kwargs
        self.logger.warning("could not look up %s names (%s): they stay empty", kwargs["kind"], failure.getErrorMessage())
        yield from self._next_lookup(kwargs["kind"], kwargs["posts"], kwargs["terms"], kwargs["authors"])

    def _next_lookup(self, kind: str, posts: list[dict], terms: list[int], authors: list[int]):
        following = {"categories": "tags", "tags": "users", "users": None}[kind]
        if following == "tags" and not terms:
            following = "users"
        if following == "users" and not authors:
            following = None
        if following:
            yield self._lookup_request(following, posts, terms, authors)
        else:
            yield from self._rest_records(posts)

    def rest_failed(self, failure: Failure) -> Iterator[Request]:
        flavour = failure.request.cb_kwargs.get("flavour", "rest_route")
        page = failure.request.cb_kwargs.get("page", 1)
        if page > 1:
            self.on_error(failure)
            return
        yield from self._rest_refused(failure.request.url, flavour, failure.getErrorMessage() or failure.type.__name__)

    def _rest_refused(self, url: str, flavour: str, problem: str) -> Iterator[Request]:
        if flavour == "wp-json":
            self.logger.info("REST API at /wp-json/ not usable (%s); trying ?rest_route=", problem)
            yield self._rest_request(1, "rest_route")
            return
        self.logger.info("route: feed and sitemaps, then the post pages (the REST API is not usable: %s)", problem)
        self.route = "feed"
        self.crawler.stats.set_value(counters.WORDPRESS_ROUTE, "feed")
        yield self._feed_request(1)

    # -- route 2: feed, sitemaps and pages ----------------------------------------------------------------------------

    def _feed_request(self, page: int) -> Request:
        url = f"{self.base_url}/feed/" + (f"?paged={page}" if page > 1 else "")
        return Request(url, callback=self.parse_feed, errback=self.feed_failed, dont_filter=True,
                       meta={"handle_httpstatus_list": REFUSED}, cb_kwargs={"page": page})

    def parse_feed(self, response: Response, page: int) -> Iterator[Request]:
        usable = response.status == 200 and isinstance(response, TextResponse)
        entries = self.parser.feed_entries(response.body, response.url) if usable else []
        if response.status == 200:
            self.fetched()
        if not entries:
            if page == 1:
                self.logger.info("no feed at %s (status %d): reading the sitemaps", response.url, response.status)
            yield from self._sitemaps()
            return
        self.crawler.stats.inc_value(counters.ARCHIVE_PAGES)
        counted = yield from self.listed(f"feed page {page}", entries, windowed=bool(self.first_day))
        reached_older = bool(self.first_day) and any(entry.listed_at and entry.listed_at < self.range_bounds()[0]
                                                     for entry in entries)
        if reached_older or (self.max_pages and page >= self.max_pages):
            return
        if self.incremental and counted.known + counted.skipped_before == counted.total:
            self.logger.info("stopping at feed page %d: every post on it is already stored", page)
            return
        if not counted.new and not counted.known and page > 1:
            yield from self._sitemaps()  # the feed repeats itself (?paged ignored): the sitemaps list the rest
            return
        yield self._feed_request(page + 1)

    def feed_failed(self, failure: Failure) -> Iterator[Request]:
        self.logger.info("feed unavailable (%s): reading the sitemaps", failure.getErrorMessage())
        yield from self._sitemaps()

    def _sitemaps(self) -> Iterator[Request]:
        if self._sitemaps_read:
            return
        self._sitemaps_read = True
        for path in ("/wp-sitemap.xml", "/sitemap_index.xml", "/sitemap.xml"):
            yield Request(self.base_url + path, callback=self.parse_sitemap, errback=self.sitemap_failed,
                          meta={"handle_httpstatus_list": REFUSED})

    def parse_sitemap(self, response: Response) -> Iterator[Request]:
        if response.status != 200 or not isinstance(response, TextResponse):
            return
        self.fetched()
        sitemaps, pages = self.parser.sitemap_links(response.body, response.url)
        for link in sitemaps:
            yield Request(link, callback=self.parse_sitemap, errback=self.sitemap_failed,
                          meta={"handle_httpstatus_list": REFUSED})
        if pages:
            self.crawler.stats.inc_value(counters.ARCHIVE_PAGES)
            entries = [ListedArticle(absolute(link, self.base_url + "/") or link, None, None) for link in pages]
            yield from self.listed(f"sitemap {response.url}", entries, windowed=False)

    def sitemap_failed(self, failure: Failure) -> None:
        self.logger.info("no sitemap at %s: %s", failure.request.url, failure.getErrorMessage())


def _json_list(response: Response) -> tuple[list | None, str | None]:
    """The response's JSON array, or why there is none (status, HTML instead of JSON, an error object)."""
    if response.status != 200:
        return None, f"HTTP {response.status}"
    try:
        data = json.loads(response.body)
    except (json.JSONDecodeError, UnicodeDecodeError):
        kind = response.headers.get(b"Content-Type", b"").decode() or "no content type"
        return None, f"not JSON ({kind})"
    if not isinstance(data, list):
        return None, f"not a list of posts ({str(data)[:80]})"
    return data, None


def _string_or(value, default: str) -> str:
    return value if isinstance(value, str) and value else default


def _int(value: bytes | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None
