"""One crawl on many machines: with REDIS_URL set, every `scrapy crawl <spider>` started against the same Redis
joins the same run of that spider.

- The shared request queue and duplicate filter are scrapy-redis's (its Scheduler, priority queue and RFPDupeFilter,
  used with our own spiders; its RedisSpider knows nothing of `async def start()`), under keys named by the run:
  `<namespace>:<run>:requests` and `<namespace>:<run>:dupefilter`. They are used in batches (SharedScheduler,
  SharedQueue): the requests of one turn of the reactor go to the queue in one script, and a worker takes
  TAKE_AT_ONCE requests in one round trip and claims their articles in another; every round trip costs both sides
  CPU. A Redis failure stops the run once, with the reason, instead of an error in every engine tick.
- The first worker to arrive opens the run (a key with an expiry that every live worker renews), clears what a dead
  run left in the queue and the filter, and seeds the start requests; the others join and take requests from the
  queue (their start requests are dropped by FollowerStart). A worker leaves when the queue has been empty for
  DISTRIBUTED_IDLE_SECONDS, handing back what it took but did not start; the last to leave closes the run, writes the
  whole run's line (every worker's counters summed) to its runs log and to `<namespace>:runs`, and moves the latest
  news's watermark over what the workers covered together, when every one of them left healthy. If every worker is
  killed, the run's key expires and the next worker opens a new run: the seen-store (in Redis,
  crawler/state_redis.py) skips what was written.
- Each worker writes its own dump, `<run>-<start>-<worker>.jsonl`, under its own DATA_DIR; an article page is claimed
  in Redis before it is fetched (ArticleClaims) and the claim renewed when it is written (pipelines/store.py), so the
  union of the workers' dumps has each article once.
"""

from __future__ import annotations

import json
import logging
import time
from collections import deque

import redis
from scrapy import Request, signals
from scrapy.exceptions import DontCloseSpider, IgnoreRequest, NotConfigured
from scrapy.utils.defer import deferred_from_coro
from scrapy.utils.reactor import CallLaterOnce
from scrapy_redis.queue import PriorityQueue
from scrapy_redis.scheduler import Scheduler
from twisted.internet import task

from crawler import counters
from crawler.config import Config, config_of, run_name_of
from crawler.dates import utc_now_iso
from crawler.incremental import IncrementalOutput
from crawler.state import StorageProblem, coverage_of
from crawler.state_redis import CLIENT_OPTIONS, alive_key, connect, shown_url, worker_label, worker_name

logger = logging.getLogger(__name__)

# Each live worker renews the run's key and its own entry every DISTRIBUTED_HEARTBEAT_SECONDS; a worker silent for
# three heartbeats is dead (killed), and a run whose key was not renewed for six is over.
POLL_SECONDS = 0.1  # how often an idle worker looks at the shared queue
# How many requests a worker takes from the shared queue in one round trip (their articles claimed in another), at
# most: no more than it fetches at once (CONCURRENT_REQUESTS), or a polite worker would sit on requests that idle
# workers could fetch. A worker killed loses these and the pages it was fetching, which the next run lists again.
TAKE_AT_ONCE = 8
# After finding the shared queue empty, a worker looks again only once it added requests itself or after this long
# (the engine asks after every response; each look is a round trip).
EMPTY_QUEUE_PAUSE = 0.1
# Counters summed over the workers for the whole run's line.
SUMMED = ("pages", "failed_pages", "article_pages", "new_articles", "revisions", "already_stored", "skipped_before",
          "rejected", "skipped_pages", "retried", "to_retry", "given_up", "recovered", "claimed_elsewhere")


def utc_iso_seconds_ago(seconds: float) -> str:
    from datetime import UTC, datetime, timedelta

    return (datetime.now(UTC) - timedelta(seconds=seconds)).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def run_keys(config: Config, run_name: str) -> dict[str, str]:
    base = f"{config.redis_namespace}:{run_name}"
    return {"run": f"{base}:run", "workers": f"{base}:workers", "stats": f"{base}:stats",
            "coverage": f"{base}:coverage", "requests": f"{base}:requests", "dupefilter": f"{base}:dupefilter",
            "busy": f"{base}:busy", "runs": f"{config.redis_namespace}:runs"}


