"""`scrapy crawl SPIDER`, with an exit status cron can rely on and one run of a spider at a time.

Scrapy's own command exits 0 even when every request failed. This one exits with the run's verdict
(crawler/run.py): 0 healthy (also when nothing was new), 1 failed (the reason is logged and in DATA_DIR/runs.jsonl,
or logged in one line when the run could not start: DATA_DIR not writable, a broken registry entry, -a url= of another
site), 2 for a usage error (an unknown spider, a wrong or unknown -a option), 75
when another run of the same spider holds the lock (nothing was done). Everything that can be checked before the
crawl starts is checked here, in this order, and reported in one line without a traceback: the spider's name, its
arguments, the lock (a refused run touches nothing), and that everything the run writes under DATA_DIR can be
written.
"""

from __future__ import annotations

import argparse
import contextlib
import difflib
import logging
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

from redis import RedisError
from scrapy import signals
from scrapy.crawler import Crawler
from redis.connection import parse_url as parse_redis_url
from scrapy.commands import ScrapyHelpFormatter
from scrapy.settings import SETTINGS_PRIORITIES, default_settings
from scrapy.commands.crawl import Command as ScrapyCrawlCommand
from scrapy.exceptions import UsageError
from scrapy.spiderloader import get_spider_loader
from scrapy.utils.log import configure_logging

from crawler import settings as project_settings
from crawler.config import config_of
from crawler.distributed import distributed_settings, join_run
from crawler.run import EXIT_FAILED, EXIT_LOCKED, RunVerdict, lock_path, logs_debug, preflight
from crawler.sites import SiteEntryError
from crawler.spiders.base import UrlNotOnSite
from crawler.state import AnotherRunInProgress, RunLock, StorageProblem
from crawler.state_redis import shown_url

EXIT_USAGE = 2
# In JOBDIR while a crawl runs (crawler/commands/crawl.py _job_marker).
JOB_MARKER = "crawl-in-progress"

logger = logging.getLogger(__name__)


HELP = """Run a spider: the latest news of its site, incrementally into DATA_DIR (data/), or what the -a options ask.
Exit status: 0 healthy, 1 failed (the reason is logged and in data/runs.jsonl), 2 usage error, 75 another run of the
spider holds the lock. `scrapy list` names the spiders; `scrapy sites` shows the registry.

Options of every spider (-a NAME=VALUE):
  -a from=1402-05-20 -a to=1402-05-24   every article published on these Jalali days (Gregorian dates are converted)
  -a url=https://...                    one article
  -a pages=10                           the first N archive pages (sitemaps for sites read from their sitemaps)
  -a refresh=1                          fetch stored articles again; a changed one is written as a new revision
  -a base_url=http://127.0.0.1:8800     a mirror or local copy of a registry site (not `news`)
`scrapy crawl news` (any site, no registry entry) also takes:
  -a site_url=https://example.ir/       the site's latest news, from its home page, feeds and sitemaps
  -a family=nastooh|iransamaneh|wordpress|asam|generic   its CMS, instead of detecting it
`scrapy crawl wordpress` (any WordPress site) also takes -a site_url=https://example.ir/.

Examples:
  scrapy crawl isna                                   the latest ISNA news since the last run
  scrapy crawl isna -a from=1402-05-20 -a to=1402-05-24
  scrapy crawl news -a url=https://example.ir/news/123/ -O one.jsonl
  scrapy crawl isna -O out.csv -s FEED_EXPORT_ENCODING=utf-8-sig   a standalone export (CSV for a spreadsheet)
`./crawl demo` crawls the mock ISNA site offline, in seconds (see README.md)."""


class _HelpFormatter(argparse.RawDescriptionHelpFormatter, ScrapyHelpFormatter):
    """Scrapy's help layout, with the description printed as written (its option table is not re-flowed)."""


