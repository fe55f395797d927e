"""WordPress news sites: a post from the REST API (JSON) or from its page (HTML) into an Article.

Both routes read the post body with the same code and drop the same plugin junk, so one post comes out the same
way whichever route the spider took. From HTML, what WordPress and SEO plugins generate (JSON-LD,
article:published_time, .entry-content, time[datetime], rel="tag") is read before theme-specific selectors from
the registry. Persian themes often print Jalali dates, even inside time@datetime: crawler/dates.py tells them apart.
"""

from __future__ import annotations

import copy
import itertools
import logging
import re
from datetime import UTC, datetime

from lxml import etree
from lxml import html as lxml_html

from crawler.dates import (
    DateParseError,
    parse_iso_datetime,
    parse_jalali_datetime,
    parse_machine_datetime,
)
from crawler.record import Article, Image
from crawler.sites import LayoutNotRecognized, NotAnArticle
from crawler.sites.discovery import ListedArticle, feed_entries, read_sitemap
from crawler.sites.family import Reading
from crawler.sites.generic import GenericParser
from crawler.sites.html import (
    XML_INCOMPATIBLE,
    absolute,
    element_text,
    first_text,
    own_url,
    paragraphs,
    remove_keeping_tail,
    select,
    select_first,
    unique,
)
from crawler.text import tidy

logger = logging.getLogger(__name__)

# An excerpt WordPress made itself (the first 55 words and an ellipsis) is not a lead.
_AUTO_EXCERPT = re.compile(r"(\[…\]|\[\.\.\.\]|…|\.\.\.)\s*$")
_POST_ID_CLASS = re.compile(r"\bpostid-(\d+)\b")
_POST_ID = re.compile(r"(?:[?&]p=|post-)(\d+)\b")



