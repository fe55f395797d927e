"""Any news page of no known CMS family: metadata from what most sites declare, the body chosen by trafilatura.

Metadata, in order: JSON-LD (NewsArticle and the like), OpenGraph and `article:*` metas, Dublin Core (`dc.*`),
`<time datetime>`, then the page itself (h1, the date shown to readers). The title loses the site-name prefix or
suffix that many sites add («خبرگزاری فارس - ...», «... | عصر ایران»). Times are always given Tehran's offset of that
date: a `dc.Date` or ISO time that prints +03:30 for a summer date before 2023 is right about its wall time and wrong
about its offset (seen on IranSamaneh and WordPress sites).

The body: trafilatura (a well-kept generic extractor) proposes which text is the article, and the page's structure
decides what of it to keep: the text below the headline, in the part of the page where running text first follows
it (on a short article trafilatura takes the footer or a box of facts; those are left out, and where nothing of its
choice is left, that part's densest block is the text). trafilatura drops the ZWNJs of Persian text, so each
paragraph is taken from the page itself wherever the page has it: the words trafilatura picked, spelt as the site
spelt them. End markers and junk are then the cleaning stage's, as for every family.
"""

from __future__ import annotations

import copy
import dataclasses
import logging
import re
from collections.abc import Iterator
from datetime import datetime
from typing import Any, NamedTuple

import trafilatura
from lxml import etree

from crawler.dates import (
    DateParseError,
    ascii_digits,
    parse_jalali,
    publication_time,
    tehran_time,
)
from crawler.record import Article, Image
from crawler.sites import LayoutNotRecognized, Site
from crawler.sites.discovery import NEWS_ID_IN_URL, in_advertisement, news_id_in_url
from crawler.sites.family import FIELDS, RECORD_FIELDS, RECORD_NAMES, FamilyParser, Reading
from crawler.sites.html import (
    Page,
    PageContext,
    Placed,
    absolute,
    element_text,
    first_found,
    first_meta,
    first_text,
    images_of,
    own_url,
    paragraphs,
    placed_paragraphs,
    remove_keeping_tail,
    select,
    unique,
)
from crawler.text import tidy, unify_letters

logger = logging.getLogger(__name__)

# Between a headline and a site name in <title> or og:title.
_TITLE_SEPARATORS = re.compile(r"\s+[-–—|:»«•]\s+|\s*\|\s*")


