"""Any news page of no known CMS family: metadata from what most sites declare, the body chosen by trafilatura.

Metadata, in order: JSON-LD (NewsArticle and the like), OpenGraph and `article:*` metas, Dublin Core (`dc.*`),
`<time datetime>`, then the page itself (h1, the date shown to readers). The title loses the site-name prefix or
suffix that many sites add («خبرگزاری فارس - ...», «... | عصر ایران»). Times are always given Tehran's offset of that
date: a `dc.Date` or ISO time that prints +03:30 for a summer date before 2023 is right about its wall time and wrong
about its offset (../shared/notes/cms-families.md).

The body: trafilatura (a well-kept generic extractor) decides which text is the article. It drops the ZWNJs of
Persian text, so each paragraph it chose is taken from the page itself wherever the page has it: the words
trafilatura picked, spelt as the site spelt them. End markers and junk are then the cleaning stage's, as for every
family.
"""

from __future__ import annotations

import copy
import logging
import re
from datetime import datetime

import trafilatura

from crawler.dates import (
    DateParseError,
    parse_jalali,
    publication_time,
    tehran_time,
    to_jalali_string,
    to_tehran_iso,
)
from crawler.record import Article, Image
from crawler.sites import LayoutNotRecognized, Site
from crawler.sites.discovery import NEWS_ID_IN_URL, news_id_in_url
from crawler.sites.family import FamilyParser
from crawler.sites.html import (
    Page,
    absolute,
    element_text,
    first_found,
    first_meta,
    first_text,
    images_of,
    json_ld_of_type,
    meta_index,
    own_url,
    page_base,
    paragraphs,
    remove_keeping_tail,
    root_of,
    select,
    unique,
)
from crawler.text import tidy

logger = logging.getLogger(__name__)

ARTICLE_TYPES = ("NewsArticle", "Article", "ReportageNewsArticle", "AnalysisNewsArticle", "BlogPosting")
# Between a headline and a site name in <title> or og:title.
_TITLE_SEPARATORS = re.compile(r"\s+[-–—|:»«•]\s+|\s*\|\s*")


