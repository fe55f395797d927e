"""The mock ISNA site's content: the articles it publishes and the HTML it serves for them.

Article pages and archive pages are written in the markup of the real pages in tests/fixtures/isna (article
template of 2025; the archive list and pagination markup of the Nastooh CMS), junk included. Every article is
described by an ArticleSpec, which is also what tests compare crawled records against.
"""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from html import escape
from pathlib import Path

import jdatetime

from crawler.dates import TEHRAN, jalali_to_tehran

HERE = Path(__file__).resolve().parent
FIXTURES = HERE.parent / "fixtures"
REAL_ARTICLE = FIXTURES / "isna" / "isna_article_95102918901_fetched2025-03-20.html"
REAL_ARTICLE_CODE = "95102918901"
REAL_ARTICLE_SLUG = "روانچی-در-ارتباط-با-مواضع-نامناسب-اخیر-مقامات-انگلیسی-در-مورد"
REAL_ARTICLE_PUBLISHED = datetime(2017, 1, 18, 14, 59, 36, tzinfo=TEHRAN)

WEEKDAYS = ["شنبه", "یکشنبه", "دوشنبه", "سه‌شنبه", "چهارشنبه", "پنجشنبه", "جمعه"]
MONTHS = ["فروردین", "اردیبهشت", "خرداد", "تیر", "مرداد", "شهریور", "مهر", "آبان", "آذر", "دی", "بهمن", "اسفند"]
PERSIAN_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
CATEGORIES = ["سیاست خارجی", "اقتصاد کلان", "خوزستان", "کرمان", "فرهنگ و هنر", "ورزش"]
PROVINCES = ["خوزستان", "کرمان", "اصفهان", "فارس"]
TAG_POOL = ["تهران", "برجام", "صنایع کوچک", "خلیج فارس", "آب", "کشاورزی", "دانشگاه", "انتخابات", "شهرک صنعتی",
            "سيدعباس عراقچي", "بورس"]


@dataclass
class ArticleSpec:
    code: str
    title: str
    published: datetime  # Tehran wall-clock time, aware; the page shows it to the minute
    category: str
    paragraphs: list[str]
    lead: str | None = None
    dateline: str | None = None  # «ایسنا/خوزستان» before the lead
    kicker: str | None = None
    reporter: str | None = None
    editor: str | None = None
    tags: list[str] = field(default_factory=list)
    image: str | None = None
    image_alt: str | None = None
    news_type: str = "news"
    shuffle_meta: bool = False
    json_ld: bool = True

    @property
    def slug(self) -> str:
        return "-".join(re.sub(r"[^\w\u200c ]", " ", self.title).split()[:8])

    @property
    def path(self) -> str:
        return f"/news/{self.code}/{self.slug}"

    @property
    def jalali(self) -> jdatetime.datetime:
        return jdatetime.datetime.fromgregorian(datetime=self.published.astimezone(TEHRAN).replace(tzinfo=None))

    @property
    def is_article(self) -> bool:
        return self.news_type == "news" and self.category != "رپرتاژ آگهی"


def persian(number: int | str) -> str:
    return str(number).translate(PERSIAN_DIGITS)


def shown_date(moment: jdatetime.datetime) -> tuple[str, str]:
    """(weekday label, «۲۴ مرداد ۱۴۰۲ / ۱۲:۴۶») as the article meta list prints them."""
    weekday = WEEKDAYS[moment.weekday()]
    text = f"{persian(moment.day)} {MONTHS[moment.month - 1]} {persian(moment.year)} / {persian(f'{moment.hour:02d}:{moment.minute:02d}')}"
    return weekday, text


def archive_time_title(moment: jdatetime.datetime) -> str:
    """«سه‌شنبه ۲۴ مرداد ۱۴۰۲ - ۱۲:۴۶», as time@title in archive lists."""
    weekday, text = shown_date(moment)
    return f"{weekday} {text.replace(' / ', ' - ')}"


# --- the site's articles -----------------------------------------------------------------------------------------