class GenericParser(FamilyParser):
    """Reads an article page of any site; built once per site, every method is pure."""

    title = ("h1",)
    shown_date = ('[class*="date"]', '[class*="time"]', "time")
    breadcrumb = ('[class*="breadcrumb"] a', '[class*="path"] a')
    tags = ('a[rel~="tag"]', '[class*="tag"] a', '[class~="tag"]')
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
        self._id_pattern = re.compile(self.news_id_pattern)

    def article(self, page: Page, url: str) -> Article:
        """The article on ``page`` fetched from ``url``: every field by its method (a family's parser overrides those
        it reads its own way; the others are the generic reading's). NotAnArticle, with the reason, for other pages."""
        reading = Reading(self, PageContext.of(page, url))
        self.check(reading)
        return self.record(**{name: reading.field(name) for name in FIELDS})

    def check(self, reading: Reading) -> None:
        """NotAnArticle (or LayoutNotRecognized) when the page is no article this parser reads."""
        if not reading.field("title") and not reading.field("body"):
            raise LayoutNotRecognized("no headline and no article text found on the page")

    # -- the fields: one method each, over the page's Reading (each field, and what several share, worked out once);
    # a family's parser that misses a field falls back to the method of that field alone (crawler/spiders/news.py)

    def read_url(self, reading: Reading) -> str:
        context = reading.context
        return own_url(first_text(context.root, 'link[rel="canonical"]::attr(href)') or
                       first_meta(context.metas, "og:url"), context.url, self.site.host_names, context.base)

    def read_news_id(self, reading: Reading) -> str | None:
        return self._id(reading.context.url, reading.context.metas)

    def read_title(self, reading: Reading) -> str | None:
        return self.headline(reading).text

    def read_kicker(self, reading: Reading) -> str | None:
        kicker, title = self._shown_kicker(reading), reading.field("title")
        return kicker if kicker and _plain(kicker) != _plain(title or "") else None

    def read_lead(self, reading: Reading) -> str | None:
        lead, body, _ = self._text(reading)
        return lead if lead and not (body and _plain(body[0]).startswith(_plain(lead)[:40])) else None

    def read_body(self, reading: Reading) -> list[str]:
        return self._text(reading).body

    def read_published(self, reading: Reading) -> datetime | None:
        context, headline = reading.context, self.headline(reading)
        machine = self._machine_time(context.root, context.metas, context.ld, "published")
        shown = self._shown_date(context, headline.node) or (None if machine else self._any_date(context, headline))
        return publication_time(machine, shown, context.url, reading.field("modified"))

    def read_modified(self, reading: Reading) -> datetime | None:
        context = reading.context
        return self._machine_time(context.root, context.metas, context.ld, "modified")

    def read_categories(self, reading: Reading) -> list[str]:
        """The most specific first: the section the page shows readers (itemprop=articleSection: ISNA's «دسته‌بندی:»
        is the service, where its article:section meta is the top-level one), the declared section, then the
        breadcrumb from its end."""
        context = reading.context
        shown = next((text for node in select(context.root, "[itemprop=articleSection]")
                      if node.tag != "meta" and (text := element_text(node))), None)
        declared = first_meta(context.metas, "article:section", "og:article:section") or _text(
            context.ld.get("articleSection"))
        # «جهان > سیاست خارجی»: the last level
        sections = [tidy(section.split(">")[-1]) for section in (shown, declared) if section]
        outlet = self.headline(reading).outlet
        crumbs = [text for node in first_found(context.root, *self.breadcrumb)
                  if (text := _crumb(element_text(node))) and text != outlet]
        return unique([*sections, *reversed(crumbs[1:])])

    def read_category(self, reading: Reading) -> str | None:
        categories = reading.field("categories")
        return categories[0] if categories else None

    def read_reporter_code(self, reading: Reading) -> str | None:
        return None  # a code only some CMSs print, each in its own place (Nastooh's meta list)

    def read_editor(self, reading: Reading) -> str | None:
        return None  # named by an end marker («انتهای خبر/ <editor>»): the cleaning stage's

    def read_author(self, reading: Reading) -> str | None:
        return self._author(reading.context)

    def read_source(self, reading: Reading) -> str | None:
        return self.headline(reading).outlet

    def read_province(self, reading: Reading) -> str | None:
        return self.site.province

    def read_tags(self, reading: Reading) -> list[str]:
        context = reading.context
        metas = context.metas
        nodes = _tag_list(context, self.tags, self.headline(reading).node)
        tags = [(element_text(node) or "").lstrip(_BULLETS) for node in nodes]
        if not any(tags):
            declared = first_meta(metas, "article:tag", "og:article:tag") or _text(context.ld.get("keywords")) or ""
            listed = metas.get("article:tag") or metas.get("og:article:tag") or []
            tags = [tidy(tag) for tag in (listed if len(listed) > 1 else re.split(r"[,،]", declared))]
            if not any(tags):
                keywords = first_meta(metas, "news_keywords", "keywords") or ""
                tags = [tidy(tag) for tag in re.split(r"[,،]", keywords) if not re.fullmatch(r"\s*[\d\s]*", tag)]
        return unique(tags)

    def read_images(self, reading: Reading) -> list[Image]:
        """The main image (og:image) and the pictures of the article: those in the <article> that holds the headline
        (in any <article> when none does), in itemprop=articleBody and in the element the body was read from; not an
        image that links to another page (an advertisement, a banner, another article's thumbnail), one in a form (a
        captcha) or in an advertisement box."""
        context, headline = reading.context, self.headline(reading).node
        articles = select(context.root, "article")
        own = [node for node in articles if headline is not None and _contains(node, headline)]
        scopes = [*(own or articles), *select(context.root, "[itemprop=articleBody]")]
        block = self._text(reading).block  # the element the body was read from, where the page has no <article>
        if block is not None and block.tag not in ("body", "html"):
            scopes.append(block)
        image_nodes = list(dict.fromkeys(node for scope in scopes for node in select(scope, "img") if _a_picture(node)))
        images = images_of(image_nodes, reading.field("title"), context.base)
        main_image = absolute(first_meta(context.metas, "og:image"), context.base)
        if main_image and _file_name(main_image) not in {_file_name(image.url) for image in images}:
            images = [Image(url=main_image), *images]  # unless the page shows it, in another size or not
        return images

    def fill(self, article: Article, page: Page) -> tuple[Article, list[str]]:
        """The article with each field it lacks read by this parser's method for that field alone (over one Reading
        of the page, so that what several share is worked out once), and the names of the fields so filled."""
        reading = Reading(self, PageContext.of(page, article.url))
        found = {}
        for name in FIELDS:
            if not getattr(article, RECORD_NAMES.get(name, name)) and (value := reading.field(name)):
                found[name] = value
        filled = self.record(url=article.url, body=found.pop("body", ()), published=found.pop("published", None),
                             modified=found.pop("modified", None), **found)
        values = {name: getattr(filled, name) for name in RECORD_FIELDS if not getattr(article, name)
                  and getattr(filled, name)}
        return dataclasses.replace(article, **values), list(values)

    # -- what several fields share ----------------------------------------------------------------------------------

    def headline(self, reading: Reading) -> Headline:
        context = reading.context
        return reading.once("headline", lambda: self._headline(context.root, context.metas, context.ld, context.url))

    def _shown_kicker(self, reading: Reading) -> str | None:
        """The kicker as the page shows it (the kicker selectors, else the short line above the headline), before it
        is compared with the title; the lead and body are told from it too."""
        return reading.once("kicker", lambda: first_text(reading.context.root, *self.kicker) or _kicker_before(
            self.headline(reading).node, self.headline(reading).text))

    def _text(self, reading: Reading) -> Text:
        """The lead and the body, read together: when all the page has is its abstract, that is the text."""
        return reading.once("text", lambda: self._lead_and_body(reading))

    def _lead_and_body(self, reading: Reading) -> Text:
        context, headline = reading.context, self.headline(reading)
        root, metas = context.root, context.metas
        title = headline.text
        kicker = self._shown_kicker(reading)
        shown_lead = first_text(root, *self.lead) or _lead_after(headline.node)
        description = first_meta(metas, "og:description", "description", "dc.description")
        lead = _without_label(shown_lead or description)
        header = {_plain(text) for text in (title, kicker, lead, shown_lead, description) if text}
        body, block = self._own_body(root)
        if not body:
            body, block = self._body(context, headline.node, header)
        if lead and body and all(_plain(paragraph) in header for paragraph in body):
            return Text(None, [lead], None)
        if shown_lead:  # the page shows its header above the body: the body's paragraphs that repeat it are no body
            body = [paragraph for paragraph in body if _plain(paragraph) not in header]
        return Text(lead, body, block)

    # -- title ------------------------------------------------------------------------------------------------------

    def _headline(self, root, metas, ld, url: str) -> Headline:
        """The headline as the page shows it: the first heading (h1, itemprop=headline or name, an element whose
        class names a title) that the page's declared titles (<title>, og:title, JSON-LD, Dublin Core) repeat, alone
        or inside a decoration; what the decoration adds (a site's or newspaper's name, a date) is left out. With no
        heading so confirmed: the heading that shows most of the first declared title's words (a title rewritten for
        search engines, or since); else that declared title, without a site name the page declares."""
        declared = [text for text in (_text(ld.get("headline")), *metas.get("og:title", ()), *metas.get("twitter:title", ()),
                                      *metas.get("dc.title", ()), *metas.get("headline", ()),
                                      *(element_text(node) for node in root.iter("title"))) if text]
        declared = [tidy(text) for text in declared if tidy(text)]
        plain_declared = [_plain(text) for text in declared]
        site_names = self._site_names(metas, first_meta(metas, "apple-mobile-web-app-title"))
        for node in self._heading_nodes(root):
            text = element_text(node)
            if not text or len(text) > 400:
                continue
            plain = _plain(text)
            # the whole declared title; a run of its whole words (three or more); or a shorter headline that the
            # declared title starts or ends with, a separator between it and the rest («... - پایان جلسه»), when it
            # is not the site's name (a logo in a heading, in a link or in the page's header)
            confirmed = [full for full, plain_full in zip(declared, plain_declared, strict=True)
                         if plain == plain_full or (len(plain.split()) >= 3 and f" {plain} " in f" {plain_full} ")
                         or (_at_an_end(full, text) and plain not in site_names and not _links_or_frames(node))]
            if confirmed:
                decoration = next((found for full in confirmed if (found := _plain_decoration(full, text))), None)
                return Headline(text, node, _outlet(decoration), decoration)
        site_names = {name for name in (first_meta(metas, "og:site_name"), self.site.name) if name}
        fallback = [_text(ld.get("headline")), first_meta(metas, "og:title", "twitter:title", "dc.title"),
                    first_text(root, *self.title), first_text(root, "title")]
        for candidate in fallback:
            if candidate:
                text = strip_site_name(candidate, site_names) or candidate
                # the element that shows it, when one does: where the kicker, lead and date are looked for
                node = next((node for node in self._heading_nodes(root) if _plain(element_text(node) or "") ==
                             _plain(text)), None)
                if node is None and (shown := self._shown_heading(root, candidate, url)) is not None:
                    return Headline(element_text(shown), shown, None, None)  # the headline as the page shows it
                return Headline(text, node, None, None)
        return Headline(None, None, None, None)

    def _shown_heading(self, root, declared: str, url: str) -> Any:
        """The heading that shows a declared title the page rewrote (for search engines, or since): of the headings
        not in the page's frame nor a link to another page (a logo, another article's headline), the one most of
        whose words (two thirds at least) the declared title has; None when none does."""
        declared_words = set(_plain(declared).split())
        own_id = self._id(url, {})
        best, best_share = None, 0.0
        for node in self._heading_nodes(root):
            words = _plain(element_text(node) or "").split()
            if len(words) < 2 or _in_page_frame(node):
                continue
            share = sum(1 for word in words if word in declared_words) / len(words)
            if share < 2 / 3 or share <= best_share:
                continue
            # a link only to this article itself (IRIB News's headline is one)
            links = [*node.iterancestors("a"), *select(node, "a")]
            if all(own_id is not None and self._id(absolute(link.get("href"), url) or "", {}) == own_id
                   for link in links):
                best, best_share = node, share
        return best

    def _heading_nodes(self, root) -> Iterator:
        """Elements that may hold the headline, the likeliest first: the title selectors' (h1 by default), then
        itemprop=headline and itemprop=name, then h2 and any element whose class names a title."""
        seen = set()
        for query in (*self.title, "[itemprop=headline]", "[itemprop=name]", "h2", _TITLE_CLASS):
            for node in select(root, query):
                if not isinstance(node, str) and node not in seen:
                    seen.add(node)
                    yield node

    # -- body -------------------------------------------------------------------------------------------------------

    def _own_body(self, root) -> tuple[list[str], Any]:
        """The paragraphs of the body's node named by the body selectors, without what body_exclude names; and the
        node."""
        node = next((found for query in self.body for found in select(root, query)), None)
        if node is None:
            return [], None
        text = copy.deepcopy(node)
        for query in self.body_exclude:
            for junk in select(text, query):
                if junk is not text and junk.getparent() is not None:
                    remove_keeping_tail(junk)
        return paragraphs(text), node

    def _body(self, context: PageContext, headline, header: set[str]) -> tuple[list[str], Any]:
        """trafilatura's choice of the article text, each paragraph spelt as the page spells it, and kept only where
        it is the text below the headline; or, where trafilatura chose text elsewhere (a footer, a box of facts above
        the headline: what it does when the article is short, or sits in a table cell among <br>s), the block of
        running text nearest below the headline (with no headline found, the page's densest block of text). With
        the paragraphs, the element they are in (None when not known)."""
        root = context.root
        chosen = trafilatura.extract(copy.deepcopy(root), favor_precision=True, include_comments=False,
                                     include_tables=False, deduplicate=False) or ""
        lines = [tidy(line) for line in chosen.split("\n") if tidy(line)]
        if headline is not None:
            return _below_headline(context, headline, lines, header)
        own = {_key(text): text for text in paragraphs(root)}
        body = [own.get(_key(line), line) for line in lines]
        block = densest_block(root, context.order)
        if block is not None:
            dense = paragraphs(block)
            dense_words = set(_plain(" ".join(dense)).split())
            chosen_words = _plain(" ".join(body)).split()
            shared = sum(1 for word in chosen_words if word in dense_words)
            if sum(map(len, dense)) > 2 * sum(map(len, body)) and shared < 0.5 * len(chosen_words or [""]):
                logger.debug("trafilatura chose %d characters, the densest block has %d: the block is the text",
                             sum(map(len, body)), sum(map(len, dense)))
                return dense, block
        return body, None

    # -- dates and ids ----------------------------------------------------------------------------------------------

    def _machine_time(self, root, metas, ld, kind: str) -> datetime | None:
        names = {"published": ("article:published_time", "og:article:published_time", "datepublished", "dc.date",
                               "dc.date.issued", "dc.date.created", "date", "pubdate", "publish-date",
                               "publish_date", "publishdate", "sailthru.date", "parsely-pub-date"),
                 "modified": ("article:modified_time", "og:article:modified_time", "datemodified", "dc.date.modified",
                              "og:updated_time")}[kind]
        candidates = [_text(ld.get("datePublished" if kind == "published" else "dateModified"))]
        # meta names in any case (dc.Date, DC.date.issued), in the order of `names`
        candidates += [value for name in names for key, values in metas.items() if key.lower() == name
                       for value in values]
        itemprop = "datePublished" if kind == "published" else "dateModified"
        candidates += [node.get("datetime") or node.get("content") or element_text(node)
                       for node in select(root, f"[itemprop={itemprop}]") if node.tag != "meta"]
        if kind == "published":
            candidates += select(root, "time[datetime]::attr(datetime)")
        for candidate in candidates:
            moment = tehran_time(candidate)
            if moment is not None:
                return moment
        return None

    def _shown_date(self, context: PageContext, headline) -> str | None:
        """The publication date the page shows readers nearest its headline: in an element whose class names a date
        or a time, or after a label («تاریخ انتشار:», «زمان:»)."""
        root = context.root
        classed = ((node, element_text(node)) for query in self.shown_date for node in select(root, query))
        labelled = ((node, _after_label(element_text(node))) for node in _DATE_LABEL_HOLDERS(root))
        return _nearest_date(context.order, headline, [*classed, *labelled], longest=120)

    def _any_date(self, context: PageContext, headline: Headline) -> str | None:
        """With no machine-readable date and none in a date's element or after a date's label: an element whose whole
        text is a date (nearest the headline), or the date of an issue that the declared title names around the
        headline («روزنامه سرمایه (1386/03/01): ...»)."""
        alone = ((node, element_text(node)) for node in _SHORT_TEXT_HOLDERS(context.root))
        found = _nearest_date(context.order, headline.node, alone, longest=40)
        if found or not headline.decoration:
            return found
        try:
            parse_jalali(headline.decoration)
        except DateParseError:
            return None
        return headline.decoration

    def _id(self, url: str, metas) -> str | None:
        for candidate in (url, first_meta(metas, "dc.identifier", "og:url")):
            found = self.news_id_in_url(candidate) if candidate else None
            if found:
                return found
        return None

    def _author(self, context: PageContext) -> str | None:
        """The person the page names as its author: JSON-LD's author, the author metas, else a byline; not the outlet
        itself, which many CMSs put there (the name the page gives as its publisher or site, or the site's own)."""
        metas, ld = context.metas, context.ld
        author = _named(ld.get("author")) or first_meta(metas, "author", "article:author", "dc.creator") or _bylines(context.root)
        return None if author and _plain(author) in self._site_names(metas, _named(ld.get("publisher"))) else author

    def _site_names(self, metas, *more: str | None) -> set[str]:
        """The names the page's metas and the registry give the site itself, and ``more``, each as _plain() has it."""
        return {_plain(name) for name in (*(first_meta(metas, meta) for meta in _SITE_NAME_METAS), self.site.name, *more)
                if name}

    def news_id_in_url(self, url: str) -> str | None:
        return news_id_in_url(url, self._id_pattern)


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
    """A paragraph as trafilatura and the page both render it: no ZWNJ, single spaces, no list bullet (trafilatura
    writes a list item as «- item»)."""
    return " ".join(text.replace("\u200c", "").split()).removeprefix("- ")


