"""`scrapy crawl SPIDER`, with an exit status cron can rely on and one run of a spider at a time.

Scrapy's own command exits 0 even when every request failed. This one exits with the run's verdict
(crawler/run.py): 0 healthy (also when nothing was new), 1 failed (the reason is logged and in DATA_DIR/runs.jsonl)
or bad arguments, 75 when another run of the same spider holds the lock (nothing was done).
"""

from __future__ import annotations

import sys
from pathlib import Path

from scrapy.commands.crawl import Command as ScrapyCrawlCommand
from scrapy.exceptions import UsageError

from crawler.run import EXIT_FAILED, EXIT_LOCKED, lock_path
from crawler.state import AnotherRunInProgress, RunLock


class Command(ScrapyCrawlCommand):
    def run(self, args, opts) -> None:
        if len(args) != 1:
            raise UsageError("give exactly one spider: scrapy crawl <spider> (see `scrapy list`)")
        name = args[0]
        lock = RunLock(lock_path(Path(self.settings.get("DATA_DIR")), name))
        try:
            lock.acquire()  # before anything else, so that a refused run touches nothing
        except AnotherRunInProgress as error:
            print(f"scrapy crawl {name}: not started, {error}. Exit status {EXIT_LOCKED}.", file=sys.stderr)
            self.exitcode = EXIT_LOCKED
            return
        crawler = self._create_crawler(name)
        crawler.run_lock = lock
        self.crawler_process.crawl(crawler, **opts.spargs)
        self.crawler_process.start()
        status = getattr(crawler, "exit_status", None)
        if status is None:
            status = EXIT_FAILED if self.crawler_process.bootstrap_failed else 0
        self.exitcode = status
        lock.release()
