"""HTML helpers every site extractor shares: CSS queries, paragraphs from an article body, JSON-LD, absolute URLs.

Extractors work on lxml elements. A CSS query is translated to XPath by cssselect and compiled once per process
(`select`): parsel's Selector.css/.xpath wraps every result in a new Selector and builds an XPath evaluator on every
call, which cost more than parsing a small page.
"""

from __future__ import annotations

import functools
import json
import logging
import re
from collections.abc import Iterator
from functools import cache
from typing import Any, NamedTuple
from urllib.parse import urljoin, urlsplit

from lxml import etree
from parsel import Selector
from parsel.csstranslator import HTMLTranslator

from crawler.record import Image
from crawler.text import tidy

logger = logging.getLogger(__name__)

# Elements that start and end a paragraph of their own.
BLOCK_TAGS = frozenset({
    "address", "article", "aside", "blockquote", "dd", "div", "dl", "dt", "footer", "h1", "h2", "h3", "h4", "h5",
    "h6", "header", "hr", "li", "main", "nav", "ol", "p", "pre", "section", "table", "tbody", "thead", "tfoot", "tr",
    "ul",
})
# Elements whose text is never article text. Figures are read separately, as images with captions.
SKIP_TAGS = frozenset({
    "audio", "button", "canvas", "embed", "figure", "form", "iframe", "img", "input", "map", "noscript", "object",
    "picture", "script", "select", "style", "svg", "template", "textarea", "title", "video",
})
# Table cells are separated by a space so that words of neighbouring cells do not run together.
CELL_TAGS = frozenset({"td", "th"})


_TRANSLATOR = HTMLTranslator()
_TEXT_NODES = etree.XPath(".//text()", smart_strings=False)

# JSON-LD types whose object describes the article of the page.
ARTICLE_TYPES = ("NewsArticle", "Article", "ReportageNewsArticle", "AnalysisNewsArticle", "BlogPosting")


class PageContext:
    """An article page as the parsers read it, made once per page and shared (a family's parser and the generic
    reading that fills what it missed read the same one): the parsed root, the URL it was fetched from, and, each
    worked out when first asked for, the base of its relative links, its metas (by name, property, itemprop, in
    every attribute form), its JSON-LD article object (read leniently) and its nodes' page order."""

    def __init__(self, page: str | Selector | etree._Element, url: str):
        self.url = url
        self.root = root_of(page, url)

    @classmethod
    def of(cls, page: str | Selector | etree._Element | PageContext, url: str) -> PageContext:
        return page if isinstance(page, PageContext) else cls(page, url)

    @functools.cached_property
    def base(self) -> str:
        return page_base(self.root, self.url)

    @functools.cached_property
    def metas(self) -> dict[str, list[str]]:
        return meta_index(self.root)

    @functools.cached_property
    def order(self) -> dict[etree._Element, int]:
        """Every node of the page and its place in page order (where a date, a block of text or a list of tags is
        nearest the headline)."""
        return {node: index for index, node in enumerate(self.root.iter())}

    @functools.cached_property
    def ld(self) -> dict[str, Any]:
        """The page's JSON-LD article object (ARTICLE_TYPES), or {}."""
        return json_ld_of_type(self.root, *ARTICLE_TYPES) or {}


# What extractors accept as a page: its HTML, a parsel Selector (a Scrapy response's), a parsed element, or the
# PageContext another parser already made of it.
Page = str | Selector | etree._Element | PageContext


def root_of(page: Page, url: str) -> etree._Element:
    """The page's root element, parsed the way Scrapy parses responses when given text."""
    if isinstance(page, etree._Element):
        return page
    if isinstance(page, PageContext):
        return page.root
    return (page if isinstance(page, Selector) else Selector(text=page, base_url=url)).root


@cache
def compiled(query: str) -> etree.XPath:
    """The CSS query as cssselect's XPath (parsel's HTML flavour, with ::attr() and ::text), compiled once per
    process; cssselect's SelectorError for a query that is not CSS."""
    return etree.XPath(_TRANSLATOR.css_to_xpath(query), smart_strings=False)


def select(node: etree._Element, query: str) -> list:
    """The CSS query's results under (and including) ``node``: elements, or strings for ``::attr(...)`` and
    ``::text`` queries."""
    return compiled(query)(node)


def select_first(node: etree._Element, *queries: str):
    """The first result of the first query that finds anything, or None."""
    for query in queries:
        found = select(node, query)
        if found:
            return found[0]
    return None


def first_found(node: etree._Element, *queries: str) -> list:
    """All results of the first query that finds anything (the forms of one thing, tried in order), or []."""
    for query in queries:
        found = select(node, query)
        if found:
            return found
    return []