def khuzestan_seed_article() -> ArticleSpec:
    """The real Khuzestan story of the seed text (its ZWNJ-less text as the seed has it)."""
    lines = [line.strip() for line in (FIXTURES / "isna-khuzestan-1402052415139.txt").read_text(encoding="utf-8").splitlines()]
    start = next(i for i, line in enumerate(lines) if line.startswith("ایسنا/خوزستان"))
    end = lines.index("انتهای پیام")
    texts = [line for line in lines[start:end] if line]
    return ArticleSpec(
        code="1402052415139",
        kicker="معاون هماهنگی امور اقتصادی استانداری:",
        title="صنایع بزرگ خوزستان از صنایع کوچک حمایت کنند",
        published=jalali_to_tehran(1402, 5, 24, 12, 46),
        category="خوزستان",
        reporter="50227",
        dateline="ایسنا/خوزستان",
        lead=texts[0].removeprefix("ایسنا/خوزستان").strip(),
        paragraphs=texts[1:],
        tags=["صنایع کوچک", "خوزستان"],
        image="https://cdn.isna.ir/d/2023/08/15/3/62690000.jpg",
        image_alt="بازدید از شهرک صنعتی شماره ۲ اهواز",
    )


def later_articles(count: int, start: datetime, seed: int = 7) -> list[ArticleSpec]:
    """`count` more articles, published from `start` on, ten minutes apart: news that appears between two runs."""
    rng = random.Random(seed)
    sentences = [line.strip() for line in (HERE / "seraji-test-sentences.txt").read_text(encoding="utf-8").splitlines() if line.strip()]
    specs = []
    for number in range(count):
        published = start + timedelta(minutes=10 * number)
        jalali = jdatetime.datetime.fromgregorian(datetime=published.astimezone(TEHRAN).replace(tzinfo=None))
        picked = rng.sample(sentences, 6)
        specs.append(ArticleSpec(
            code=f"{jalali.year}{jalali.month:02d}{jalali.day:02d}{90000 + number + seed * 100:05d}",
            title=picked[0].rstrip(".")[:90], published=published, category="کرمان", lead=picked[1],
            paragraphs=[" ".join(picked[2:4]), " ".join(picked[4:6])], reporter="12345"))
    return specs


