"""The mock WordPress site's posts and the HTML, JSON, RSS and sitemaps it serves for them."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from html import escape
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import jdatetime

from crawler.dates import TEHRAN, jalali_to_tehran
from tests.serving import LoopbackServer, PageHandler

HERE = Path(__file__).resolve().parent
SENTENCES = HERE.parent / "mocksite" / "seraji-test-sentences.txt"
MONTHS = ["فروردین", "اردیبهشت", "خرداد", "تیر", "مرداد", "شهریور", "مهر", "آبان", "آذر", "دی", "بهمن", "اسفند"]
PERSIAN_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
CATEGORIES = {3: "اقتصادی", 4: "استانی", 5: "فرهنگی", 6: "ورزشی"}
TAGS = {11: "صنایع کوچک", 12: "کرمان", 13: "معدن", 14: "آب", 15: "دانشگاه"}
AUTHORS = {2: "مریم احمدی", 3: "علی رضایی"}
REST_MODES = ("on", "off", "rest_route", "no-embed")
FEED_PAGE = 5


@dataclass
class Post:
    id: int
    title: str
    paragraphs: list[str]
    published: datetime  # Tehran, to the minute
    categories: list[int]
    tags: list[int]
    author: int
    excerpt: str | None = None  # a manual excerpt (a lead); None: WordPress makes one, ending in […]
    source: str | None = None  # a «منبع:» line at the end of the text
    end_marker: str | None = None
    image: str | None = None

    @property
    def path(self) -> str:
        return f"/archives/{self.id}"

    @property
    def jalali(self) -> jdatetime.datetime:
        return jdatetime.datetime.fromgregorian(datetime=self.published.astimezone(TEHRAN).replace(tzinfo=None))

    def content_html(self) -> str:
        """content.rendered: the text as the editor wrote it, plus what plugins add to it."""
        parts = [f"<p>{escape(text)}</p>" for text in self.paragraphs]
        if self.image:
            parts.insert(1, f'<figure class="wp-block-image"><img src="{self.image}-inline.jpg" alt="" />'
                            f"<figcaption>{escape(self.title[:30])}</figcaption></figure>")
        if self.source:
            parts.append(f"<p>منبع: {escape(self.source)}</p>")
        if self.end_marker:
            parts.append(f"<p>{escape(self.end_marker)}</p>")
        parts.append('<div class="share-buttons"><span>اشتراک‌گذاری:</span> <a href="#">تلگرام</a> <a href="#">واتساپ</a></div>')
        parts.append('<div class="yarpp-related"><h3>مطالب مرتبط</h3><ul><li><a href="/archives/1">خبر مرتبط نخست</a></li>'
                     '<li><a href="/archives/2">خبر مرتبط دوم</a></li></ul></div>')
        return "\n".join(parts)

    def expected_body(self) -> list[str]:
        return list(self.paragraphs)


def make_posts() -> list[Post]:
    sentences = [line.strip() for line in SENTENCES.read_text(encoding="utf-8").splitlines() if line.strip()][100:]
    posts = []
    days = [(1402, 5, 20), (1402, 5, 21), (1402, 5, 22), (1402, 5, 23), (1402, 5, 24), (1402, 5, 25)]
    number = 0
    for index, (year, month, day) in enumerate(days):
        for slot in range(2 if index % 2 else 3):
            number += 1
            picked = sentences[number * 7: number * 7 + 7]
            posts.append(Post(
                id=100 + number,
                title=picked[0].rstrip(".")[:80],
                paragraphs=[picked[1], " ".join(picked[2:4]), picked[4]],
                published=jalali_to_tehran(year, month, day, 8 + slot * 5, 15 * slot),
                categories=[3, 4] if number % 3 == 0 else [list(CATEGORIES)[number % 4]],
                tags=[list(TAGS)[(number + k) % 5] for k in range(number % 3)],
                author=2 if number % 2 else 3,
                excerpt=picked[5] if number % 2 else None,
                source="خبرگزاری ایرنا" if number % 4 == 1 else None,
                end_marker="انتهای خبر/ رضایی" if number % 3 == 2 else None,
                image=f"/wp-content/uploads/1402/05/post-{100 + number}" if number % 2 == 0 else None,
            ))
    return sorted(posts, key=lambda post: post.published, reverse=True)


def jalali_shown(moment: jdatetime.datetime) -> str:
    return f"{moment.day} {MONTHS[moment.month - 1]} {moment.year}".translate(PERSIAN_DIGITS)


class MockWordPress:
    def __init__(self, rest: str = "on", posts: list[Post] | None = None):
        if rest not in REST_MODES:
            raise ValueError(f"rest must be one of {REST_MODES}")
        self.rest = rest
        self.posts = posts if posts is not None else make_posts()
        self.by_id = {post.id: post for post in self.posts}

    # -- REST ------------------------------------------------------------------------------------------------

    def post_json(self, post: Post, base: str, embed: bool) -> dict:
        utc = post.published.astimezone(UTC)
        data = {
            "id": post.id, "date": post.published.strftime("%Y-%m-%dT%H:%M:%S"),
            "date_gmt": utc.strftime("%Y-%m-%dT%H:%M:%S"), "modified": post.published.strftime("%Y-%m-%dT%H:%M:%S"),
            "modified_gmt": utc.strftime("%Y-%m-%dT%H:%M:%S"), "slug": str(post.id), "status": "publish",
            "type": "post", "link": base + post.path, "title": {"rendered": escape(post.title)},
            "content": {"rendered": post.content_html(), "protected": False},
            "excerpt": {"rendered": f"<p>{escape(post.excerpt or post.paragraphs[0][:60])}"
                                    f"{'' if post.excerpt else ' [&hellip;]'}</p>\n", "protected": False},
            "author": post.author, "categories": post.categories, "tags": post.tags,
        }
        if embed:
            data["_embedded"] = {
                "author": [{"id": post.author, "name": AUTHORS[post.author]}],
                "wp:term": [[{"id": term, "name": CATEGORIES[term], "taxonomy": "category"} for term in post.categories],
                            [{"id": term, "name": TAGS[term], "taxonomy": "post_tag"} for term in post.tags]],
            }
            if post.image:
                data["_embedded"]["wp:featuredmedia"] = [{"source_url": base + post.image + ".jpg", "alt_text": post.title[:20]}]
        return data

    def posts_page(self, query: dict[str, str], base: str) -> tuple[list[dict], int, int] | None:
        selected = self.posts
        if "after" in query:
            after = datetime.fromisoformat(query["after"]).replace(tzinfo=TEHRAN)
            selected = [post for post in selected if post.published > after]
        if "before" in query:
            before = datetime.fromisoformat(query["before"]).replace(tzinfo=TEHRAN)
            selected = [post for post in selected if post.published < before]
        per_page = int(query.get("per_page", 10))
        page = int(query.get("page", 1))
        pages = max(1, -(-len(selected) // per_page))
        if page > pages:
            return None
        embed = "_embed" in query and self.rest != "no-embed"
        chunk = selected[(page - 1) * per_page: page * per_page]
        return [self.post_json(post, base, embed) for post in chunk], len(selected), pages

    # -- HTML, feed, sitemaps ----------------------------------------------------------------------------------------

    def post_page(self, post: Post, base: str) -> str:
        jalali = post.jalali
        datetime_attr = jalali.strftime("%Y-%m-%dT%H:%M:00") + "+04:30"  # a date plugin's Jalali "ISO", odd offset
        tags = " ".join(f'<a href="{base}/tag/{term}" rel="tag">{escape(TAGS[term])}</a>' for term in post.tags)
        categories = "، ".join(f'<a href="{base}/category/{term}" rel="category tag">{escape(CATEGORIES[term])}</a>'
                              for term in post.categories)
        description = f'<meta name="description" content="{escape(post.excerpt)}" />' if post.excerpt else ""
        image = f'<img class="attachment-post-thumbnail wp-post-image" src="{base}{post.image}.jpg" alt="{escape(post.title[:20])}" />' if post.image else ""
        return f"""<!DOCTYPE html>
