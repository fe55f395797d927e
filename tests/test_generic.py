"""The generic parser's rules, each on a small page that has what real pages of unknown sites have (the stored real
pages themselves are tests/test_sites.py's): where the headline, kicker, lead, date and id are found, and what is
never taken for them."""

from __future__ import annotations

import dataclasses

import pytest

from crawler.sites import Site
from crawler.sites.generic import GenericParser, densest_block
from crawler.sites.html import paragraphs, root_of
from pipelines.reprocess import process_record

SITE = Site(key="example.ir", name="example.ir", family="generic", base_url="https://example.ir")
BODY = "".join(f"<p>پاراگراف شماره {index} متن خبر است که برای آزمون نوشته شده و چند کلمه دارد.</p>" for index in range(6))


def read(html: str, url: str = "https://example.ir/news/12345/slug") -> dict:
    return dataclasses.asdict(process_record(GenericParser(SITE).article(html, url))[0])


def page(head: str = "", header: str = "", article: str = "") -> str:
    return (f"<html><head><meta charset='utf-8'>{head}</head><body><div class='header'>{header}</div>"
            f"<article>{article}<div class='text'>{BODY}</div></article><div class='footer'>تماس با ما</div></body></html>")


def test_the_page_frame_s_clock_is_never_the_article_s_date():
    # A header clock (the day the page was fetched) and «امروز ...» are the only dates: the record has none.
    html = page(header="<span class='date'>سه‌شنبه ۲ خرداد ۱۴۰۳</span>",
                article="<h1>عنوان خبر آزمایشی برای تاریخ</h1><span class='date'>امروز ۲ خرداد ۱۴۰۳</span>")
    record = read(html)
    assert record["published_at"] is None and record["title"] == "عنوان خبر آزمایشی برای تاریخ"


def test_a_date_in_the_page_s_news_ticker_is_not_the_article_s():
    # the page's header part named first («header-news-ticker»): its dates are other news', so the machine date stands
    html = ("<html><head><meta charset='utf-8'><meta property='article:published_time' content='2017-05-18T22:57:00"
            "+04:30'></head><body><div class='header-news-ticker'><span class='date'>۱ خرداد ۱۴۰۳ - ۱۰:۰۰</span></div>"
            f"<div class='main'><h1>عنوان خبر آزمایشی برای تاریخ</h1><div class='text'>{BODY}</div></div></body></html>")
    assert read(html)["published_at"] == "2017-05-18T22:57:00+04:30"


def test_the_shown_date_nearest_the_headline_wins_over_one_further_down():
    html = page(article="<span class='date'>۱۲ خرداد ۱۴۰۳ - ۰۹:۱۵</span><h1>عنوان خبر آزمایشی برای تاریخ</h1>"
                        f"{BODY}<ul class='related'><li><span class='date'>۱ خرداد ۱۴۰۳ - ۰۸:۰۰</span></li></ul>")
    assert read(html)["published_at"] == "2024-06-01T09:15:00+03:30"


@pytest.mark.parametrize("shown", [
    # IranSamaneh's toolbar of a news item's code and date: «news_nav» names a part of the news, not the page's menu
    "<h1>عنوان خبر آزمایشی برای تاریخ</h1><div class='news_nav news_pdate_c'><span class='news_nav_title'>"
    "تاریخ انتشار: </span>پنجشنبه ۲۸ ارديبهشت ۱۳۹۶ - ۲۲:۵۷</div>",
    # an HTML5 header of the article's own (it holds the headline), outside any <article>
    "<header><h1>عنوان خبر آزمایشی برای تاریخ</h1><span class='date'>۲۸ اردیبهشت ۱۳۹۶ - ۲۲:۵۷</span></header>",
], ids=["news-toolbar", "header-of-the-article"])
def test_a_date_shown_in_a_part_of_the_article_named_like_the_page_frame_is_read(shown):
    html = (f"<html><head><meta charset='utf-8'></head><body><div class='top-header'><span class='date'>"
            f"امروز سه‌شنبه ۲ خرداد ۱۴۰۳</span></div><div class='main'>{shown}<div class='text'>{BODY}</div></div>"
            f"</body></html>")
    assert read(html)["published_at"] == "2017-05-18T22:57:00+04:30"


