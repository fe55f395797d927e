"""Sites and their CMS families: the registry (sites.toml beside this file) and one parser per family.

A family module (nastooh.py, wordpress.py) owns everything about its CMS's markup: article pages AND listings
(archives, feeds, sitemaps), as pure methods of its parser class (page in, record or links out: no Scrapy, no
network, no clock), with its selectors and site facts as class attributes. A site is a registry entry naming its
family; the entry may override selectors and facts, and a site whose markup needs logic names a subclass of a few
lines (`parser = "module:Class"`). Every registry entry is a spider (crawler/spiders/registry.py).
"""

from __future__ import annotations

import importlib
import os
import tomllib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from crawler.text import unify_letters

# The registry of sites; PERSIAN_NEWS_SITES names a deployment's own file of entries, added to these (an entry of the
# same key replaces the shipped one).
SITES_FILE = Path(__file__).with_name("sites.toml")
EXTRA_SITES_FILE = Path(os.environ["PERSIAN_NEWS_SITES"]) if os.environ.get("PERSIAN_NEWS_SITES") else None

# Each family's parser; a registry entry's `family` is one of these keys.
FAMILIES = {
    "nastooh": "crawler.sites.nastooh:NastoohParser",
    "iransamaneh": "crawler.sites.iransamaneh:IranSamanehParser",
    "wordpress": "crawler.sites.wordpress:WordPressParser",
    "asam": "crawler.sites.asam:AsamParser",  # [hearsay] the generic parser with the family's selectors
    "generic": "crawler.sites.generic:GenericParser",  # a site on a CMS of its own
}


class NotAnArticle(Exception):
    """The page is not a text article (error page, photo or video page, advertorial...); the message says why."""


class SiteEntryError(ValueError):
    """A site's registry entry cannot be used (bad selectors, a missing field): its spider does not start."""


class LayoutNotRecognized(NotAnArticle):
    """The page has none of the article markup the extractor knows: an error or list page, or a redesign. Counted
    as an article page with every field missing, so that a redesign fails the run instead of passing quietly."""


@dataclass(frozen=True)
class Site:
    """A news site: a registry entry, or one named on the command line (`scrapy crawl wordpress -a site_url=`)."""

    key: str
    name: str
    family: str
    base_url: str
    hosts: tuple[str, ...] = ()  # host names that mean this site in links (base_url's own is always one)
    province: str | None = None
    verified: bool = False  # a stored real page proves the entry (tests/fixtures/<key>/)
    selectors: dict[str, Any] = field(default_factory=dict)  # overrides of the family parser's selectors
    facts: dict[str, Any] = field(default_factory=dict)  # overrides of the family parser's site facts
    parser: str | None = None  # "module:Class": a subclass of the family's parser, for markup that needs logic

    @property
    def host_names(self) -> set[str]:
        """The site's host names, each with and without `www.` (a site answers on both)."""
        own = (urlsplit(self.base_url).hostname or "").lower()
        bare = {host.lower().removeprefix("www.") for host in (*self.hosts, own) if host}
        return bare | {"www." + host for host in bare}


def site_key_of(url: str) -> str:
    """What names a site given by its URL alone (no registry entry): its host without `www.`, and its port when the
    URL names one that is not the scheme's own («127.0.0.1:18865»): two sites on one host are two sites, in the
    seen-store, the records' `site`, the run's lock and folder. The scheme is left out: a site that moves from http to
    https is the same site. "" for a URL with no host."""
    try:
        parts = urlsplit(url)
        host, port = (parts.hostname or "").lower().removeprefix("www."), parts.port
    except ValueError:
        return ""
    default = {"http": 80, "https": 443}.get(parts.scheme)
    return f"{host}:{port}" if host and port and port != default else host


_SITE_FIELDS = {"name", "family", "base_url", "hosts", "province", "verified", "selectors", "parser"}


@cache
def registry() -> dict[str, dict]:
    """Every site entry of the registry, by key: the shipped file's, then the deployment's (PERSIAN_NEWS_SITES)."""
    entries = {}
    for path in registry_files():
        with path.open("rb") as handle:
            entries.update(tomllib.load(handle))
    return entries


def registry_files() -> list[Path]:
    return [SITES_FILE, *([EXTRA_SITES_FILE] if EXTRA_SITES_FILE else [])]


@cache
def entry_file(key: str) -> Path:
    """The registry file an entry comes from (the last that has it), for messages about the entry."""
    for path in reversed(registry_files()):
        with path.open("rb") as handle:
            if key in tomllib.load(handle):
                return path
    return SITES_FILE


def registered_site(key: str) -> Site:
    """The registry's site `key`; SiteEntryError when there is none, or its entry cannot be used."""
    sites = registry()
    if key not in sites:
        raise SiteEntryError(f"no site {key!r} in {' or '.join(map(str, registry_files()))} "
                             f"(known: {', '.join(sorted(sites))})")
    entry = dict(sites[key])
    if "cms" in entry and "family" not in entry:
        raise SiteEntryError(f"the registry entry [{key}] in {entry_file(key)}: `cms` is now called `family`")
    missing = [name for name in ("name", "family", "base_url") if name not in entry]
    if missing or entry.get("family") not in FAMILIES:
        problem = f"needs {', '.join(missing)}" if missing else f"family must be one of {', '.join(FAMILIES)}"
        raise SiteEntryError(f"the registry entry [{key}] in {entry_file(key)} {problem}")
    facts = {name: value for name, value in entry.items() if name not in _SITE_FIELDS}
    return Site(key=key, name=entry["name"], family=entry["family"], base_url=entry["base_url"],
                hosts=tuple(entry.get("hosts", ())), province=entry.get("province"),
                verified=bool(entry.get("verified", False)), selectors=dict(entry.get("selectors", {})),
                facts=facts, parser=entry.get("parser"))


def site_keys(family: str | None = None) -> list[str]:
    return sorted(key for key, entry in registry().items() if family is None or entry.get("family") == family)


def parser_for(site: Site):
    """The parser of the site: its own subclass when the entry names one, else its family's, built with the entry's
    overrides (SiteEntryError when they name selectors or facts the parser does not have)."""
    module_name, _, class_name = (site.parser or FAMILIES[site.family]).partition(":")
    try:
        parser_class = getattr(importlib.import_module(module_name), class_name)
    except (ImportError, AttributeError) as error:
        raise SiteEntryError(f"the registry entry [{site.key}] names a parser that cannot be loaded: {error}") from None
    return parser_class(site)


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
    plain = unify_letters(text).replace("\u200c", " ").strip()
    if prefix is not None:
        head = f"{prefix}/"
        if not plain.startswith(head):
            return None
        plain = plain[len(head):].lstrip()
        return next((name for name in provinces() if plain.startswith(name)
                     and (len(plain) == len(name) or not plain[len(name)].isalpha())), None)
    return next((name for name in provinces() if plain == name), None)