def paragraphs(element: etree._Element, after: etree._Element | None = None) -> list[str]:
    """The text of an article body as paragraphs in page order, white space tidied, empty ones dropped; with
    ``after``, an element inside it, only what comes after that element's end (the text below a headline).

    Block elements and <br> separate paragraphs; inline markup (<strong>, <a>...) is kept inside its paragraph.
    """
    return [text for text, _, below in placed_paragraphs(element, after) if below]


class Placed(NamedTuple):
    text: str
    block: etree._Element  # the innermost block element the paragraph is in
    below: bool  # whether it comes after the ``after`` element's end (always, with none)


def placed_paragraphs(element: etree._Element, after: etree._Element | None = None) -> list[Placed]:
    """paragraphs(), each with the block element it sits in and whether it comes after ``after``. The walk is lxml's
    iterwalk, not recursion, so a body nested thousands of elements deep is read like any other (and in C, faster
    than a recursive walk in Python)."""
    found: list[Placed] = []
    buffer: list[str] = []
    blocks: list[etree._Element] = [element]
    below = after is None

    def flush() -> None:
        text = tidy("".join(buffer))
        buffer.clear()
        if text:
            found.append(Placed(text, blocks[-1], below))

    walker = etree.iterwalk(element, events=("start", "end", "comment", "pi"))
    for event, node in walker:
        if event == "start":
            tag = node.tag
            if "}" in tag or not tag.islower():
                tag = _tag_name(node)
            if tag in SKIP_TAGS or tag == "br":
                walker.skip_subtree()  # its end event still comes, with its tail
                if tag == "br":
                    flush()
                continue
            if tag in BLOCK_TAGS:
                flush()
                blocks.append(node)
            if node.text:
                buffer.append(node.text)
            continue
        if event == "end":
            tag = node.tag
            if "}" in tag or not tag.islower():
                tag = _tag_name(node)
            if tag in CELL_TAGS:
                buffer.append(" ")
            elif tag in BLOCK_TAGS:
                flush()
                if blocks[-1] is node:
                    blocks.pop()
            if node is after:
                flush()
                below = True
        # every node's tail (comments' and skipped elements' too) belongs to its parent; the walked element's not
        if node.tail and node is not element:
            buffer.append(node.tail)
    flush()
    return found


def _tag_name(node: etree._Element) -> str:
    """The lower-case local name of an element (namespaced ones, such as inline SVG from XHTML, without it)."""
    tag = node.tag
    return (tag.rpartition("}")[2] if "}" in tag else tag).lower()


def element_text(node: etree._Element) -> str | None:
    """All the text inside an element, tidied (inline tags do not add spaces: <b>a</b>b is «ab»)."""
    return tidy("".join(_TEXT_NODES(node)))


def first_text(node: etree._Element | None, *queries: str) -> str | None:
    """The first non-empty result of the CSS queries under ``node``, in order: the string for ``::attr(...)``
    queries, else the element's whole text."""
    if node is None:
        return None
    for query in queries:
        for found in select(node, query):
            text = tidy(found) if isinstance(found, str) else element_text(found)
            if text:
                return text
    return None


def meta_index(root: etree._Element) -> dict[str, list[str]]:
    """Every <meta> of the page by each of its property, name and itemprop values (its content, or its value= where
    it has no content), in page order: one pass over the tree instead of one query per tag looked for."""
    index: dict[str, list[str]] = {}
    for node in root.iter("meta"):
        # One copy: cheaper than four look-ups through lxml. items(), not attrib: an attribute named by a character
        # XML does not allow (U+0001, U+FFFE) cannot be looked up again by its name.
        attributes = dict(node.items())
        content = attributes.get("content")
        if content is None:
            content = attributes.get("value")  # <meta name="..." value="..."> on some older CMSs
        if content is None:
            continue
        for attribute in ("property", "name", "itemprop"):
            for key in (attributes.get(attribute) or "").split():
                index.setdefault(key, []).append(content)
    return index


def first_meta(metas: dict[str, list[str]], *keys: str) -> str | None:
    for key in keys:
        for value in metas.get(key, ()):
            text = tidy(value)
            if text:
                return text
    return None


def json_ld_objects(root: etree._Element) -> Iterator[dict[str, Any]]:
    """Every JSON-LD object on the page, @graph members included, read leniently (json_ld_data); blocks that are
    not JSON even so are skipped."""
    for block in select(root, 'script[type="application/ld+json"]::text'):
        data = json_ld_data(block)
        stack = data if isinstance(data, list) else [data]
        for item in stack:
            if not isinstance(item, dict):
                continue
            yield item
            graph = item.get("@graph")
            if isinstance(graph, list):
                yield from (member for member in graph if isinstance(member, dict))