def _text(value) -> str | None:
    if isinstance(value, list):
        value = ", ".join(item for item in value if isinstance(item, str))
    return tidy(value) if isinstance(value, str) else None


def _named(value) -> str | None:
    """The name of a JSON-LD person or organization (an object, a list of them, or a plain string)."""
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        return _text(value.get("name"))
    return _text(value)


class Text(NamedTuple):
    lead: str | None
    body: list[str]
    block: Any  # the element the body was read from, when known (where its images are)


class Headline(NamedTuple):
    text: str | None  # the headline, as the page shows it
    node: Any  # the element it was read from, when one was confirmed (where the kicker, lead and date are looked for)
    outlet: str | None  # the newspaper a decoration of the declared title names («روزنامه سرمایه (1386/03/01): ...»)
    decoration: str | None  # what the declared title adds around the headline: a name, an issue's date


# Elements whose class names a title (news-title, view_title, mi-title), for headlines confirmed by a declared title.
_TITLE_CLASS = '[class*="title"]:not(title):not(head):not(meta)'
# The letters and digits of a text as every source spells them: no ZWNJ or kashida, Persian letter forms, ASCII
# digits, no punctuation, single spaces; for comparing a heading with a <title>, a paragraph with the lead.
_ARABIC_FORMS = str.maketrans({"ي": "ی", "ى": "ی", "ك": "ک", "ة": "ه", "\u200c": None, "\u0640": None,
                               "\u200e": None, "\u200f": None})
