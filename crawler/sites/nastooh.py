"""The Nastooh CMS (ISNA, Mehr, IRNA, Hamshahri Online...): article pages and archive listings, page in, record or
links out.

Everything about the CMS's markup is a class attribute of NastoohParser: a sister site whose markup differs in a
class name overrides that one selector in its registry entry ([<key>.selectors]), or in a subclass of a few lines.
Site facts (archive paths, which page types are not articles) are class attributes too, overridden the same way
(plain keys of the entry). The article container also holds the comment rules, the comment form, related news and
share links, so fields are read from their own elements and never from the container's whole text. The meta list
(date, category, code, reporter) is read by each item's icon and label, never by position. The 2017 and 2025 ISNA
templates differ in a few places; each selector tuple lists the forms in order, so both are read by the same parser.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime
from urllib.parse import parse_qs, unquote, urlsplit

from lxml import etree

from crawler.dates import (
    DateParseError,
    ascii_digits,
    parse_iso_datetime,
    parse_jalali_datetime,
    publication_time,
)
from crawler.sites import LayoutNotRecognized, NotAnArticle, Site, province_in
from crawler.sites.discovery import ListedArticle, Listing
from crawler.sites.family import Reading
from crawler.sites.generic import GenericParser
from crawler.sites.html import (
    Page,
    absolute,
    element_text,
    first_meta,
    first_text,
    images_of,
    own_url,
    paragraphs,
    root_of,
    select,
    select_first,
    unique,
)
from crawler.text import tidy

logger = logging.getLogger(__name__)

# <meta> tags, by property/name/itemprop (read from one index of the page's meta tags).
METAS = {
    "page_type": ("nastooh:pageType",),
    "news_type": ("nastooh:newsType",),
    "canonical": ("og:url",),
    "title": ("og:title",),
    "published_time": ("article:published_time", "datePublished"),
    "modified_time": ("article:modified_time", "dateModified"),
    "news_code": ("nastooh:code",),
    "section": ("article:section",),
    "keywords": ("keywords",),
}

# Meta list items, told apart by their icon class or, failing that, their label.
META_FIELDS = (
    ("published", "fa-calendar", ("تاریخ",)),
    ("category", "fa-folder", ("دسته‌بندی", "دسته بندی", "سرویس")),
    ("news_id", "fa-newspaper", ("کد خبر",)),
    ("reporter_code", "fa-microphone", ("خبرنگار",)),
)

class NastoohParser(GenericParser):
    """Reads the pages of one Nastooh site; built once per site, every method is pure."""

    # -- article page: CSS selectors, each a tuple of forms tried in order ---------------------------------------
    container = ("article#item",)
    canonical = ('link[rel="canonical"]::attr(href)',)
    title = ("h1.first-title", 'h1[itemprop="headline"]')
    kicker = (".item-title .kicker", "header.item-header .kicker")
    lead = ("p.summary", '[itemprop="description"]:not(meta)')
    body = ("div.item-text", '[itemprop="articleBody"]')
    meta_items = ("div.meta-news li",)
    editor = ("ul.author-id li",)
    tags = ("footer.tags li a",)
    main_image = ("figure.item-img img",)
    # -- listings (archive pages, home page): li > figure + div.desc > [h4 kicker] + h3 > a + p + time[title] ------
    listing_scope = ("div.items",)  # the archive's own list, when the page has one; else the whole page
    listing_item = ("li",)
    listing_link = ("h3 a[href]",)
    listing_time = ("time[title]::attr(title)",)
    listing_excluded = ("aside", "section.ads")  # sidebars and advertising boxes («لینکستان») are not the listing
    pagination_links = (".pagination a[href]::attr(href)",)
    pagination_next = ("ul.pagination li.active + li a[href]::attr(href)",)
    pagination_next_label = "بعدی"

    SELECTORS = ("container", "canonical", "title", "kicker", "lead", "body", "meta_items", "editor", "tags",
                 "main_image", "listing_scope", "listing_item", "listing_link", "listing_time", "listing_excluded",
                 "pagination_links", "pagination_next")

    # -- site facts (a registry entry overrides them with plain keys) ----------------------------------------------
    latest_archive = "/archive?pi={page}&ms=0"  # the all-topics archive, newest first; {page} from 1
    latest_pages = 3  # archive pages of a first latest-news run
    day_archive = "/archive?pi={page}&ms=0&dy={day}&mn={month}&yr={year}"  # one Jalali day (it may list neighbours)
    max_archive_pages = 200  # safety stop: no day has more archive pages than this
    archive_paging = "link"  # each archive page links the next; the last links none
    article_path = r"^/news/(\d+)(?:/|$)"  # article URLs; the first group is the news code
    non_article_types = ("photo", "video", "gallery", "infographic", "podcast", "audio")  # nastooh:newsType
    advertorial_categories = ("رپرتاژ آگهی", "رپرتاژ", "آگهی", "تبلیغات")
    dateline_prefix = ""  # «ایسنا» in «ایسنا/خوزستان»: the province of a provincial story

    FACTS = ("latest_archive", "latest_pages", "day_archive", "max_archive_pages", "archive_paging", "article_path",
             "non_article_types", "advertorial_categories", "dateline_prefix")

    def __init__(self, site: Site):
        super().__init__(site)
        self._article_path = re.compile(self.article_path)

    # -- article page ----------------------------------------------------------------------------------------------

    def check(self, reading: Reading) -> None:
        """NotAnArticle, with the reason, for pages that are not text articles (a photo or video page, an
        advertorial); LayoutNotRecognized for a page with no article markup. Fields a page lacks are None (or []);
        the validation stage decides whether the record can be written."""
        context = reading.context
        self._reject_non_articles(context.root, context.metas, self._container(reading) is not None)
        if reading.field("title") is None and not reading.field("body"):
            raise LayoutNotRecognized("no headline and no article text: not an article page, or the layout changed")
        category = reading.field("category")
        if category and category in self.advertorial_categories:
            raise NotAnArticle(f"advertorial (category «{category}»)")

    # The fields this family reads its own way, from the article's container and its meta list; the author is the
    # generic reading's (crawler/sites/generic.py).

    def read_url(self, reading: Reading) -> str:
        context = reading.context
        return own_url(first_text(context.root, *self.canonical) or first_meta(context.metas, *METAS["canonical"]),
                       context.url, self.site.host_names, context.base)

    def read_news_id(self, reading: Reading) -> str | None:
        return self._news_id(reading.context.metas, self._meta(reading).get("news_id"), reading.context.url)

    def read_title(self, reading: Reading) -> str | None:
        return first_text(self._root(reading), *self.title) or first_meta(reading.context.metas, *METAS["title"])

    def read_kicker(self, reading: Reading) -> str | None:
        return first_text(self._root(reading), *self.kicker)

    def read_lead(self, reading: Reading) -> str | None:
        return first_text(self._root(reading), *self.lead)

    def read_body(self, reading: Reading) -> list[str]:
        return self._body_and_images(reading)[0]

    def read_published(self, reading: Reading) -> datetime | None:
        context = reading.context
        return self._published(context.metas, context.ld, self._meta(reading).get("published"), context.url)

    def read_modified(self, reading: Reading) -> datetime | None:
        context = reading.context
        metas = context.metas
        return _first_timestamp(metas.get(METAS["modified_time"][0], []) + metas.get(METAS["modified_time"][1], []),
                                context.ld.get("dateModified"), context.url)

    def read_category(self, reading: Reading) -> str | None:
        return self._meta(reading).get("category") or self._section(reading.context.metas)

    def read_categories(self, reading: Reading) -> list[str]:
        category = reading.field("category")
        return [category] if category else []

    def read_reporter_code(self, reading: Reading) -> str | None:
        return _digits_only(self._meta(reading).get("reporter_code"))

    def read_editor(self, reading: Reading) -> str | None:
        return self._editor(self._root(reading))

    def read_province(self, reading: Reading) -> str | None:
        return self._province(reading.field("lead"), reading.field("category"))

    def read_tags(self, reading: Reading) -> list[str]:
        return self._tags(self._root(reading), reading.context.metas)

    def read_source(self, reading: Reading) -> str | None:
        return None  # a «منبع:» line, which cleaning moves here; no newspaper names the title on this CMS

    def read_images(self, reading: Reading) -> list:
        root = self._root(reading)
        main = [image for query in self.main_image for image in select(root, query)]
        return images_of(main + self._body_and_images(reading)[1], reading.field("title"), reading.context.base)

    def _container(self, reading: Reading) -> etree._Element | None:
        """The article's container (article#item): it holds the fields, and also comments and related news."""
        return reading.once("container", lambda: select_first(reading.context.root, *self.container))

    def _root(self, reading: Reading) -> etree._Element:
        container = self._container(reading)
        return container if container is not None else reading.context.root

    def _body_and_images(self, reading: Reading) -> tuple[list[str], list[etree._Element]]:
        return reading.once("body", lambda: self._body(self._root(reading)))

    def _meta(self, reading: Reading) -> dict[str, str]:
        return reading.once("meta", lambda: self._meta_list(self._root(reading)))

    # -- page kind ---------------------------------------------------------------------------------------

    def _reject_non_articles(self, page_root: etree._Element, metas: dict[str, list[str]], has_container: bool) -> None:
        page_type = first_meta(metas, *METAS["page_type"])
        if page_type and page_type.lower() != "news":
            raise NotAnArticle(f"nastooh:pageType is {page_type!r}, not a news article")
        news_type = first_meta(metas, *METAS["news_type"])
        if news_type and news_type.lower() in self.non_article_types:
            raise NotAnArticle(f"{news_type} page (nastooh:newsType), not a text article")
        if not has_container and not select(page_root, self.title[0]):
            raise LayoutNotRecognized("no article markup (article#item, h1.first-title): an error or list page, "
                                      "or the site's layout changed")

    # -- meta list -----------------------------------------------------------------------------------------

    def _meta_list(self, root: etree._Element) -> dict[str, str]:
        found: dict[str, str] = {}
        for item in (node for query in self.meta_items for node in select(root, query)):
            icons, label, value = _meta_item(item)
            if not value:
                continue
            for name, icon, labels in META_FIELDS:
                if name in found:
                    continue
                if icon in icons or any(text in (label or "") for text in labels):
                    found[name] = value
                    break
        return found

    def _province(self, lead: str | None, category: str | None) -> str | None:
        """The province of a provincial story: its dateline («ایسنا/خوزستان ...»), else its category."""
        from_dateline = province_in(lead, prefix=self.dateline_prefix) if self.dateline_prefix else None
        return from_dateline or province_in(category)

    def _section(self, metas: dict[str, list[str]]) -> str | None:
        section = first_meta(metas, *METAS["section"])
        return tidy(section.split(">")[-1]) if section else None

    def _news_id(self, metas: dict[str, list[str]], from_meta_list: str | None, url: str) -> str | None:
        for candidate in (from_meta_list, first_meta(metas, *METAS["news_code"])):
            code = _digits_only(candidate)
            if code:
                return code
        match = self._article_path.search(_path_of(url))
        return match.group(1) if match else None

    def _editor(self, root: etree._Element) -> str | None:
        for item in (node for query in self.editor for node in select(root, query)):
            if "دبیر" in (element_text(item) or ""):
                return first_text(item, "strong")
        return None

    def _tags(self, root: etree._Element, metas: dict[str, list[str]]) -> list[str]:
        tags = [element_text(link) for query in self.tags for link in select(root, query)]
        if not any(tags):
            keywords = first_meta(metas, *METAS["keywords"]) or ""
            tags = [tidy(keyword) for keyword in keywords.split(",")]
        return unique(tags)

    # -- dates -----------------------------------------------------------------------------------------------

    def _published(self, metas: dict[str, list[str]], ld: dict, shown: str | None, url: str) -> datetime | None:
        candidates = [value for key in METAS["published_time"] for value in metas.get(key, ())]
        return publication_time(_first_timestamp(candidates, ld.get("datePublished"), url), shown, url)

    # -- body and images -----------------------------------------------------------------------------------------

    def _body(self, root: etree._Element) -> tuple[list[str], list[etree._Element]]:
        container = select_first(root, *self.body)
        if container is None:
            return [], []
        # The end marker («انتهای پیام») and what follows it are the cleaning stage's to cut (pipelines/rules).
        return paragraphs(container), list(container.iter("img"))


    # -- listings ---------------------------------------------------------------------------------------------------

    def listing(self, page: Page, url: str, page_number: int = 1) -> Listing:
        """The articles a listing page (an archive page, the home page) shows, in its order, each once, and the URL of
        the page after it (page ``page_number + 1``), when it links one. URLs are absolute, as on the page."""
        root = root_of(page, url)
        scopes = [scope for query in self.listing_scope for scope in select(root, query)] or [root]
        excluded = {node for query in self.listing_excluded for node in select(root, query)}
        articles: dict[str, ListedArticle] = {}
        for scope in scopes:
            for item in (node for query in self.listing_item for node in select(scope, query)):
                if excluded and any(ancestor in excluded for ancestor in item.iterancestors()):
                    continue
                link = select_first(item, *self.listing_link)
                href = absolute(link.get("href"), url) if link is not None else None
                match = self._article_path.search(unquote(urlsplit(href).path)) if href else None
                if match and match.group(1) not in articles:
                    articles[match.group(1)] = ListedArticle(href, match.group(1), self._listed_at(item, url))
        return Listing(list(articles.values()), self._next_page(root, url, page_number))

    def _listed_at(self, item: etree._Element, page_url: str) -> datetime | None:
        shown = first_text(item, *self.listing_time)
        if not shown:
            return None
        try:
            return parse_jalali_datetime(shown)
        except DateParseError as error:
            logger.warning("%s: a listed article with an unreadable date: %s", page_url, error)
            return None

    def _next_page(self, root: etree._Element, url: str, page_number: int) -> str | None:
        """The link whose `pi` is the next page's number (every page link has one, and on this CMS every one of them
        may carry rel="next"), else the link after the active item, or the one labelled «بعدی»."""
        for href in (href for query in self.pagination_links for href in select(root, query)):
            link = absolute(href, url)
            numbers = parse_qs(urlsplit(link).query).get("pi") if link else None
            if numbers and numbers[0].isdigit() and int(numbers[0]) == page_number + 1:
                return link
        candidates = [href for query in self.pagination_next for href in select(root, query)]
        candidates += [node.get("href") for query in self.pagination_links
                       for node in select(root, query.removesuffix("::attr(href)"))
                       if element_text(node) == self.pagination_next_label]
        for href in candidates:
            link = absolute(href, url)
            if link:
                return link  # a link to this very page too: the spider says so, and stops there
        return None


