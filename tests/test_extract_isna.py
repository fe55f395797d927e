"""The ISNA extractor on real ISNA pages (tests/fixtures/isna, see PROVENANCE.md there).

Each real page's record is compared field by field with the expected JSON beside it (tests/fixtures/isna/*.expected.json), written
out in full and checked by eye against the page. Variants of the real page (parts removed, meta list reordered)
check that extraction does not depend on optional parts or on the order of the meta list.
"""

import dataclasses
import json
from pathlib import Path

import lxml.html
import pytest

from crawler.sites import NotAnArticle, parser_for, registered_site
from pipelines.reprocess import process_record

extract = parser_for(registered_site("isna")).article  # the ISNA parser's article reader

FIXTURES = Path(__file__).parent / "fixtures"
PAGES = ["isna_article_95102918901_fetched2017-05-29", "isna_article_95102918901_fetched2025-03-20"]
URL = "http://www.isna.ir/news/95102918901/روانچی-در-ارتباط-با-مواضع-نامناسب-اخیر-مقامات-انگلیسی-در-مورد"


def real_page(name: str) -> str:
    return (FIXTURES / "isna" / f"{name}.html").read_text(encoding="utf-8")


def expected_record(name: str) -> dict:
    expected = json.loads((FIXTURES / "isna" / f"{name}.expected.json").read_text(encoding="utf-8"))
    expected["body"] = "\n\n".join(expected["body"])
    return expected


def record_of(html: str, url: str = URL) -> dict:
    return dataclasses.asdict(process_record(extract(html, url))[0])


def edited(html: str, *remove: str, reverse: str | None = None) -> str:
    """The page with the elements matching the CSS selectors removed (and the children of ``reverse`` reversed)."""
    tree = lxml.html.fromstring(html)
    for query in remove:
        for element in tree.cssselect(query):
            element.getparent().remove(element)
    if reverse:
        for element in tree.cssselect(reverse):
            children = list(element)
            for child in children:
                element.remove(child)
            for child in reversed(children):
                element.append(child)
    return lxml.html.tostring(tree, encoding="unicode")


@pytest.mark.parametrize("name", PAGES)
def test_real_page_matches_expected_record(name):
    record = record_of(real_page(name))
    expected = expected_record(name)
    for field in expected:
        assert record[field] == expected[field], field
    assert record.keys() == expected.keys()


@pytest.mark.parametrize("name", PAGES)
def test_body_is_the_nine_story_paragraphs_and_nothing_else(name):
    paragraphs = record_of(real_page(name))["body"].split("\n\n")
    assert len(paragraphs) == 9
    assert paragraphs[0].startswith("مجید تخت روانچی در گفت‌وگو با خبرنگار ایسنا،")
    assert paragraphs[-1].startswith("مشروح گفت‌وگوی مجید تخت روانچی")
    body = "\n\n".join(paragraphs)
    for junk in ("انتهای پیام", "نظرات", "لطفا عدد مقابل", "لینکستان", "اخبار مرتبط", "لینک کوتاه", "برچسب",
                 "captcha", "شما در حال پاسخ", "رزرو هتل", "سفیر انگلیس به وزارت امور خارجه احضار شد"):
        assert junk not in body


@pytest.mark.parametrize("name", PAGES)
def test_published_time_is_the_machine_time_in_tehran(name):
    record = record_of(real_page(name))
    # article:published_time 2017-01-18T11:29:36Z; the page shows ۲۹ دی ۱۳۹۵ / ۱۴:۵۹.
    assert record["published_at"] == "2017-01-18T14:59:36+03:30"
    assert record["published_jalali"] == "1395-10-29T14:59"


def test_optional_parts_missing():
    html = edited(real_page(PAGES[1]), "h2.kicker", "li:has(i.fa-microphone)", "figure.item-img",
                  'script[type="application/ld+json"]', "ul.author-id", "footer.tags")
    record = record_of(html)
    assert record["kicker"] is None
    assert record["reporter_code"] is None
    assert record["images"] == []
    assert record["editor"] is None
    # Without the tag list, the keywords meta (the same tags) is used.
    assert record["tags"] == expected_record(PAGES[1])["tags"]
    assert record["title"] == expected_record(PAGES[1])["title"]
    assert record["published_at"] == "2017-01-18T14:59:36+03:30"
    assert len(record["body"].split("\n\n")) == 9


def test_meta_list_order_does_not_matter():
    html = edited(real_page(PAGES[0]), reverse="div.meta-news ul")
    record = record_of(html)
    expected = expected_record(PAGES[0])
    for field in ("news_id", "category", "reporter_code", "published_at"):
        assert record[field] == expected[field]


def test_only_the_visible_date_left():
    html = edited(real_page(PAGES[1]), 'meta[property="article:published_time"]', 'meta[itemprop="datePublished"]',
                  'script[type="application/ld+json"]')
    record = record_of(html)
    assert record["published_at"] == "2017-01-18T14:59:00+03:30"
    assert record["published_jalali"] == "1395-10-29T14:59"


