"""All of the project's settings and their defaults, in one place (per-site facts live in crawler/sites/sites.toml).

Any of them can be overridden for one run with ``scrapy crawl SPIDER -s NAME=VALUE``.
"""

from pathlib import Path

BOT_NAME = "persian-news-crawler"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"
COMMANDS_MODULE = "crawler.commands"  # `scrapy crawl` with a meaningful exit status and a per-spider lock

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# Everything a run writes lives here (layout: data/README.md). Without -o/-O a run is incremental: new articles
# go to DATA_DIR/<spider>/<spider>-<UTC start>.jsonl, each article once across runs (DATA_DIR/state.sqlite3).
DATA_DIR = str(PROJECT_ROOT / "data")
REJECTS_DIR = None  # default: DATA_DIR/rejects
INCREMENTAL_OUTPUT = False  # set by the spiders when the command line names no feed

# --- Politeness -----------------------------------------------------------------------------------------------
USER_AGENT = "persian-news-crawler/0.1 (+news archive crawler for research; obeys robots.txt)"
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 4
# Items and requests of one response are handed to the pipelines by this many asyncio tasks, made anew for every
# response. Scrapy's default of 100 made 100 tasks per article page (one item each) and cost more CPU than
# extraction; the pipelines are synchronous, so a few are as fast as many.
CONCURRENT_ITEMS = 4
# First in, first out, within a priority: articles are fetched (and written) in the order the archive lists them,
# newest first, and none waits at the bottom of a last-in-first-out stack until the crawl's end. Article requests
# also have a higher priority than listing pages (crawler/spiders/base.py, ARTICLE_PRIORITY).
SCHEDULER_MEMORY_QUEUE = "scrapy.squeues.FifoMemoryQueue"
SCHEDULER_DISK_QUEUE = "scrapy.squeues.PickleFifoDiskQueue"
DOWNLOAD_DELAY = 0.5
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 2.0
DOWNLOAD_TIMEOUT = 30
DOWNLOAD_MAXSIZE = 8 * 1024 * 1024  # an article page is ~100-200 KB; anything this big is not one
DOWNLOAD_WARNSIZE = 2 * 1024 * 1024

# Retries: 5xx, 429 and network errors, with exponential backoff (crawler/middlewares.py) honouring Retry-After.
RETRY_ENABLED = True
RETRY_TIMES = 3
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
RETRY_BACKOFF_BASE = 2.0  # seconds before the first retry; doubled for each further one
RETRY_BACKOFF_MAX = 60.0
DOWNLOADER_MIDDLEWARES = {
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "crawler.middlewares.BackoffRetryMiddleware": 550,
    # before Scrapy's RedirectMiddleware (600) sees a response: off-site redirects and loops become failed pages
    "crawler.middlewares.RedirectGuardMiddleware": 650,
    # only with REDIS_URL: an article page is claimed before it is fetched (crawler/distributed.py)
    "crawler.distributed.ArticleClaims": 120,
}

# --- Records ----------------------------------------------------------------------------------------------------
ITEM_PIPELINES = {
    "pipelines.clean.CleanPipeline": 200,
    "pipelines.normalize.NormalizePipeline": 300,
    "pipelines.validate.ValidatePipeline": 500,
    "pipelines.dedupe.DedupePipeline": 600,
    "pipelines.store.StorePipeline": 700,  # incremental runs only
}
FEED_EXPORT_ENCODING = "utf-8"  # Persian as characters, not \u escapes (utf-8-sig: with the BOM Excel needs)
# -O articles.csv: the record's columns, lists joined with this, images as their URLs (crawler/csv_export.py)
FEED_EXPORTERS = {"csv": "crawler.csv_export.ArticleCsvExporter"}
# `scrapy check`: @url may name a stored real page (crawler/contracts.py), so the contracts run offline
SPIDER_CONTRACTS = {"scrapy.contracts.default.UrlContract": None, "crawler.contracts.StoredPageUrlContract": 1,
                    "crawler.contracts.ExpectedRecordContract": 3}
CSV_LIST_SEPARATOR = "، "
FEED_STORE_EMPTY = True