_PUNCTUATION = re.compile(r"[^\w\s]+")


def _plain(text: str) -> str:
    return " ".join(_PUNCTUATION.sub(" ", ascii_digits(text).translate(_ARABIC_FORMS)).lower().split())


def _plain_decoration(full: str, headline: str) -> str | None:
    """What a declared title adds around the headline («Magiran | روزنامه سرمایه (1386/03/01): »), or None."""
    plain_full, plain_headline = _plain(full), _plain(headline)
    if plain_full == plain_headline:
        return None
    spelt = _spelt(full)
    index = spelt.find(_spelt(headline))
    return spelt[:index] if index > 0 else None


def _spelt(text: str) -> str:
    """The text as every source spells it, punctuation kept: ASCII digits, Persian letter forms, single spaces."""
    return " ".join(ascii_digits(text).translate(_ARABIC_FORMS).split())


_SEPARATOR_CHARACTERS = "-–—|:»«•"
# Metas that name the site (or its publisher) itself: never an author, nor a headline.
_SITE_NAME_METAS = ("og:site_name", "publisher", "dc.publisher", "application-name")


def _links_or_frames(node) -> bool:
    """Whether a heading is a link, holds one or sits in the page's header or navigation: a logo, not a headline."""
    return (any(ancestor.tag == "a" for ancestor in node.iterancestors()) or bool(select(node, "a"))
            or _in_page_frame(node))


