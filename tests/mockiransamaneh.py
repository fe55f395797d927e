"""A mock IranSamaneh site (IRIB News) on 127.0.0.1: the real 2017 home page, and for every article it links, the
real article page of tests/fixtures/irinn with that article's id (the stored article itself is served unchanged)."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, unquote, urlsplit

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


# Day archives, for a registry entry that names them (crawler/sites/iransamaneh.py day_archive): the family's real
# archive is not stored, so this one is the mock's own, IRIB News's link markup in pages of ARCHIVE_PAGE_SIZE.
ARCHIVE_PATH = "/fa/archive?from_date={year}/{month:02d}/{day:02d}&to_date={year}/{month:02d}/{day:02d}&p={page}"
ARCHIVE_DAY = "1396/02/28"  # the day of the stored article, which every article page of the mock is
ARCHIVE_PAGE_SIZE = 20


def archive_page(query: dict[str, str]) -> str:
    """A day's archive page: the links of the home page on the stored article's day (and its time, «22:57»), nothing
    on other days or past the last page."""
    number = int(query.get("p", "1"))
    ids = listed_ids() if query.get("from_date") == ARCHIVE_DAY else []
    shown = ids[(number - 1) * ARCHIVE_PAGE_SIZE:number * ARCHIVE_PAGE_SIZE]
    links = "".join(f'<li><a class="title5" href="/fa/news/{news_id}/x" title="22:57 - {ARCHIVE_DAY.translate(PERSIAN)}">'
                    f"خبر {news_id}</a></li>" for news_id in shown)
    return f'<html><body><ul class="news_list">{links}</ul></body></html>'


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
        elif path == "/fa/archive":
            query = {key: values[0] for key, values in parse_qs(urlsplit(self.path).query).items()}
            self._send(200, "text/html; charset=UTF-8", archive_page(query))
        else:
            self._send(404, "text/html; charset=UTF-8", "<html><body>404</body></html>")