# --- Unattended runs (crawler/run.py) ----------------------------------------------------------------------------
EXTENSIONS = {
    "crawler.progress.Progress": 0,  # its last line goes out before the verdict's summary
    "crawler.run.RunVerdict": 1,  # before the output: it takes the lock of an in-process run before anything is read
    "crawler.incremental.IncrementalOutput": 2,
    "crawler.distributed.SharedRun": 3,  # only with REDIS_URL: one run on many machines (crawler/distributed.py)
}
SPIDER_MIDDLEWARES = {"crawler.distributed.FollowerStart": 10}
# --- Many machines (crawler/distributed.py, crawler/state_redis.py) ----------------------------------------------------
# With REDIS_URL (redis://host:6379/0, scrapy-redis's name) the seen-store, the retry list, the watermark and the claims
# are in Redis, and every worker started with the same spider and REDIS_URL joins the same run.
REDIS_URL = None
REDIS_NAMESPACE = "persian-news"  # the prefix of every key this crawler writes in Redis
# Redis must keep what runs write across its restarts (appendonly yes, appendfsync everysec): without that a worker
# warns at start, and with this set it refuses to run.
REDIS_REQUIRE_PERSISTENCE = False
DISTRIBUTED_IDLE_SECONDS = 10  # a worker leaves when the shared queue has been empty this long
DISTRIBUTED_HEARTBEAT_SECONDS = 5  # a worker's sign of life; silent for three, it is dead and its run may be taken over
WRITE_DELAY_SECONDS = 0.5  # the longest an article written to disk waits for the next batch of writes to Redis
CLAIM_SECONDS = 300  # a claim's life; a dead worker's claims are taken over sooner, when its sign of life lapses
# Whether the run manager takes part (lock, incremental output, verdict, runs log): set by `scrapy crawl`
# (crawler/commands/crawl.py), off for Scrapy's other commands (`scrapy parse` must not touch DATA_DIR).
RUN_CONTROL = False
# Set by the crawl command: the name of the run (its lock, folder and files), the spider's run_name() for its arguments.
RUN_NAME = None
# Set by the crawl command, which holds the run's lock itself (a crawl started in-process has RunVerdict take it).
RUN_LOCK_HELD = False
# A run fails (exit 1) when more than this share of pages failed (and at least RUN_MIN_ERRORS did)...
RUN_MAX_ERROR_SHARE = 0.25
RUN_MIN_ERRORS = 3
# ...or when a required field (title, body, published_at, news_id) is missing on more than this share of the
# article pages, judged once there are at least RUN_MIN_ARTICLE_PAGES of them: the sign of a site redesign.
RUN_MAX_MISSING_FIELD_SHARE = 0.2
RUN_MIN_ARTICLE_PAGES = 3
# Incremental latest-news runs page back until this much before where the last healthy run was complete...
INCREMENTAL_OVERLAP_MINUTES = 30
# ...but no further than this many archive pages (a longer gap is reported, with the backfill command to close it).
CATCHUP_MAX_PAGES = 100
# Sites crawled from their feeds and sitemaps (crawler/spiders/discovery.py): a latest-news run takes the articles the
# sitemaps date in this many last days (a general sitemap lists every article a site ever had).
LATEST_NEWS_DAYS = 2
# Bounds on what a site controls in discovery (crawler/spiders/discovery.py): each one hit is a warning, counted
# (`bounds_hit` in the runs log and the summary), never a silent cut. Sitemap files read in one run, and how deep
# indexes may nest (an index that always names another would be read for ever)...
DISCOVERY_MAX_SITEMAPS = 100
DISCOVERY_MAX_SITEMAP_DEPTH = 3
# ...entries taken from one listing page (a sitemap, a feed, a home page's links)...
DISCOVERY_MAX_LISTED = 5000
# ...and article requests that discovery makes in one run (a 600,000-URL sitemap must not queue 600,000 requests).
DISCOVERY_MAX_ARTICLES = 20000
# An article page larger than this is not read (a real one is 50-300 KB; a 5 MB page held the extractor and the text
# stages for seconds while other downloads timed out): skipped with a warning, and counted in `bounds_hit`.
ARTICLE_MAX_BYTES = 3 * 1024 * 1024
# Articles that failed for a reason that may pass (a fetch error, an empty page, a refused redirect, a rejected record)
# are remembered and tried again by the next latest-news runs, this many times; then they are reported as given up.
RETRY_FAILED_ARTICLES = 3
# Archive items dated more than this far in the future (a typo on the site, a wrong year) do not move the coverage
# watermark: the next run would otherwise page back only to that date and miss what came before it.
FUTURE_TOLERANCE_MINUTES = 60
# A progress line on the terminal: "auto" (only when standard error is a terminal, so cron stays quiet), "on", "off".
PROGRESS = "auto"

LOG_LEVEL = "INFO"
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
