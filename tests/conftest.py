"""Fixtures every test file may use: the mock sites, started for real on a free port of 127.0.0.1."""

from __future__ import annotations

import inspect
import os
import subprocess
from pathlib import Path

import pytest
from twisted.internet.defer import Deferred

from tests import crawling
from tests.helpers import free_port
from tests.mocksite.server import MockIsnaServer
from tests.mocksite.site import MockSite
from tests.serving import running


ROOT = Path(__file__).resolve().parent.parent
# What running the suite may leave in the checkout: the environment and Python's and pytest's caches.
_EXPECTED = (".venv/", "__pycache__/", ".pytest_cache/", ".egg-info/")


def checkout_state() -> list[str]:
    """What is in the checkout besides its committed files: git's untracked and ignored entries (bar _EXPECTED), and
    every file under data/ with its size and modification time (data/ output is ignored, so git alone would not
    see a new dump in an existing folder)."""
    status = subprocess.run(["git", "status", "--porcelain", "--ignored"], cwd=ROOT, capture_output=True, text=True,
                            check=False).stdout.splitlines()
    entries = [line for line in status if not any(part in line for part in _EXPECTED)]
    data = ROOT / "data"
    files = [f"{path.relative_to(ROOT)} {path.stat().st_size} {path.stat().st_mtime_ns}"
             for path in sorted(data.rglob("*")) if path.is_file()] if data.is_dir() else []
    return entries + files


@pytest.fixture(scope="session", autouse=True)
def the_suite_leaves_no_trace_in_the_checkout():
    """Every test writes under its own temporary folder, never the checkout's data/ (a user's real data) nor
    anywhere else in it: the checkout is the same after the suite as before it."""
    before = checkout_state()
    yield
    after = checkout_state()
    added = sorted(set(after) - set(before))
    assert not added, f"the suite left traces in the checkout: {added[:10]}"


# -- which tests start a process --------------------------------------------------------------------------------------
# Every process a test starts is seen here (its program's name), so that a test that starts one without the
# `subprocess` marker fails: `pytest -m "not subprocess"`, the inner loop, must start none. The components some
# tests use for real (redis-server, Chromium through Playwright's driver) have markers of their own; git is the
# checkout check above, and mount makes the small disks of the storage tests.
_COMPONENTS = frozenset(("redis-server", "redis-cli", "node", "chromium", "git", "mount", "umount"))
_started: list[str] = []
_popen_init = subprocess.Popen.__init__


def _seen_popen_init(self, args, *more, **options):
    program = args if isinstance(args, (str, bytes, os.PathLike)) else args[0] if args else ""
    _started.append(os.path.basename(os.fsdecode(program).split()[0]) if program else "")
    _popen_init(self, args, *more, **options)


subprocess.Popen.__init__ = _seen_popen_init


def _processes_of(item, phase):
    """Run one phase of a test; fail it when it started a process (its components aside) unmarked, or ran a crawl in
    this process (tests/crawling.py) without the `crawl` marker."""
    before, crawls = len(_started), len(crawling.CRAWLS)
    result = yield
    started = sorted(set(name for name in _started[before:] if name not in _COMPONENTS))
    if started and not item.get_closest_marker("subprocess"):
        pytest.fail(f"{phase} started {', '.join(started)}: mark the test @pytest.mark.subprocess (the inner loop, "
                    f"-m 'not subprocess', must start no process), or run it in-process", pytrace=False)
    if len(crawling.CRAWLS) > crawls and not (item.get_closest_marker("crawl") or item.get_closest_marker("subprocess")):
        pytest.fail(f"{phase} ran `scrapy crawl {crawling.CRAWLS[-1]}` in-process: mark the test @pytest.mark.crawl "
                    f"(the unit loop, -m 'not subprocess and not crawl', runs none)", pytrace=False)
    return result


