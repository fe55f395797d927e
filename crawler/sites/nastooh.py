"""Article pages of the Nastooh CMS (ISNA, Mehr, Hamshahri Online...): page in, Article out.

The CMS's markup is described once, in SELECTORS; what differs per site (end markers, which page types are not
articles) comes from sites.toml. The article container also holds the comment rules, the comment form, related
news and share links, so fields are read from their own elements and never from the container's whole text.
The meta list (date, category, code, reporter) is read by each item's icon and label, never by position.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime
from urllib.parse import unquote, urlsplit

from lxml import etree

from crawler.dates import (
    DateParseError,
    ascii_digits,
    parse_iso_datetime,
    parse_jalali,
    tehran_jalali_day,
    to_jalali_string,
    to_tehran_iso,
)
from crawler.record import Article, Image
from crawler.sites import LayoutNotRecognized, NotAnArticle, SiteConfig, province_in
from crawler.sites.html import (
    Page,
    absolute,
    element_text,
    first_meta,
    first_text,
    json_ld_of_type,
    meta_index,
    own_url,
    page_base,
    paragraphs,
    root_of,
    select,
    select_first,
    unique,
)
from crawler.text import tidy

logger = logging.getLogger(__name__)

SELECTORS = {
    "container": "article#item",
    "canonical": 'link[rel="canonical"]::attr(href)',
    "title": ('h1.first-title', 'h1[itemprop="headline"]'),
    "kicker": (".item-title .kicker", "header.item-header .kicker"),
    "lead": ('p.summary', '[itemprop="description"]:not(meta)'),
    "body": ('div.item-text', '[itemprop="articleBody"]'),
    "meta_items": "div.meta-news li",
    "editor": "ul.author-id li",
    "tags": "footer.tags li a",
    "main_image": "figure.item-img img",
}
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

# Two readings of the publication time agree when they fall in the same minute.
_SAME_MINUTE = 60


class NastoohArticleExtractor:
    """Reads one article page of a Nastooh site. Construct once per site; ``extract`` is pure."""

    def __init__(self, config: SiteConfig):
        self.config = config
        self._article_path = re.compile(config.article_path)
        self._hosts = set(config.hosts) | {urlsplit(config.base_url).hostname or ""}

    def extract(self, page: Page, url: str) -> Article:
        """The article on ``page`` (HTML text, a parsel Selector or a parsed root element) fetched from ``url``.

        Raises NotAnArticle, with the reason, for pages that are not text articles. Fields the page lacks are
        None (or []); the validation stage decides whether the record can be written.
        """
        page_root = root_of(page, url)
        base = page_base(page_root, url)
        metas = meta_index(page_root)
        container = select_first(page_root, SELECTORS["container"])
        self._reject_non_articles(page_root, metas, container is not None)
        article_root = container if container is not None else page_root
        ld = json_ld_of_type(page_root, "NewsArticle", "Article", "ReportageNewsArticle") or {}

        meta = self._meta_list(article_root)
        title = first_text(article_root, *SELECTORS["title"]) or first_meta(metas, *METAS["title"])
        body_paragraphs, body_images = self._body(article_root)
        if title is None and not body_paragraphs:
            raise LayoutNotRecognized("no headline and no article text: not an article page, or the layout changed")

        category = meta.get("category") or self._section(metas)
        if category and category in self.config.advertorial_categories:
            raise NotAnArticle(f"advertorial (category «{category}»)")

        lead = first_text(article_root, *SELECTORS["lead"])
        published = self._published(metas, ld, meta.get("published"), url)
        modified = _first_timestamp(metas.get(METAS["modified_time"][0], []) + metas.get(METAS["modified_time"][1], []),
                                    ld.get("dateModified"), url)
        return Article(
            site=self.config.key,
            url=own_url(first_text(page_root, SELECTORS["canonical"]) or first_meta(metas, *METAS["canonical"]), url,
                        self._hosts, base),
            news_id=self._news_id(metas, meta.get("news_id"), url),
            title=title,
            kicker=first_text(article_root, *SELECTORS["kicker"]),
            lead=lead,
            body="\n\n".join(body_paragraphs) or None,
            published_at=to_tehran_iso(published) if published else None,
            published_jalali=to_jalali_string(published) if published else None,
            modified_at=to_tehran_iso(modified) if modified else None,
            category=category,
            categories=[category] if category else [],
            reporter_code=_digits_only(meta.get("reporter_code")),
            editor=self._editor(article_root),
            province=self._province(lead, category),
            tags=self._tags(article_root, metas),
            images=_images(select(article_root, SELECTORS["main_image"]) + body_images, title, base),
        )

    # -- page kind ---------------------------------------------------------------------------------------

    def _reject_non_articles(self, page_root: etree._Element, metas: dict[str, list[str]], has_container: bool) -> None:
        page_type = first_meta(metas, *METAS["page_type"])
        if page_type and page_type.lower() != "news":
            raise NotAnArticle(f"nastooh:pageType is {page_type!r}, not a news article")
        news_type = first_meta(metas, *METAS["news_type"])
        if news_type and news_type.lower() in self.config.non_article_types:
            raise NotAnArticle(f"{news_type} page (nastooh:newsType), not a text article")
        if not has_container and not select(page_root, SELECTORS["title"][0]):
            raise LayoutNotRecognized("no article markup (article#item, h1.first-title): an error or list page, "
                                      "or the site's layout changed")

    # -- meta list -----------------------------------------------------------------------------------------

    def _meta_list(self, root: etree._Element) -> dict[str, str]:
        found: dict[str, str] = {}
        for item in select(root, SELECTORS["meta_items"]):
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
        from_dateline = province_in(lead, prefix=self.config.dateline_prefix) if self.config.dateline_prefix else None
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
        for item in select(root, SELECTORS["editor"]):
            if "دبیر" in (element_text(item) or ""):
                return first_text(item, "strong")
        return None

    def _tags(self, root: etree._Element, metas: dict[str, list[str]]) -> list[str]:
        tags = [element_text(link) for link in select(root, SELECTORS["tags"])]
        if not any(tags):
            keywords = first_meta(metas, *METAS["keywords"]) or ""
            tags = [tidy(keyword) for keyword in keywords.split(",")]
        return unique(tags)

    # -- dates -----------------------------------------------------------------------------------------------

    def _published(self, metas: dict[str, list[str]], ld: dict, shown: str | None, url: str) -> datetime | None:
        """The publication time: the machine-readable one when it agrees with the date shown to readers,
        else the shown one (what readers and the archive see), with a warning naming both."""
        visible, has_time = None, False
        if shown:
            try:
                visible, has_time = parse_jalali(shown)
            except DateParseError as error:
                logger.warning("%s: unreadable publication date on the page: %s", url, error)
        candidates = [value for key in METAS["published_time"] for value in metas.get(key, ())]
        machine = _first_timestamp(candidates, ld.get("datePublished"), url)
        if machine and visible and not has_time:
            # A shown day without a time of day: the machine time wins when it falls on that day.
            if tehran_jalali_day(machine) == tehran_jalali_day(visible):
                return machine
        if machine and visible and abs((machine.replace(second=0, microsecond=0) - visible).total_seconds()) >= _SAME_MINUTE:
            logger.warning("%s: page shows %s but metadata says %s; using the date shown on the page",
                           url, to_tehran_iso(visible), to_tehran_iso(machine))
            return visible
        return machine or visible

    # -- body and images -----------------------------------------------------------------------------------------

    def _body(self, root: etree._Element) -> tuple[list[str], list[etree._Element]]:
        container = select_first(root, *SELECTORS["body"])
        if container is None:
            return [], []
        # The end marker («انتهای پیام») and what follows it are the cleaning stage's to cut (pipelines/rules).
        return paragraphs(container), list(container.iter("img"))


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


def _images(nodes: list[etree._Element], title: str | None, base: str) -> list[Image]:
    """Images in page order, each once; the caption is the figure's caption or the alt text, unless that only
    repeats the headline (the CMS puts the headline into alt)."""
    images: dict[str, Image] = {}
    for image in nodes:
        src = absolute(image.get("src") or image.get("data-src"), base)
        if not src or src in images:
            continue
        figure = next(image.iterancestors("figure"), None)
        caption = first_text(figure, "figcaption") or tidy(image.get("alt"))
        images[src] = Image(url=src, caption=None if caption == title else caption)
    return list(images.values())


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