def live_workers(client: redis.Redis, key: str, heartbeat: float) -> int:
    """The workers of a run that gave a sign of life in the last three heartbeats (the others are removed)."""
    stale = utc_iso_seconds_ago(3 * heartbeat)
    live = 0
    for worker, beat in client.hgetall(key).items():
        if beat.decode() < stale:
            client.hdel(key, worker)
        else:
            live += 1
    return live


def join_run(config: Config, run_name: str) -> tuple[str, str]:
    """(role, run id): "leader" for the worker that opens a new run (after clearing what a dead run left in the
    queue and the filter), "follower" for one that joins a run in progress. A run whose workers are all dead (killed)
    is over: the newcomer opens a new one. RedisError when Redis cannot be reached."""
    client = connect(config.redis_url)
    keys = run_keys(config, run_name)
    heartbeat = config.distributed_heartbeat_seconds
    run_id = f"{utc_now_iso()}/{worker_label()}"
    if client.exists(keys["run"]) and not live_workers(client, keys["workers"], heartbeat):
        client.delete(keys["run"])  # every worker of that run died
    if client.set(keys["run"], run_id, nx=True, ex=int(6 * heartbeat) + 1):
        client.delete(keys["requests"], keys["dupefilter"], keys["workers"], keys["stats"], keys["coverage"],
                      keys["busy"])
        role = "leader"
    else:
        role, run_id = "follower", (client.get(keys["run"]) or b"?").decode()
    client.hset(keys["workers"], worker_label(), utc_now_iso())
    client.hincrby(keys["stats"], "joined", 1)  # a worker that joined and never left (killed) is missed at the end
    # alive from now (SharedRun's heartbeat keeps it so); the leader busy until it has queued where the run starts,
    # so that a follower ready first waits for it however slowly it starts
    client.set(alive_key(config.redis_namespace, worker_name()), "1", ex=max(1, int(3 * heartbeat)))
    if role == "leader":
        client.hset(keys["busy"], worker_name(), "1")
    client.close()
    return role, run_id


def distributed_settings(settings, run_name: str, role: str, run_id: str) -> None:
    """The settings of a worker of a shared run (on the crawl command's settings, before the crawler is made)."""
    keys = run_keys(config_of(settings), run_name)
    for name, value in {
        "SCHEDULER": "crawler.distributed.SharedScheduler",
        "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
        "SCHEDULER_PERSIST": True,  # a worker that leaves must not clear the queue the others work from
        "SCHEDULER_QUEUE_KEY": keys["requests"],
        "SCHEDULER_DUPEFILTER_KEY": keys["dupefilter"],
        "SCHEDULER_QUEUE_CLASS": "crawler.distributed.SharedQueue",
        "SCHEDULER_BUSY_KEY": keys["busy"],
        # scrapy-redis's client, for the queue and the filter: as the store's (its own default waits 30 s)
        "REDIS_PARAMS": {**CLIENT_OPTIONS, **settings.getdict("REDIS_PARAMS")},
        # a worker takes from the shared queue only what it can fetch now (one site per run): requests it took but
        # could not start yet would wait in its own downloader while other workers sit idle
        "CONCURRENT_REQUESTS": settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN"),
        "DISTRIBUTED_ROLE": role,
        "DISTRIBUTED_RUN_ID": run_id,
    }.items():
        settings.set(name, value, priority="cmdline")


def redis_failed(crawler, error: Exception) -> None:
    """Redis is gone (or refuses): stop the run once, with the reason, which the verdict reports (exit status 1)."""
    if crawler.stats.get_value(counters.DISTRIBUTED_PROBLEM):
        return
    problem = str(error) if isinstance(error, StorageProblem) else \
        f"Redis at {shown_url(config_of(crawler.settings).redis_url)}: {error}"
    crawler.stats.set_value(counters.DISTRIBUTED_PROBLEM, problem)
    logger.error("%s; stopping the run", problem)
    deferred_from_coro(crawler.engine.close_spider_async(reason="redis_failed"))