class WordPressParser(GenericParser):
    """Reads the posts of one WordPress site, from the REST API (JSON) or their pages (HTML), and its feed and sitemaps;
    built once per site, every method is pure. The site's own selectors (registry [<key>.selectors]) are tried before
    the family's (SITE_FIRST)."""

    # What WordPress core, common themes and SEO plugins print; a registry entry's are tried first.
    post = ('article[id^="post-"]', "article.post", "article", "main", "body")  # the post's element
    title = ("h1.entry-title", "h1.post-title", "h1.single-title", "article h1", "h1",
             'meta[property="og:title"]::attr(content)')
    body = (".entry-content", ".post-content", ".single-content", ".td-post-content", '[itemprop="articleBody"]',
            ".content-inner")
    body_exclude: tuple[str, ...] = ()  # the entry's: related posts, share boxes of its theme
    lead = (".entry-summary", ".post-excerpt", ".lead")
    published = ('meta[property="article:published_time"]::attr(content)', "time.entry-date.published::attr(datetime)",
                 "time.published::attr(datetime)", "time.entry-date::attr(datetime)", "time::attr(datetime)")
    modified = ('meta[property="article:modified_time"]::attr(content)', "time.updated::attr(datetime)")
    date = (".entry-date", ".post-date", ".posted-on", "time")  # a shown (possibly Jalali) date
    author = ('meta[name="author"]::attr(content)', 'a[rel="author"]', ".author .fn", ".author-name", ".byline a")
    tags = ('a[rel~="tag"]:not([rel~="category"])',)
    categories = ('a[rel~="category"]',)
    featured_image = ("img.wp-post-image",)
    description = ('meta[name="description"]::attr(content)', 'meta[property="og:description"]::attr(content)')
    # What a registry entry's [<key>.selectors] may set (crawler/sites/sites.toml).
    SELECTORS = ("title", "lead", "body", "date", "author", "tags", "body_exclude")
    FACTS = ()
    SITE_FIRST = True

    # Inside the body: plugin output that is never article text (share buttons, related posts, comments, ads).
    BODY_JUNK = (
        ".sharedaddy", ".jp-relatedposts", ".yarpp-related", ".crp_related", ".related-posts", ".related_posts",
        ".addtoany_share_save_container", ".a2a_kit", ".share-buttons", ".post-share", ".social-share", ".heateor_sss_sharing_container",
        "#comments", ".comments-area", ".comment-respond", ".post-views", ".printfriendly", ".wp-block-buttons",
        ".adsbygoogle", ".ads", ".advertisement",
        # themes and plugins we have not seen name their boxes alike
        '[class*="related"]', '[class*="share"]', '[class*="social"]', '[class*="comment"]', '[id*="comment"]',
        '[class*="yarpp"]',
    )

    def rest_article(self, post: dict, terms: dict[int, str] | None = None,
                     authors: dict[int, str] | None = None) -> Article:
        """A post of /wp/v2/posts (with _embed, or with `terms` and `authors`: names by id looked up separately).

        The JSON is read defensively: a field of the wrong type (a number for a date, a list for a name, an object for
        a list) counts as missing, so a broken or hostile API gives a record without that field or NotAnArticle, never
        an exception."""
        site = self.site
        if not isinstance(post, dict):
            raise NotAnArticle(f"not a post object: {str(post)[:80]}")
        post_id = post.get("id") if isinstance(post.get("id"), int) and not isinstance(post.get("id"), bool) else None
        embedded = post.get("_embedded") if isinstance(post.get("_embedded"), dict) else {}
        names = {key: value for key, value in (terms or {}).items() if isinstance(value, str)}
        categories, tags = [], []
        for term in (term for group in _dicts_or_lists(embedded.get("wp:term")) for term in _dicts(group)):
            term_id, name = term.get("id"), _string(term.get("name"))
            if name and _is_id(term_id):
                names[term_id] = name
                taxonomy = term.get("taxonomy")
                {"category": categories, "post_tag": tags}.get(taxonomy if isinstance(taxonomy, str) else "",
                                                               []).append(term_id)
        categories = categories or _ids(post.get("categories"))
        tags = tags or _ids(post.get("tags"))
        published = _rest_time(_string(post.get("date_gmt")), _string(post.get("date")))
        modified = _rest_time(_string(post.get("modified_gmt")), _string(post.get("modified")))
        title = _html_text(_rendered(post.get("title")))
        content = self.clean_body(_rendered(post.get("content")))
        body = body_paragraphs(content)
        if not title and not body:
            raise NotAnArticle(f"post {post_id} has no title and no text")
        author_id = post.get("author")
        author = tidy((authors or {}).get(author_id)) if _is_id(author_id) and isinstance((authors or {}).get(author_id), str) else None
        for person in _dicts(embedded.get("author")):
            if _string(person.get("name")):
                author = tidy(person["name"])
                break
        url = own_url(_string(post.get("link")), f"{site.base_url}/?p={post_id}" if post_id else site.base_url,
                      site.host_names)
        images = [Image(url=src, caption=tidy(_string(media.get("alt_text"))) or None)
                  for media in _dicts(embedded.get("wp:featuredmedia"))
                  if (src := absolute(media.get("source_url"), url))]
        images += _body_images(content, url)
        return self.record(
            url=url,
            news_id=str(post_id) if post_id is not None else None,
            title=title,
            lead=_lead(_html_text(_rendered(post.get("excerpt")))),
            body=body,
            published=published,
            modified=modified,
            category=_first(names.get(term) for term in categories),
            categories=unique(tidy(names.get(term)) for term in categories),
            author=author,
            province=site.province,
            tags=unique(tidy(names.get(term)) for term in tags),
            images=_unique_images(images),
        )

    def check(self, reading: Reading) -> None:
        if not reading.field("title") and not reading.field("body"):
            raise LayoutNotRecognized("no title and no post text (.entry-content): not a post page, or the layout changed")

    # A post's own page (HTML text, a parsel Selector or a parsed root element): the fields this family reads its own
    # way, from the post's element (article#post-N) first; province, reporter code and editor are the generic reading's.

    def read_url(self, reading: Reading) -> str:
        context = reading.context
        return own_url(first_text(context.root, 'link[rel="canonical"]::attr(href)'), context.url,
                       self.site.host_names, context.base)

    def read_news_id(self, reading: Reading) -> str | None:
        return _post_id(reading.context.root, self._post(reading))

    def read_title(self, reading: Reading) -> str | None:
        title = first_text(self._post(reading), *self.title) or tidy(_string(reading.context.ld.get("headline")))
        return title if title is not None else first_text(reading.context.root, *type(self).title)

    def read_kicker(self, reading: Reading) -> str | None:
        return None  # themes print no kicker WordPress knows of

    def read_lead(self, reading: Reading) -> str | None:
        return first_text(self._post(reading), *self.lead) or _lead(first_text(reading.context.root, *self.description))

    def read_body(self, reading: Reading) -> list[str]:
        return body_paragraphs(self._content(reading))

    def read_published(self, reading: Reading) -> datetime | None:
        context = reading.context
        return self._page_time(context.root, self._post(reading), context.ld.get("datePublished"), self.published,
                               context.url)

    def read_modified(self, reading: Reading) -> datetime | None:
        context = reading.context
        return self._page_time(context.root, self._post(reading), context.ld.get("dateModified"), self.modified,
                               context.url, shown=False)

    def read_category(self, reading: Reading) -> str | None:
        return _first(self._category_names(reading)) or tidy(_string(reading.context.ld.get("articleSection")))

    def read_categories(self, reading: Reading) -> list[str]:
        return (unique(tidy(name) for name in self._category_names(reading))
                or unique([tidy(_string(reading.context.ld.get("articleSection")))]))

    def read_author(self, reading: Reading) -> str | None:
        return (_ld_author(reading.context.ld) or first_text(self._post(reading), *self.author)
                or first_text(reading.context.root, *type(self).author[:1]))

    def read_source(self, reading: Reading) -> str | None:
        return None  # a «منبع:» line, which the cleaning stage moves here

    def read_tags(self, reading: Reading) -> list[str]:
        post, page_root = self._post(reading), reading.context.root
        tags = [element_text(node) for node in select(post, self.tags[0])]
        if not any(tags) and post is not page_root:
            tags = [element_text(node) for node in select(page_root, type(self).tags[0])]
        return unique(tags)

    def read_images(self, reading: Reading) -> list[Image]:
        base = reading.context.base
        images = [Image(url=src, caption=tidy(node.get("alt")) or None)
                  for node in select(reading.context.root, self.featured_image[0])
                  if (src := absolute(node.get("src"), base))]
        return _unique_images(images + _body_images(self._content(reading), base))

    def _post(self, reading: Reading) -> etree._Element:
        """The post's own element (article#post-N), else the page."""
        def find() -> etree._Element:
            found = select_first(reading.context.root, *self.post)
            return reading.context.root if found is None else found
        return reading.once("post", find)

    def _content(self, reading: Reading) -> etree._Element | None:
        """The post's body, plugin junk and the entry's body_exclude taken out."""
        return reading.once("content", lambda: self.clean_body(self._body_node(reading.context.root,
                                                                                self._post(reading))))

    def _category_names(self, reading: Reading) -> list[str | None]:
        post, page_root = self._post(reading), reading.context.root
        return ([element_text(node) for node in select(post, self.categories[0])]
                or [element_text(node) for node in select(page_root, self.categories[0])])

    def clean_body(self, body: str | etree._Element | None) -> etree._Element | None:
        """The post body (HTML, or an element of the page) as an element tree with plugin junk and the registry's
        body_exclude removed; an element is copied, never changed."""
        if body is None or body == "":
            return None
        root = copy.deepcopy(body) if isinstance(body, etree._Element) else _fragment(body)
        for query in (", ".join(self.BODY_JUNK), *self.body_exclude):
            for node in select(root, query):
                if node is not root and node.getparent() is not None:
                    remove_keeping_tail(node)
        return root

    def _body_node(self, page_root: etree._Element, article_root: etree._Element) -> etree._Element | None:
        for query in self.body:
            for scope in _scopes(page_root, article_root):
                found = select(scope, query)
                if found:
                    return found[0]
        return None

    def _page_time(self, page_root: etree._Element, root: etree._Element, from_ld, machine_queries, url: str,
                   shown: bool = True) -> datetime | None:
        candidates = itertools.chain(  # lazily: the queries after the first readable date are never run
            [from_ld] if isinstance(from_ld, str) else [],
            (value for query in machine_queries for scope in _scopes(page_root, root) for value in select(scope, query)))
        for candidate in candidates:
            try:
                return parse_machine_datetime(candidate)
            except DateParseError as error:
                logger.debug("%s: ignoring date %r: %s", url, candidate, error)
        if not shown:
            return None
        for query in self.date:
            for node in select(root, query):
                try:
                    return parse_jalali_datetime(element_text(node) or "")
                except DateParseError:
                    continue
        return None

    # -- listings: the feed and the sitemaps ------------------------------------------------------------------------

    def feed_entries(self, body: bytes, url: str) -> list[ListedArticle]:
        """The posts of an RSS feed page, in its order, with the post id of each guid (?p=123) when it has one."""
        return feed_entries(body, url)

    def sitemap_links(self, body: bytes, url: str) -> tuple[list[str], list[str]]:
        """(the sitemaps of post URLs a sitemap index names, the page URLs a sitemap lists)."""
        sitemap = read_sitemap(body, url)
        posts = [link for link, _ in sitemap.sitemaps if any(hint in link.rsplit("/", 1)[-1] for hint in POST_SITEMAP_HINTS)]
        return posts, [page.url for page in sitemap.pages]