def _at_an_end(full: str, headline: str) -> bool:
    """Whether a declared title starts or ends with the headline, a separator between it and the rest."""
    spelt_full, spelt_headline = _spelt(full), _spelt(headline)
    if not spelt_headline or spelt_full == spelt_headline:
        return False
    if spelt_full.endswith(spelt_headline):
        rest = spelt_full[: -len(spelt_headline)].rstrip()
        return bool(rest) and rest[-1] in _SEPARATOR_CHARACTERS
    if spelt_full.startswith(spelt_headline):
        rest = spelt_full[len(spelt_headline):].lstrip()
        return bool(rest) and rest[0] in _SEPARATOR_CHARACTERS
    return False


# A newspaper or magazine named in a title's decoration, with the date or number after it.
_OUTLET = re.compile(r"(?:^|[|:\-–»]\s*)((?:روزنامه|هفته ?نامه|ماهنامه|دوهفته ?نامه|فصلنامه|مجله)\s+[^\d|:()\-–/]{2,40}?)"
                     r"\s*(?:\(|\d|:|$|\||-)")


def _outlet(decoration: str | None) -> str | None:
    match = _OUTLET.search(decoration) if decoration else None
    return tidy(match.group(1)) if match else None


# Where a kicker (روتیتر) or lead (لید) sits: the class names sites give them.
_KICKER_CLASS = re.compile(r"sub-?title|kicker|ro-?titr|rutitr|up-?title|pre-?title|sur-?title|super-?title|over-?title",
                           re.IGNORECASE)
_LEAD_CLASS = re.compile(r"lead|summary|abstract|lid\b|teaser|intro|chekideh|sub-?title", re.IGNORECASE)
_HEADING_TAGS = {"h2", "h3", "h4", "h5", "h6"}


def _kicker_before(headline, title: str | None) -> str | None:
    """The kicker: the short line right above the headline, a heading or an element whose class names a kicker."""
    if headline is None:
        return None
    node = headline
    previous = node.getprevious()
    while previous is None and node.getparent() is not None and len(node.getparent()) == 1:
        node = node.getparent()  # the headline alone in its wrapper: look above the wrapper
        previous = node.getprevious()
    while previous is not None and not isinstance(previous.tag, str):
        previous = previous.getprevious()
    if previous is None or previous.tag == "a" or select(previous, "a"):
        return None
    text = element_text(previous)
    if not text or len(text) > 150 or (title and _plain(text) == _plain(title)):
        return None
    if previous.tag in _HEADING_TAGS or _KICKER_CLASS.search(previous.get("class") or ""):
        try:
            parse_jalali(text)
        except DateParseError:
            return text
    return None


def _lead_after(headline) -> str | None:
    """The lead: the first element after the headline (within a few dozen) that is itemprop=description or whose
    class names a lead, summary or abstract."""
    if headline is None:
        return None
    for index, node in enumerate(headline.itersiblings()):
        for candidate in node.iter():
            if not isinstance(candidate.tag, str):
                continue
            if candidate.get("itemprop") == "description" or _LEAD_CLASS.search(candidate.get("class") or ""):
                text = element_text(candidate)
                if text and len(text.split()) >= 5:
                    return text
        if index > 30:
            break
    parent = headline.getparent()
    if parent is not None and parent.getparent() is not None and len(parent) <= 2:
        return _lead_after(parent)  # the headline in a wrapper of its own: look after the wrapper
    return None


# A label before a lead or abstract that is no part of it.
_LEAD_LABEL = re.compile(r"^\s*(?:چکیده|خلاصه|لید)\s*[:：]\s*")


def _without_label(text: str | None) -> str | None:
    return tidy(_LEAD_LABEL.sub("", text)) if text else None


# Elements with text of their own, not in a link or a form: where a date standing alone may be.
_SHORT_TEXT_HOLDERS = etree.XPath("//body//*[not(self::script or self::style or self::option or self::a)]"
                                  "[text()[normalize-space()]][not(ancestor::a)][not(ancestor::select)]")
# Labels of a shown publication date («زمان: ۱۹:۰۴ ۱۳۹۸/۰۲/۱۱», «تاریخ انتشار: ...»), and the elements holding one.
_DATE_LABELS = ("تاریخ انتشار", "زمان انتشار", "تاریخ", "زمان", "انتشار", "منتشر شده")
_DATE_LABEL_HOLDERS = etree.XPath(
    "//*[not(self::script or self::style)][text()[" + " or ".join(
        f"contains(translate(., 'يك', 'یک'), '{label}')" for label in _DATE_LABELS) + "]]")
_LABEL_AT = re.compile("(?:" + "|".join(_DATE_LABELS) + r")\s*[:：]")


def _after_label(text: str | None) -> str | None:
    """The text from the first date label on («زمان: 19:04 1398/02/11 بازدید: ...» is «زمان: 19:04 1398/02/11 ...»)."""
    if not text:
        return None
    match = _LABEL_AT.search(unify_letters(text))
    return text[match.start():][:80] if match else None


