"""The article record: the one definition of what every JSONL line holds.

The JSON Schema shipped to downstream readers (data/schema/article.schema.json) is generated from the
dataclasses below (`python -m crawler.record > data/schema/article.schema.json`), and a test fails when the
committed file and this definition disagree. Every field is always present: a missing value is null (or []
for lists), never an empty string.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import re
import sys
import types
import typing
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

from courlan.clean import TRACKERS_RE

from crawler.text import lines_of

SCHEMA_ID = "urn:persian-news-crawler:article"

# Patterns the schema enforces beyond types; kept beside the fields they describe.
DIGITS = r"^[0-9]+$"
# A site's own article code: digits on most sites, letters and digits on some (/news/aB3xZ/...).
NEWS_CODE = r"^[0-9A-Za-z][0-9A-Za-z_-]*$"
# An absolute http(s) URL: never javascript:, data:, file:, mailto: or a relative or protocol-relative one.
HTTP_URL = r"^[Hh][Tt][Tt][Pp][Ss]?://[^\s/?#]+[^\s]*$"
# Text: no markup (a tag, a comment, a doctype) and no control characters (C0 and C1 controls but the line break,
# the Arabic letter mark, directional marks, embeddings and isolates, non-characters). Written with look-aheads so
# that a check of a long text stays linear.
_CONTROLS = "\\x00-\\x09\\x0b-\\x1f\\x7f-\\x9f\\u061c\\u200e\\u200f\\u202a-\\u202e\\u2066-\\u2069\\ufffe\\uffff"
_NO_MARKUP = "(?![\\s\\S]*<[A-Za-z/!?])"
TEXT = f"^{_NO_MARKUP}[^{_CONTROLS}]*$"
# ...and at least one letter (Latin or Arabic script): a headline or a body of "1.5" or "<" is no text.
_LETTER = ("A-Za-z\\u0621-\\u064A\\u066E-\\u06D3\\u06FA-\\u06FC\\u0750-\\u077F\\u08A0-\\u08C9"
           "\\uFB50-\\uFDFB\\uFE70-\\uFEFC")  # letters only: no digits or punctuation of the Arabic block
LETTERED_TEXT = f"^{_NO_MARKUP}(?=[\\s\\S]*[{_LETTER}])[^{_CONTROLS}]*$"
TEHRAN_TIMESTAMP = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}$"
UTC_TIMESTAMP = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$"
JALALI_MINUTE = r"^1[2-5]\d\d-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d$"


def _field(description: str, *, default: Any = dataclasses.MISSING, pattern: str | None = None,
           fmt: str | None = None, default_factory: Any = dataclasses.MISSING) -> Any:
    metadata = {"description": description, "pattern": pattern, "format": fmt}
    if default_factory is not dataclasses.MISSING:
        return field(default_factory=default_factory, metadata=metadata)
    return field(default=default, metadata=metadata)


class Body(str):
    """An article's body as written (its paragraphs joined by a blank line) that remembers the paragraphs it was made
    of: extraction makes it from its list and each text stage takes the list from it and hands a new Body on, so that
    no stage splits the text again. Copied (dataclasses.asdict) or pickled, it is the plain text."""

    paragraphs: tuple[str, ...]

    @classmethod
    def of(cls, paragraphs: Iterable[str]) -> Body | None:
        """The body of these tidied paragraphs (empty ones left out); None when there are none."""
        kept = tuple(text for text in paragraphs if text)
        if not kept:
            return None
        body = cls("\n\n".join(kept))
        body.paragraphs = kept
        return body

    def __reduce__(self):
        return str, (str(self),)


@dataclass
class Image:
    url: str = _field("Absolute URL of the image file.", fmt="iri", pattern=HTTP_URL)
    caption: str | None = _field("Caption or alt text when it says more than the title; else null.", default=None, pattern=TEXT)


@dataclass
class Article:
    site: str = _field("Key of the site the article comes from, e.g. `isna`.")
    url: str = _field("Canonical URL of the article as the site declares it, its non-ASCII (Persian) text written as "
                      "characters, not %-escapes (an IRI).", fmt="iri", pattern=HTTP_URL)
    news_id: str | None = _field("The site's own article code (کد خبر): ASCII digits, or ASCII letters and digits on "
                                 "sites whose codes have letters.", default=None, pattern=NEWS_CODE)
    title: str | None = _field("Headline.", default=None, pattern=LETTERED_TEXT)
    kicker: str | None = _field("Kicker (روتیتر): the line above the headline.", default=None, pattern=TEXT)
    lead: str | None = _field("Lead (لید): the summary paragraph, with its dateline if the page has one.", default=None, pattern=TEXT)
    body: str | None = _field("Article text: paragraphs in page order, joined by one blank line; no page junk.", default=None, pattern=LETTERED_TEXT)
    published_at: str | None = _field(
        "Publication time, ISO 8601 in Tehran local time with the offset in force on that date; midnight when the "
        "page gives only the day; null when the page states no publication date at all (counted as `date_missing` in "
        "the runs log).",
        default=None, pattern=TEHRAN_TIMESTAMP)
    published_jalali: str | None = _field("Publication time in the Jalali calendar, Tehran time, to the minute.",
                                          default=None, pattern=JALALI_MINUTE)
    modified_at: str | None = _field("Last modification time the site declares, same form as published_at.",
                                     default=None, pattern=TEHRAN_TIMESTAMP)
    category: str | None = _field("The article's category (دسته‌بندی) as the page shows it; the first one when it has several.",
                                  default=None, pattern=TEXT)
    categories: list[str] = _field("Every category of the article, in the site's order (ISNA shows one).",
                                   default_factory=list, pattern=TEXT)
    reporter_code: str | None = _field("Reporter code (کد خبرنگار), ASCII digits.", default=None, pattern=DIGITS)
    editor: str | None = _field("Editor (دبیر) named on the page.", default=None, pattern=TEXT)
    author: str | None = _field("Author named by the site (WordPress: the post's author).", default=None, pattern=TEXT)
    source: str | None = _field("Outlet the article is credited to (منبع), when it is republished.", default=None, pattern=TEXT)
    province: str | None = _field("Province the story comes from, when known.", default=None, pattern=TEXT)
    tags: list[str] = _field("Tags (برچسب‌ها) in page order, without duplicates.", default_factory=list, pattern=TEXT)
    images: list[Image] = _field("Images of the article, main image first.", default_factory=list)
    revision: int | None = _field(
        "In the incremental dump under data/: 1 when the article is first written, 2, 3... when the site changed it "
        "since (its text or declared modification time). Null in exports made with -o/-O.", default=None)
    crawled_at: str | None = _field("When the page was fetched, UTC.", default=None, pattern=UTC_TIMESTAMP)

    def __post_init__(self) -> None:
        if isinstance(self.url, str):
            self.url = readable_url(self.url)  # one form, whatever the page wrote or the crawler fetched

    @property
    def paragraphs(self) -> list[str]:
        """The body's paragraphs: the list it was made of (Body), or for a body given as plain text (a record read
        back from a dump), its lines, tidied."""
        body = self.body
        return list(body.paragraphs) if isinstance(body, Body) else lines_of(body)


class Record(dict):
    """An article as it is written: the fields of one JSON line, made once from the Article by validation (the one
    dataclasses.asdict), which the stages after it, the store and the writers read. Its text does not change after."""

    @classmethod
    def of(cls, article: Article) -> Record:
        return cls(dataclasses.asdict(article))

    @property
    def key(self) -> str:
        return article_key(self.get("news_id"), self.get("url"))

    @functools.cached_property
    def fingerprint(self) -> str:
        """What makes two fetches of an article the same revision: its text and its declared modification time."""
        payload = json.dumps([self.get(key) for key in FINGERPRINTED], ensure_ascii=False, sort_keys=True)
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()


# The fields whose change makes a new revision of an article.
FINGERPRINTED = ("title", "kicker", "lead", "body", "tags", "modified_at")


# Fields a written record never has null; the validator names the ones that are missing.
NON_NULL_FIELDS = ("site", "url", "title", "body", "crawled_at")


def article_key(news_id: str | None, url: str | None) -> str:
    """What identifies an article within its site, across runs: its news code, or, when it has none, its URL
    without what names a visit rather than the article (article_url)."""
    return f"id:{news_id}" if news_id else f"url:{article_url(url) if url else url}"


# A run of percent-escapes; what it decodes to is written as characters when they are letters, marks, digits or
# punctuation outside ASCII (an IRI, RFC 3987), and stays escaped when it is ASCII (reserved characters, spaces),
# invisible or a control (white space, bidi controls), or no UTF-8 at all.
_ESCAPES = re.compile(r"(?:%[0-9A-Fa-f]{2})+")
_KEPT_ESCAPED = {"Cc", "Cf", "Cs", "Co", "Cn", "Zs", "Zl", "Zp"}
_JOINERS = {"\u200c", "\u200d"}  # ZWNJ and ZWJ: part of Persian words, and of their slugs


def readable_url(url: str) -> str:
    """The URL with the Persian (any non-ASCII) text of its path and query as characters rather than %-escapes:
    the form the sites themselves print in their canonical links (https://www.isna.ir/news/1402.../صنایع-بزرگ),
    so that a record's url has one form whatever the page wrote or the crawler fetched. The host is left alone."""
    if "%" not in url:
        return url
    return _ESCAPES.sub(_readable, url)


def _readable(match: re.Match) -> str:
    # bytes that are no UTF-8 come back as surrogates (surrogateescape), and are escaped again as they were
    text = bytes.fromhex(match.group(0).replace("%", "")).decode("utf-8", errors="surrogateescape")
    return "".join(_escaped(char) if char < "\x80" or (unicodedata.category(char) in _KEPT_ESCAPED
                                                        and char not in _JOINERS) else char for char in text)


def _escaped(char: str) -> str:
    if "\udc80" <= char <= "\udcff":
        return f"%{ord(char) - 0xDC00:02X}"
    return quote(char, safe="")


def host_of(url: str) -> str:
    """The lower-case host name of a URL; "" for one that has none or cannot be read."""
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""


def article_url(url: str) -> str:
    """The URL without its fragment and its tracking parameters (utm_*, fbclid, ref, source...: courlan's list, as
    trafilatura cleans links), in its readable form (readable_url), everything else exactly as written:
    «?utm_source=telegram» and «#comments» variants of one article are that article, and so are its %-escaped and
    its readable spellings. (By hand rather than with courlan.normalize_url, which percent-encodes the path and sorts
    the query.)"""
    url = readable_url(url)
    if "?" not in url and "#" not in url:
        return url
    parts = urlsplit(url)
    kept = [pair for pair in parts.query.split("&") if pair and not TRACKERS_RE.search(pair.split("=", 1)[0].lower())]
    query = "&".join(kept)
    if query == parts.query and not parts.fragment:
        return url
    return urlunsplit(parts._replace(query=query, fragment=""))


def article_from_dict(data: dict[str, Any]) -> Article:
    """Build an Article from a parsed JSON line (the inverse of dataclasses.asdict)."""
    values = dict(data)
    values["images"] = [Image(**image) for image in values.get("images") or []]
    return Article(**values)


def _type_schema(annotation: Any) -> dict[str, Any]:
    origin = typing.get_origin(annotation)
    if origin in (types.UnionType, typing.Union):
        members = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
        schema = _type_schema(members[0])
        schema["type"] = [schema["type"], "null"]
        return schema
    if origin is list:
        (item_type,) = typing.get_args(annotation)
        return {"type": "array", "items": _type_schema(item_type)}
    if annotation is str:
        return {"type": "string", "minLength": 1}
    if annotation is int:
        return {"type": "integer", "minimum": 1}
    if dataclasses.is_dataclass(annotation):
        return _object_schema(annotation)
    raise TypeError(f"no JSON Schema mapping for {annotation!r}")


def _object_schema(cls: type) -> dict[str, Any]:
    hints = typing.get_type_hints(cls)
    properties = {}
    for item in dataclasses.fields(cls):
        schema = _type_schema(hints[item.name])
        schema["description"] = item.metadata["description"]
        target = schema["items"] if schema.get("type") == "array" else schema  # a list's pattern is its items'
        for keyword in ("pattern", "format"):
            if item.metadata.get(keyword):
                target[keyword] = item.metadata[keyword]
        properties[item.name] = schema
    return {
        "type": "object",
        "properties": properties,
        "required": [item.name for item in dataclasses.fields(cls)],
        "additionalProperties": False,
    }


def json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of one JSONL line, as written for a record that passed validation."""
    schema = _object_schema(Article)
    for name in NON_NULL_FIELDS:
        # Required values may not be null in a written record.
        schema["properties"][name]["type"] = "string"
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "Persian news article",
        "description": "One line of a JSONL dump written by the crawler. Generated from crawler/record.py.",
        **schema,
    }


def schema_text() -> str:
    return json.dumps(json_schema(), ensure_ascii=False, indent=2) + "\n"


if __name__ == "__main__":
    sys.stdout.write(schema_text())