def generate_articles(seed: int = 1402) -> list[ArticleSpec]:
    """The site's articles: a week of Mordad 1402, a summer day of 1401, and the special pages."""
    rng = random.Random(seed)
    sentences = [line.strip() for line in (HERE / "seraji-test-sentences.txt").read_text(encoding="utf-8").splitlines() if line.strip()]
    articles = [khuzestan_seed_article()]
    per_day = {(1402, 5, 19): 3, (1402, 5, 20): 5, (1402, 5, 21): 2, (1402, 5, 22): 6, (1402, 5, 23): 4,
               (1402, 5, 24): 4, (1402, 5, 25): 3, (1401, 5, 24): 2}
    for (year, month, day), count in per_day.items():
        # Spread over the day, including minutes after midnight and before the next one (day boundaries).
        minutes = sorted(rng.sample(range(24 * 60), count - 2) + [7, 23 * 60 + 52])
        for number, minute in enumerate(minutes, start=1):
            published = jalali_to_tehran(year, month, day, minute // 60, minute % 60)
            code = f"{year}{month:02d}{day:02d}{number * 7 + 10000:05d}"
            province = rng.choice(PROVINCES) if number % 2 else None
            picked = rng.sample(sentences, 8)
            title = picked[0].rstrip(".")[:90]
            articles.append(ArticleSpec(
                code=code,
                title=title,
                kicker=picked[1].rstrip(".")[:60] if number % 3 else None,
                published=published,
                category=province or rng.choice(CATEGORIES),
                reporter=str(rng.randint(10000, 99999)) if number % 4 else None,
                editor="فاطمه ابوطالبی" if number % 2 else None,
                dateline=f"ایسنا/{province}" if province else None,
                lead=picked[2],
                paragraphs=[" ".join(picked[i:i + 2]) for i in range(3, 8, 2)],
                tags=rng.sample(TAG_POOL, rng.randint(0, 4)),
                image=f"https://cdn.isna.ir/d/{year}/{month:02d}/{day:02d}/3/{code[-6:]}.jpg" if number % 5 else None,
                image_alt=picked[1][:40] if number % 2 else None,
                shuffle_meta=number % 2 == 0,
                json_ld=number % 3 != 0,
            ))
    # Pages listed like articles that are not text articles.
    articles.append(ArticleSpec(
        code="1402052213001", title="تصاویر/ جشنواره گل و گیاه در اهواز", news_type="photo",
        published=jalali_to_tehran(1402, 5, 22, 18, 30), category="خوزستان", paragraphs=["عکاس: رضا احمدی"]))
    articles.append(ArticleSpec(
        code="1402052299999", title="خرید بلیط هواپیما با تخفیف ویژه", category="رپرتاژ آگهی",
        published=jalali_to_tehran(1402, 5, 22, 10, 0), paragraphs=["برای خرید بلیط به سایت ما مراجعه کنید."]))
    return articles


# --- HTML ---------------------------------------------------------------------------------------------------------

def _meta_items(spec: ArticleSpec) -> list[str]:
    weekday, text = shown_date(spec.jalali)
    items = [
        f'<li><i class="fa fa-calendar-o"></i> <span class="title-meta">{weekday} /</span> <span class="text-meta">{text}</span></li>',
        f'<li><i class="fa fa-folder-o"></i> <span class="title-meta">دسته‌بندی: </span> <span class="text-meta" itemprop="articleSection">\n                                        {escape(spec.category)}\n                                        \n                                    </span></li>',
        f'<li><i class="fa fa-newspaper-o"></i> <span class="title-meta">کد خبر: </span> <span class="text-meta">{spec.code}</span></li>',
    ]
    if spec.reporter:
        items.append(f'<li><i class="fa fa-microphone"></i> <span class="title-meta">خبرنگار :</span> <span class="text-meta">{spec.reporter}</span></li>')
    if spec.shuffle_meta:
        items.reverse()
    items.append(f'<li class="hidden-xs hidden-print"><a href="/print/{spec.code}/{escape(spec.slug)}"><i class="fa fa-print"></i><span class="title-meta">چاپ</span></a></li>')
    return items


def render_article(spec: ArticleSpec) -> str:
    url = f"https://www.isna.ir{spec.path}"
    utc = spec.published.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    title = escape(spec.title)
    json_ld = ""
    if spec.json_ld:
        data = {"@context": "https://schema.org", "@type": "NewsArticle", "headline": spec.title,
                "datePublished": utc, "dateModified": utc, "description": spec.lead or "", "url": url,
                "keywords": spec.tags}
        json_ld = f'<script data-schema="WebPage" type="application/ld+json">\n    {json.dumps(data, ensure_ascii=False)}\n    </script>'
    kicker = f'<h2 class="kicker">{escape(spec.kicker)} </h2>' if spec.kicker else ""
    figure = (f'<figure class="item-img img-md">\n<img src="{spec.image}" alt="{escape(spec.image_alt or spec.title)} " '
              f'class="" title="{title} " itemprop="image" />\n</figure>') if spec.image else ""
    dateline = f'<span class="src">{escape(spec.dateline)} </span>' if spec.dateline else ""
    lead = f'<p class="summary" itemprop="description">{dateline}{escape(spec.lead)}\n</p>' if spec.lead else ""
    body = "\n\n".join(
        f'<p dir="RTL">{"<strong>" + escape(p) + "</strong>" if i == 0 else "&nbsp;" + escape(p)}</p>'
        for i, p in enumerate(spec.paragraphs))
    tags = "\n".join(f'<li><a href="/tag/{escape(tag)}" rel="Index, Tag">{escape(tag)}</a></li>' for tag in spec.tags)
    tags_footer = f'<footer class="tags">\n<i class="fa fa-tags"></i> <span>برچسب‌ها:</span>\n<ul>\n{tags}\n</ul>\n</footer>' if spec.tags else ""
    editor = (f'<ul class="author-id list-inline list-unstyled"><li><i class="fa fa-check-square"></i> <span>دبیر</span>\n'
              f'<strong>{escape(spec.editor)}</strong></li></ul>') if spec.editor else ""
    meta = "\n".join(_meta_items(spec))
    return f"""<!DOCTYPE html>
<html class="no-js" lang="fa" xmlns="http://www.w3.org/1999/xhtml"><head>
<title>{title} - ایسنا</title>
<meta name="description" property="dc.description" content="{escape(spec.lead or '')}" />
<meta property="og:type" content="article" />
<meta name="twitter:url" property="og:url" content="{escape(url)}" />
<meta property="article:modified_time" content="{utc}" />
<meta property="article:section" content="استان‌ها &gt; {escape(spec.category)}" />
<meta name="keywords" property="article:tag" content="{escape(','.join(spec.tags))}" />
<meta property="nastooh:pageType" content="news" />
<meta property="nastooh:newsType" content="{spec.news_type}" />
<meta property="nastooh:code" content="{spec.code}" />
<meta property="nastooh:nid" content="{int(spec.code) % 10**8}" />
<meta property="og:title" itemprop="headline" content="{title}" />
<meta itemprop="datePublished" property="article:published_time" content="{utc}" />
<meta name="date" content="2025-03-20 T 09:00:15 +0330" />
<link rel="canonical" href="{escape(url)}" />
{json_ld}
<meta charset="utf-8" />
</head><body>
<div class="container"><div class="row"><div class="col-md-9">
<article id="item" class="page item" itemscope="itemscope" itemtype="http://schema.org/NewsArticle">
<div class="news-info"><div class="meta-news"><ul>
{meta}
</ul></div></div>
<div class="full-news"><div class="full-news-text">
<header class="item-header"><div class="item-title col-xs-12">{kicker}
<h1 class="first-title" itemprop="headline">{title} </h1>
</div></header>
<div class="item-body content-full-news">
{figure}
{lead}
<div itemprop="articleBody" class="item-text">{body}

<p dir="RTL">انتهای پیام</p>

<p></p>
</div></div>
<div class="item-footer"><div class="row">
<div class="col-xs-12 col-sm-4 item-sharing"><ul class="list-inline">
<li class="fb"><a href="tg://msg_url?url=isna.ir/xcYqLn"><i class="fa fa-paper-plane-o"></i></a></li>
<li class="tw"><a href="/redirect/share/{spec.code}?url=http%3A%2F%2Ftwitter.com"><i class="fa fa-twitter"></i></a></li>
</ul></div>
<div class="col-xs-12 col-sm-8 text-left">{editor}
<div class="item-link short-link-container"><div class="form-inline"><div class="form-group">
<label for="short-url">لینک کوتاه</label>
<input type="text" class="form-control" id="short-url" readonly="readonly" value="isna.ir/xcYqLn" />
</div></div></div></div></div></div>
{tags_footer}
</div>
<section class="box related list list-bullets"><header><h2>اخبار مرتبط</h2></header><div><ul>
<li class="received"><div class="desc"><h3><a href="/news/95091911322/اعتراض-ایران" target="_blank">اعتراض ایران به وزارت خارجه انگلیس</a></h3></div></li>
</ul></div></section>
<section id="box809" class="box ads flex-wrap _orange font10" data-conf="{{&quot;id&quot;:809}}">
<header><h2><span>لینکستان</span></h2></header>
<div><ul>
<a href="https://www.booking.ir/" target="_blank">بوکینگ</a>
<a href="/news/1402052299999/خرید-بلیط-هواپیما" target="_blank">خرید بلیط هواپیما</a>
</ul></div></section>
<section class="box comments-hint"><div class="hints"><div class="des-hints"><ul>
<li>در زمینه انتشار نظرات مخاطبان رعایت چند مورد ضروری است:</li>
<li>-لطفا نظرات خود را با حروف فارسی تایپ کنید.</li>
<li>-«ایسنا» مجاز به ویرایش ادبی نظرات مخاطبان است.</li>
</ul></div></div></section>
<section class="box"><header><h2>نظرات</h2></header><div>
<form method="post" name="frmNewsComment" id="frmNewsComment" class="form-comment">
<div class="comment-info"><div class="alert alert-info hide fade">شما در حال پاسخ به نظر «<span></span>» هستید.</div></div>
<input type="hidden" value="{int(spec.code) % 10**8}" name="newsId" id="newsId" />
<textarea name="body" id="body" placeholder="نظر شما"></textarea>
<div class="captcha"><div class="col-sm-6 col-xs-12">لطفا عدد مقابل را در جعبه متن وارد کنید</div>
<img id="captchaImg" src="/sncaptcha.jpg?key=abc" alt="captcha" />
<input type="number" name="captchaText" id="captchaText" /></div>
<button class="send" type="submit" id="btnSave"><i class="fa fa-paper-plane-o"></i>ارسال</button>
</form></div></section>
<section class="box comments" id="comments"><div>
</div></section>
</div>
</article>
</div>
{_sidebar()}
</div></div>
</body></html>
"""


def _sidebar() -> str:
    return """<aside class="col-md-3 sidebar" id="sidebar-wrapper">
<section class="box list most-visited"><header><h2>پربازدیدترین</h2></header><div><ul>
<li class="news"><div class="desc"><h3><a href="/news/1401010100001/خبر-پربازدید">خبر پربازدید قدیمی</a></h3>
<time title="دوشنبه ۱ فروردین ۱۴۰۱ - ۱۰:۰۰"><a href="/news/1401010100001/خبر-پربازدید">۱ سال قبل</a></time></div></li>
</ul></div></section>
</aside>"""


def render_archive(items: list[ArticleSpec], page: int, pages: int, link) -> str:
    """An archive page in the Nastooh list markup; ``link(n)`` is the URL of page n."""
    entries = []
    for spec in items:
        kicker = f'<h4><a href="{escape(spec.path)}">{escape(spec.kicker)}</a></h4>' if spec.kicker else ""
        image = f'<figure><a href="{escape(spec.path)}"><img src="{spec.image}" alt="" /></a></figure>' if spec.image else ""
        entries.append(f"""<li class="news">{image}
<div class="desc">{kicker}
<h3><a href="{escape(spec.path)}" target="_blank">
            {escape(spec.title)}</a>
</h3>
<p>{escape(spec.lead or '')}</p>
<time title="{archive_time_title(spec.jalali)}"><a href="{escape(spec.path)}">۵ دقیقه قبل</a></time>
</div></li>""")
    pagination = []
    if pages > 1:
        if page > 1:
            pagination.append(f'<li class="page-item"><a class="page-link" rel="noindex next" href="{escape(link(page - 1))}">قبلی</a></li>')
        else:
            pagination.append('<li class="page-item disabled"><span class="page-link">قبلی</span></li>')
        for number in range(1, pages + 1):
            if number == page:
                pagination.append(f'<li class="page-item active"><span class="page-link">{persian(number)}</span></li>')
            else:
                pagination.append(f'<li class="page-item"><a class="page-link" rel="noindex next" href="{escape(link(number))}">{persian(number)}</a></li>')
        if page < pages:
            pagination.append(f'<li class="page-item"><a class="page-link" rel="noindex next" href="{escape(link(page + 1))}">بعدی</a></li>')
    return f"""<!DOCTYPE html>
<html lang="fa"><head><meta charset="utf-8" /><title>آرشیو اخبار - ایسنا</title>
<meta property="nastooh:pageType" content="archive" /></head><body>
<div class="container"><div class="row"><div class="col-md-9">
<section class="box list list-bordered-bottom"><header><h2>آرشیو</h2></header>
<div class="items"><ul>
{chr(10).join(entries)}
</ul></div>
<footer><ul class="pagination">
{chr(10).join(pagination)}
</ul></footer>
</section>
<section id="box809" class="box ads"><header><h2><span>لینکستان</span></h2></header>
<div><ul><li><h3><a href="/news/1402052299999/خرید-بلیط-هواپیما">خرید بلیط هواپیما</a></h3></li></ul></div></section>
</div>
{_sidebar()}
</div></div></body></html>
"""


# Article layouts the mock can serve: the real one, a redesign whose markup the extractor does not know, and the
# real one with every publication date removed.
LAYOUTS = ("nastooh", "redesigned", "no-dates", "sister")


class MockSite:
    """What the site publishes: articles by code, the archives, and the real article page."""

    def __init__(self, articles: list[ArticleSpec] | None = None, page_size: int = 4, layout: str = "nastooh"):
        if layout not in LAYOUTS:
            raise ValueError(f"layout must be one of {LAYOUTS}")
        self.articles = articles if articles is not None else generate_articles()
        self.by_code = {spec.code: spec for spec in self.articles}
        self.page_size = page_size
        self.layout = layout
        self.real_article_html = REAL_ARTICLE.read_text(encoding="utf-8")

    def publish(self, *specs: ArticleSpec) -> None:
        """New articles appear on the site (and at the top of the archives)."""
        for spec in specs:
            self.articles.append(spec)
            self.by_code[spec.code] = spec

    def article_html(self, spec: ArticleSpec) -> str:
        html = render_article(spec)
        if self.layout == "redesigned":
            html = (html.replace('id="item"', 'id="story"').replace("first-title", "story-title")
                    .replace('itemprop="headline"', "").replace('class="item-text"', 'class="story-text"')
                    .replace('itemprop="articleBody"', "").replace("meta-news", "story-meta"))
            html = re.sub(r'<meta property="og:title"[^>]*>', "", html)
        elif self.layout == "sister":  # a sister site of the same CMS whose headline and body have other classes
            html = (html.replace('class="first-title"', 'class="headline"').replace('itemprop="headline"', "")
                    .replace('class="item-text"', 'class="news-text"').replace('itemprop="articleBody"', ""))
            html = re.sub(r'<meta property="og:title"[^>]*>', "", html)
        elif self.layout == "no-dates":
            html = re.sub(r'<li><i class="fa fa-calendar-o"></i>.*?</li>', "", html)
            html = re.sub(r'<meta itemprop="datePublished"[^>]*>', "", html)
            html = re.sub(r'"datePublished": "[^"]*", ', "", html)
        return html

    def newest_first(self) -> list[ArticleSpec]:
        return sorted(self.articles, key=lambda spec: spec.published, reverse=True)

    def day_listing(self, year: int, month: int, day: int) -> list[ArticleSpec]:
        """A day's archive: that day's items, plus the nearest item of each neighbouring day."""
        start = jalali_to_tehran(year, month, day)
        end = start + timedelta(days=1)
        ordered = self.newest_first()
        inside = [spec for spec in ordered if start <= spec.published < end]
        after = [spec for spec in ordered if spec.published >= end][-1:]
        before = [spec for spec in ordered if spec.published < start][:1]
        return after + inside + before

    def page_of(self, listing: list[ArticleSpec], page: int) -> tuple[list[ArticleSpec], int]:
        pages = max(1, -(-len(listing) // self.page_size))
        return listing[(page - 1) * self.page_size:page * self.page_size], pages

    def articles_on(self, first: tuple[int, int, int], last: tuple[int, int, int]) -> list[ArticleSpec]:
        """The text articles published on those Jalali days, inclusive: what a from/to crawl must return."""
        start = jalali_to_tehran(*first)
        end = jalali_to_tehran(*last) + timedelta(days=1)
        return [spec for spec in self.articles if spec.is_article and start <= spec.published < end]