<html dir="rtl" lang="fa-IR"><head><meta charset="UTF-8" /><link rel="https://api.w.org/" href="{base}/wp-json/" />
<title>{escape(post.title)} – نذیر آزمایشی</title>
{description}
<link rel="canonical" href="{base}{post.path}" />
<link rel="shortlink" href="{base}/?p={post.id}" />
</head>
<body class="post-template-default single single-post postid-{post.id} single-format-standard">
<header class="site-header"><a href="{base}/">نذیر آزمایشی</a><nav><a href="{base}/category/3">اقتصادی</a></nav></header>
<main id="main">
<article id="post-{post.id}" class="post-{post.id} post type-post status-publish format-standard hentry">
<header class="entry-header">
<div class="cat-links">{categories}</div>
<h1 class="entry-title">{escape(post.title)}</h1>
<div class="entry-meta"><span class="posted-on"><span class="post-date">{jalali_shown(jalali)}</span>
<time class="entry-date published" datetime="{datetime_attr}">{jalali_shown(jalali)}</time>
<time class="updated" datetime="{datetime_attr}">{jalali_shown(jalali)}</time></span>
<span class="byline"><span class="author vcard"><a class="url fn n" href="{base}/author/{post.author}" rel="author">{escape(AUTHORS[post.author])}</a></span></span></div>
</header>
<div class="post-thumbnail">{image}</div>
<div class="entry-content">
{post.content_html()}
</div>
<footer class="entry-footer"><span class="tags-links">برچسب‌ها: {tags}</span></footer>
</article>
<div id="comments" class="comments-area"><div id="respond" class="comment-respond"><h3 class="comment-reply-title">ارسال نظر</h3>
<form action="{base}/wp-comments-post.php" method="post"><textarea name="comment"></textarea><input type="submit" value="ارسال دیدگاه" /></form></div></div>
</main>
<aside class="widget-area"><section class="widget widget_recent_entries"><h2>آخرین مطالب</h2><ul>
<li><a href="{base}/archives/{self.posts[0].id}">{escape(self.posts[0].title)}</a></li></ul></section>
<section class="widget widget_tag_cloud"><div class="tagcloud"><a href="{base}/tag/99" class="tag-cloud-link">ابر برچسب</a></div></section></aside>
</body></html>"""

    def feed(self, page: int, base: str) -> str | None:
        chunk = self.posts[(page - 1) * FEED_PAGE: page * FEED_PAGE]
        if not chunk:
            return None
        items = "\n".join(f"""<item><title>{escape(post.title)}</title><link>{base}{post.path}</link>
