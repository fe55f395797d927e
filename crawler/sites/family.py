"""What the parsers of the CMS families share: a registry entry's overrides applied to the class attributes."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from crawler.dates import to_jalali_string, to_tehran_iso
from crawler.record import Article, Body
from crawler.sites import Site, SiteEntryError, entry_file
from crawler.sites.html import compiled


# The fields a parser reads, each by its method read_<name> (crawler/sites/generic.py has one for every field).
FIELDS = ("url", "news_id", "title", "kicker", "lead", "body", "published", "modified", "category", "categories",
          "reporter_code", "editor", "author", "source", "province", "tags", "images")


# The record's name of a field read under another name (the times are read as datetimes, written as text).
RECORD_NAMES = {"published": "published_at", "modified": "modified_at"}
# The record's fields that a reading fills (published_jalali comes with published_at).
RECORD_FIELDS = tuple(field.name for field in dataclasses.fields(Article)
                      if field.name not in ("site", "revision", "crawled_at"))


class Reading:
    """One page as one parser reads it: its context, and each field (or what several fields share, such as the
    headline) worked out once, when first asked for; a field's method may ask for the others."""

    def __init__(self, parser: Any, context: Any):
        self.parser = parser
        self.context = context
        self._done: dict[Any, Any] = {}

    def field(self, name: str) -> Any:
        """The field, by the parser's read_<name>."""
        return self.once(("field", name), lambda: getattr(self.parser, f"read_{name}")(self))

    def once(self, key: Any, work) -> Any:
        """What ``work()`` gives, worked out the first time ``key`` is asked for (what several fields share)."""
        if key not in self._done:
            self._done[key] = work()
        return self._done[key]


class FamilyParser:
    """Base of a family's parser. SELECTORS names the class attributes that are CSS selector tuples, FACTS those that
    are site facts; a registry entry overrides either by name ([<key>.selectors], plain keys). With SITE_FIRST the
    entry's selectors are tried before the family's own (WordPress, whose themes vary), else they replace them.
    Anything else in the entry is refused, every problem in one message, so that a typo stops the site's spider at
    the start with all that is wrong."""

    SELECTORS: tuple[str, ...] = ()
    FACTS: tuple[str, ...] = ()
    SITE_FIRST = False

    def __init__(self, site: Site):
        self.site = site
        selectors, unknown = [], []
        for name, value in site.selectors.items():
            if name not in self.SELECTORS:
                selectors.append(f"unknown selector {name!r} (known: {', '.join(self.SELECTORS)})")
                continue
            queries = (value,) if isinstance(value, str) else tuple(value) if isinstance(value, list) else (value,)
            wrong = [problem for query in queries if (problem := selector_problem(name, query))]
            selectors += wrong
            if not wrong:
                setattr(self, name, queries + getattr(self, name) if self.SITE_FIRST else queries)
        for name, value in site.facts.items():
            if name not in self.FACTS:
                unknown.append(f"unknown key {name!r} (known for the {site.family} family: "
                               f"{', '.join(self.FACTS) or 'none'})")
                continue
            setattr(self, name, tuple(value) if isinstance(value, list) else value)
        if selectors or unknown:
            raise SiteEntryError(f"the registry entry [{site.key}] in {entry_file(site.key)} has "
                                 + "; ".join(([f"bad selectors: {'; '.join(selectors)}"] if selectors else [])
                                             + unknown))


    def record(self, *, url: str, body: Iterable[str], published: datetime | None, modified: datetime | None,
               **fields: Any) -> Article:
        """The one place a parser's reading becomes an Article: the site's key, the body from its paragraphs, the
        times in Tehran's offset of their date and in the Jalali calendar; every other field as the family read it."""
        return Article(site=self.site.key, url=url, body=Body.of(body),
                       published_at=to_tehran_iso(published) if published else None,
                       published_jalali=to_jalali_string(published) if published else None,
                       modified_at=to_tehran_iso(modified) if modified else None, **fields)


def selector_problem(name: str, query) -> str | None:
    """What is wrong with one selector of a registry entry, in words; None when it is CSS that compiles."""
    if not isinstance(query, str) or not query.strip():
        return f"{name} = {query!r}: a CSS selector (text) is needed"
    try:
        compiled(query)
    except Exception as error:  # cssselect's SelectorError, or lxml's XPath error for odd pseudo-classes
        return f"{name} = {query!r} is not a CSS selector we can use: {error}"
    return None
