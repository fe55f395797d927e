"""Site extractors: pure functions from a page (HTML text and its URL) to an article record.

Nothing here needs Scrapy, the network or the clock, so the same code serves the spiders, `scrapy parse`,
the tests on stored pages and the benchmarks. Per-site facts are read from sites.toml beside this file.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

SITES_FILE = Path(__file__).with_name("sites.toml")


class NotAnArticle(Exception):
    """The page is not a text article (error page, photo or video page, advertorial...); the message says why."""


class LayoutNotRecognized(NotAnArticle):
    """The page has none of the article markup the extractor knows: an error or list page, or a redesign. Counted
    as an article page with every field missing, so that a redesign fails the run instead of passing quietly."""


@dataclass(frozen=True)
class SiteConfig:
    key: str
    name: str
    cms: str
    base_url: str
    hosts: tuple[str, ...]
    latest_archive: str
    latest_pages: int
    day_archive: str
    max_archive_pages: int
    article_path: str
    end_markers: tuple[str, ...]
    non_article_types: tuple[str, ...] = ()
    advertorial_categories: tuple[str, ...] = ()


@cache
def site_config(key: str) -> SiteConfig:
    with SITES_FILE.open("rb") as handle:
        sites = tomllib.load(handle)
    if key not in sites:
        raise KeyError(f"no site {key!r} in {SITES_FILE} (known: {', '.join(sorted(sites))})")
    entry = sites[key]
    values = {name: tuple(value) if isinstance(value, list) else value for name, value in entry.items()}
    return SiteConfig(key=key, **values)
