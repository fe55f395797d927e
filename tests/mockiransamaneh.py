"""A mock IranSamaneh site (IRIB News) on 127.0.0.1: the real 2017 home page, and for every article it links, the
real article page of tests/fixtures/irinn with that article's id (the stored article itself is served unchanged)."""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit

from tests.helpers import ROOT
from tests.serving import LoopbackServer, PageHandler

FIXTURES = ROOT / "tests" / "fixtures" / "irinn"
HOME = (FIXTURES / "irinn_homepage_fetched2017-05-24.html").read_text(encoding="utf-8")
ARTICLE = (FIXTURES / "irinn_article_499654_fetched2017-05-24.html").read_text(encoding="utf-8")
ARTICLE_ID = "499654"
PERSIAN = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")


def listed_ids() -> list[str]:
    """The article ids the home page links, in the form the family parser reads (a.title5, a.title6, .linear_news)."""
    return list(dict.fromkeys(re.findall(r'class="title[56]" href="/fa/news/(\d+)/', HOME)))


def article_page(news_id: str) -> str:
    if news_id == ARTICLE_ID:
        return ARTICLE
    return ARTICLE.replace(ARTICLE_ID, news_id).replace(ARTICLE_ID.translate(PERSIAN), news_id.translate(PERSIAN))


class MockIranSamanehServer(LoopbackServer):
    def __init__(self, port: int = 0):
        super().__init__(_Handler, port)
        self.requests: list[str] = []


class _Handler(PageHandler):
    server: MockIranSamanehServer

    def do_GET(self) -> None:  # noqa: N802
        self.server.requests.append(self.path)
        path = unquote(urlsplit(self.path).path)
        match = re.match(r"^/fa/news/(\d+)(?:/|$)", path)
        if path == "/":
            self._send(200, "text/html; charset=UTF-8", HOME)
        elif path == "/robots.txt":
            self._send(200, "text/plain", "User-agent: *\nDisallow: /fa/search\n")
        elif match:
            self._send(200, "text/html; charset=UTF-8", article_page(match.group(1)))
        else:
            self._send(404, "text/html; charset=UTF-8", "<html><body>404</body></html>")