class Command(ScrapyCrawlCommand):
    def long_desc(self) -> str:
        return HELP

    def add_options(self, parser) -> None:
        super().add_options(parser)
        parser.formatter_class = _HelpFormatter
    def process_options(self, args, opts) -> None:
        """Scrapy's options, then the checks that need no crawl: a spider name, arguments or REDIS_URL that cannot
        work is refused here, in one line, before Scrapy starts its crawler process and logs its start-up banner."""
        super().process_options(args, opts)
        if len(args) != 1:
            return  # run() says what is wrong
        problem, status = self._cannot_start(args[0], opts.spargs, get_spider_loader(self.settings))
        if problem:
            configure_logging(self.settings)  # the one line in the log's own format
            logger.critical("cannot start `scrapy crawl %s`: %s", args[0], problem)
            raise SystemExit(status)

    def run(self, args, opts) -> None:
        if len(args) != 1:
            raise UsageError("give exactly one spider: scrapy crawl <spider> (see `scrapy list`)")
        with self.prepared(args[0], opts.spargs) as crawler:
            if crawler is not None:
                task = self.crawler_process.crawl(crawler, **opts.spargs)
                task.add_done_callback(lambda task: task.cancelled() or task.exception() is None
                                       or self.crawl_failed(args[0], task.exception()))
                self.crawler_process.start()

    def crawl_failed(self, name: str, error: BaseException) -> None:
        """The crawl raised instead of running (a class in the settings that cannot be loaded, Redis gone while the
        engine opened...): one CRITICAL line with the reason, the traceback at DEBUG only, and exit status 1."""
        self.crawl_error = error
        config = config_of(self.settings)
        what = f"Redis at {shown_url(config.redis_url)}" if isinstance(error, RedisError) else type(error).__name__
        logger.critical("`scrapy crawl %s` stopped: %s: %s", name, what, error,
                        exc_info=error if logs_debug(config) else None)

    @contextlib.contextmanager
    def prepared(self, name: str, arguments: dict) -> Iterator[Crawler | None]:
        """The run of spider ``name`` up to its crawl, for the with-block to start: the lock taken, DATA_DIR checked,
        the Redis run joined, the crawler made (None when the run is refused; ``exitcode`` says why). After the block,
        ``exitcode`` is the run's verdict and the lock is released. `run` crawls in a process of its own; a caller
        whose reactor already runs (the tests) awaits the crawl inside the block instead."""
        run_name = self._run_name(name, arguments)
        # An export (-o/-O) is no run of the incremental dump: it takes no lock and writes nothing under DATA_DIR, so
        # an ad-hoc export and cron's run never block each other.
        export = bool(self.settings.getdict("FEEDS"))
        lock = None if export else RunLock(lock_path(config_of(self.settings).data_dir, run_name))
        try:
            if lock is not None:
                lock.acquire()  # before anything else is touched, so that a refused run changes nothing
        except AnotherRunInProgress as error:
            logger.error("scrapy crawl %s: not started, %s. Exit status %d.", name, error, EXIT_LOCKED)
            self.exitcode = EXIT_LOCKED
            yield None
            return
        except OSError as error:
            logger.critical("cannot start `scrapy crawl %s`: cannot take the lock %s: %s", name, error.filename,
                            error.strerror)
            self.exitcode = EXIT_FAILED
            yield None
            return
        try:
            self.crawl_error = None
            crawler = self._crawler(name, run_name, export)
            yield crawler
            if crawler is not None:
                # A run that ended without a verdict (its bookkeeping never ran) or raised did not succeed.
                try:
                    verdict = crawler.get_extension(RunVerdict)
                except RuntimeError:  # the crawl stopped before its extensions were made
                    verdict = None
                self.exitcode = verdict.status if verdict is not None and self.crawl_error is None else EXIT_FAILED
        finally:
            if lock is not None:
                lock.release()

    def _crawler(self, name: str, run_name: str, export: bool) -> Crawler | None:
        """The crawler of a run whose lock is held, DATA_DIR checked and the Redis run joined; None (and
        ``exitcode``) when one of these refuses it."""
        config = config_of(self.settings)  # the settings as the command line gave them (the run's own come below)
        try:
            if not export:
                preflight(config, run_name, incremental=True)
        except StorageProblem as error:
            logger.critical("cannot start `scrapy crawl %s`: %s", name, error)
            self.exitcode = EXIT_FAILED
            return None
        self.settings.set("RUN_CONTROL", True, priority="cmdline")
        self.settings.set("RUN_NAME", run_name, priority="cmdline")
        self.settings.set("RUN_LOCK_HELD", True, priority="cmdline")
        if config.redis_url and not export:
            try:
                role, run_id = join_run(config, run_name)
            except RedisError as error:
                logger.critical("cannot start `scrapy crawl %s`: Redis at %s: %s", name, shown_url(config.redis_url),
                                error)
                self.exitcode = EXIT_FAILED
                return None
            distributed_settings(self.settings, run_name, role, run_id)
        job = self._job_marker()
        crawler = self._create_crawler(name)
        if job is not None:  # closed cleanly (Ctrl-C once included), not killed: the saved queue can be resumed
            crawler.signals.connect(lambda: job.unlink(missing_ok=True), signal=signals.spider_closed, weak=False)
        return crawler

    def _job_marker(self) -> Path | None:
        """With JOBDIR: a marker that the crawl is running, removed when the spider closes (Ctrl-C once included).
        Found at the start, it says the last crawl with this JOBDIR was killed (kill -9, Ctrl-C twice, a crash):
        Scrapy's saved queue and duplicate filter then lack the requests that were in flight, and resuming them
        would skip those articles for good. So the saved state is cleared, with a warning, and the crawl starts
        afresh: what is already stored is skipped all the same."""
        job = self.settings.get("JOBDIR")
        if not job:
            return None
        folder = Path(job)
        marker = folder / JOB_MARKER
        if marker.exists():
            logger.warning("JOBDIR %s: the last crawl with it did not stop cleanly (killed, or Ctrl-C twice), so its "
                           "saved queue may have lost requests; starting afresh instead of resuming (articles already "
                           "stored are skipped)", folder)
            for child in folder.iterdir():
                shutil.rmtree(child) if child.is_dir() and not child.is_symlink() else child.unlink()
        folder.mkdir(parents=True, exist_ok=True)
        marker.write_text(f"{os.getpid()}\n", encoding="utf-8")
        return marker

    def _run_name(self, name: str, arguments: dict) -> str:
        """The run's name (its lock, folder and files): the spider's, or the spider's run_name() for these arguments."""
        run_name = getattr(self.crawler_process.spider_loader.load(name), "run_name", None)
        return run_name(**arguments) if run_name else name

    def _mistyped_settings(self) -> str | None:
        """What is wrong with a -s NAME=VALUE whose setting is a number or a flag (in Scrapy's defaults or the
        project's): `-s DOWNLOAD_DELAY=abc` failed deep inside the crawl, in an asyncio task nobody read."""
        for name, value in self.settings.items():
            if self.settings.getpriority(name) != SETTINGS_PRIORITIES["cmdline"] or not isinstance(value, str):
                continue
            default = getattr(project_settings, name, getattr(default_settings, name, None))
            try:
                if isinstance(default, bool):
                    self.settings.getbool(name)
                elif isinstance(default, (int, float)):
                    float(value)
                else:
                    continue
            except ValueError:
                kind = "true or false (1 or 0)" if isinstance(default, bool) else "a number"
                return f"-s {name}={value!r}: {name} must be {kind}"
        return None

    def _cannot_start(self, name: str, arguments: dict, spider_loader) -> tuple[str | None, int]:
        """Why the run cannot start, with its exit status; (None, 0) when it can."""
        names = sorted(spider_loader.list())
        if name not in names:
            close = difflib.get_close_matches(name, names, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            return f"no spider {name!r}; {hint}the spiders are: {', '.join(names)}", EXIT_USAGE
        wrong = self._mistyped_settings()
        if wrong:
            return wrong, EXIT_USAGE
        redis_url = config_of(self.settings).redis_url
        if redis_url:
            try:
                parse_redis_url(redis_url)
            except ValueError as error:
                return f"-s REDIS_URL={redis_url!r} is not a Redis URL: {error}", EXIT_USAGE
        spider_class = spider_loader.load(name)
        check = getattr(spider_class, "check_arguments", None)
        if check is not None:
            try:
                check(**arguments)
            except UsageError as error:
                return str(error), EXIT_USAGE
            except (SiteEntryError, UrlNotOnSite) as error:
                return str(error), EXIT_FAILED
        return None, 0

