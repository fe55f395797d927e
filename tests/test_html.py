"""The HTML helpers the extractors share: CSS queries compiled once."""


from lxml import etree, html
from parsel import Selector

from crawler.sites.html import select
from crawler.sites.nastooh import NastoohParser
from crawler.sites.wordpress import WordPressParser
from tests.helpers import ROOT
from tests.mocksite.site import MockSite, render_article
from tests.mockwp.site import MockWordPress


def pages() -> list[etree._Element]:
    found = [html.fromstring(path.read_bytes()) for path in sorted((ROOT / "tests" / "fixtures" / "isna").glob("*.html"))]
    site = MockSite()
    found += [html.fromstring(render_article(spec)) for spec in site.newest_first()[:6]]
    wordpress_site = MockWordPress()
    found += [html.fromstring(wordpress_site.post_page(post, "http://127.0.0.1")) for post in wordpress_site.posts[:3]]
    return found


def queries() -> list[str]:
    found = [query for name in NastoohParser.SELECTORS for query in getattr(NastoohParser, name)]
    for name in ("post", "title", "body", "lead", "published", "modified", "date", "author", "tags", "categories",
                 "featured_image", "description"):
        found += list(getattr(WordPressParser, name))
    return found + list(WordPressParser.BODY_JUNK) + [
        "li:first-child", "p:nth-of-type(2)", "div.item-text p:last-child", "a[title='x and y']", "ul.tags li a",
        "meta[property='og:title']", ".kicker", "div.meta-news li .text-meta", "header .kicker, .item-title .kicker",
        "h1 + p.summary", "h2.kicker + h1",
    ]


def test_compiled_queries_find_exactly_what_parsel_finds_on_real_and_mock_pages():
    """select() compiles each query once and hands back lxml results; parsel's Selector.css is the reference,
    pseudo-elements (::attr, ::text) included."""
    compared = found = 0
    for page in pages():
        selector = Selector(root=page)
        for query in queries() + ["meta::attr(content)", "h1::text", "a[rel~='tag']::text"]:
            expected = [result.root for result in selector.css(query)]
            assert select(page, query) == expected, query
            compared += 1
            found += bool(expected)
    assert compared > 500 and found > 200  # the comparison covers queries that match
