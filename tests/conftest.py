"""Fixtures every test file may use: the mock sites, started for real on a free port of 127.0.0.1."""

from __future__ import annotations

import pytest

from tests.mocksite.server import MockIsnaServer
from tests.mocksite.site import MockSite
from tests.serving import running


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


async def crawl_in_process(spider_class, settings: dict, **arguments):
    """A crawl run in the test's own process (on pytest-twisted's asyncio reactor) with the project's settings and
    ``settings`` over them: the crawler comes back with its stats and the run's verdict (crawler.exit_status).
    Subprocess crawls are for what needs a real process: the exit status of the command, the lock, kill -9."""
    from scrapy.utils.project import get_project_settings
    from scrapy.utils.test import get_crawler

    project = {key: value for key, value in get_project_settings().copy_to_dict().items() if key != "TWISTED_REACTOR"}
    crawler = get_crawler(spider_class, {**project, "PROGRESS": "off", "RUN_CONTROL": True, **settings})
    await crawler.crawl_async(**arguments)
    return crawler
