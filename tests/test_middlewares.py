"""Retries back off: each retry of a request waits longer, within RETRY_BACKOFF_MAX, honouring Retry-After."""

import asyncio

from scrapy import Spider
from scrapy.http import Request, Response
from scrapy.utils.defer import deferred_f_from_coro_f
from scrapy.utils.test import get_crawler

from crawler.middlewares import BackoffRetryMiddleware


def middleware(**settings):
    crawler = get_crawler(Spider, {"RETRY_TIMES": 5, "RETRY_BACKOFF_BASE": 2.0, "RETRY_BACKOFF_MAX": 10.0, **settings})
    crawler.spider = crawler._create_spider("test")
    return BackoffRetryMiddleware.from_crawler(crawler)


def retries(mw, status=503, headers=None, times=5):
    request = Request("http://127.0.0.1/news/1/")
    delays = []
    for _ in range(times):
        result = mw.process_response(request, Response(request.url, status=status, headers=headers or {}))
        if not isinstance(result, Request):
            break
        delays.append(result.meta["retry_backoff_delay"])
        request = result
    return delays, result


def test_delays_double_up_to_the_maximum_then_it_gives_up():
    delays, last = retries(middleware(), times=7)
    assert delays == [2.0, 4.0, 8.0, 10.0, 10.0]
    assert isinstance(last, Response) and last.status == 503


def test_retry_after_is_honoured_when_within_the_maximum():
    delays, _ = retries(middleware(), status=429, headers={"Retry-After": "7"}, times=2)
    assert delays == [7.0, 7.0]
    delays, _ = retries(middleware(), status=429, headers={"Retry-After": "3600"}, times=1)
    assert delays == [2.0]


@deferred_f_from_coro_f
async def test_the_delay_is_waited_once_before_the_retried_request():
    mw = middleware(RETRY_BACKOFF_BASE=0.05)
    delays, retry = retries(mw, times=1)
    assert delays == [0.05]
    loop = asyncio.get_running_loop()  # the reactor's (pytest-twisted, asyncio)
    started = loop.time()
    await mw.process_request(retry)
    assert loop.time() - started >= 0.05
    assert "retry_backoff_delay" not in retry.meta
    started = loop.time()
    await mw.process_request(retry)
    assert loop.time() - started < 0.05


def test_responses_that_are_not_retried_pass_through():
    request = Request("http://127.0.0.1/news/1/")
    response = Response(request.url, status=404)
    assert middleware().process_response(request, response) is response