def _nearest_date(order: dict, anchor, candidates, longest: int) -> str | None:
    """Of (element, text) candidates, the text nearest the anchor element in page order (``order``, the page's) that
    holds a Jalali date; never a text longer than ``longest``, one in the page's header, footer or navigation, nor
    «امروز ...»: those are the site's clock, the day the page was fetched."""
    start = order.get(anchor, 0)
    best: tuple[int, str] | None = None
    for node, text in candidates:
        if not text or len(text) > longest or text.lstrip().startswith("امروز") or _in_page_frame(node, anchor):
            continue
        try:
            parse_jalali(text)
        except DateParseError:
            continue
        distance = abs(order.get(node, 0) - start)
        if best is None or distance < best[0]:
            best = (distance, text)
    return best[1] if best else None


# The page's frame: what surrounds every page of the site (its clock included), never an article's date. A class or id
# naming the article's own header, footer or toolbar («news_nav», IranSamaneh's toolbar of a news item's code and date;
# «article-header») is none; one naming the page's part first («header-news-ticker») is.
_FRAME = re.compile(r"(?:^|[_-])(?:header|footer|top-?bar|nav|navbar|menu|copyright)(?:$|[_-])", re.IGNORECASE)
_ARTICLE_PART = re.compile(r"(?:news|article|entry|story|khabar|detail)[_-]?(?:header|footer|top-?bar|nav|navbar|menu)",
                           re.IGNORECASE)


def _in_page_frame(node, headline=None) -> bool:
    """Whether the element is in the page's header, footer or navigation, and not inside the article itself (an
    <article>, an element declaring itself an Article with itemtype, or a header holding the headline)."""
    chain = (node, *node.iterancestors())
    if any(ancestor.tag == "article" or "Article" in (ancestor.get("itemtype") or "") for ancestor in chain):
        return False
    for ancestor in chain:
        names = f"{ancestor.get('class') or ''} {ancestor.get('id') or ''}".split()
        if (ancestor.tag in ("header", "footer", "nav") or any(
                _FRAME.search(name) and not _ARTICLE_PART.search(name) for name in names)):
            return headline is None or not (ancestor is headline or _contains(ancestor, headline))
    return False


# Elements whose text is never part of an article's own text block.
_NOT_TEXT = frozenset({"script", "style", "noscript", "template", "head", "title", "select", "option", "textarea",
                       "button", "form", "nav", "footer", "header", "a", "svg", "iframe"})
# Inline elements: their text belongs to the block around them.
_INLINE = frozenset({"font", "span", "b", "strong", "i", "em", "u", "small", "big", "sup", "sub", "br", "abbr", "q",
                     "cite", "mark", "nobr", "center", "bdi", "bdo", "time", "label", "img"})


def densest_block(root, order: dict | None = None) -> Any:
    """The element with the most running text of its own and of its child blocks (half of its grandchildren's):
    readability's idea, for pages where the article sits in a table cell among <br>s. Link text and the page's
    frame (navigation, forms, header and footer elements) count for nothing. (Hand-written: readability-lxml would
    be one more HTML cleaner; this is thirty lines over the tree lxml has already parsed.) ``order``: the page's
    nodes in page order, when already worked out."""
    order = order if order is not None else {node: index for index, node in enumerate(root.iter())}
    own = {node: letters for node in order if (letters := _letters(_own_text(node))) > 25}
    return _densest(own, order)


def _own_text(node, below=None) -> str:
    """The running text of a block element itself: its text, its inline children's (not those holding a link) and
    every child's tail; with ``below``, a child of it, only what comes after that child. Empty for an inline
    element or one whose text is never an article's (a script, a form, the page's navigation)."""
    tag = node.tag.lower() if isinstance(node.tag, str) else None
    if tag is None or tag in _INLINE or tag in _NOT_TEXT:
        return ""
    parts = [node.text or ""] if below is None else [below.tail or ""]
    for child in (node if below is None else below.itersiblings()):
        child_tag = child.tag.lower() if isinstance(child.tag, str) else ""
        if child_tag in _INLINE and not select(child, "a"):
            parts.append("".join(_TEXT_OF(child)))
        parts.append(child.tail or "")
    return "".join(parts)


def _letters(text: str) -> int:
    return sum(1 for character in text if character.isalpha())


def _densest(own: dict, order: dict) -> Any:
    """Of the elements with running text of their own (``own``: element to letters), the one whose own letters, its
    children's and half its grandchildren's are the most; the later in page order (so the deeper) on a tie."""
    scores: dict[Any, float] = {}
    for node, letters in own.items():
        scores[node] = scores.get(node, 0.0) + letters
        parent = node.getparent()
        if parent is not None:
            scores[parent] = scores.get(parent, 0.0) + letters
            grandparent = parent.getparent()
            if grandparent is not None:
                scores[grandparent] = scores.get(grandparent, 0.0) + letters / 2
    return max(scores, key=lambda node: (scores[node], order.get(node, -1)), default=None)


# Letters of running text below the headline, beside what repeats its header (kicker, lead), that make the text of
# an article: one short sentence.
_BODY_MIN_LETTERS = 80
# Paragraph scans (lines x paragraphs) spent finding trafilatura's lines inside the page's paragraphs.
_CONTAINMENT_SCANS = 2_000_000
# How many levels above that block the body's own block may still meet the headline, when that block is a lead no
# class names, in a header block beside the body's.
_NEAR = 2


