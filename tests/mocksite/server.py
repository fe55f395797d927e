"""The mock ISNA site's HTTP server: a real server on 127.0.0.1 serving MockSite at ISNA's paths."""

from __future__ import annotations

import itertools
import logging
import threading
import time
from urllib.parse import parse_qs, unquote, urlencode, urlsplit

from tests.mocksite.site import REAL_ARTICLE_CODE, MockSite, render_archive
from tests.serving import LoopbackServer, PageHandler

logger = logging.getLogger(__name__)

ROBOTS_TXT = "User-agent: *\nDisallow: /redirect/\nDisallow: /print/\n"


class MockIsnaServer(LoopbackServer):
    def __init__(self, site: MockSite, port: int = 0, fail_every: int = 0, delay: float = 0.0):
        super().__init__(_Handler, port)
        self.site = site
        self.fail_every = fail_every
        self.delay = delay  # seconds before each answer: a slow site, for runs that must last
        # Article pages wait for this (open unless a test closes it): a test can make sure every crawl it started is
        # ready before any article is served, however slow the machine is to start them.
        self.articles_open = threading.Event()
        self.articles_open.set()
        self.requests: list[str] = []  # paths asked for, in order (tests count them)
        self._counter = itertools.count(1)
        self._lock = threading.Lock()
        # Article pages may also be held until this many are asked for at once (hold_articles_until).
        self._held = threading.Condition()
        self._hold_until = 0
        self._holding = 0

    def hold_articles_until(self, waiting: int) -> None:
        """Answer no article page until ``waiting`` of them are asked for at once, then every one as it comes: each of
        several crawls that can fetch at most k pages at a time has one in flight when k x (crawls - 1) + 1 wait."""
        with self._held:
            self._hold_until, self._holding = waiting, 0

    def held(self) -> None:
        """An article request waits here while the hold lasts (at most 300 s: a test then fails, never hangs)."""
        with self._held:
            if not self._hold_until:
                return
            self._holding += 1
            if self._holding >= self._hold_until:
                self._hold_until = 0
                self._held.notify_all()
                return
            self._held.wait_for(lambda: not self._hold_until, timeout=300)

    def record(self, path: str) -> int:
        with self._lock:
            self.requests.append(path)
            return next(self._counter)


class _Handler(PageHandler):
    server: MockIsnaServer

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        number = self.server.record(self.path)
        if self.server.delay:
            time.sleep(self.server.delay)
        if self.server.fail_every and number % self.server.fail_every == 0:
            self._send(503, "text/plain; charset=utf-8", "busy, try again")
            return
        parts = urlsplit(self.path)
        path = unquote(parts.path)
        query = {key: values[0] for key, values in parse_qs(parts.query).items()}
        site = self.server.site
        if path == "/robots.txt":
            self._send(200, "text/plain; charset=utf-8", ROBOTS_TXT)
        elif path.startswith("/news/"):
            self.server.articles_open.wait(timeout=300)
            self.server.held()
            code = path.split("/")[2]
            if code == REAL_ARTICLE_CODE:
                self._send(200, "text/html;charset=UTF-8", site.real_article_html)
            elif code in site.by_code:
                self._send(200, "text/html;charset=UTF-8", site.article_html(site.by_code[code]))
            else:
                self._send(404, "text/html;charset=UTF-8", "<html><body><h1>خبر مورد نظر یافت نشد</h1></body></html>")
        elif path == "/archive":
            self._archive(query)
        else:
            self._send(404, "text/html;charset=UTF-8", "<html><body>404</body></html>")

    def _archive(self, query: dict[str, str]) -> None:
        site = self.server.site
        page = int(query.get("pi", "1") or 1)
        if {"yr", "mn", "dy"} <= query.keys():
            listing = site.day_listing(int(query["yr"]), int(query["mn"]), int(query["dy"]))
        else:
            listing = site.newest_first()
        items, pages = site.page_of(listing, page)

        def link(number: int) -> str:
            return "/archive?" + urlencode({**query, "pi": number})

        self._send(200, "text/html;charset=UTF-8", render_archive(items, page, pages, link))
