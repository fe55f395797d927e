"""A mock news site on a CMS of its own, which lists its articles only in a feed and in sitemaps (no archive, no
article links on its home page): what `scrapy crawl news -a site_url=` must find its way through.

- `/`: a home page that declares its RSS feed with <link rel="alternate"> and links only sections and pages;
- `/rss`: RSS 2.0 with the FEED_ITEMS newest articles;
- `/robots.txt`: `Sitemap: /sitemap_index.xml`; the index names `/sitemap-news.xml` (a news sitemap with every
  article of the last two days, dated by news:publication_date) and `/sitemap-archive.xml` (older articles, with
  lastmod), plus `/sitemap-pages.xml` (the about and contact pages, which are no articles);
- `/news/<id>/<slug>`: article pages with JSON-LD NewsArticle, OpenGraph (the title with the site name as a prefix),
  a dc.Date in the +03:30 that such sites print all year, and the text in <p>s, among a menu, a comment form and
  related links.
Articles are dated relative to now (recent ones within the last two days), so latest-news runs find them; `publish()`
adds a newer article, as the site would between two cron runs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import format_datetime
from html import escape
from urllib.parse import unquote, urlsplit

import jdatetime

from crawler.dates import TEHRAN
from tests.serving import LoopbackServer, PageHandler
from tests.mocksite.site import HERE as MOCKSITE

SENTENCES = MOCKSITE / "seraji-test-sentences.txt"
SITE_NAME = "خبرگزاری آزمون"
FEED_ITEMS = 6
PERSIAN_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
MONTHS = ["فروردین", "اردیبهشت", "خرداد", "تیر", "مرداد", "شهریور", "مهر", "آبان", "آذر", "دی", "بهمن", "اسفند"]


@dataclass
class Story:
    news_id: str
    title: str
    paragraphs: list[str]
    published: datetime  # Tehran, to the minute

    @property
    def path(self) -> str:
        return f"/news/{self.news_id}/" + "-".join(self.title.split()[:4])

    @property
    def jalali(self) -> jdatetime.datetime:
        return jdatetime.datetime.fromgregorian(datetime=self.published.replace(tzinfo=None))


def _sentences() -> list[str]:
    return [line.strip() for line in SENTENCES.read_text(encoding="utf-8").splitlines() if line.strip()][300:]


def make_stories(now: datetime, recent: int = 10, old: int = 4) -> list[Story]:
    """``recent`` articles in the last two days and ``old`` ones 20 to 23 days ago, newest first."""
    sentences = _sentences()
    stories = []
    hour = now.astimezone(TEHRAN).replace(second=0, microsecond=0) - timedelta(minutes=10)
    for number in range(recent + old):
        when = hour - timedelta(hours=4 * number) if number < recent else hour - timedelta(days=20 + number - recent)
        picked = sentences[number * 5: number * 5 + 5]
        stories.append(Story(news_id=str(730100 + 37 * (recent + old - number)), title=picked[0].rstrip("."),
                             paragraphs=[picked[1], " ".join(picked[2:4]), picked[4]], published=when))
    return stories


class MockFeedSite:
    def __init__(self, now: datetime | None = None):
        self.stories = make_stories(now or datetime.now(TEHRAN))
        self.by_id = {story.news_id: story for story in self.stories}

    def publish(self) -> Story:
        """A new article, published a minute ago."""
        sentences = _sentences()
        number = len(self.stories)
        picked = sentences[number * 5: number * 5 + 5]
        story = Story(news_id=str(int(max(self.by_id, key=int)) + 37), title=picked[0].rstrip("."),
                      paragraphs=[picked[1], " ".join(picked[2:4]), picked[4]],
                      published=datetime.now(TEHRAN).replace(second=0, microsecond=0) - timedelta(minutes=1))
        self.stories.insert(0, story)
        self.by_id[story.news_id] = story
        return story

    def recent(self) -> list[Story]:
        cutoff = datetime.now(TEHRAN) - timedelta(days=2)
        return [story for story in self.stories if story.published >= cutoff]

    # -- pages --------------------------------------------------------------------------------------------------

    def home(self) -> str:
        return f"""<!DOCTYPE html><html lang="fa" dir="rtl"><head><meta charset="utf-8"><title>{SITE_NAME}</title>
<link rel="alternate" type="application/rss+xml" title="{SITE_NAME}" href="/rss">
<link rel="stylesheet" href="/static/site.css"></head><body>
<nav><a href="/">صفحه نخست</a> <a href="/section/politics">سیاسی</a> <a href="/section/economy">اقتصادی</a>
<a href="/about">درباره ما</a> <a href="/contact">تماس با ما</a></nav>
<main><h2>آخرین اخبار</h2><div id="latest" data-source="/api/latest"></div></main>
<footer>کلیه حقوق محفوظ است</footer></body></html>"""

    def article(self, story: Story, base: str) -> str:
        j = story.jalali
        shown = f"{j.day} {MONTHS[j.month - 1]} {j.year} - {j.hour:02d}:{j.minute:02d}".translate(PERSIAN_DIGITS)
        wall = story.published.strftime("%Y-%m-%dT%H:%M:%S")
        body = "\n".join(f"<p>{escape(text)}</p>" for text in story.paragraphs)
        return f"""<!DOCTYPE html><html lang="fa" dir="rtl"><head><meta charset="utf-8">
