"""Where a site's articles are listed, for a site of any family: its feeds, its sitemaps and its home page. Pure:
page or file in, links out (no Scrapy, no network, no clock). crawler/spiders/discovery.py fetches them in turn.

- Feeds: the `<link rel="alternate">` of the home page (RSS 2.0 and Atom), each item's link, id and date.
- Sitemaps: the `Sitemap:` lines of robots.txt (Scrapy's own reader), else /sitemap.xml; a sitemap index's
  sitemaps with their `lastmod`, a sitemap's pages with their `lastmod` or the news sitemap's
  `news:publication_date` (Google's news extension, which most Persian agencies serve for the last two days).
- The home page: its links to pages of the site that look like articles (`looks_like_article`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime
from io import BytesIO
from urllib.parse import unquote, urlsplit

from lxml import etree
from scrapy.utils.sitemap import sitemap_urls_from_robots

from crawler.dates import TEHRAN, tehran_time
from crawler.record import article_url
from crawler.sites.html import Page, absolute, page_base, root_of, select


@dataclass(frozen=True)
class ListedArticle:
    """An article as a listing (an archive or home page, a feed, a sitemap) shows it."""

    url: str  # without tracking parameters or fragment (article_url): the URL that is fetched
    news_id: str | None  # None when the listing does not give it (the record's own id decides then)
    listed_at: datetime | None  # the absolute time the listing gives, when it gives one

    def __post_init__(self) -> None:
        object.__setattr__(self, "url", article_url(self.url))


@dataclass(frozen=True)
class Listing:
    """What a listing page (an archive page, a home page) holds: its articles in order, and the next page's URL."""

    articles: list[ListedArticle]
    next_url: str | None


@dataclass(frozen=True)
class Sitemap:
    """A sitemap file: the sitemaps it names (a sitemap index, with each one's lastmod) and the pages it lists."""

    sitemaps: list[tuple[str, datetime | None]]
    pages: list[ListedArticle]
    is_news: bool  # a news sitemap (its pages carry news:publication_date)


FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/rss", "application/xml", "text/xml")

# Paths of a site that are no article: sections, tags, authors, search, feeds, files.
NOT_ARTICLE_SEGMENTS = frozenset({
    "tag", "tags", "category", "categories", "author", "authors", "search", "page", "feed", "rss", "archive",
    "archives", "service", "services", "section", "sections", "wp-content", "wp-admin", "wp-json", "wp-includes",
    "login", "register", "contact", "about", "contact-us", "about-us", "video", "videos", "photo", "photos",
    "gallery", "galleries", "multimedia", "podcast", "live", "weather", "newspaper", "newspapers", "sitemap",
    "newspapertoc", "toc",  # an issue's table of contents (magiran: /newspapertoc/<issue>)
})
NOT_ARTICLE_ENDINGS = (".jpg", ".jpeg", ".png", ".gif", ".webp", ".svg", ".pdf", ".mp3", ".mp4", ".zip", ".rar",
                       ".xml", ".rss", ".css", ".js", ".apk", ".doc", ".docx", ".xls", ".xlsx")
_ID_IN_PATH = re.compile(r"(?:^|/|=)\d{4,}(?:[/?#&.-]|$)")
# A news code in an article's URL: a run of four digits or more as a path segment (or its start), or a
# `nn=`/`id=` query value (Fars's old newstext.php?nn=13930418000123).
NEWS_ID_IN_URL = re.compile(r"(?:[?&](?i:nn|id|newsid|news_id)=|/)(\d{4,})(?=[/?#&.]|$)")

# XML as Scrapy's sitemap reader parses it (recover, no entities, no network). Scrapy's reader itself is not used
# for sitemaps because it keeps only each entry's direct children, and the news extension's date is a grandchild.
_XML = {"recover": True, "resolve_entities": False, "no_network": True, "remove_comments": True, "huge_tree": False}


# -- feeds ---------------------------------------------------------------------------------------------------------

def feed_links(page: Page, url: str) -> list[str]:
    """The feeds a page declares with <link rel="alternate" type="application/rss+xml"> (or Atom), in page order."""
    root = root_of(page, url)
    base = page_base(root, url)
    found = []
    for link in select(root, 'link[rel~="alternate"][href]'):
        kind = (link.get("type") or "").split(";")[0].strip().lower()
        if kind in FEED_TYPES:
            href = absolute(link.get("href"), base)
            if href and href not in found:
                found.append(href)
    return found