def _below_headline(context: PageContext, headline, chosen: list[str], header: set[str]) -> tuple[list[str], Any]:
    """The article text below the headline. The block of running text nearest below it is found by walking up from
    the headline to the first element that holds enough of it. trafilatura's choice is kept where it lies in that
    element, or beside it when that element holds one paragraph at most (a lead no class names, in a header block
    beside the body's); never what it took from above the headline, from an advertisement box, or from further away
    (the page's other news, its footer). Where none of its choice lies there, that block is the text. With the
    paragraphs, the element that holds them (None when not known)."""
    levels = {node: level for level, node in enumerate(headline.iterancestors(), start=1)}
    placed: dict[str, tuple[int, Placed]] = {}  # a paragraph's key: (where it stands in the page, it)
    for position, item in enumerate(placed_paragraphs(context.root, after=headline)):
        key = _key(item.text)
        if key not in placed or (item.below and not placed[key][1].below):
            placed[key] = position, item
    located: list[tuple[float, str, Any]] = []  # (where it stands, text, the block it is in: None where not known)
    # lines looked for inside the page's paragraphs, each a scan of them all: bounded, as a hostile page could make
    # it quadratic (20,000 such lines in 20,000 paragraphs)
    searches = _CONTAINMENT_SCANS // max(1, len(placed))
    for line in chosen:
        key = _key(line)
        # the page's paragraph, or (where trafilatura split one: a table cell, lines joined by <br>s) the one it is in
        position, item = placed.get(key) or (0, None)
        if item is None and searches > 0:
            searches -= 1
            position, item = next((found for text, found in placed.items() if key in text), (0, None))
        if item is None:  # trafilatura's own rendering of it: where it stands is not known, so after the last one
            located.append(((located[-1][0] if located else -1) + 0.001, line, None))
        elif item.below and not (in_advertisement(item.block) and not _contains(item.block, headline)):
            located.append((position, item.text if _key(item.text) == key else line, item.block))
    # in the page's order (trafilatura's may differ: it can put a lead it read after the text)
    kept = [(text, where) for _, text, where in sorted(located, key=lambda entry: entry[0])]
    found = _block_below(context.order, headline, levels, header)
    if found is None:
        return [text for text, _ in kept], None
    block, block_level = found
    # trafilatura's paragraphs in the part of the page where that block was found; and, when that part holds one
    # paragraph at most (a lead no class names, in a header block of its own), those of the element beside it that
    # its first paragraph further down is in (the body's block, not the boxes and footer after it)
    region = next(node for node, level in levels.items() if level == block_level)
    boxes: dict[Any, bool] = {}
    inside = {index for index, (_, where) in enumerate(kept) if where is not None
              and _level(where, levels) <= block_level and _not_a_box_beside(where, region, block, headline, boxes)}
    outside = [(index, where) for index, (_, where) in enumerate(kept) if where is not None and index not in inside]
    beside: set[int] = set()
    if outside and len(inside) <= 1 and _level(outside[0][1], levels) <= block_level + _NEAR:
        first = outside[0][1]
        common = _common_ancestor([first, headline])
        part = first if common is first else _child_towards(common, first)
        if _link_density(part) < _BODY_MAX_LINK_DENSITY:  # a body's text, not a box of links with their summaries
            beside = {index for index, where in outside if where is part or _contains(part, where)}
    chosen_here = inside | beside
    if chosen_here:
        near = [(text, where) for index, (text, where) in enumerate(kept) if where is None or index in chosen_here]
        # the element of the body's own paragraphs (not of a lead or kicker they repeat): where its images are
        own = [where for text, where in near if where is not None and _plain(text) not in header]
        return [text for text, _ in near], _common_ancestor(own) if own else None
    logger.debug("trafilatura chose no text near the headline; the block below it is the text")
    captions = {element_text(node) for node in select(block, "figcaption, [class*=caption]")}
    return [text for text in paragraphs(block, after=headline if block in levels else None)
            if text not in captions], block  # a picture's caption is no paragraph of the text


def _block_below(order: dict, headline, levels: dict, header: set[str]) -> tuple[Any, int] | None:
    """(the block of running text nearest below the headline, how many levels above the headline it was found), over
    the page's nodes in page order."""
    end = order[_last_descendant(headline)]
    own: dict[Any, int] = {}
    counted: dict[Any, int] = {}
    densities: dict[Any, float] = {}
    for node, index in order.items():
        if index <= end and node not in levels:
            continue
        text = _own_text(node, below=_child_towards(node, headline) if node in levels else None)
        letters = _letters(text)
        if letters > 25 and not _summary_of_a_link(node, densities):
            own[node] = letters
            # what it holds beside the kicker, lead or headline it repeats
            plain = _plain(text)
            for repeat in header:
                plain = plain.replace(repeat, "") if repeat else plain
            counted[node] = _letters(plain)
    for ancestor, level in levels.items():
        region = range(order[ancestor], order[_last_descendant(ancestor)] + 1)
        inside = {node: letters for node, letters in own.items() if order[node] in region}
        if sum(counted[node] for node in inside) >= _BODY_MIN_LETTERS:
            return _densest(inside, order), level
    return None


def _summary_of_a_link(node, densities: dict) -> bool:
    """Whether a block of text is the summary beside a link in an item of its own (another article's teaser): its
    parent holds one or two links, and they are a good part of its text."""
    parent = node.getparent()
    if parent is None:
        return False
    if parent not in densities:
        links = sum(1 for _ in parent.iter("a"))
        densities[parent] = _link_density(parent) if 1 <= links <= 2 else 0.0
    return densities[parent] >= _BODY_MAX_LINK_DENSITY


def _not_a_box_beside(where, region, block, headline, boxes: dict) -> bool:
    """Whether a paragraph in the region is not in a box of links beside the text (the page's other news, each a
    link and its summary, in the same element as the headline and the text). ``boxes`` remembers each part's
    answer."""
    if where is region:
        return True
    part = _child_towards(region, where)
    if part not in boxes:
        boxes[part] = (part is block or _contains(part, block) or _contains(part, headline) or _contains(block, part)
                       or _link_density(part) < _BODY_MAX_LINK_DENSITY)
    return boxes[part]