def method_name(spider, method) -> str | None:
    """The name of the spider's method ``method`` (a request's callback or errback), or None when it is not one."""
    name = getattr(method, "__name__", None)
    own = getattr(spider, name, None) if name else None
    return name if getattr(own, "__func__", None) is getattr(method, "__func__", object()) else None


class SharedQueue(PriorityQueue):
    """scrapy-redis's priority queue (a sorted set, under the run's key), with requests added and taken in batches:
    one round trip for all the requests a page yields (the duplicate filter's SADD and the queue's ZADD in one
    script), one for the next TAKE_AT_ONCE requests (ZPOPMIN, Redis 5 or later), which marks the worker that took them
    busy in the same step: no other worker can find the queue empty and nobody busy while a request is on its way."""

    # KEYS: the queue, the duplicate filter; ARGV: (fingerprint, '' for a request not filtered; score; request) each
    _PUSH = """
local added = {}
for i = 1, #ARGV, 3 do
  local fresh = ARGV[i] == '' or redis.call('sadd', KEYS[2], ARGV[i]) == 1
  if fresh then redis.call('zadd', KEYS[1], ARGV[i + 1], ARGV[i + 2]) end
  added[#added + 1] = fresh and 1 or 0
end
return added
"""

    # KEYS: the queue, the run's busy workers; ARGV: how many to take, this worker's name
    _TAKE = """
local taken = redis.call('zpopmin', KEYS[1], ARGV[1])
if #taken > 0 then redis.call('hset', KEYS[2], ARGV[2], '1') end
return taken
"""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._push = self.server.register_script(self._PUSH)
        self._take = self.server.register_script(self._TAKE)

    def _encode_request(self, request: Request) -> bytes:
        # Request.to_dict(spider=...) finds a callback's name by listing every member of the spider (inspect.getmembers,
        # properties included), a third of a millisecond per request; a spider's method is found by its own name.
        callback, errback = method_name(self.spider, request.callback), method_name(self.spider, request.errback)
        if (request.callback is not None and callback is None) or (request.errback is not None and errback is None):
            return super()._encode_request(request)  # not a method of the spider: Scrapy's way, or its error
        data = {"url": request.url, "callback": callback, "errback": errback, "headers": dict(request.headers)}
        for name in request.attributes:
            data.setdefault(name, getattr(request, name))
        if type(request) is not Request:
            data["_class"] = f"{type(request).__module__}.{type(request).__name__}"
        return self.serializer.dumps(data)

    def push_many(self, requests: list[Request], dupefilter) -> list[bool]:
        """Queue the requests the duplicate filter has not seen (all of a batch at once): which were queued."""
        arguments = []
        for request in requests:
            arguments += ["" if request.dont_filter else dupefilter.request_fingerprint(request), -request.priority,
                          self._encode_request(request)]
        return [bool(added) for added in self._push(keys=[self.key, dupefilter.key], args=arguments)]

    def pop_many(self, count: int, busy_key: str, worker: str) -> list[Request]:
        """The next ``count`` requests; ``worker`` is marked busy in ``busy_key`` when it took any."""
        taken = self._take(keys=[self.key, busy_key], args=[count, worker])
        return [self._decode_request(data) for data in taken[::2]]  # member, score, member, score...

    def put_back(self, requests: list[Request]) -> None:
        """Requests taken but not started (the worker is stopping): back in the queue for the others, unfiltered."""
        if requests:
            self.server.zadd(self.key, {self._encode_request(request): -request.priority for request in requests})