def test_a_date_after_a_label_is_read_when_no_element_names_a_date():
    html = page(article="<div class='info'>کد خبر: 98765 زمان: ۱۰:۲۰ ۱۴۰۲/۰۵/۲۴ بازدید: 1,204</div>"
                        "<h1>عنوان خبر آزمایشی برای تاریخ</h1>")
    assert read(html)["published_at"] == "2023-08-15T10:20:00+03:30"


@pytest.mark.parametrize(("declared", "heading", "headline"), [
    # The site's name after the headline: cut, since the heading confirms where the headline ends.
    ("عنوان خبر آزمایشی است :: سایت نمونه", "<h1>عنوان خبر آزمایشی است</h1>", "عنوان خبر آزمایشی است"),
    # A topic label that is part of the headline stays.
    ("اقتصاد| افزایش قیمت نان در تهران - سایت نمونه", "<h1>اقتصاد| افزایش قیمت نان در تهران</h1>",
     "اقتصاد| افزایش قیمت نان در تهران"),
    # An old <title> that says something else: the heading the og:title repeats.
    ("گزارش زنده؛ بازی امروز", "<h1>نتیجه نهایی بازی امروز اعلام شد</h1>", "نتیجه نهایی بازی امروز اعلام شد"),
])
def test_the_headline_is_the_heading_a_declared_title_confirms(declared, heading, headline):
    head = f"<title>{declared}</title><meta property='og:title' content='{headline}'>"
    assert read(page(head=head, article=heading))["title"] == headline


@pytest.mark.parametrize("logo", ["<h1><a href='/'>خبرگزاری نمونه</a></h1>", "<div class='top-header'><h1>خبرگزاری نمونه</h1></div>",
                                  "<h1>خبرگزاری نمونه</h1><meta property='og:site_name' content='خبرگزاری نمونه'>"])
def test_a_short_headline_at_an_end_of_the_title_is_the_headline_and_the_site_s_name_there_is_not(logo):
    # «<headline> - <site>»: the two-word headline is confirmed at its end of the title; a logo heading naming the
    # site (a link, in the page's header, or the name the page declares) is not, though it stands first in the page
    html = (f"<html><head><title>استعفای وزیر - خبرگزاری نمونه</title></head><body>{logo}"
            f"<article><h2 class='news-title'>استعفای وزیر</h2>{BODY}</article></body></html>")
    assert read(html)["title"] == "استعفای وزیر"


@pytest.mark.parametrize("byline", ["<font class=view_author>نويسنده: آزاده شهمير نوري</font>",
                                    "<span class='author'>به قلم آزاده شهمیر نوری</span>"])
def test_a_byline_s_label_is_no_part_of_the_author(byline):
    # magiran's classic template names the author under the headline; with no author meta, that line is the author
    record = read(page(article=f"<h1>عنوان خبر آزمایشی برای نویسنده</h1>{byline}"))
    assert record["author"] == "آزاده شهمیر نوری"


def test_a_newspaper_in_the_title_s_decoration_is_the_source_and_its_issue_date_the_date():
    head = "<title>آرشیو | روزنامه نمونه (1386/03/01): گفت‌وگو با یک محقق فرش ایرانی</title>"
    record = read(page(head=head, article="<h2 class='title'>گفت‌وگو با یک محقق فرش ایرانی</h2>"))
    assert record["title"] == "گفت‌وگو با یک محقق فرش ایرانی"
    assert record["source"] == "روزنامه نمونه" and record["published_at"] == "2007-05-22T00:00:00+03:30"


def test_the_kicker_above_and_the_lead_after_the_headline_are_not_body():
    html = page(article="<h4 class='news-subtitle'>گزارش ویژه خبرنگار</h4><h1>عنوان خبر آزمایشی برای لید</h1>"
                        "<p class='news-lead'>لید این خبر آزمایشی در یک جمله کوتاه نوشته شده است.</p>"
                        "<div class='info'>تاریخ انتشار: ۲۴ مرداد ۱۴۰۲ - ۱۲:۴۶</div>")
    record = read(html)
    assert record["kicker"] == "گزارش ویژه خبرنگار"
    assert record["lead"] == "لید این خبر آزمایشی در یک جمله کوتاه نوشته شده است."
    assert record["body"].startswith("پاراگراف شماره 0") and "لید این خبر" not in record["body"]


