"""Comparisons the crawl tests share."""

import re
import sys
from pathlib import Path


def letters(text: str | None) -> str | None:
    """Text without spaces and ZWNJs, Arabic letter forms as Persian: what extraction must get right whatever
    normalization does with spacing (it joins «می شود» and restores lost ZWNJs; tests/test_text_quality.py covers
    that)."""
    if text is None:
        return None
    return re.sub(r"[ \u200c]", "", text).replace("ي", "ی").replace("ى", "ی").replace("ك", "ک")


ROOT = Path(__file__).resolve().parent.parent
SCRAPY = Path(sys.executable).with_name("scrapy")
# Politeness delays off so that crawls in tests are quick; everything else as configured.
FAST = ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "RETRY_BACKOFF_BASE=0.05"]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on (for a server a test starts, or a site that is down)."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