# Sitemaps of an index that list posts (WordPress core: wp-sitemap-posts-post-1.xml; Yoast: post-sitemap.xml).
POST_SITEMAP_HINTS = ("post", "news", "article")


# -- reading JSON of unknown shape ---------------------------------------------------------------------------------

def _string(value) -> str | None:
    """A JSON string without lone surrogates (JSON can carry them; lxml cuts the text there); None for anything
    that is not a string."""
    if not isinstance(value, str):
        return None
    return _SURROGATES.sub("", value) if _SURROGATES.search(value) else value


_SURROGATES = re.compile("[\ud800-\udfff]")


def _is_id(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _ids(value) -> list[int]:
    return [item for item in value if _is_id(item)] if isinstance(value, list) else []


def _dicts(value) -> list[dict]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _dicts_or_lists(value) -> list[list]:
    return [item for item in value if isinstance(item, list)] if isinstance(value, list) else []


# -- body ----------------------------------------------------------------------------------------------------------

def body_paragraphs(root: etree._Element | None) -> list[str]:
    return paragraphs(root) if root is not None else []


def _scopes(page_root: etree._Element, article_root: etree._Element) -> tuple[etree._Element, ...]:
    """Where to look: the post's own element, then the whole page (once, when the post has no element of its own)."""
    return (article_root,) if article_root is page_root else (article_root, page_root)


def _body_images(root: etree._Element | None, base: str) -> list[Image]:
    images = []
    for node in root.iter("img") if root is not None else []:
        src = absolute(node.get("src") or node.get("data-src"), base)
        if src:
            figure = next((parent for parent in node.iterancestors("figure")), None)
            caption_node = figure.find(".//figcaption") if figure is not None else None
            caption = tidy(caption_node.text_content()) if caption_node is not None else tidy(node.get("alt"))
            images.append(Image(url=src, caption=caption or None))
    return images


# -- dates, ids, text ------------------------------------------------------------------------------------------------

def _rest_time(gmt: str | None, local: str | None) -> datetime | None:
    """REST dates: `date_gmt` is UTC written without an offset; `date` is the site's local time (and may be
    Jalali on sites with a Jalali date plugin)."""
    for value, parse in ((gmt, lambda text: parse_iso_datetime(text, naive_zone=UTC)), (local, parse_machine_datetime)):
        if value:
            try:
                return parse(value)
            except DateParseError:
                continue
    return None


def _post_id(page_root: etree._Element, root: etree._Element) -> str | None:
    for value in (root.get("id"), *select(page_root, 'link[rel="shortlink"]::attr(href)')):
        match = _POST_ID.search(value or "")
        if match:
            return match.group(1)
    match = _POST_ID_CLASS.search(" ".join(select(page_root, "body::attr(class)")))
    return match.group(1) if match else None


def _ld_author(ld: dict) -> str | None:
    author = ld.get("author")
    if isinstance(author, list):
        author = author[0] if author else None
    if isinstance(author, dict):
        return tidy(_string(author.get("name")))
    return tidy(_string(author))


def _rendered(field) -> str:
    """The HTML of a REST field ({"rendered": ...} or a plain string); "" when it is neither."""
    value = field.get("rendered") if isinstance(field, dict) else field
    return _string(value) or ""


def _html_text(fragment: str) -> str | None:
    """The text of an HTML fragment; None when it has none (a fragment of bare markup is no title)."""
    if not fragment:
        return None
    return tidy(" ".join(paragraphs(_fragment(fragment))))


def _fragment(html: str) -> etree._Element:
    """An HTML fragment parsed into one <div>, with what XML cannot hold (NUL and other controls) left out."""
    return lxml_html.fromstring(f"<div>{XML_INCOMPATIBLE.sub('', html)}</div>")




def _lead(text: str | None) -> str | None:
    return None if not text or _AUTO_EXCERPT.search(text) else text


def _first(values) -> str | None:
    for value in values:
        value = tidy(value)
        if value:
            return value
    return None



def _unique_images(images: list[Image]) -> list[Image]:
    seen: dict[str, Image] = {}
    for image in images:
        seen.setdefault(image.url, image)
    return list(seen.values())