def _meta_item(item: etree._Element) -> tuple[str, str, str | None]:
    """(icon classes, label, value) of one meta list item: <i class="fa ..."> <span class="title-meta">label</span>
    <span class="text-meta">value</span>, in one walk over the item's few elements."""
    icons, label, value = [], None, None
    for node in item.iter():
        if node.tag == "i":
            icons.append(node.get("class") or "")
        classes = (node.get("class") or "").split()
        if label is None and "title-meta" in classes:
            label = element_text(node)
        elif value is None and "text-meta" in classes:
            value = element_text(node)
    return " ".join(icons), label or "", value


def _first_timestamp(candidates: list[str], from_json_ld, url: str) -> datetime | None:
    """The first readable timestamp of the meta tags, then of the JSON-LD."""
    for candidate in [*candidates, *([from_json_ld] if isinstance(from_json_ld, str) else [])]:
        try:
            return parse_iso_datetime(candidate)
        except DateParseError as error:
            logger.debug("%s: ignoring timestamp: %s", url, error)
    return None


def _digits_only(value: str | None) -> str | None:
    if not value:
        return None
    digits = ascii_digits(value).strip()
    return digits if digits.isdigit() and digits.isascii() else None


def _path_of(url: str) -> str:
    return unquote(urlsplit(url).path)