class SharedScheduler(Scheduler):
    """scrapy-redis's scheduler, in batches: requests scheduled in one turn of the reactor (a page's links) go to the
    shared queue together, and a worker takes up to TAKE_AT_ONCE at a time, claiming their articles in one more round
    trip (ArticleClaims.claim_taken); a Redis error stops the run once, with the reason, instead of raising in every
    tick of the engine. A request dropped as a duplicate is counted and logged by the duplicate filter, as before, but a
    turn later (enqueue_request answers True for every request it is given)."""

    def open(self, spider):
        super().open(spider)
        self._adding: list[Request] = []
        self._taken: deque[Request] = deque()
        self._add_soon = CallLaterOnce(self._add)
        self._found_empty = 0.0  # when the shared queue was last found empty (monotonic), 0 after an addition
        self._take = max(1, min(TAKE_AT_ONCE, spider.crawler.settings.getint("CONCURRENT_REQUESTS")))
        self._busy_key, self._worker = config_of(spider.crawler.settings).scheduler_busy_key, worker_name()
        self._claims = spider.crawler.get_downloader_middleware(ArticleClaims)  # the engine and its downloader exist by now

    def _failed(self, error: Exception) -> None:
        redis_failed(self.spider.crawler, error)

    def enqueue_request(self, request):
        self._adding.append(request)
        self._add_soon.schedule()
        return True

    def _add(self) -> None:
        adding, self._adding = self._adding, []
        if not adding:
            return
        try:
            added = self.queue.push_many(adding, self.df)
        except redis.RedisError as error:
            self._failed(error)
            return
        for request, queued in zip(adding, added, strict=True):
            if queued:
                self.stats.inc_value(counters.SCHEDULER_SHARED_ENQUEUED)
                self._found_empty = 0.0
            else:
                self.df.log(request, self.spider)

    def next_request(self):
        if not self._taken:
            self._add()  # this worker's own new requests first go where every worker can take them
            if time.monotonic() - self._found_empty < EMPTY_QUEUE_PAUSE:
                return None
            try:
                taken = self.queue.pop_many(self._take, self._busy_key, self._worker)
            except redis.RedisError as error:
                self._failed(error)
                return None
            if not taken:
                self._found_empty = time.monotonic()
            if self._claims is not None and taken:
                self._claims.claim_taken(taken)
            self._taken.extend(taken)
        if not self._taken:
            return None
        self.stats.inc_value(counters.SCHEDULER_SHARED_DEQUEUED)
        return self._taken.popleft()

    def has_pending_requests(self):
        if self._adding or self._taken:
            return True
        try:
            return super().has_pending_requests()
        except redis.RedisError as error:
            self._failed(error)
            return False

    def __len__(self):
        return len(self._adding) + len(self._taken) + len(self.queue)

    def close(self, reason):
        self._add_soon.cancel()
        try:
            self._add()
            if self._taken:  # stopping early: what this worker took but did not start goes back, free to take
                if self._claims is not None:
                    self._claims.release_taken(list(self._taken))
                self.queue.put_back(list(self._taken))
                self._taken.clear()
            return super().close(reason)
        except (redis.RedisError, StorageProblem):
            return None


class ClaimedElsewhere(IgnoreRequest):
    """Another worker has claimed this article (it is fetching or writing it): not fetched here."""


def articles_of(requests: list[Request]) -> list[tuple[str, str]]:
    """The (site, key) of the articles these requests fetch (the spiders put it in meta["article"])."""
    return [tuple(request.meta["article"]) for request in requests if request.meta.get("article")]


class ArticleClaims:
    """Downloader middleware of a worker of a shared run: an article page is claimed in Redis before it is fetched,
    so that no two workers fetch and write it (the claim is the worker's until the article is stored, given up or
    found to be no article; a dead worker's claims expire after CLAIM_SECONDS)."""

    def __init__(self, crawler):
        self.crawler = crawler
        self.owner = worker_name()
        self.seconds = config_of(crawler.settings).claim_seconds

    @classmethod
    def from_crawler(cls, crawler):
        config = config_of(crawler.settings)
        if not config.redis_url or not config.distributed_role:
            raise NotConfigured
        return cls(crawler)

    def _claims_kept(self):
        incremental = self.crawler.get_extension(IncrementalOutput)
        return incremental.claims if incremental is not None else None

    def claim_taken(self, requests: list[Request]) -> None:
        """Claim, in one round trip per site, the articles of requests just taken from the queue: process_request
        then finds them claimed (a claim refused here is asked again there, and skipped)."""
        claims = self._claims_kept()
        by_site: dict[str, list[str]] = {}
        for site, key in articles_of(requests):
            by_site.setdefault(site, []).append(key)
        try:
            for site, keys in by_site.items():
                if claims is not None:
                    claims.claim_many(site, keys, self.owner, self.seconds)
        except StorageProblem as problem:
            redis_failed(self.crawler, problem)

    def release_taken(self, requests: list[Request]) -> None:
        """Give up the claims claim_taken() took for requests this worker will not fetch (StorageProblem)."""
        claims = self._claims_kept()
        if claims is not None:
            claims.release_claims(articles_of(requests))

    def process_request(self, request):
        article = request.meta.get("article")
        if not article:
            return None
        claims = self._claims_kept()
        if claims is None:
            return None
        try:
            granted = claims.claim(*article, self.owner, self.seconds)
        except StorageProblem as problem:
            redis_failed(self.crawler, problem)
            raise IgnoreRequest(str(problem)) from None
        if not granted:
            raise ClaimedElsewhere(f"{article[1]} is claimed by another worker")
        return None