class GenericParser(FamilyParser):
    """Reads an article page of any site; built once per site, every method is pure."""

    title = ("h1",)
    shown_date = ('[class*="date"]', '[class*="time"]', "time")
    breadcrumb = ('[class*="breadcrumb"] a', '[class*="path"] a')
    tags = ('a[rel~="tag"]', '[class*="tag"] a')
    # Empty for a site of unknown markup; a registry entry (or a family built on this parser, crawler/sites/asam.py)
    # may name them. The body's node, when found, replaces trafilatura's choice; body_exclude is removed from it.
    kicker: tuple[str, ...] = ()
    lead: tuple[str, ...] = ()
    body: tuple[str, ...] = ()
    body_exclude: tuple[str, ...] = ()
    SELECTORS = ("title", "shown_date", "breadcrumb", "tags", "kicker", "lead", "body", "body_exclude")

    # The news id: the longest run of digits in the article's path (or a `nn=`/`id=` query value).
    news_id_pattern = NEWS_ID_IN_URL.pattern
    FACTS = ("news_id_pattern",)

    def __init__(self, site: Site):
        super().__init__(site)
        self._news_id = re.compile(self.news_id_pattern)

    def article(self, page: Page, url: str) -> Article:
        root = root_of(page, url)
        base = page_base(root, url)
        metas = meta_index(root)
        ld = json_ld_of_type(root, *ARTICLE_TYPES) or {}
        title = self._title(root, metas, ld)
        body = self._own_body(root) or self._body(root)
        if not title and not body:
            raise LayoutNotRecognized("no headline and no article text found on the page")
        published = publication_time(self._machine_time(root, metas, ld, "published"), self._shown_date(root), url)
        modified = self._machine_time(root, metas, ld, "modified")
        section = first_meta(metas, "article:section") or _text(ld.get("articleSection"))
        section = tidy(section.split(">")[-1]) if section else None  # «جهان > سیاست خارجی»: the last level
        crumbs = [element_text(node) for node in first_found(root, *self.breadcrumb)]
        categories = unique([section, *reversed(crumbs[1:])]) if section or crumbs else []
        tags = [element_text(node) for node in first_found(root, *self.tags)]
        if not any(tags):
            declared = first_meta(metas, "article:tag", "news_keywords", "keywords") or _text(ld.get("keywords")) or ""
            tags = [tidy(tag) for tag in re.split(r"[,،]", declared)]
        image_nodes = [node for node in select(root, "article img, [itemprop=articleBody] img")]
        images = images_of(image_nodes, title, base)
        main_image = absolute(first_meta(metas, "og:image"), base)
        if main_image and main_image not in {image.url for image in images}:
            images = [Image(url=main_image), *images]
        description = first_text(root, *self.lead) or first_meta(metas, "og:description", "description", "dc.description")
        return Article(
            site=self.site.key,
            url=own_url(first_text(root, 'link[rel="canonical"]::attr(href)') or first_meta(metas, "og:url"), url,
                        self.site.host_names, base),
            news_id=self._id(url, metas),
            title=title,
            kicker=first_text(root, *self.kicker),
            lead=description if description and not (body and body[0].startswith(description[:40])) else None,
            body="\n\n".join(body) or None,
            published_at=to_tehran_iso(published) if published else None,
            published_jalali=to_jalali_string(published) if published else None,
            modified_at=to_tehran_iso(modified) if modified else None,
            category=categories[0] if categories else None,
            categories=categories,
            author=_author(ld) or first_meta(metas, "author", "article:author", "dc.creator"),
            province=self.site.province,
            tags=unique(tags),
            images=images,
        )

    # -- title ------------------------------------------------------------------------------------------------------

    def _title(self, root, metas, ld) -> str | None:
        site_names = {name for name in (first_meta(metas, "og:site_name"), self.site.name) if name}
        candidates = [_text(ld.get("headline")), first_meta(metas, "og:title", "twitter:title", "dc.title"),
                      first_text(root, *self.title), first_text(root, "title")]
        for candidate in candidates:
            if candidate:
                return strip_site_name(candidate, site_names) or candidate
        return None

    # -- body -------------------------------------------------------------------------------------------------------

    def _own_body(self, root) -> list[str]:
        """The paragraphs of the body's node named by the body selectors, without what body_exclude names."""
        node = next((found for query in self.body for found in select(root, query)), None)
        if node is None:
            return []
        node = copy.deepcopy(node)
        for query in self.body_exclude:
            for junk in select(node, query):
                if junk is not node and junk.getparent() is not None:
                    remove_keeping_tail(junk)
        return paragraphs(node)

    def _body(self, root) -> list[str]:
        chosen = trafilatura.extract(copy.deepcopy(root), favor_precision=True, include_comments=False,
                                     include_tables=False, deduplicate=False) or ""
        own = {_key(text): text for text in paragraphs(root)}
        return [own.get(_key(line), tidy(line)) for line in chosen.split("\n") if tidy(line)]

    # -- dates and ids ----------------------------------------------------------------------------------------------

    def _machine_time(self, root, metas, ld, kind: str) -> datetime | None:
        names = {"published": ("article:published_time", "datepublished", "dc.date", "dc.date.issued", "date",
                               "pubdate", "publish-date"),
                 "modified": ("article:modified_time", "datemodified", "dc.date.modified", "og:updated_time")}[kind]
        candidates = [_text(ld.get("datePublished" if kind == "published" else "dateModified"))]
        # meta names in any case (dc.Date, DC.date.issued), in the order of `names`
        candidates += [value for name in names for key, values in metas.items() if key.lower() == name
                       for value in values]
        if kind == "published":
            candidates += select(root, "time[datetime]::attr(datetime)")
        for candidate in candidates:
            moment = tehran_time(candidate)
            if moment is not None:
                return moment
        return None

    def _shown_date(self, root) -> str | None:
        for query in self.shown_date:
            for node in select(root, query):
                text = element_text(node)
                if text and len(text) < 120:
                    try:
                        parse_jalali(text)
                    except DateParseError:
                        continue
                    return text
        return None

    def _id(self, url: str, metas) -> str | None:
        for candidate in (url, first_meta(metas, "dc.identifier", "og:url")):
            found = self.news_id_in_url(candidate) if candidate else None
            if found:
                return found
        return None

    def news_id_in_url(self, url: str) -> str | None:
        return news_id_in_url(url, self._news_id)


def strip_site_name(title: str, site_names: set[str]) -> str | None:
    """The headline without a site name before or after it («خبرگزاری فارس - ...», «... | عصر ایران»)."""
    parts = [part for part in _TITLE_SEPARATORS.split(title) if part.strip()]
    if len(parts) < 2:
        return title
    names = {tidy(name) for name in site_names}
    kept = [part for part in parts if tidy(part) not in names and not any(name and name in part for name in names)]
    if len(kept) == len(parts):
        # no declared name matches: drop a short end part that looks like a name (a few words, no verb-length text)
        if len(parts[-1].split()) <= 3 < len(parts[0].split()):
            kept = parts[:-1]
        elif len(parts[0].split()) <= 3 < len(parts[-1].split()):
            kept = parts[1:]
    return tidy(" - ".join(kept)) if kept else None


def _key(text: str) -> str:
    """A paragraph as trafilatura and the page both render it: no ZWNJ, single spaces."""
    return " ".join(text.replace("\u200c", "").split())


def _text(value) -> str | None:
    if isinstance(value, list):
        value = ", ".join(item for item in value if isinstance(item, str))
    return tidy(value) if isinstance(value, str) else None


def _author(ld: dict) -> str | None:
    author = ld.get("author")
    if isinstance(author, list):
        author = author[0] if author else None
    if isinstance(author, dict):
        return _text(author.get("name"))
    return _text(author)