def feed_entries(body: bytes, url: str, news_id_of: Callable[[str], str | None] | None = None) -> list[ListedArticle]:
    """The items of an RSS 2.0 or Atom feed, in its order: link, id (a WordPress guid's ?p=, else ``news_id_of`` of
    the link) and date. [] for a file that is no feed."""
    root = _xml_root(body)
    if root is None:
        return []
    entries = []
    for item in root.iter():
        name = _local(item)
        if name not in ("item", "entry"):
            continue
        children = {_local(child): child for child in reversed(list(item))}  # the first of each name
        if name == "item":
            link = absolute(_text(children.get("link")), url)
            guid = _text(children.get("guid")) or ""
            when = _rss_date(_text(children.get("pubDate"))) or _iso_date(_text(children.get("date")))
        else:
            hrefs = [child.get("href") for child in item if _local(child) == "link"
                     and child.get("rel", "alternate") == "alternate"]
            link = absolute(hrefs[0], url) if hrefs else None
            guid = _text(children.get("id")) or ""
            when = _iso_date(_text(children.get("published"))) or _iso_date(_text(children.get("updated")))
        if link:
            post_id = _wordpress_post_id(guid)
            entries.append(ListedArticle(link, post_id or (news_id_of(link) if news_id_of else None), when))
    return entries


# -- sitemaps ------------------------------------------------------------------------------------------------------

def robots_sitemaps(robots: bytes, url: str) -> list[str]:
    """The sitemaps robots.txt names (its `Sitemap:` lines), absolute, in its order."""
    return list(dict.fromkeys(link for line in sitemap_urls_from_robots(robots, base_url=url)
                              if (link := absolute(line, url))))


def read_sitemap(body: bytes, url: str, news_id_of: Callable[[str], str | None] | None = None) -> Sitemap:
    """A sitemap index's sitemaps or a sitemap's pages (empty for a file that is neither)."""
    root = _xml_root(body)
    sitemaps: list[tuple[str, datetime | None]] = []
    pages: list[ListedArticle] = []
    is_news = False
    if root is None:
        return Sitemap(sitemaps, pages, is_news)
    for entry in root:
        kind = _local(entry)
        if kind not in ("url", "sitemap"):
            continue
        loc = lastmod = published = None
        for child in entry.iter():
            name = _local(child)
            if name == "loc" and loc is None:
                loc = absolute(_text(child), url)
            elif name == "lastmod":
                lastmod = _iso_date(_text(child))
            elif name == "publication_date":
                published = _iso_date(_text(child))
                is_news = True
        if not loc:
            continue
        if kind == "sitemap":
            sitemaps.append((loc, lastmod))
        else:
            pages.append(ListedArticle(loc, news_id_of(loc) if news_id_of else None, published or lastmod))
    return Sitemap(sitemaps, pages, is_news)


# -- the home page -------------------------------------------------------------------------------------------------

def article_links(page: Page, url: str, hosts: set[str]) -> list[str]:
    """The page's links to pages of the site (``hosts``: lower-case host names) that look like articles, once each,
    in page order, without their #fragment; not those of an advertisement box, nor those of a menu (a list of links
    most of which are not articles: sections, whose one long name looks like an article's slug)."""
    root = root_of(page, url)
    base = page_base(root, url)
    candidates: list[tuple[object, str]] = []
    for anchor in select(root, "a[href]"):
        link = absolute(anchor.get("href"), base)
        if link and not in_advertisement(anchor):
            link = link.split("#", 1)[0]
            if looks_like_article(link, hosts) and link.rstrip("/") != url.rstrip("/"):
                candidates.append((anchor, link))
    menus: dict[object, bool] = {}
    found: dict[str, None] = {}
    for anchor, link in candidates:
        if not in_menu(anchor, base, hosts, menus):
            found.setdefault(link, None)
    return list(found)


MENU_MIN_LINKS = 4  # a list of fewer links is too short to tell a menu from a short list of stories


def in_menu(anchor, base: str, hosts: set[str], menus: dict) -> bool:
    """Whether the anchor is an item of a menu: the nearest list (ul, ol) around it holds MENU_MIN_LINKS links or
    more, and fewer than half of them look like articles. (``menus`` remembers each list's answer.)"""
    nearest = next(anchor.iterancestors("ul", "ol"), None)
    if nearest is None:
        return False
    if nearest not in menus:
        links = [absolute(href, base) for href in select(nearest, "a[href]::attr(href)")]
        articles = sum(1 for link in links if link and looks_like_article(link.split("#", 1)[0], hosts))
        menus[nearest] = len(links) >= MENU_MIN_LINKS and articles * 2 < len(links)
    return menus[nearest]


