"""All of the project's settings and their defaults, in one place (per-site facts live in crawler/sites/sites.toml).

Any of them can be overridden for one run with ``scrapy crawl SPIDER -s NAME=VALUE``.
"""

from pathlib import Path

BOT_NAME = "persian-news-crawler"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# Output: data/<spider>/<spider>-<UTC time>.jsonl unless -o/-O names a file; rejects under data/rejects/<spider>/.
DATA_DIR = PROJECT_ROOT / "data"
REJECTS_DIR = str(DATA_DIR / "rejects")

# --- Politeness -----------------------------------------------------------------------------------------------
USER_AGENT = "persian-news-crawler/0.1 (+news archive crawler for research; obeys robots.txt)"
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 4
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
}

# --- Records ----------------------------------------------------------------------------------------------------
ITEM_PIPELINES = {
    "pipelines.clean.CleanPipeline": 200,
    "pipelines.normalize.NormalizePipeline": 300,
    "pipelines.validate.ValidatePipeline": 500,
    "pipelines.dedupe.DedupePipeline": 600,
}
# Where records go when the command line names no feed (-o/-O): applied by the spiders' update_settings, since
# a FEEDS default here would be written to in addition to a file given with -O.
DEFAULT_FEEDS = {
    str(DATA_DIR / "%(name)s" / "%(name)s-%(time)s.jsonl"): {"format": "jsonlines", "encoding": "utf-8"},
}
FEED_EXPORT_ENCODING = "utf-8"  # Persian as characters, not \u escapes
FEED_STORE_EMPTY = True

LOG_LEVEL = "INFO"
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