# What CMSs get wrong in JSON-LD blocks that browsers and search engines forgive: an HTML comment around the block,
# a comma before a closing bracket. (A raw line break inside a string is allowed by json's strict=False.)
_COMMENT_WRAPPER = re.compile(r"^\s*(?:<!--|//\s*<!\[CDATA\[)|(?:-->|//\s*\]\]>)\s*$")
_TRAILING_COMMA = re.compile(r",(\s*[}\]])")


def json_ld_data(block: str) -> Any:
    """A JSON-LD block's data, forgiving a comment wrapper, raw control characters inside strings and trailing
    commas; None when it is not JSON even so. (Hand-written: the JSON5 parsers on PyPI are slower and forgive
    far more than search engines do.)"""
    text = _COMMENT_WRAPPER.sub("", block)
    for attempt in (text, _TRAILING_COMMA.sub(r"\1", text)):
        try:
            return json.loads(attempt, strict=False)
        except (json.JSONDecodeError, RecursionError) as error:  # RecursionError: nested thousands deep
            problem = type(error).__name__
    logger.debug("skipping a JSON-LD block that is not usable JSON: %s", problem)
    return None


def json_ld_of_type(root: etree._Element, *types: str) -> dict[str, Any] | None:
    for item in json_ld_objects(root):
        declared = item.get("@type")
        declared = declared if isinstance(declared, list) else [declared]
        if any(kind in declared for kind in types):
            return item
    return None


def unique(values) -> list[str]:
    """The non-empty values, each once, in their first order."""
    return list(dict.fromkeys(value for value in values if value))


def absolute(url, base: str) -> str | None:
    """The URL made absolute against ``base``, when it is an http(s) URL with a host; else None (javascript:, data:,
    mailto:, a host that is not one such as http://[x, or a value that is not text)."""
    url = tidy(url) if isinstance(url, str) else None
    if not url:
        return None
    if url.startswith("//"):
        url = (urlsplit(base).scheme or "https") + ":" + url
    try:
        joined = urljoin(base, url)
        parts = urlsplit(joined)
        host = parts.hostname
    except ValueError:
        return None
    return joined if parts.scheme in ("http", "https") and host else None


def page_base(root: etree._Element, url: str) -> str:
    """What relative URLs on the page are relative to: its <base href> when that is a usable http(s) URL, else the
    page's own URL."""
    for href in select(root, "base[href]::attr(href)"):
        return absolute(href, url) or url
    return url


def own_url(candidate, fetched: str, hosts: set[str], base: str | None = None) -> str:
    """The page's canonical URL (made absolute against ``base``, the page's <base href>) when it is http(s) and on
    one of the site's hosts (or the fetched URL's), else the fetched URL: a canonical link may not send a record to
    another site, or to javascript:."""
    canonical = absolute(candidate, base or fetched)
    if canonical is None:
        return fetched
    host = (urlsplit(canonical).hostname or "").lower()
    allowed = {name.lower() for name in hosts} | {(urlsplit(fetched).hostname or "").lower()}
    return canonical if host in allowed else fetched


def images_of(nodes: list[etree._Element], title: str | None, base: str) -> list[Image]:
    """Images in page order, each once, with absolute http(s) URLs; the caption is the figure's caption or the alt
    text, unless that only repeats the headline (news CMSs put the headline into alt)."""
    images: dict[str, Image] = {}
    for image in nodes:
        src = absolute(image.get("src") or image.get("data-src"), base)
        if not src or src in images:
            continue
        figure = next(image.iterancestors("figure"), None)
        caption = first_text(figure, "figcaption") or tidy(image.get("alt"))
        images[src] = Image(url=src, caption=None if caption == title else caption)
    return list(images.values())


# Characters lxml refuses in text it sets (controls the HTML parser let through, lone surrogates).
XML_INCOMPATIBLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def remove_keeping_tail(node: etree._Element) -> None:
    """Take an element out of the tree, keeping the text that follows it (its tail) in place."""
    parent = node.getparent()
    if node.tail:
        tail = XML_INCOMPATIBLE.sub("", node.tail)  # lxml refuses to set text with controls the parser let through
        previous = node.getprevious()
        if previous is not None:
            previous.tail = XML_INCOMPATIBLE.sub("", previous.tail or "") + tail
        else:
            parent.text = XML_INCOMPATIBLE.sub("", parent.text or "") + tail
    parent.remove(node)