# Words of a class or id that mark an advertisement box («each_home_adv», «owl_adv», «ads-box», «sponsored»): a link
# in one leads to an advertiser's page on the site (shora-gc.ir's home page links /fa/news/5758 from #owl_adv), not to
# news. Whole words only: «advanced», «header», «banner» (often the top news) are not.
_AD_WORDS = frozenset(("adv", "advs", "ads", "advert", "adverts", "advertise", "advertisement", "advertising",
                       "sponsor", "sponsored", "tabligh", "tablighat"))
_WORD_SPLIT = re.compile(r"[\s_\-]+")


def in_advertisement(element) -> bool:
    """Whether the element sits in an element whose class or id names an advertisement."""
    for node in (element, *element.iterancestors()):
        names = f"{node.get('class') or ''} {node.get('id') or ''}".lower()
        if names.strip() and _AD_WORDS.intersection(_WORD_SPLIT.split(names)):
            return True
    return False


def looks_like_article(url: str, hosts: set[str]) -> bool:
    """Whether a URL on the site looks like one article's page: not the home page, not a section, tag, author,
    search or feed page, not a file; and either a number of four digits or more in its path or query (the news
    code most Persian sites put there), or a long slug (four words or more joined by hyphens, 30 characters or
    more). A heuristic, for home-page links and general sitemaps; feeds and news sitemaps list articles only."""
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
    except ValueError:
        return False
    if host not in hosts and host.removeprefix("www.") not in {name.removeprefix("www.") for name in hosts}:
        return False
    path = unquote(parts.path)
    segments = [segment for segment in path.split("/") if segment]
    if not segments or path.lower().endswith(NOT_ARTICLE_ENDINGS):
        return False
    if any(segment.lower() in NOT_ARTICLE_SEGMENTS for segment in segments[:-1] or segments):
        return False
    if _ID_IN_PATH.search(path + ("?" + parts.query if parts.query else "")):
        return True
    slug = segments[-1]
    return slug.count("-") >= 3 and len(slug) >= 30


def news_id_in_url(url: str, pattern: re.Pattern = NEWS_ID_IN_URL) -> str | None:
    """The news code in an article's URL: the longest match of ``pattern``, leaving out the year of a date path
    (/2023/05/slug/), which many sites have and no article's id is."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    path = unquote(parts.path)
    found = [digits for digits in pattern.findall(path + ("?" + parts.query if parts.query else ""))
             if not (len(digits) == 4 and re.search(rf"/{digits}/\d{{1,2}}(?:/|$)", path))]
    if found:
        return max(found, key=len)
    code = _LETTERED_CODE.search(path)
    return code.group(1) if code else None


# A code of letters and digits right after a news path segment (/news/aB3xZ/slug): both kinds of character, so that
# a slug or a section name (/news/politics/) is never taken for one.
_LETTERED_CODE = re.compile(r"/(?:news|article|content|post|story|n)/((?=[0-9A-Za-z]*[0-9])(?=[0-9A-Za-z]*[A-Za-z])"
                            r"[0-9A-Za-z]{4,16})(?=[/?#.]|$)", re.IGNORECASE)


# -- reading -------------------------------------------------------------------------------------------------------

def _xml_root(body: bytes) -> etree._Element | None:
    if not body or body.lstrip()[:1] != b"<":
        return None
    try:
        return etree.parse(BytesIO(body), etree.XMLParser(**_XML)).getroot()
    except etree.LxmlError:
        return None


def _local(node) -> str:
    tag = node.tag
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


def _text(node) -> str | None:
    if node is None:
        return None
    text = "".join(node.itertext()).strip()
    return text or None


def _wordpress_post_id(guid: str) -> str | None:
    """WordPress's permanent item id: the guid http://site/?p=123."""
    marker = "?p="
    if marker in guid:
        digits = guid.split(marker, 1)[1].split("&")[0]
        return digits if digits.isdigit() else None
    return None


def _rss_date(value: str | None) -> datetime | None:
    """An RFC 822 date (RSS pubDate)."""
    try:
        moment = parsedate_to_datetime(value) if value else None
    except (TypeError, ValueError, OverflowError, IndexError):
        return None
    if moment is not None and moment.tzinfo is None:
        moment = moment.replace(tzinfo=TEHRAN)
    return moment


def _iso_date(value: str | None) -> datetime | None:
    """A W3C datetime (sitemaps, Atom, dc:date): a date alone, or a time with its offset; Tehran's when none."""
    if not value:
        return None
    moment = tehran_time(value)
    if moment is None:
        try:
            moment = datetime.fromisoformat(value.strip()[:10])
        except ValueError:
            return None
    return moment if moment.tzinfo else moment.replace(tzinfo=TEHRAN)