def _last_descendant(node):
    """The element's last descendant in page order (itself when it has none)."""
    while len(node):
        node = node[-1]
    return node


def _child_towards(ancestor, node):
    """The child of ``ancestor`` that holds ``node``."""
    while node.getparent() is not ancestor:
        node = node.getparent()
    return node


def _level(block, levels: dict) -> int:
    """How many levels above the headline a block meets it (its nearest common ancestor with the headline)."""
    for node in (block, *block.iterancestors()):
        if node in levels:
            return levels[node]
    return len(levels) + 1


# The share of an element's letters in links above which its text is a list of other pages, not an article's body.
_BODY_MAX_LINK_DENSITY = 0.2


def _link_density(node) -> float:
    letters = _letters("".join(_TEXT_OF(node)))
    linked = sum(_letters("".join(_TEXT_OF(link))) for link in node.iter("a"))
    return linked / letters if letters else 1.0


def _tag_list(context: PageContext, queries: tuple[str, ...], headline) -> list:
    """The article's own tags: of the elements the tag queries find, those of the first list of them after the
    headline that is not in the page's frame (a site's trending tags in its header are no article's; a list of tags
    may be an HTML5 <footer> of the article's own)."""
    found = list(dict.fromkeys(node for query in queries for node in select(context.root, query)
                               if not isinstance(node, str)))
    if not found:
        return []
    order = context.order
    after = order[_last_descendant(headline)] if headline is not None else -1
    boxes = {node: _tag_box(node) for node in found}
    pool = [node for node in found if order.get(node, -1) > after and not (
        boxes[node].getparent() is not None and _in_page_frame(boxes[node].getparent(), headline))] or found
    first = min(pool, key=lambda node: order.get(node, -1))
    return [node for node in pool if boxes[node] is boxes[first]]


def _tag_box(node):
    """The list a tag is an item of: its nearest ancestor whose class or id names tags, or a <ul>/<ol>."""
    return next((ancestor for ancestor in node.iterancestors() if ancestor.tag in ("ul", "ol") or _TAG_BOX.search(
        f"{ancestor.get('class') or ''} {ancestor.get('id') or ''}")), node.getparent() if node.getparent() is not None
        else node)


# A class or id naming a list of tags (tags, tag-list, keywords, برچسب).
_TAG_BOX = re.compile(r"tag|keyword", re.IGNORECASE)
_IMAGE_FILE = re.compile(r"\.(?:jpe?g|png|gif|webp|avif|bmp)$", re.IGNORECASE)


def _a_picture(image) -> bool:
    """Whether an image is a picture of the article: not in a form (a captcha) or an advertisement box, and not a
    link to another page (an image linking to its own larger file is a picture)."""
    if any(ancestor.tag == "form" for ancestor in image.iterancestors()) or in_advertisement(image):
        return False
    link = next(image.iterancestors("a"), None)
    href = (link.get("href") or "").split("?")[0].split("#")[0].strip() if link is not None else ""
    return not href or bool(_IMAGE_FILE.search(href))


def _file_name(url: str) -> str:
    """The last part of an image's path, its query aside: the same picture in another size or on another host."""
    return url.split("?")[0].split("#")[0].rstrip("/").rpartition("/")[2]


def _common_ancestor(nodes: list) -> Any:
    """The innermost element that holds every one of the nodes (a node itself when the others are inside it)."""
    common = [nodes[0], *nodes[0].iterancestors()]
    for node in nodes[1:]:
        chain = {node, *node.iterancestors()}
        common = [ancestor for ancestor in common if ancestor in chain]
    return common[0] if common else None


def _contains(ancestor, node) -> bool:
    return any(parent is ancestor for parent in node.iterancestors())


_TEXT_OF = etree.XPath(".//text()[not(ancestor::script) and not(ancestor::style)]", smart_strings=False)


_BULLETS = "•·▪●■◦*-–—> "


def _crumb(text: str | None) -> str | None:
    """A breadcrumb's text as a category: without the «>» between levels, and none when it is a date or an issue
    («شماره 462، سه‌شنبه ۱ خرداد ۱۳۸۶»), which no category is."""
    text = tidy((text or "").strip(" >»/|"))
    if not text or re.match(r"^(?:شماره|issue)\b", text, re.IGNORECASE):
        return None
    try:
        parse_jalali(text)
    except DateParseError:
        return text
    return None


_BLOCKS = frozenset({"div", "p", "ul", "ol", "li", "table", "section", "article", "header", "footer", "h1", "h2", "h3",
                     "h4", "h5", "h6"})


# A byline's label before the name («نویسنده: آزاده شهمیر نوری», «به قلم ...»).
_BYLINE_LABEL = re.compile(r"^\s*(?:نویسنده|نوشته|به قلم|خبرنگار|گزارشگر|نويسنده)\s*[:：]?\s*")


def _bylines(root) -> str | None:
    """The authors the page names in elements whose class or itemprop says so (an itemprop=author, or a class
    naming an author with nothing but inline text in it), each a name of a few words, joined with «، »."""
    names = []
    for node in select(root, '[itemprop="author"], [class*="author"]'):
        if any(isinstance(child.tag, str) and child.tag in _BLOCKS for child in node.iter() if child is not node):
            continue
        text = _BYLINE_LABEL.sub("", element_text(node) or "")
        if text and len(text) <= 40 and len(text.split()) <= 5 and not re.search(r"[\d:@/]", ascii_digits(text)):
            names.append(text)
    names = unique(names)
    return "، ".join(names[:5]) if names else None