def pytest_collection_modifyitems(items):
    """Tests on a real redis-server are marked `redis` by the fixtures they use (or the store they are given)."""
    for item in items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        if {"redis_server", "redis_url"} & set(item.fixturenames) or "redis" in list(params.values()):
            item.add_marker(pytest.mark.redis)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item):
    return (yield from _processes_of(item, "setup"))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    return (yield from _processes_of(item, "call"))


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem):
    """A plain (not async) test runs as pytest runs it, outside the reactor, rather than inside it as pytest-twisted
    runs every test: so it can wait for a crawl in this process (tests/crawling.py), which needs the reactor
    running. Async tests are left to pytest-twisted."""
    function = pyfuncitem.obj
    inner = inspect.unwrap(function)  # Scrapy's deferred_f_from_coro_f wraps an async test in a plain function
    if inspect.iscoroutinefunction(inner) or inspect.isasyncgenfunction(inner) or getattr(
            function, "_pytest_twisted_mark", None) or getattr(function, "hypothesis", None):
        return None
    result = function(**{name: pyfuncitem.funcargs[name] for name in pyfuncitem._fixtureinfo.argnames})
    assert not isinstance(result, Deferred), "a test that returns a Deferred must be async"
    return True


@pytest.fixture
def isna_site():
    """The mock ISNA site (tests/mocksite), one server per test: for tests that publish or change articles."""
    with running(MockIsnaServer(MockSite())) as server:
        yield server


@pytest.fixture(scope="module")
def shared_isna_site():
    """The mock ISNA site, one server for a test module: for tests that only read it."""
    with running(MockIsnaServer(MockSite())) as server:
        yield server


def project_settings() -> dict:
    """The settings the project sets (crawler/settings.py, over Scrapy's defaults), but for the reactor, which
    pytest-twisted installs. Only those: passing on every default at a higher priority would set deprecated ones
    (RANDOMIZE_DOWNLOAD_DELAY) as if the project had."""
    from scrapy.settings import SETTINGS_PRIORITIES
    from scrapy.utils.project import get_project_settings

    settings = get_project_settings()
    return {key: value for key, value in settings.copy_to_dict().items()
            if key != "TWISTED_REACTOR" and (settings.getpriority(key) or 0) > SETTINGS_PRIORITIES["default"]}


async def crawl_in_process(spider_class, settings: dict, **arguments):
    """A crawl run in the test's own process (on pytest-twisted's asyncio reactor) with the project's settings and
    ``settings`` over them: the crawler comes back with its stats and the run's verdict (`crawler.get_extension(RunVerdict).status`).
    Subprocess crawls are for what needs a real process: the exit status of the command, the lock, kill -9."""
    from scrapy.utils.test import get_crawler

    crawling.CRAWLS.append(spider_class.name)
    crawler = get_crawler(spider_class, {**project_settings(), "PROGRESS": "off", "RUN_CONTROL": True, **settings})
    await crawler.crawl_async(**arguments)
    return crawler


class RedisServer:
    """Debian's redis-server, started for real on a free loopback port, with nothing saved to disk."""

    def __init__(self):
        import shutil
        import subprocess
        import tempfile
        import time

        import redis

        executable = shutil.which("redis-server")
        if executable is None:
            message = "redis-server is needed: apt-get install redis-server (.ci/run installs it)"
            if os.environ.get("REQUIRE_ALL_TESTS"):
                pytest.fail(message)
            pytest.skip(message)
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        # its working folder (where an append-only file would go) is a temporary one, never the checkout
        self.folder = tempfile.mkdtemp(prefix="redis-server-")
        self.process = subprocess.Popen([executable, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                                         "--appendonly", "no", "--protected-mode", "no", "--dir", self.folder],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=self.folder)
        client = redis.Redis.from_url(self.url)
        for _ in range(100):
            try:
                client.ping()
                break
            except redis.ConnectionError:
                time.sleep(0.05)
        else:
            self.stop()
            pytest.fail(f"redis-server did not answer on port {self.port}")
        self.client = client

    def stop(self) -> None:
        import shutil

        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        shutil.rmtree(self.folder, ignore_errors=True)


@pytest.fixture(scope="module")
def redis_server():
    server = RedisServer()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def redis_url(redis_server):
    """A real, empty Redis for the test."""
    redis_server.client.flushall()
    return redis_server.url
