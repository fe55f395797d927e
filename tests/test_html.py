"""The HTML helpers the extractors share: CSS queries compiled to chained-predicate XPath."""

from pathlib import Path

import pytest
from lxml import etree, html
from parsel.csstranslator import HTMLTranslator

from crawler.sites import nastooh, wordpress
from crawler.sites.html import css_to_xpath, select
from tests.mocksite.site import MockSite, render_article
from tests.mockwp.site import MockWordPress

ROOT = Path(__file__).resolve().parent.parent


def pages() -> list[etree._Element]:
    found = [html.fromstring(path.read_bytes()) for path in sorted((ROOT / "tests" / "fixtures" / "isna").glob("*.html"))]
    site = MockSite()
    found += [html.fromstring(render_article(spec)) for spec in site.newest_first()[:6]]
    wordpress_site = MockWordPress()
    found += [html.fromstring(wordpress_site.post_page(post, "http://127.0.0.1")) for post in wordpress_site.posts[:3]]
    return found


def queries() -> list[str]:
    found = []
    for selectors in (nastooh.SELECTORS, wordpress.SELECTORS):
        for value in selectors.values():
            found += [value] if isinstance(value, str) else list(value)
    return found + list(wordpress.BODY_JUNK) + [
        "li:first-child", "p:nth-of-type(2)", "div.item-text p:last-child", "a[title='x and y']", "ul.tags li a",
        "meta[property='og:title']", ".kicker", "div.meta-news li .text-meta", "header .kicker, .item-title .kicker",
        "h1 + p.summary", "h2.kicker + h1",
    ]


def test_chained_queries_find_exactly_what_cssselect_finds_on_real_and_mock_pages():
    translator = HTMLTranslator()
    compared = found = 0
    for page in pages():
        for query in queries():
            expected = etree.XPath(translator.css_to_xpath(query))(page)
            assert etree.XPath(css_to_xpath(query))(page) == expected, query
            assert select(page, query) == expected, query
            compared += 1
            found += bool(expected)
    assert compared > 500 and found > 200  # the comparison covers queries that match


@pytest.mark.parametrize(("query", "chained"), [
    (".kicker", "descendant-or-self::*[@class][contains(@class, 'kicker')][contains(concat(' ', normalize-space(@class), ' '), ' kicker ')]"),
    ("a[title='x and y']", "descendant-or-self::a[@title = 'x and y']"),
    ("li:first-child", "descendant-or-self::li[count(preceding-sibling::*) = 0]"),
])
def test_conjunctions_become_chains_and_nothing_else_changes(query, chained):
    assert css_to_xpath(query) == chained


def test_a_conjunction_with_position_stays_whole():
    """`h1 + p.summary` is the first following sibling, if it is a p.summary: as a chain it would be the first
    p.summary among the following siblings."""
    original = HTMLTranslator().css_to_xpath("h1 + p.summary")
    assert "position() = 1" in original and css_to_xpath("h1 + p.summary") == original
    page = html.fromstring("<div><h1>t</h1><p>x</p><p class='summary'>s</p></div>")
    assert select(page, "h1 + p.summary") == []
