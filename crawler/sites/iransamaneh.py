"""The IranSamaneh CMS (IRIB News, Tabnak, YJC, Asriran, Fararu, Kayhan, Mizan...): article pages and home-page
listings, page in, record or links out.

What is known of the markup: [real] for IRIB News 2017 (the stored page in
tests/fixtures/irinn), [hearsay] for the class names other sites of the family use, which the selector tuples try
after the real ones. Everything is a class attribute, overridden per site like the Nastooh parser's. Two things
differ from Nastooh: `article:published_time` is a numeric Jalali string with Persian digits
(«۱۳۹۶/۰۲/۲۸ - ۲۲:۵۷»), and the body is often one element whose paragraphs are runs of <br>.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime
from urllib.parse import unquote, urlsplit

from crawler.dates import (
    DateParseError,
    parse_jalali,
    publication_time,
)
from crawler.sites import LayoutNotRecognized, NotAnArticle, Site
from crawler.sites.discovery import ListedArticle, Listing
from crawler.sites.family import Reading
from crawler.sites.generic import GenericParser
from crawler.sites.html import (
    Page,
    absolute,
    element_text,
    first_found,
    first_meta,
    first_text,
    images_of,
    paragraphs,
    root_of,
    select,
    select_first,
    unique,
)
from crawler.text import tidy

logger = logging.getLogger(__name__)


class IranSamanehParser(GenericParser):
    """Reads the pages of one IranSamaneh site; built once per site, every method is pure."""

    # -- article page ([real] IRIB News first, then [hearsay] forms of other sites) ----------------------------------
    title = ("h1.title", ".news-title", ".title-news", "div.title")
    kicker = (".rutitr", ".news-rutitr")
    lead = (".subtitle", ".news-subtitle", ".subtitle-news")
    body = ("div.body", ".news-body", ".body")
    shown_date = (".news_pdate_c", ".news-date", ".fa_date")
    shown_id = (".news_id_c",)
    tags = (".tags_title a", ".tags li a", ".tags li")
    breadcrumb = (".news_path a",)
    images = ("div.body img", ".news_image img", ".image_top_primary img")
    # -- home page and list pages: links to articles, with the time in their title («15:22 - 1396/03/03») ----------
    listing_link = ("a.title5", "a.title6", ".linear_news a", ".news_list a")

    SELECTORS = ("title", "kicker", "lead", "body", "shown_date", "shown_id", "tags", "breadcrumb", "images",
                 "listing_link")

    # -- site facts -------------------------------------------------------------------------------------------------
    home_path = "/"  # the latest news: the links of the home page
    article_path = r"^/(?:[a-z]{2}/)?news/(\d+)(?:/|$)"  # /fa/news/<id>/<slug>; photo and video pages are elsewhere
    non_article_paths = (r"^/(?:[a-z]{2}/)?(?:photos|videos|media|gallery)/",)

    # A day's archive, when a registry entry names it: a URL with {year}, {month}, {day} and {page} (format fields,
    # so "{month:02d}" pads), read with listing_link; -a from/to is refused without it. The family's own archive
    # (/fa/archive) is not known from a stored page yet, so no default is guessed.
    day_archive: str | None = None
    max_archive_pages = 50  # safety stop: no day has more archive pages than this
    # "number": the template's next {page} when a page has no next link, until a page lists nothing new; "link": the
    # page's next link only, and a page without one is the last (crawler/spiders/base.py parse_archive)
    archive_paging = "number"

    FACTS = ("home_path", "article_path", "non_article_paths", "day_archive", "max_archive_pages", "archive_paging")

    def __init__(self, site: Site):
        super().__init__(site)
        self._article_path = re.compile(self.article_path)
        self._non_article_paths = tuple(re.compile(pattern) for pattern in self.non_article_paths)

    # -- article page -------------------------------------------------------------------------------------------------

    def check(self, reading: Reading) -> None:
        path = unquote(urlsplit(reading.context.url).path)
        if any(pattern.search(path) for pattern in self._non_article_paths):
            raise NotAnArticle(f"not a text article page ({path})")
        if reading.field("title") is None and not reading.field("body"):
            raise LayoutNotRecognized("no headline and no article text (h1.title, div.body): not an article page, "
                                      "or the layout changed")

    # The fields this family reads its own way; the others (url, category, province, reporter_code, editor) are the
    # generic reading's (crawler/sites/generic.py).

    def read_news_id(self, reading: Reading) -> str | None:
        return self._news_id(reading.context.root, reading.context.url)

    def read_title(self, reading: Reading) -> str | None:
        context = reading.context
        return first_text(context.root, *self.title) or first_meta(context.metas, "og:title", "dc.title")

    def read_kicker(self, reading: Reading) -> str | None:
        return first_text(reading.context.root, *self.kicker)

    def read_lead(self, reading: Reading) -> str | None:
        return first_text(reading.context.root, *self.lead)

    def read_body(self, reading: Reading) -> list[str]:
        element = select_first(reading.context.root, *self.body)
        return paragraphs(element) if element is not None else []

    def read_published(self, reading: Reading) -> datetime | None:
        context = reading.context
        return publication_time(_jalali_meta(context.metas, "article:published_time", context.url),
                                first_text(context.root, *self.shown_date), context.url)

    def read_modified(self, reading: Reading) -> datetime | None:
        return _jalali_meta(reading.context.metas, "article:modified_time", reading.context.url)

    def read_categories(self, reading: Reading) -> list[str]:
        context = reading.context
        crumbs = [element_text(node) for node in first_found(context.root, *self.breadcrumb)]
        return unique([*(crumb for crumb in reversed(crumbs)), first_meta(context.metas, "article:section")])

    def read_tags(self, reading: Reading) -> list[str]:
        context = reading.context
        tags = [element_text(node) for node in first_found(context.root, *self.tags)]
        if not any(tags):
            tags = [tidy(tag) for tag in (first_meta(context.metas, "article:tag", "keywords") or "").replace("،", ",")
                    .split(",")]
        return unique(tags)

    def read_author(self, reading: Reading) -> str | None:
        metas = reading.context.metas
        author = first_meta(metas, "article:author")
        # article:author names the outlet itself on this CMS, not a person
        return None if author in (first_meta(metas, "og:site_name"), first_meta(metas, "dc.publisher")) else author

    def read_source(self, reading: Reading) -> str | None:
        return None  # a «منبع:» line, which cleaning moves here; no newspaper names the title on this CMS

    def read_images(self, reading: Reading) -> list:
        context = reading.context
        return images_of(first_found(context.root, *self.images), reading.field("title"), context.base)

    def _news_id(self, root, url: str) -> str | None:
        match = self._article_path.search(unquote(urlsplit(url).path))
        if match:
            return match.group(1)
        shown = first_text(root, *self.shown_id) or ""
        digits = re.search(r"\d+", shown.translate(str.maketrans("۰۱۲۳۴۵۶۷۸۹", "0123456789")))
        return digits.group() if digits else None

    # -- listings -------------------------------------------------------------------------------------------------------

    def listing(self, page: Page, url: str, page_number: int = 1) -> Listing:
        """The articles a home or list page links, in page order, each once, with the time a link's title gives."""
        root = root_of(page, url)
        articles: dict[str, ListedArticle] = {}
        for link in select(root, ", ".join(self.listing_link)):  # one union of the queries: page order
            href = absolute(link.get("href"), url)
            match = self._article_path.search(unquote(urlsplit(href).path)) if href else None
            if match and match.group(1) not in articles:
                articles[match.group(1)] = ListedArticle(href, match.group(1), _listed_at(link.get("title"), url))
        return Listing(list(articles.values()), None)


def _jalali_meta(metas: dict[str, list[str]], name: str, url: str) -> datetime | None:
    value = first_meta(metas, name)
    if not value:
        return None
    try:
        moment, has_time = parse_jalali(value)
    except DateParseError as error:
        logger.debug("%s: ignoring %s: %s", url, name, error)
        return None
    return moment if has_time else None  # a day without its time is no machine time


def _listed_at(title: str | None, url: str) -> datetime | None:
    if not title:
        return None
    try:
        moment, has_time = parse_jalali(title)
    except DateParseError:
        return None  # a link title is often just the headline
    return moment if has_time else None
