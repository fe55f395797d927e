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