<title>{SITE_NAME} - {escape(story.title)}</title>
<meta property="og:site_name" content="{SITE_NAME}">
<meta property="og:title" content="{SITE_NAME} - {escape(story.title)}">
<meta property="og:url" content="{base}{story.path}">
<meta name="dc.Date" content="{wall}+03:30">
<script type="application/ld+json">{{"@context":"https://schema.org","@type":"NewsArticle",
"headline":"{escape(story.title)}","datePublished":"{wall}+03:30","mainEntityOfPage":"{base}{story.path}"}}</script>
</head><body>
<nav><a href="/">صفحه نخست</a> <a href="/section/politics">سیاسی</a> <a href="/section/economy">اقتصادی</a></nav>
<div class="news-page"><h1>{escape(story.title)}</h1><span class="news-date">{shown}</span>
<div class="news-body">{body}</div></div>
<aside class="related"><h3>اخبار مرتبط</h3><ul><li><a href="/news/1/x">یک خبر دیگر</a></li></ul></aside>
<form class="comment-form"><label>نظر شما</label><textarea></textarea><button>ارسال نظر</button></form>
<footer>کلیه حقوق محفوظ است</footer></body></html>"""

    def rss(self, base: str) -> str:
        items = "".join(
            f"<item><title>{escape(story.title)}</title><link>{base}{escape(story.path)}</link>"
            f"<guid>{base}/news/{story.news_id}</guid><pubDate>{format_datetime(story.published)}</pubDate></item>"
            for story in self.stories[:FEED_ITEMS])
        return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>{SITE_NAME}</title>'
                f"<link>{base}/</link>{items}</channel></rss>")

    def sitemap_index(self, base: str) -> str:
        newest = self.stories[0].published.isoformat()
        oldest = self.stories[-1].published.isoformat()
        return ('<?xml version="1.0" encoding="UTF-8"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                f"<sitemap><loc>{base}/sitemap-news.xml</loc><lastmod>{newest}</lastmod></sitemap>"
                f"<sitemap><loc>{base}/sitemap-archive.xml</loc><lastmod>{oldest}</lastmod></sitemap>"
                f"<sitemap><loc>{base}/sitemap-pages.xml</loc></sitemap></sitemapindex>")

    def news_sitemap(self, base: str) -> str:
        urls = "".join(
            f"<url><loc>{base}{escape(story.path)}</loc><news:news><news:publication><news:name>{SITE_NAME}</news:name>"
            f"<news:language>fa</news:language></news:publication><news:publication_date>{story.published.isoformat()}"
            f"</news:publication_date><news:title>{escape(story.title)}</news:title></news:news></url>"
            for story in self.recent())
        return ('<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
                f'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">{urls}</urlset>')

    def archive_sitemap(self, base: str) -> str:
        recent = set(map(id, self.recent()))
        urls = "".join(f"<url><loc>{base}{escape(story.path)}</loc><lastmod>{story.published.isoformat()}</lastmod></url>"
                       for story in self.stories if id(story) not in recent)
        return f'<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'

    def pages_sitemap(self, base: str) -> str:
        return ('<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                f"<url><loc>{base}/about</loc></url><url><loc>{base}/contact</loc></url></urlset>")


class MockFeedSiteServer(LoopbackServer):
    def __init__(self, site: MockFeedSite | None = None, port: int = 0):
        super().__init__(_Handler, port)
        self.site = site or MockFeedSite()
        self.requests: list[str] = []


class _Handler(PageHandler):
    server: MockFeedSiteServer

    def do_GET(self) -> None:  # noqa: N802
        self.server.requests.append(self.path)
        site, base = self.server.site, self.server.base_url
        path = unquote(urlsplit(self.path).path)
        xml = "application/xml; charset=utf-8"
        match = re.match(r"^/news/(\d+)(?:/|$)", path)
        if path == "/":
            self._send(200, "text/html; charset=utf-8", site.home())
        elif path == "/robots.txt":
            self._send(200, "text/plain", f"User-agent: *\nDisallow: /search\nSitemap: {base}/sitemap_index.xml\n")
        elif path == "/rss":
            self._send(200, "application/rss+xml; charset=utf-8", site.rss(base))
        elif path == "/sitemap_index.xml":
            self._send(200, xml, site.sitemap_index(base))
        elif path == "/sitemap-news.xml":
            self._send(200, xml, site.news_sitemap(base))
        elif path == "/sitemap-archive.xml":
            self._send(200, xml, site.archive_sitemap(base))
        elif path == "/sitemap-pages.xml":
            self._send(200, xml, site.pages_sitemap(base))
        elif match and match.group(1) in site.by_id:
            self._send(200, "text/html; charset=utf-8", site.article(site.by_id[match.group(1)], base))
        else:
            self._send(404, "text/html; charset=utf-8", "<html><body><h1>404</h1></body></html>")