def test_only_the_machine_date_left():
    html = edited(real_page(PAGES[0]), "li:has(i.fa-calendar-o)")
    assert record_of(html)["published_at"] == "2017-01-18T14:59:36+03:30"


def test_no_date_at_all_gives_no_date_not_a_guess():
    html = edited(real_page(PAGES[0]), "li:has(i.fa-calendar-o)", 'meta[property="article:published_time"]',
                  'meta[itemprop="datePublished"]')
    record = record_of(html)
    assert record["published_at"] is None
    assert record["published_jalali"] is None


def test_visible_date_wins_when_metadata_disagrees(caplog):
    html = real_page(PAGES[1]).replace('content="2017-01-18T11:29:36Z"', 'content="2017-01-19T08:00:00Z"')
    html = html.replace('"datePublished":"2017-01-18T11:29:36Z"', '"datePublished":"2017-01-19T08:00:00Z"')
    record = record_of(html)
    assert record["published_at"] == "2017-01-18T14:59:00+03:30"
    assert "page shows 2017-01-18T14:59:00+03:30 but metadata says 2017-01-19T11:30:00+03:30" in caplog.text


def test_news_id_falls_back_to_meta_then_url():
    html = edited(real_page(PAGES[1]), "li:has(i.fa-newspaper-o)")
    assert record_of(html)["news_id"] == "95102918901"
    html = html.replace('<meta property="nastooh:code" content="95102918901" />', "")
    assert record_of(html, "http://www.isna.ir/news/95102918901/")["news_id"] == "95102918901"


def test_provincial_lead_keeps_its_dateline_and_body_markup_variants():
    html = real_page(PAGES[1]).replace(
        '<p class="summary" itemprop="description">',
        '<p class="summary" itemprop="description"><span class="src">ایسنا/کرمان </span>',
    ).replace(
        '<p>وی با اشاره به',
        '<div><h3>میان‌تیتر</h3>سطر اول<br/>سطر دوم<table><tr><td>الف</td><td>ب</td></tr></table>'
        '<figure><img src="/d/2023/1.jpg" alt="عکس" /><figcaption>شرح عکس</figcaption></figure></div><p>وی با اشاره به',
    )
    record = record_of(html)
    assert record["lead"].startswith("ایسنا/کرمان معاون اروپا و آمریکای")
    paragraphs = record["body"].split("\n\n")
    assert paragraphs[5:9] == ["میان‌تیتر", "سطر اول", "سطر دوم", "الف ب"]
    assert len(paragraphs) == 13
    assert record["images"][1] == {"url": "http://www.isna.ir/d/2023/1.jpg", "caption": "شرح عکس"}


@pytest.mark.parametrize(("html", "reason"), [
    (real_page("isna_homepage_fetched2017-05-23"), "no article markup"),
    ("<html><body><h1>خبر مورد نظر یافت نشد</h1></body></html>", "no article markup"),
    ("", "no article markup"),
    ("<html><head><meta property='nastooh:pageType' content='archive'/></head><body></body></html>",
     "pageType is 'archive'"),
    (real_page(PAGES[1]).replace('content="talk"', 'content="photo"'), "photo page"),
    (real_page(PAGES[1]).replace('سیاست خارجی\n', 'رپرتاژ آگهی\n'), "advertorial"),
    ("<html><body><article id='item'><div class='meta-news'></div></article></body></html>", "no headline and no article text"),
])
def test_pages_that_are_not_articles_are_refused_with_a_reason(html, reason):
    with pytest.raises(NotAnArticle, match=reason):
        extract(html, "http://www.isna.ir/news/1/")


def test_broken_html_still_extracts_what_is_there():
    html = real_page(PAGES[1])
    truncated = html[: html.index("<p>قاسمی اضافه کرد")]  # the download stopped mid-page
    record = record_of(truncated)
    assert record["title"] == expected_record(PAGES[1])["title"]
    assert len(record["body"].split("\n\n")) == 6


@pytest.mark.parametrize(("dateline", "category", "province"), [
    ('<span class="src">ایسنا/خوزستان </span>', "سیاست خارجی", "خوزستان"),
    ('<span class="src">ایسنا/کرمانشاه </span>', "سیاست خارجی", "کرمانشاه"),  # not «کرمان»
    ('<span class="src">ایسنا/آذربایجان شرقی </span>', "سیاست خارجی", "آذربایجان شرقی"),
    ("", "کرمان", "کرمان"),  # a provincial category
    ("", "سیاست خارجی", None),
    ('<span class="src">ایسنا/کرمانی‌ها </span>', "سیاست خارجی", None),
])
def test_province_from_the_dateline_or_a_provincial_category(dateline, category, province):
    html = real_page(PAGES[1]).replace('<p class="summary" itemprop="description">',
                                       f'<p class="summary" itemprop="description">{dateline}')
    html = html.replace("سیاست خارجی\n", f"{category}\n")
    assert record_of(html)["province"] == province
