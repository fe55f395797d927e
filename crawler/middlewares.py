"""Downloader middleware: retries that back off, so a struggling site gets room instead of a burst of retries."""

from __future__ import annotations

import asyncio
import logging

from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.http import Request, Response

logger = logging.getLogger(__name__)

_DELAY_KEY = "retry_backoff_delay"


class BackoffRetryMiddleware(RetryMiddleware):
    """Scrapy's RetryMiddleware (same settings, same give-up logging) plus a delay before each retry:
    RETRY_BACKOFF_BASE * 2 ** (attempt - 1) seconds, at most RETRY_BACKOFF_MAX, or the server's Retry-After
    (in seconds) when it sends one and it is within that maximum. The delay holds back only the retried request."""

    def __init__(self, settings):
        super().__init__(settings)
        self.backoff_base = settings.getfloat("RETRY_BACKOFF_BASE")
        self.backoff_max = settings.getfloat("RETRY_BACKOFF_MAX")

    async def process_request(self, request: Request) -> None:
        delay = request.meta.pop(_DELAY_KEY, None)
        if delay:
            await asyncio.sleep(delay)

    def process_response(self, request: Request, response: Response) -> Request | Response:
        result = super().process_response(request, response)
        if isinstance(result, Request):
            self._schedule_delay(result, _retry_after_seconds(response))
        return result

    def process_exception(self, request: Request, exception: Exception) -> Request | Response | None:
        result = super().process_exception(request, exception)
        if isinstance(result, Request):
            self._schedule_delay(result, None)
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
