"""The one way tests run `scrapy crawl`: the project's own crawl command (crawler/commands/crawl.py), with the
arguments a user types, either in the test's process or as a real process.

In-process (the default) the command parses the same options, takes the same lock, checks DATA_DIR, runs the crawl on
pytest-twisted's reactor and gives the exit status its verdict gives; its log is written in the format and at the
level a process writes to stderr. That costs a fraction of a second where a process costs seconds of imports. A real
process (``process=True``, in tests marked `subprocess`) is for what only a process shows: the exit status of the
executable, a signal, kill -9, two runs at once, a proxy or registry given in the environment of a new process.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import subprocess
import sys
from dataclasses import dataclass

import pytest_twisted
from scrapy.cmdline import ScrapyArgumentParser
from scrapy.commands import ScrapyHelpFormatter
from scrapy.crawler import AsyncCrawlerRunner
from scrapy.exceptions import UsageError
from scrapy.utils.defer import deferred_from_coro
from scrapy.utils.log import get_scrapy_root_handler, install_scrapy_root_handler
from scrapy.utils.project import get_project_settings

from crawler.commands.crawl import Command
from pipelines.__main__ import main as pipelines_main
from tests.helpers import ROOT, SCRAPY


# The spiders of the crawls run in this process, in order: tests/conftest.py holds a test that ran one to the `crawl`
# marker.
CRAWLS: list[str] = []


@dataclass
class Ran:
    """What a `scrapy crawl` gave: its exit status and what it wrote to stderr (the log) and stdout."""

    returncode: int
    stderr: str
    stdout: str = ""


@contextlib.contextmanager
def environment(changes: dict[str, str] | None):
    """``os.environ`` with ``changes`` for the with-block (what a process would have been started with)."""
    saved = dict(os.environ)
    os.environ.update(changes or {})
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def scrapy_crawl(*argv: str, env: dict[str, str] | None = None, process: bool = False, prefix: list[str] | None = None,
                 timeout: float = 300) -> Ran:
    """`scrapy crawl <argv>` (``argv`` starts with the spider's name), in this process unless ``process``."""
    if process or prefix:
        result = subprocess.run([*(prefix or []), str(SCRAPY), "crawl", *argv], cwd=ROOT, capture_output=True,
                                text=True, timeout=timeout,
                                env={**os.environ, "PYTHONIOENCODING": "utf-8", **(env or {})})
        return Ran(result.returncode, result.stderr, result.stdout)
    return pytest_twisted.blockon(deferred_from_coro(scrapy_crawl_here(*argv, env=env)))


async def scrapy_crawl_here(*argv: str, env: dict[str, str] | None = None) -> Ran:
    """`scrapy crawl <argv>` in this process, on the reactor the test runs: for async tests."""
    CRAWLS.append(argv[0] if argv else "")
    stream = io.StringIO()
    root_level = logging.root.level
    with environment(env):
        settings = get_project_settings()
        command = Command()
        settings.setdict(command.default_settings, priority="command")
        command.settings = settings
        parser = ScrapyArgumentParser(formatter_class=ScrapyHelpFormatter, usage=f"scrapy crawl {command.syntax()}",
                                      conflict_handler="resolve", description=command.long_desc())
        command.add_options(parser)
        # Everything the crawl writes to sys.stderr goes to the stream, as a process's stderr: the log handler Scrapy
        # installs (again, with each crawler's settings) writes to the sys.stderr of the moment.
        try:
            with contextlib.redirect_stderr(stream):
                opts, args = parser.parse_known_args(args=list(argv))
                try:
                    command.process_options(args, opts)
                except UsageError as error:
                    print(f"Usage\n=====\n  {parser.usage}\n\n{error}", file=stream)
                    return Ran(2, stream.getvalue())
                except SystemExit as exit:
                    return Ran(exit.code if isinstance(exit.code, int) else 1, stream.getvalue())
                install_scrapy_root_handler(settings)
                # what the level lets through, and no more, reaches pytest's own capture too
                logging.root.setLevel(get_scrapy_root_handler().level)
                if len(args) != 1:
                    print("give exactly one spider", file=stream)
                    return Ran(2, stream.getvalue())
                command.crawler_process = AsyncCrawlerRunner(settings)
                with command.prepared(args[0], opts.spargs) as crawler:
                    if crawler is not None:
                        try:
                            await command.crawler_process.crawl(crawler, **opts.spargs)
                        except Exception as error:  # noqa: BLE001 (what the command's done-callback is given)
                            command.crawl_failed(args[0], error)
            return Ran(command.exitcode, stream.getvalue())
        finally:
            handler = get_scrapy_root_handler()
            if handler is not None:
                logging.root.removeHandler(handler)
                handler.close()
            logging.root.setLevel(root_level)



def pipelines_command(*argv: str, process: bool = False, timeout: float = 300) -> Ran:
    """`python -m pipelines <argv>`: the offline tools, in this process (their main(), what the module runs) unless
    ``process``."""
    if process:
        result = subprocess.run([sys.executable, "-m", "pipelines", *argv], cwd=ROOT, capture_output=True, text=True,
                                timeout=timeout, env={**os.environ, "PYTHONIOENCODING": "utf-8"})
        return Ran(result.returncode, result.stderr, result.stdout)
    stderr, stdout = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(stderr), contextlib.redirect_stdout(stdout):
        try:
            status = pipelines_main(list(argv))
        except SystemExit as exit:  # argparse's usage errors
            status = exit.code if isinstance(exit.code, int) else 1
    return Ran(status, stderr.getvalue(), stdout.getvalue())