class FollowerStart:
    """Spider middleware: a worker that joined a run in progress seeds nothing (the leader did). The listing pages it
    takes from the queue page back as far as the leader's would: every worker's spider reads the watermark as it opens
    (crawler/spiders/nastooh.py catchup_from), whoever seeded the run."""

    def __init__(self, crawler):
        self.crawler = crawler
        self.follower = config_of(crawler.settings).distributed_role == "follower"

    @classmethod
    def from_crawler(cls, crawler):
        config = config_of(crawler.settings)
        if not config.redis_url or not config.distributed_role:
            raise NotConfigured
        return cls(crawler)

    async def process_start(self, start):
        if self.follower:
            logger.info("joined a run in progress: taking requests from the shared queue")
            return
        async for item in start:
            yield item


class SharedRun:
    """Extension of a worker of a shared run: its heartbeat (the run's key and its own entry renewed), when it
    leaves (the queue empty for DISTRIBUTED_IDLE_SECONDS), and the whole run's line by the last worker to leave."""

    def __init__(self, crawler):
        self.crawler = crawler
        config = config_of(crawler.settings)
        self.keys = run_keys(config, run_name_of(crawler))
        self.client = connect(config.redis_url)
        self.url = config.redis_url
        self.role = config.distributed_role
        self.run_id = config.distributed_run_id
        self.worker = worker_label()
        self.alive_key = alive_key(config.redis_namespace, worker_name())
        self.idle_seconds = config.distributed_idle_seconds
        self.heartbeat_every = config.distributed_heartbeat_seconds
        self._idle_since: float | None = None  # since when the queue has been empty and this worker without work
        self._taken_when_idle = 0  # requests it had taken from the queue then
        self._beat: task.LoopingCall | None = None
        self.last_worker = False
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_idle, signal=signals.spider_idle)

    @classmethod
    def from_crawler(cls, crawler):
        config = config_of(crawler.settings)
        if not (config.run_control and config.redis_url and config.distributed_role):
            raise NotConfigured
        return cls(crawler)

    def spider_opened(self, spider) -> None:
        # The engine asks its scheduler for requests every 5 s when it has nothing to do, and Scrapy has no setting
        # for that: a worker waiting on the shared queue would sit idle while the others take everything.
        self.crawler.engine._SLOT_HEARTBEAT_INTERVAL = POLL_SECONDS
        spider.logger.info("worker %s of the shared run %s (%s) on %s", self.worker, self.run_id, self.role,
                           shown_url(self.url))
        self._beat = task.LoopingCall(self.heartbeat)
        self._beat.start(self.heartbeat_every, now=True)

    def heartbeat(self) -> None:
        try:
            pipe = self.client.pipeline()
            pipe.expire(self.keys["run"], int(6 * self.heartbeat_every) + 1)
            pipe.hset(self.keys["workers"], self.worker, utc_now_iso())
            # the claims it holds stay its own while it lives (crawler/state_redis.py _CLAIM)
            pipe.set(self.alive_key, "1", ex=max(1, int(3 * self.heartbeat_every)))
            pipe.execute()
        except redis.RedisError as error:
            redis_failed(self.crawler, error)

    def spider_idle(self) -> None:
        """Stay while the shared queue may still get requests: it holds some, or another live worker is busy with
        what it took (reading a listing whose links it will queue), however long that takes; then leave once nothing
        came for DISTRIBUTED_IDLE_SECONDS."""
        try:
            pipe = self.client.pipeline()
            pipe.hdel(self.keys["busy"], worker_name())  # nothing in progress here: this worker is idle
            pipe.zcard(self.keys["requests"])
            pipe.hkeys(self.keys["busy"])
            _, waiting, busy = pipe.execute()
            # a worker killed while busy stops counting once its sign of life lapses (three heartbeats)
            if busy:
                space = config_of(self.crawler.settings).redis_namespace
                busy = self.client.exists(*(alive_key(space, name.decode()) for name in busy))
        except redis.RedisError:
            return  # the scheduler reports it and stops the run
        taken = self.crawler.stats.get_value(counters.SCHEDULER_SHARED_DEQUEUED, 0)
        if waiting or busy or taken != self._taken_when_idle:  # there is work, or there was since the last look
            self._idle_since, self._taken_when_idle = None, taken
            raise DontCloseSpider
        now = time.monotonic()
        self._idle_since = self._idle_since or now
        if now - self._idle_since < self.idle_seconds:
            raise DontCloseSpider

    def leave(self, record: dict, coverage: dict | None = None) -> dict | None:
        """Called by the verdict at the end (crawler/run.py): this worker's counters into the run's sums, and what it
        saw of the latest-news archive (counters.coverage_seen); the whole run's line when this worker is the last
        to leave (None otherwise). The line's `covered_until` is the watermark the run reached together, only when
        every worker that joined left healthy and none found an article claimed elsewhere: every article the run
        listed was stored or is on the retry list (None otherwise, and the watermark stays)."""
        if self._beat is not None and self._beat.running:
            self._beat.stop()
        try:
            # the dead (killed) are not waited for
            live_workers(self.client, self.keys["workers"], self.heartbeat_every)
            # Its sums, its leaving and whether any worker is left, in one transaction: of workers leaving at the same
            # moment, exactly one finds none left, and it finds every other's sums in.
            pipe = self.client.pipeline(transaction=True)
            for name in SUMMED:
                pipe.hincrby(self.keys["stats"], name, int(record.get(name) or 0))
            pipe.hincrby(self.keys["stats"], "workers", 1)
            pipe.hincrby(self.keys["stats"], "failed_workers", 1 if record.get("exit_status") else 0)
            if coverage is not None:
                pipe.hset(self.keys["coverage"], self.worker, json.dumps(coverage))
            pipe.hdel(self.keys["workers"], self.worker)
            pipe.delete(self.alive_key)  # gone: any claim it still held is free for the others at once
            pipe.hlen(self.keys["workers"])
            if pipe.execute()[-1]:
                return None
            totals = {key.decode(): int(value) for key, value in self.client.hgetall(self.keys["stats"]).items()}
            seen = [json.loads(value) for value in self.client.hvals(self.keys["coverage"])]
            self.client.delete(self.keys["run"], self.keys["stats"], self.keys["requests"], self.keys["dupefilter"],
                               self.keys["coverage"], self.keys["busy"])
        except redis.RedisError as error:
            logger.error("Redis at %s: %s (the whole run's line is not written)", shown_url(self.url), error)
            return None
        self.last_worker = True
        whole = {"spider": record.get("spider"), "scope": "run", "run_id": self.run_id, "ended_at": utc_now_iso(),
                 **totals}
        whole["exit_status"] = 1 if totals.get("failed_workers") else 0
        whole["joined"] = totals.get("joined", 0)
        whole["covered_until"] = None
        if seen and not whole["exit_status"] and totals.get("joined") == totals.get("workers") \
                and not totals.get("claimed_elsewhere"):
            whole["covered_until"] = coverage_of(seen)
        whole["exit_reason"] = (f"{totals.get('failed_workers')} of {totals.get('workers')} worker(s) failed"
                                if totals.get("failed_workers") else "healthy")
        try:
            self.client.rpush(self.keys["runs"], json.dumps(whole, ensure_ascii=False))
        except redis.RedisError:
            pass
        return whole