<dc:creator><![CDATA[{AUTHORS[post.author]}]]></dc:creator>
<pubDate>{format_datetime(post.published.astimezone(UTC))}</pubDate>
{''.join(f'<category><![CDATA[{CATEGORIES[term]}]]></category>' for term in post.categories)}
<guid isPermaLink="false">{base}/?p={post.id}</guid>
<description><![CDATA[{post.paragraphs[0][:60]} [&#8230;]]]></description>
</item>""" for post in chunk)
        return f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:content="http://purl.org/rss/1.0/modules/content/">
<channel><title>نذیر آزمایشی</title><link>{base}</link><language>fa-IR</language>
{items}
</channel></rss>"""

    def sitemap_index(self, base: str) -> str:
        return f"""<?xml version="1.0" encoding="UTF-8"?>
<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<sitemap><loc>{base}/wp-sitemap-posts-post-1.xml</loc></sitemap>
<sitemap><loc>{base}/wp-sitemap-taxonomies-category-1.xml</loc></sitemap>
</sitemapindex>"""

    def sitemap_posts(self, base: str) -> str:
        urls = "\n".join(f"<url><loc>{base}{post.path}</loc></url>" for post in self.posts)
        return f"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>"""


class MockWordPressServer(LoopbackServer):
    def __init__(self, site: MockWordPress, port: int = 0):
        super().__init__(_Handler, port)
        self.site = site
        self.requests: list[str] = []


class _Handler(PageHandler):
    server: MockWordPressServer

    def do_GET(self) -> None:  # noqa: N802
        self.server.requests.append(self.path)
        site = self.server.site
        base = self.server.base_url
        parts = urlsplit(self.path)
        path = unquote(parts.path)
        query = {key: values[0] for key, values in parse_qs(parts.query, keep_blank_values=True).items()}
        if "rest_route" in query:
            if site.rest in ("off",):
                return self._json(401, {"code": "rest_cannot_access", "message": "REST API restricted"})
            return self._rest(query.pop("rest_route"), query, base)
        if path.startswith("/wp-json/"):
            if site.rest == "off":
                return self._json(401, {"code": "rest_cannot_access", "message": "REST API restricted"})
            if site.rest == "rest_route":
                return self._send(404, "text/html; charset=UTF-8", "<html><body><h1>برگه پیدا نشد</h1></body></html>")
            return self._rest(path.removeprefix("/wp-json"), query, base)
        if path == "/robots.txt":
            return self._send(200, "text/plain", "User-agent: *\nDisallow: /wp-admin/\n")
        if path in ("/feed/", "/feed"):
            feed = site.feed(int(query.get("paged", 1)), base)
            if feed is None:
                return self._send(404, "text/html; charset=UTF-8", "<html><body>پیدا نشد</body></html>")
            return self._send(200, "application/rss+xml; charset=UTF-8", feed)
        if path == "/wp-sitemap.xml":
            return self._send(200, "application/xml; charset=UTF-8", site.sitemap_index(base))
        if path == "/wp-sitemap-posts-post-1.xml":
            return self._send(200, "application/xml; charset=UTF-8", site.sitemap_posts(base))
        match = re.fullmatch(r"/archives/(\d+)/?", path)
        if match and int(match.group(1)) in site.by_id:
            return self._send(200, "text/html; charset=UTF-8", site.post_page(site.by_id[int(match.group(1))], base))
        return self._send(404, "text/html; charset=UTF-8", "<html><body>پیدا نشد</body></html>")

    def _rest(self, route: str, query: dict[str, str], base: str) -> None:
        site = self.server.site
        if route.rstrip("/") == "/wp/v2/posts":
            page = site.posts_page(query, base)
            if page is None:
                return self._json(400, {"code": "rest_post_invalid_page_number"})
            posts, total, pages = page
            return self._json(200, posts, {"X-WP-Total": str(total), "X-WP-TotalPages": str(pages)})
        for taxonomy, names in (("categories", CATEGORIES), ("tags", TAGS), ("users", AUTHORS)):
            if route.rstrip("/") == f"/wp/v2/{taxonomy}":
                wanted = [int(term) for term in query.get("include", "").split(",") if term]
                return self._json(200, [{"id": term, "name": names[term]} for term in wanted if term in names])
        return self._json(404, {"code": "rest_no_route"})

    def _json(self, status: int, data, headers: dict[str, str] | None = None) -> None:
        self._send(status, "application/json; charset=UTF-8", json.dumps(data, ensure_ascii=False), headers)
