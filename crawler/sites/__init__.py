"""Site extractors: pure functions from a page (HTML text and its URL) to an article record.

Nothing here needs Scrapy, the network or the clock, so the same code serves the spiders, `scrapy parse`,
the tests on stored pages and the benchmarks. Per-site facts are read from sites.toml beside this file.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

# The registry of sites. PERSIAN_NEWS_SITES names another file to use instead (a deployment's own list).
SITES_FILE = Path(os.environ.get("PERSIAN_NEWS_SITES") or Path(__file__).with_name("sites.toml"))


class NotAnArticle(Exception):
    """The page is not a text article (error page, photo or video page, advertorial...); the message says why."""


class SiteEntryError(ValueError):
    """A site's registry entry cannot be used (bad selectors, a missing field): its spider does not start."""


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
    non_article_types: tuple[str, ...] = ()
    advertorial_categories: tuple[str, ...] = ()
    dateline_prefix: str = ""  # «ایسنا» in «ایسنا/خوزستان»: the province of a provincial story


@dataclass(frozen=True)
class WordPressSite:
    """A WordPress news site of the registry (or one given on the command line with -a site_url=)."""

    key: str
    name: str
    base_url: str
    province: str | None = None
    verified: bool = False
    selectors: dict = field(default_factory=dict)


@cache
def registry() -> dict[str, dict]:
    """Every site entry of the registry file, by key."""
    with SITES_FILE.open("rb") as handle:
        return tomllib.load(handle)


def site_entry(key: str) -> dict:
    sites = registry()
    if key not in sites:
        raise KeyError(f"no site {key!r} in {SITES_FILE} (known: {', '.join(sorted(sites))})")
    return sites[key]


@cache
def site_config(key: str) -> SiteConfig:
    entry = site_entry(key)
    values = {name: tuple(value) if isinstance(value, list) else value for name, value in entry.items()}
    return SiteConfig(key=key, **values)


def wordpress_site(key: str) -> WordPressSite:
    entry = dict(site_entry(key))
    if entry.pop("cms", None) != "wordpress":
        raise KeyError(f"site {key!r} in {SITES_FILE} is not a WordPress site")
    return WordPressSite(key=key, **entry)


def wordpress_keys() -> list[str]:
    return sorted(key for key, entry in registry().items() if entry.get("cms") == "wordpress")


@cache
def provinces() -> tuple[str, ...]:
    """Iran's provinces (provinces.toml), longest name first so that «کرمانشاه» is not read as «کرمان»."""
    with Path(__file__).with_name("provinces.toml").open("rb") as handle:
        return tuple(sorted(tomllib.load(handle)["names"], key=len, reverse=True))


def province_in(text: str | None, *, prefix: str | None = None) -> str | None:
    """The province a text names: one starting with `prefix/` and a province («ایسنا/خوزستان ...»), or, without a
    prefix, a text that is a province's name. Arabic letter forms and ZWNJs do not matter."""
    if not text:
        return None
    from crawler.text import unify_letters

    plain = unify_letters(text).replace("\u200c", " ").strip()
    if prefix is not None:
        head = f"{prefix}/"
        if not plain.startswith(head):
            return None
        plain = plain[len(head):].lstrip()
        return next((name for name in provinces() if plain.startswith(name)
                     and (len(plain) == len(name) or not plain[len(name)].isalpha())), None)
    return next((name for name in provinces() if plain == name), None)
