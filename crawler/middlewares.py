"""Downloader middlewares: retries that back off, so a struggling site gets room instead of a burst of retries; and
redirects that would lose a page silently (off the site, or in a loop) turned into a failure the spider sees."""

from __future__ import annotations

import asyncio
import logging
from urllib.parse import urljoin

from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.exceptions import CannotResolveHostError, DownloadConnectionRefusedError, IgnoreRequest
from scrapy.http import Request, Response
from twisted.internet import error as twisted

from crawler.config import config_of
from crawler.record import host_of

logger = logging.getLogger(__name__)

_DELAY_KEY = "retry_backoff_delay"


class BackoffRetryMiddleware(RetryMiddleware):
    """Scrapy's RetryMiddleware (same settings, same give-up logging) plus a delay before each retry:
    RETRY_BACKOFF_BASE * 2 ** (attempt - 1) seconds, at most RETRY_BACKOFF_MAX, or the server's Retry-After
    (in seconds) when it sends one and it is within that maximum. The delay holds back only the retried request.

    A host that cannot be reached at all (its name does not resolve, or it refuses connections) through every retry
    of one request, and has answered nothing in this run, is down: the next requests to it that fail the same way
    are not retried, so an offline run fails in one request's retries rather than in every request's. Any answer
    from the host ends that."""

    # Scrapy's names for them (2.13 on), and Twisted's, which a download handler may still raise
    UNREACHABLE = (CannotResolveHostError, DownloadConnectionRefusedError, twisted.DNSLookupError,
                   twisted.ConnectionRefusedError)

    def __init__(self, settings):
        super().__init__(settings)
        config = config_of(settings)
        self.backoff_base = config.retry_backoff_base
        self.backoff_max = config.retry_backoff_max
        self._down: set[str] = set()  # hosts found unreachable, and that have answered nothing since

    async def process_request(self, request: Request) -> None:
        delay = request.meta.pop(_DELAY_KEY, None)
        if delay:
            await asyncio.sleep(delay)

    def process_response(self, request: Request, response: Response) -> Request | Response:
        self._down.discard(host_of(request.url))
        result = super().process_response(request, response)
        if isinstance(result, Request):
            self._schedule_delay(result, _retry_after_seconds(response))
        return result

    def process_exception(self, request: Request, exception: Exception) -> Request | Response | None:
        host = host_of(request.url)
        unreachable = isinstance(exception, self.UNREACHABLE)
        if unreachable and host in self._down:
            logger.debug("not retrying %s: %s is down (%s)", request.url, host, exception)
            return None
        result = super().process_exception(request, exception)
        if isinstance(result, Request):
            self._schedule_delay(result, None)
        elif unreachable and host not in self._down:  # every retry of this request failed to reach the host
            self._down.add(host)
            logger.warning("%s cannot be reached (%s): its other pages are tried once each, not retried", host,
                           exception)
        return result

    def _schedule_delay(self, retry: Request, retry_after: float | None) -> None:
        attempt = retry.meta.get("retry_times", 1)
        delay = min(self.backoff_base * 2 ** (attempt - 1), self.backoff_max)
        if retry_after is not None and retry_after <= self.backoff_max:
            delay = max(delay, retry_after)
        retry.meta[_DELAY_KEY] = delay
        logger.debug("retrying %s in %.1f s (attempt %d)", retry.url, delay, attempt)


def _retry_after_seconds(response: Response) -> float | None:
    value = response.headers.get(b"Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value.decode("latin-1").strip()))
    except ValueError:
        return None  # an HTTP date; the exponential delay applies


class RedirectRefused(IgnoreRequest):
    """A redirect the crawl does not follow; the message says where it pointed."""


class RedirectGuardMiddleware:
    """Sees each redirect before Scrapy's RedirectMiddleware does. A redirect to another host is not followed (the
    offsite filter would drop it at scheduling, without calling the errback or logging above DEBUG), and a redirect
    back to a URL of the same chain would be dropped as a duplicate just as quietly. Both become RedirectRefused, so
    the request's errback counts the page as failed and logs where it pointed."""

    def __init__(self, crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_response(self, request: Request, response: Response) -> Response:
        location = response.headers.get(b"Location")
        if not 300 <= response.status < 400 or not location or request.meta.get("dont_redirect"):
            return response
        target = urljoin(request.url, location.decode("latin-1").strip())
        domains = getattr(self.crawler.spider, "allowed_domains", None)
        if domains and not _on_domains(target, domains):
            raise RedirectRefused(f"redirected off the site, to {target}")
        if target == request.url or target in request.meta.get("redirect_urls", ()):
            raise RedirectRefused(f"redirect loop, back to {target}")
        return response


def _on_domains(url: str, domains: list[str]) -> bool:
    """Whether the URL's host is one of the domains or under one, as Scrapy's offsite filter decides. By hand:
    scrapy.utils.url.url_is_from_any_domain compares the whole netloc, port included, so 127.0.0.1:8800 would not
    be on 127.0.0.1."""
    host = host_of(url)
    return any(host == domain.lower() or host.endswith("." + domain.lower()) for domain in domains)
