"""The names that one part of the crawler sets and another reads: the run's counters (Scrapy stats). The spiders
count pages and articles, the pipelines count records, and the verdict (crawler/run.py), the progress line and the
runs log read them. One name each, defined here, so that a typo is an AttributeError and
not a counter nobody reads. This module imports nothing of the crawler: every part may import it.
"""

ARCHIVE_ALREADY_STORED = "archive/already_stored"  # listed articles already stored: not fetched
ARCHIVE_SKIPPED_BEFORE = "archive/skipped_before"  # listed pages earlier runs found to be no article: not fetched
ARCHIVE_DAYS_EMPTY = "archive/days_empty"  # day archives that listed nothing
ARCHIVE_EMPTY_LATEST = "archive/empty_latest"  # a latest-news listing with no article (a redesign)
ARCHIVE_PAGES = "archive/pages"  # listing pages read (archives, home pages, feeds, sitemaps)
ARTICLES_CLAIMED_ELSEWHERE = "articles/claimed_elsewhere"  # article pages another worker of a shared run had claimed
ARTICLES_EXTRACTED = "articles/extracted"  # records extracted
ARTICLES_GENERIC_FALLBACK = "articles/generic_fallback"  # fields a family parser missed, taken from the generic reading
ARTICLES_GIVEN_UP = "articles/given_up"  # articles tried too often, given up
ARTICLES_OUTSIDE_RANGE = "articles/outside_range"  # records left out by -a from/to
ARTICLES_PAGES = "articles/pages"  # article pages read by an extractor
ARTICLES_RETRIED = "articles/retried"  # articles earlier runs could not store, tried again
ARTICLES_SKIPPED = "articles/skipped"  # pages that are no article, with their reason logged
ARTICLES_TO_RETRY = "articles/to_retry"  # articles this run could not store, on the retry list
PAGES_FAILED = "pages/failed"  # pages lost to this run: fetch errors, refused redirects, empty or unreadable bodies
PAGES_FETCHED = "pages/fetched"  # pages fetched and read (listings and articles)
PAGES_FORBIDDEN = "pages/forbidden"  # pages robots.txt forbids
PAGES_FORBIDDEN_EXAMPLE = "pages/forbidden_example"  # the first of them, in words
PROGRESS_DAYS_DONE = "progress/days_done"  # days done
PROGRESS_DAYS_TOTAL = "progress/days_total"  # days of a from/to crawl
RECORDS_ALREADY_STORED = "records/already_stored"  # records dropped: stored, unchanged
RECORDS_CLAIMED_ELSEWHERE = "records/claimed_elsewhere"  # records dropped: another worker was writing them
RECORDS_DUPLICATE = "records/duplicate"  # records dropped: seen earlier in this run
RECORDS_ERRORS = "records/errors"  # records lost to a pipeline error or a storage failure (the run fails)
RECORDS_NEW = "records/new"  # records written for the first time
RECORDS_DATE_MISSING = "records/date_missing"  # records written without published_at: the page states no date
RECORDS_REJECTED = "records/rejected"  # records that failed validation
RECORDS_REJECTED_EXAMPLE = "records/rejected_example"  # the first rejected record's reasons, in words
RECORDS_REVISIONS = "records/revisions"  # records written as a new revision
RECORDS_WRITTEN = "records/written"  # records written (new and revisions)
SCHEDULER_SHARED_ENQUEUED = "scheduler/enqueued/redis"  # requests this worker put in the shared queue (scrapy-redis's name)
SCHEDULER_SHARED_DEQUEUED = "scheduler/dequeued/redis"  # requests this worker took from the shared queue
SITE_FAMILY = "site/family"  # the family detected on an unregistered site
BOUNDS_HIT = "bounds_hit"  # times a bound on what a site controls cut something (logged each time)
DISTRIBUTED_PROBLEM = "distributed/problem"  # why a worker of a shared run stopped: Redis gone or refusing
WORDPRESS_ROUTE = "wordpress/route"  # the WordPress route taken: rest or feed

# The run's facts, which the spider states and the verdict (crawler/run.py judge) reads: what it was asked for, the
# last page it lost or skipped, and for a site read from its home page, that the home page was read.
RUN_ARTICLE_URL = "run/article_url"  # -a url=
RUN_DAYS = "run/days"  # -a from/to, as «FIRST to LAST»
RUN_LAST_PROBLEM = "run/last_problem"  # «URL: reason» of the last page lost or skipped
RUN_HOME_READ = "run/home_read"  # the home page a site's latest news are discovered from (crawler/spiders/discovery.py)
LISTED = "discovery/listed"  # articles any listing gave (new or already stored)
# What a latest-news run saw of its site's archive, for the watermark (crawler/state.py coverage_of): the newest item
# of the first page, once read, and whether the run read back as far as it needed.
COVERAGE_NEWEST = "coverage/newest_listed"  # an ISO time
COVERAGE_COMPLETE = "coverage/complete"  # True once the last page the run needed was read


def coverage_seen(stats: dict) -> dict | None:
    """What this process saw of the latest-news archive (a part of coverage_of), from its stats; None when it read
    no latest-news archive."""
    if COVERAGE_NEWEST not in stats and COVERAGE_COMPLETE not in stats:
        return None
    return {"newest_listed": stats.get(COVERAGE_NEWEST), "complete": bool(stats.get(COVERAGE_COMPLETE))}


def missing(field: str) -> str:
    """Article pages on which a required field was missing."""
    return f"articles/missing/{field}"


def bound_hit(setting: str) -> str:
    """Times the bound of this setting (DISCOVERY_*, ARTICLE_MAX_BYTES) cut what a site gave."""
    return f"bounds/{setting}"


def rejected_for(reason: str) -> str:
    """Records rejected for this reason (the part of the reason before its colon)."""
    return f"records/rejected/{reason}"