@pytest.mark.parametrize(("url", "news_id"), [
    ("https://example.ir/news/aB3xZ/slug", "aB3xZ"),
    ("https://example.ir/NewsView.aspx?NewsID=1410487", "1410487"),
    ("https://example.ir/npview.asp?ID=1410487", "1410487"),
    ("https://example.ir/news/politics/", None),
])
def test_news_codes_with_letters_and_in_queries_of_any_case(url, news_id):
    assert read(page(article="<h1>عنوان خبر آزمایشی برای کد</h1>"), url)["news_id"] == news_id


def test_the_densest_block_is_the_table_cell_that_holds_the_text():
    cell = "<br>".join(f"سطر شماره {index} از متن مقاله که در یک خانه جدول آمده است" for index in range(10))
    html = (f"<html><body><table><tr><td><a href='/'>صفحه اول</a> <a href='/a'>آرشیو</a></td></tr>"
            f"<tr><td id='text'>{cell}</td></tr><tr><td>تهران، صندوق پستی ۱۲۳</td></tr></table></body></html>")
    block = densest_block(root_of(html, "https://example.ir/"))
    assert block.get("id") == "text" and len(paragraphs(block)) == 10


SENTENCE = "به گزارش خبرنگار ما، جلسه شورای شهر امروز با حضور اعضا و مدیران شهری برگزار شد و درباره بودجه سال آینده گفت‌وگو کردند."
UNMARKED_LEAD = "شورای شهر در نشست امروز خود درباره بودجه سال آینده و طرح‌های عمرانی نیمه‌تمام شهر به بحث و گفت‌وگو پرداخت."
# A page's column of other news (each a link and its summary) and its footer: text trafilatura takes beside a short
# article.
OTHER_NEWS = "<div class='side'>" + "".join(
    f"<div class='item'><a href='/news/{1000 + index}'>خبر دیگری درباره موضوعی دیگر شماره {index}</a>"
    f"<p>خلاصه این خبر دیگر که درباره موضوعی دیگر است و چند کلمه دارد تا بلند شود {index}</p></div>"
    for index in range(6)) + "</div>"
FOOTER = ("<div class='foot'><p>کلیه حقوق این سایت محفوظ است و استفاده از مطالب با ذکر منبع آزاد است.</p>"
          "<p>نشانی: تهران، خیابان آزادی، پلاک ۱۲</p></div>")


@pytest.mark.parametrize(("main", "body"), [
    # the headline and the body in one element, the page's other news in a column beside them
    ("<div class='news'><h1>{h}</h1><div class='text'><p>{s}</p></div></div>", [SENTENCE]),
    ("<div class='a'><div class='b'><h1>{h}</h1></div><div class='c'><div class='d'><p>{s}</p></div></div></div>",
     [SENTENCE]),
    # a header block of the headline and a paragraph no class names, the body in an element beside it
    ("<div class='head'><h1>{h}</h1><p>{lead}</p></div><div class='content'><p>{s}</p></div>", [UNMARKED_LEAD, SENTENCE]),
    # the headline, the text and the column of other news, all children of one element
    ("<h1>{h}</h1><div class='text'><p>{s}</p></div>", [SENTENCE]),
], ids=["headline-and-body-together", "body-in-a-sibling-branch", "unmarked-lead-in-a-header-block",
        "one-element-for-all"])
def test_a_one_paragraph_article_is_read_without_the_page_s_other_news_and_footer(main, body):
    headline = "بررسی بودجه سال آینده در شورای شهر"
    html = (f"<html><head><title>{headline} - سایت نمونه</title></head><body><div class='wrap'>"
            f"{main.format(h=headline, s=SENTENCE, lead=UNMARKED_LEAD)}{OTHER_NEWS}</div>{FOOTER}</body></html>")
    record = read(html)
    assert record["title"] == headline and record["body"].split("\n\n") == body


def test_a_json_ld_block_with_a_comment_wrapper_raw_newlines_and_trailing_commas_is_read():
    ld = ('<script type="application/ld+json"><!--\n{"@type": "NewsArticle", "headline": "عنوان از جیسون",\n'
          '"datePublished": "2023-08-15T12:46:00+3:30", "description": "سطر اول\nسطر دوم",}\n--></script>')
    assert read(page(head=ld))["published_at"] == "2023-08-15T12:46:00+03:30"
