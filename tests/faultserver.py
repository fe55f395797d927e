"""A hostile network and site on 127.0.0.1, for the fault matrix (tests/test_faults.py).

FaultyIsnaServer is the mock ISNA site with faults injected at chosen paths: `faults` maps a path (with its query,
as the crawler asks for it) or a path prefix ending in `*` to a fault name from FAULTS. Everything else is the
mock site as usual. TrapProxy is an HTTP proxy that answers nothing but records what reached it: crawls in the
matrix are pointed at it for every host but 127.0.0.1, so a request that would have left the machine is caught.
"""

from __future__ import annotations

import socket
import time

from tests.mocksite.server import MockIsnaServer, _Handler
from tests.mocksite.site import render_archive
from tests.serving import LoopbackServer, PageHandler

FAULTS = (
    "503-once",         # one 503, then the page
    "503",              # 503 for good
    "429-retry-after",  # one 429 with Retry-After: 1, then the page
    "stall",            # headers, then nothing past the download timeout
    "reset",            # half the body, then the connection is reset
    "short-body",       # a Content-Length longer than the body sent
    "cp1256-header",    # the page in windows-1256, charset in the Content-Type header
    "cp1256-meta",      # ... in a <meta charset> only
    "cp1256-none",      # ... declared nowhere
    "empty-200",        # 200 with an empty body
    "garbage",          # 200, text/html, random bytes
    "redirect-loop",    # 302 to itself
    "redirect-offsite", # 302 to another host
    "oversized",        # a page larger than DOWNLOAD_MAXSIZE
    "robots-disallow",  # robots.txt that disallows everything
    "empty-archive",    # an archive page that lists nothing, in the real markup
    "endless-pages",    # an archive whose every page links to a next one
    "back-to-first-page",  # an archive page whose next link is page 1
    "next-to-itself",   # an archive page whose next link is itself
)


class FaultyIsnaServer(MockIsnaServer):
    def __init__(self, site, faults: dict[str, str], **kwargs):
        super().__init__(site, **kwargs)
        unknown = set(faults.values()) - set(FAULTS)
        if unknown:
            raise ValueError(f"unknown faults: {unknown}")
        self.faults = dict(faults)
        self.served: dict[str, int] = {}  # faults served, by path
        self.RequestHandlerClass = _FaultyHandler

    def handle_error(self, request, client_address) -> None:
        """Resets and stalls are the point here, not errors of the server: no traceback for them."""

    def fault_for(self, path: str) -> str | None:
        for pattern, fault in self.faults.items():
            if path == pattern or (pattern.endswith("*") and path.startswith(pattern[:-1])):
                return fault
        return None


