"""Running the mock sites: in a test (a context manager around a real server on a free port of 127.0.0.1, the way
Scrapy's own tests run their mock server), or from the command line until interrupted."""

import contextlib
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

logger = logging.getLogger(__name__)


class LoopbackServer(ThreadingHTTPServer):
    """A real HTTP server on a free (or the given) port of 127.0.0.1; every mock site is one."""

    daemon_threads = True

    def __init__(self, handler: type[BaseHTTPRequestHandler], port: int = 0):
        super().__init__(("127.0.0.1", port), handler)

    @property
    def port(self) -> int:
        return self.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start_in_thread(self):
        # shutdown() waits for the serving loop to look up: every 20 ms here rather than socketserver's 500
        threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.02}, name=type(self).__name__,
                         daemon=True).start()
        return self


class PageHandler(BaseHTTPRequestHandler):
    """What the mock sites' request handlers share: HTTP/1.1 (keep-alive, as real sites), one way to answer."""

    protocol_version = "HTTP/1.1"

    def _send(self, status: int, content_type: str, text: str | bytes, headers: dict[str, str] | None = None) -> None:
        body = text if isinstance(text, bytes) else text.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args) -> None:  # noqa: A002
        logger.debug("%s %s", self.address_string(), format % args)


def serve_until_interrupted(server, banner: str) -> None:
    print(banner, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


@contextlib.contextmanager
def running(server):
    """The server, serving from a thread for the duration of the block, then shut down and closed."""
    server.start_in_thread()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
