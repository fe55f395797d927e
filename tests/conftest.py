"""Fixtures every test file may use: the mock sites, started for real on a free port of 127.0.0.1."""

from __future__ import annotations

import pytest

from tests.mocksite.server import MockIsnaServer
from tests.mocksite.site import MockSite


@pytest.fixture
def isna_site():
    """The mock ISNA site (tests/mocksite), one server per test."""
    server = MockIsnaServer(MockSite()).start_in_thread()
    yield server
    server.shutdown()
    server.server_close()