class _FaultyHandler(_Handler):
    server: FaultyIsnaServer

    def do_GET(self) -> None:  # noqa: N802
        fault = self.server.fault_for(self.path)
        times = self.server.served.get(self.path, 0)
        if fault is None or (fault in ("503-once", "429-retry-after") and times >= 1):
            return super().do_GET()
        self.server.record(self.path)
        self.server.served[self.path] = times + 1
        getattr(self, "_" + fault.replace("-", "_"))()

    # -- faults ------------------------------------------------------------------------------------------------------

    def _503_once(self) -> None:
        self._send(503, "text/plain", "busy")

    _503 = _503_once

    def _429_retry_after(self) -> None:
        body = b"slow down"
        self.send_response(429)
        self.send_header("Retry-After", "1")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _stall(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", "100000")
        self.end_headers()
        self.wfile.flush()
        time.sleep(8)

    def _reset(self) -> None:
        page = self._page_bytes()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(page)))
        self.end_headers()
        self.wfile.write(page[: len(page) // 2])
        self.wfile.flush()
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        self.connection.close()
        self.close_connection = True

    def _short_body(self) -> None:
        page = self._page_bytes()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(page) + 5000))
        self.end_headers()
        self.wfile.write(page)
        self.wfile.flush()
        self.close_connection = True

    def _cp1256(self, header: bool, meta: bool) -> None:
        text = self._page_bytes().decode("utf-8")
        text = text.replace('charset="UTF-8"', "").replace('charset="utf-8"', "").replace("charset=UTF-8", "")
        text = text.replace("<head>", '<head><meta charset="windows-1256">' if meta else "<head>", 1)
        body = text.encode("cp1256", errors="xmlcharrefreplace")
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=windows-1256" if header else "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _cp1256_header(self) -> None:
        self._cp1256(header=True, meta=False)

    def _cp1256_meta(self) -> None:
        self._cp1256(header=False, meta=True)

    def _cp1256_none(self) -> None:
        self._cp1256(header=False, meta=False)

    def _empty_200(self) -> None:
        self._send(200, "text/html; charset=utf-8", "")

    def _garbage(self) -> None:
        body = bytes(range(256)) * 40
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _redirect(self, location: str) -> None:
        self.send_response(302)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _redirect_loop(self) -> None:
        self._redirect(self.path)

    def _redirect_offsite(self) -> None:
        self._redirect("http://elsewhere.example/moved" + self.path)

    def _oversized(self) -> None:
        self._send(200, "text/html; charset=utf-8", "<html><body>" + "x" * (3 * 1024 * 1024) + "</body></html>")

    def _robots_disallow(self) -> None:
        self._send(200, "text/plain", "User-agent: *\nDisallow: /\n")

    def _empty_archive(self) -> None:
        self._send(200, "text/html;charset=UTF-8", render_archive([], 1, 1, lambda number: f"/archive?pi={number}"))

    def _archive_page(self, link) -> None:
        site = self.server.site
        listing = site.newest_first()
        page = int(self.path.split("pi=")[1].split("&")[0]) if "pi=" in self.path else 1
        items, _ = site.page_of(listing, min(page, 2))
        self._send(200, "text/html;charset=UTF-8", render_archive(items, page, page + 1, link))

    def _endless_pages(self) -> None:
        self._archive_page(lambda number: f"/archive?pi={number}&ms=0")

    def _back_to_first_page(self) -> None:
        self._archive_page(lambda number: "/archive?pi=1&ms=0")

    def _next_to_itself(self) -> None:
        self._archive_page(lambda number: self.path)

    def _page_bytes(self) -> bytes:
        site = self.server.site
        code = self.path.split("/")[2] if self.path.startswith("/news/") else None
        if code in site.by_code:
            return site.article_html(site.by_code[code]).encode("utf-8")
        return site.real_article_html.encode("utf-8")


class TrapProxy(LoopbackServer):
    """An HTTP proxy on 127.0.0.1 that forwards nothing: every request that reaches it is recorded and refused."""

    def __init__(self):
        super().__init__(_TrapHandler)
        self.caught: list[str] = []
        self.start_in_thread()

    @property
    def url(self) -> str:
        return self.base_url


class _TrapHandler(PageHandler):
    server: TrapProxy

    def _refuse(self) -> None:
        self.server.caught.append(f"{self.command} {self.path}")
        self.send_response(502)
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_GET = do_POST = do_HEAD = do_CONNECT = _refuse  # noqa: N815


class FailingPipeline:
    """A pipeline that raises for every third record: what a bug in a stage looks like to the run."""

    def __init__(self):
        self.seen = 0

    def process_item(self, item):
        self.seen += 1
        if self.seen % 3 == 0:
            raise RuntimeError(f"a stage failed on {item.url}")
        return item


class FailingSpiderMiddleware:
    """A spider middleware that raises, in place of the callback's output, on every page whose URL has
    FAILING_PAGE_MARK in it: what a bug in a callback looks like to the run (Scrapy logs "Spider error processing",
    and the page's records and links are lost)."""

    def __init__(self, mark: str):
        self.mark = mark

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler.settings.get("FAILING_PAGE_MARK") or "no-such-page")

    def _check(self, response) -> None:
        if self.mark in response.url:
            raise TypeError(f"a callback failed on {response.url}")

    def process_spider_output(self, response, result):
        self._check(response)
        yield from result

    async def process_spider_output_async(self, response, result):
        self._check(response)
        async for item in result:
            yield item
