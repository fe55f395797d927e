"""Finding a site's articles without knowing the site: feeds, sitemaps and home-page links (crawler/sites/
discovery.py), and `scrapy crawl news -a site_url=` on a mock IranSamaneh site and on a mock site of a CMS of its own
that lists its articles only in a feed and in sitemaps, run after run from the same data folder."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from crawler.dates import to_tehran_iso
from crawler.record import article_key, article_url
from crawler.sites import Site, parser_for, site_key_of
from crawler.sites.discovery import (
    ListedArticle,
    article_links,
    feed_entries,
    feed_links,
    looks_like_article,
    news_id_in_url,
    read_sitemap,
    robots_sitemaps,
)
from tests.crawling import Ran, scrapy_crawl
from tests.helpers import FAST, ROOT, SCRAPY
from tests.mockfeedsite import MockFeedSite, MockFeedSiteServer
from tests.mockiransamaneh import MockIranSamanehServer, listed_ids
from tests.serving import running
from tests.test_sites import serve_pages

FIXTURES = ROOT / "tests" / "fixtures"


# -- reading listings ------------------------------------------------------------------------------------------------

def test_the_feed_the_real_irib_home_page_declares():
    html = (FIXTURES / "irinn" / "irinn_homepage_fetched2017-05-24.html").read_text(encoding="utf-8")
    # <link rel="alternate" type="application/rss+xml" title="RSS FEED" href="/fa/rss/allnews"> (seen in the page)
    assert feed_links(html, "http://www.irinn.ir/") == ["http://www.irinn.ir/fa/rss/allnews"]
    isna = (FIXTURES / "isna" / "isna_homepage_fetched2017-05-23.html").read_text(encoding="utf-8")
    assert feed_links(isna, "http://www.isna.ir/") == []  # the 2017 ISNA home page declares none


# The real home pages and listings, each with its articles as a reader counts them, written out beside the page
# (<page>.links.txt: the code in each link and its headline on the page, in page order).
HOME_PAGES = [
    ("isna/isna_homepage_fetched2017-05-23.html", "http://www.isna.ir/", r"/news/(\d+)"),
    ("irinn/irinn_homepage_fetched2017-05-24.html", "http://www.irinn.ir/", r"/fa/news/(\d+)"),
    ("farsnews/farsnews_homepage_fetched2017-05-23.html", "http://www.farsnews.com/", r"\?nn=(\d+)"),
    ("shora-gc/shora-gc_homepage_fetched2020-06-07.html", "https://www.shora-gc.ir/", r"/fa/news/(\d+)"),
    ("mehrnews/mehrnews_txt_listing_saved2011-03-10.html", "http://www.mehrnews.ir/txtNewsView_fa.aspx?t=News&Page=1",
     r"NewsID=(\d+)"),
]


@pytest.mark.parametrize(("page", "url", "code"), HOME_PAGES)
def test_the_article_links_of_the_real_home_pages_are_those_a_reader_counts(page, url, code):
    html = (FIXTURES / page).read_text(encoding="utf-8")
    host = url.split("/")[2]
    links = article_links(html, url, {host, host.removeprefix("www.")})
    counted = [line.split("\t")[0] for line in (FIXTURES / page.replace(".html", ".links.txt"))
               .read_text(encoding="utf-8").splitlines() if line and not line.startswith("#")]
    codes = list(dict.fromkeys(re.search(code, link).group(1) for link in links))  # a story's image and headline
    assert codes == counted
    assert all(urlsplit(link).hostname == host for link in links)


@pytest.mark.parametrize(("page", "url", "menu_items"), [
    # the header menu of ISNA 2017: «خط مشی», «درباره ایسنا», «تماس با ایسنا», pages under /news/ among links to
    # services and sections
    ("isna/isna_homepage_fetched2017-05-23.html", "http://www.isna.ir/",
     ["http://www.isna.ir/news/95031711050/", "http://www.isna.ir/news/95031711051/", "http://www.isna.ir/news/95031711058/"]),
    # IRIB News's top menu: «کنداکتور» (the channel's schedule) between «آرشیو», «پیوند ها» and «جستجو پیشرفته»
    ("irinn/irinn_homepage_fetched2017-05-24.html", "http://www.irinn.ir/", ["http://www.irinn.ir/fa/news/348774/"]),
    # Fars 2017: its viewpoint menu of 19 sections, one named by a long slug («الگوی اسلامی ایرانی پیشرفت»)
    ("farsnews/farsnews_homepage_fetched2017-05-23.html", "http://www.farsnews.com/",
     ["http://www.farsnews.com/viewpoint/islamic-Iranian-advancement-plan"]),
])
def test_menu_items_of_real_home_pages_are_no_articles(page, url, menu_items):
    html = (FIXTURES / page).read_text(encoding="utf-8")
    host = url.split("/")[2]
    links = article_links(html, url, {host, host.removeprefix("www.")})
    assert all(looks_like_article(item, {host}) for item in menu_items)  # each looks like an article by its URL...
    assert not set(menu_items) & set(links)  # ...but is an item of a menu
    assert len(links) > 90  # the page's stories stay


def test_a_press_archive_home_page_links_tables_of_contents_not_articles():
    # magiran's home page (2024): each newspaper's logo links that day's issue, /newspapertoc/<issue> (seven of them)
    html = (FIXTURES / "magiran" / "magiran_homepage_fetched2024-02-23.html").read_text(encoding="utf-8")
    assert len(set(re.findall(r'href="/newspapertoc/(\d+)"', html))) == 7
    assert article_links(html, "https://www.magiran.com/", {"www.magiran.com", "magiran.com"}) == []


def test_a_link_in_an_advertisement_box_of_a_real_home_page_is_no_article():
    # shora-gc.ir's home page (2020): its advertisement carousel, <section id="owl_adv"> > <div class="each_home_adv">,
    # links /fa/news/5758, an advertiser's page under the site's news path; the news boxes link 61 others.
    html = (FIXTURES / "shora-gc" / "shora-gc_homepage_fetched2020-06-07.html").read_text(encoding="utf-8")
    assert 'id="owl_adv"' in html and 'href="http://www.shora-gc.ir/fa/news/5758"' in html
    links = article_links(html, "https://www.shora-gc.ir/", {"www.shora-gc.ir", "shora-gc.ir"})
    assert not [link for link in links if "/fa/news/5758" in link]
    numbers = {re.search(r"/fa/news/(\d+)", link).group(1) for link in links}
    assert len(links) == len(numbers) == 61
    # a news box's link is kept: the slider's first story and the last video
    assert {"6852", "6637"} <= numbers


def test_rss_and_atom_entries_with_their_ids_and_dates():
    rss = """<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>
      <item><title>a</title><link>https://site.ir/?p=12</link><guid isPermaLink="false">https://site.ir/?p=12</guid>
        <pubDate>Tue, 01 Aug 2023 08:15:00 +0330</pubDate></item>
      <item><title>b</title><link>/news/1402051234/slug</link><pubDate>not a date</pubDate></item>
      <item><title>no link</title></item></channel></rss>""".encode()
    entries = feed_entries(rss, "https://site.ir/feed/", news_id_in_url)
    assert [(entry.url, entry.news_id) for entry in entries] == [
        ("https://site.ir/?p=12", "12"), ("https://site.ir/news/1402051234/slug", "1402051234")]
    assert to_tehran_iso(entries[0].listed_at) == "2023-08-01T08:15:00+03:30" and entries[1].listed_at is None
    atom = """<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>t</title>
      <entry><title>x</title><link rel="alternate" href="https://site.ir/fa/news/500399/x"/><id>tag:1</id>
        <updated>2017-05-24T10:07:00+04:30</updated></entry></feed>""".encode()
    (entry,) = feed_entries(atom, "https://site.ir/", news_id_in_url)
    assert (entry.url, entry.news_id, to_tehran_iso(entry.listed_at)) == (
        "https://site.ir/fa/news/500399/x", "500399", "2017-05-24T10:07:00+04:30")
    assert feed_entries(b"<html><body>not a feed</body></html>", "https://site.ir/") == []
    assert feed_entries(b"", "https://site.ir/") == []


def test_sitemap_indexes_news_sitemaps_and_robots_lines():
    index = read_sitemap(b"""<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
        <sitemap><loc>https://site.ir/sitemap-news.xml</loc><lastmod>2024-03-01</lastmod></sitemap>
        <sitemap><loc>/sitemap-2.xml</loc></sitemap></sitemapindex>""", "https://site.ir/sitemap.xml")
    assert [(url, lastmod.date().isoformat() if lastmod else None) for url, lastmod in index.sitemaps] == [
        ("https://site.ir/sitemap-news.xml", "2024-03-01"), ("https://site.ir/sitemap-2.xml", None)]
    assert index.pages == []
    news = read_sitemap("""<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
        xmlns:news="http://www.google.com/schemas/sitemap-news/0.9"><url><loc>https://site.ir/news/123456/x</loc>
        <news:news><news:publication_date>2024-03-01T09:30:00+03:30</news:publication_date><news:title>خبر</news:title>
        </news:news></url></urlset>""".encode(), "https://site.ir/sitemap-news.xml", news_id_in_url)
    assert news.is_news and [(page.url, page.news_id, to_tehran_iso(page.listed_at)) for page in news.pages] == [
        ("https://site.ir/news/123456/x", "123456", "2024-03-01T09:30:00+03:30")]
    robots = b"User-agent: *\nDisallow: /search\nSitemap: https://site.ir/sitemap.xml\nsitemap: /news-sitemap.xml\n"
    assert robots_sitemaps(robots, "https://site.ir/robots.txt") == [
        "https://site.ir/sitemap.xml", "https://site.ir/news-sitemap.xml"]


@pytest.mark.parametrize(("url", "article"), [
    ("https://site.ir/news/1402051234/some-slug", True),
    ("https://www.site.ir/fa/news/499654", True),
    ("https://site.ir/newstext.php?nn=13930418000123", True),
    ("https://site.ir/1402/05/20/%D8%A7%D9%81%D8%B2%D8%A7%DB%8C%D8%B4-%D9%82%DB%8C%D9%85%D8%AA-%D8%A8%D9%86%D8%B2%DB%8C%D9%86-%D8%AF%D8%B1-%D8%A7%D8%B3%D8%AA%D8%A7%D9%86", True),
    ("https://site.ir/", False),
    ("https://site.ir/category/economy-and-industry-news-of-the-province/", False),
    ("https://site.ir/tag/1402", False),
    ("https://site.ir/about", False),
    ("https://site.ir/wp-content/uploads/2023/05/12345.jpg", False),
    ("https://other.ir/news/1402051234/x", False),
])
def test_which_links_look_like_articles(url, article):
    assert looks_like_article(url, {"site.ir", "www.site.ir"}) is article


@pytest.mark.parametrize(("url", "news_id"), [
    ("https://site.ir/fa/news/499654/x", "499654"),
    ("https://site.ir/newstext.php?nn=13930418000123", "13930418000123"),
    ("https://site.ir/2023/05/12/some-slug/", None),  # a date path: the year is no id
    ("https://site.ir/2023/05/12/1234567/", "1234567"),
    ("https://site.ir/about", None),
])
def test_the_news_code_in_a_url(url, news_id):
    assert news_id_in_url(url) == news_id
    generic = parser_for(Site(key="site.ir", name="site.ir", family="generic", base_url="https://site.ir"))
    assert generic.news_id_in_url(url) == news_id


@pytest.mark.parametrize(("variant", "article"), [
    ("https://site.ir/1402/05/20/slug?utm_source=telegram&utm_medium=social", "https://site.ir/1402/05/20/slug"),
    ("https://site.ir/1402/05/20/slug#comments", "https://site.ir/1402/05/20/slug"),
    ("https://site.ir/خبر/اقتصاد?fbclid=IwAR0x", "https://site.ir/خبر/اقتصاد"),      # the Persian path as written
    ("https://site.ir/npview.asp?ID=1410487&utm_campaign=x", "https://site.ir/npview.asp?ID=1410487"),
    ("https://site.ir/view?source=rss&page=2&ref=home", "https://site.ir/view?page=2"),
    ("https://site.ir/npview.asp?ID=1410487", "https://site.ir/npview.asp?ID=1410487"),  # nothing to take away
])
def test_a_tracking_or_fragment_variant_of_a_url_is_the_same_article(variant, article):
    assert article_url(variant) == article
    assert article_key(None, variant) == article_key(None, article) == f"url:{article}"
    # what a listing gives is what is fetched and stored: a variant of a stored URL is known, not fetched again
    assert ListedArticle(variant, None, None).url == article


# -- scrapy crawl news -a site_url= ------------------------------------------------------------------------------------

def crawl_site(site_url: str, data: Path, *args: str) -> Ran:
    return scrapy_crawl("news", "-a", f"site_url={site_url}", "-s", f"DATA_DIR={data}", *FAST, *args)


def dumped(data: Path) -> list[dict]:
    return [json.loads(line) for path in sorted(data.glob("news-*/news-*.jsonl"))
            for line in path.read_text(encoding="utf-8").splitlines()]


def article_requests(paths: list[str], prefix: str) -> list[str]:
    return [path for path in paths if path.startswith(prefix)]


@pytest.mark.crawl
def test_a_site_with_only_a_feed_and_sitemaps_is_crawled_incrementally(tmp_path):
    site = MockFeedSite()
    data = tmp_path / "data"
    with running(MockFeedSiteServer(site)) as server:
        first = crawl_site(server.base_url + "/", data)
        after_first = len(server.requests)
        second = crawl_site(server.base_url + "/", data)
        after_second = len(server.requests)
        new = site.publish()
        third = crawl_site(server.base_url + "/", data)
        requests = list(server.requests)
    assert first.returncode == 0, first.stderr[-3000:]
    assert "family: generic (no CMS marker found" in first.stderr
    assert "news sitemap" in first.stderr and "feed http" in first.stderr
    records = dumped(data)
    recent = site.recent()
    # The latest news: every article of the last two days (the feed's six and the news sitemap's rest), once each;
    # not the old ones of the archive sitemap, not the about and contact pages of the pages sitemap.
    assert sorted(record["news_id"] for record in records) == sorted(story.news_id for story in recent)
    by_id = {story.news_id: story for story in site.stories}
    for record in records:
        story = by_id[record["news_id"]]
        assert record["title"] == story.title  # without the «خبرگزاری آزمون - » prefix of og:title and <title>
        assert record["published_at"] == to_tehran_iso(story.published)
        assert record["body"] == "\n\n".join(story.paragraphs)  # no menu, comment form or related links
        assert record["site"] == site_key_of(server.base_url)  # «127.0.0.1:<port>»: the host and its port
    assert not [path for path in requests if path in ("/about", "/contact")]
    # Second run: nothing new; the listings are read, no article page is asked for again.
    assert second.returncode == 0 and "0 new article(s)" in second.stderr, second.stderr[-2000:]
    assert article_requests(requests[after_first:after_second], "/news/") == []
    # Third run, after the site published one more: that one alone.
    assert third.returncode == 0, third.stderr[-2000:]
    assert [path.split("/")[2] for path in article_requests(requests[after_second:], "/news/")] == [new.news_id]
    assert sorted(record["news_id"] for record in dumped(data)) == sorted(story.news_id for story in site.recent())


@pytest.mark.crawl
def test_a_date_range_reads_the_days_the_sitemaps_date(tmp_path):
    site = MockFeedSite()
    old = [story for story in site.stories if story not in site.recent()]
    first_day = min(story.published for story in old)
    last_day = max(story.published for story in old)
    with running(MockFeedSiteServer(site)) as server:
        result = crawl_site(server.base_url + "/", tmp_path / "data", "-a", f"from={first_day.date().isoformat()}",
                            "-a", f"to={last_day.date().isoformat()}")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Gregorian date" in result.stderr
    assert sorted(record["news_id"] for record in dumped(tmp_path / "data")) == sorted(story.news_id for story in old)


@pytest.mark.crawl
def test_an_iransamaneh_site_is_detected_and_crawled_from_its_home_page_incrementally(tmp_path):
    data = tmp_path / "data"
    with running(MockIranSamanehServer()) as server:
        first = crawl_site(server.base_url + "/", data)
        before = len(server.requests)
        second = crawl_site(server.base_url + "/", data)
        asked_again = server.requests[before:]
    assert first.returncode == 0, first.stderr[-3000:]
    assert "family: iransamaneh (detected from a lib.iransamaneh_*.js script)" in first.stderr
    assert "home page (iransamaneh listing): " in first.stderr
    records = dumped(data)
    assert sorted(record["news_id"] for record in records) == sorted(listed_ids())  # each once
    assert second.returncode == 0 and "0 new article(s)" in second.stderr
    assert article_requests(asked_again, "/fa/news/") == []


@pytest.mark.crawl
def test_a_site_with_no_feed_or_sitemap_is_read_from_its_home_page_links(tmp_path):
    html = (FIXTURES / "irinn" / "irinn_article_499654_fetched2017-05-24.html").read_text(encoding="utf-8")
    html = html.replace("lib.iransamaneh_", "lib.site_").replace("news_pdate_c", "news_date").replace("news_id_c", "news_code")
    home = ('<html><body><a href="/">خانه</a> <a href="/section/economy">اقتصاد</a> <a href="/about">درباره</a>'
            '<a href="/fa/news/499654/x">انتخابات ۹۶ به روایت آمار</a></body></html>')
    with serve_pages({"/": home, "/fa/news/499654/x": html}) as server:
        result = crawl_site(server.base_url + "/", tmp_path / "data")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "reading the 1 home-page links that look like articles" in result.stderr
    (record,) = dumped(tmp_path / "data")
    assert (record["news_id"], record["title"]) == ("499654", "انتخابات 96 به روایت آمار")


@pytest.mark.crawl
def test_a_tracking_variant_of_a_stored_article_s_url_is_not_fetched_again(tmp_path):
    # An article whose URL carries no code: the home page links it plainly, then (the next run) as a share button
    # would, with utm_* parameters and a fragment.
    html = (FIXTURES / "irinn" / "irinn_article_499654_fetched2017-05-24.html").read_text(encoding="utf-8")
    html = html.replace("lib.iransamaneh_", "lib.site_")
    story = "/story/elections-96-in-numbers-at-a-glance"
    pages = {"/": f'<html><body><a href="/about">درباره</a><a href="{story}">انتخابات ۹۶ به روایت آمار</a></body></html>',
             story: html}
    with serve_pages(pages) as server:
        first = crawl_site(server.base_url + "/", tmp_path / "data")
        pages["/"] = pages["/"].replace(story, story + "?utm_source=telegram&amp;utm_medium=social#comments")
        before = len(server.requests)
        second = crawl_site(server.base_url + "/", tmp_path / "data")
        asked_again = server.requests[before:]
    assert first.returncode == 0, first.stderr[-3000:]
    assert [record["title"] for record in dumped(tmp_path / "data")] == ["انتخابات 96 به روایت آمار"]
    assert second.returncode == 0, second.stderr[-3000:]
    assert "home-page links: 1 articles, 0 to fetch, 1 already stored" in second.stderr
    assert not [path for path in asked_again if path.startswith("/story/")]


@pytest.mark.crawl
def test_a_home_page_that_leads_to_no_article_fails_the_run_with_the_reason(tmp_path):
    with serve_pages({"/": "<html><body><a href='/about'>درباره ما</a><p>به زودی</p></body></html>"}) as server:
        result = crawl_site(server.base_url + "/", tmp_path / "data")
    assert result.returncode == 1
    assert "no feed, sitemap or home-page link listed an article" in result.stderr


@pytest.mark.crawl
@pytest.mark.parametrize(("args", "message"), [
    ([], "needs an article (-a url="),
    (["-a", "url=http://a.ir/news/1234", "-a", "site_url=http://a.ir/"], "give either -a url="),
    (["-a", "site_url=ftp://a.ir/"], "site_url must be an http(s) URL"),
    (["-a", "site_url=http://a.ir/", "-a", "family=joomla"], "-a family= must be one of"),
])
def test_scrapy_crawl_news_refuses_bad_arguments_in_one_line(tmp_path, args, message):
    result = scrapy_crawl("news", *args, "-s", f"DATA_DIR={tmp_path}")
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr


@pytest.mark.subprocess
def test_a_registry_entry_of_the_generic_family_is_crawled_like_any_site(tmp_path):
    registry_file = tmp_path / "sites.toml"
    registry_file.write_text('[azmoon]\nname = "خبرگزاری آزمون"\nfamily = "generic"\nbase_url = "https://azmoon.example"\n',
                             encoding="utf-8")
    site = MockFeedSite()
    with running(MockFeedSiteServer(site)) as server:
        result = subprocess.run([str(SCRAPY), "crawl", "azmoon", "-a", f"base_url={server.base_url}",
                                 "-s", f"DATA_DIR={tmp_path / 'data'}", *FAST], cwd=ROOT, capture_output=True,
                                text=True, timeout=120,
                                env={**os.environ, "PERSIAN_NEWS_SITES": str(registry_file), "PYTHONIOENCODING": "utf-8"})
    assert result.returncode == 0, result.stderr[-3000:]
    records = [json.loads(line) for path in (tmp_path / "data" / "azmoon").glob("azmoon-*.jsonl")
               for line in path.read_text(encoding="utf-8").splitlines()]
    assert sorted(record["news_id"] for record in records) == sorted(story.news_id for story in site.recent())
    assert {record["site"] for record in records} == {"azmoon"}


@pytest.mark.subprocess
def test_an_entry_of_an_unknown_family_refuses_to_start_with_the_reason(tmp_path):
    registry_file = tmp_path / "sites.toml"
    registry_file.write_text('[lonely]\nname = "x"\nfamily = "joomla"\nbase_url = "https://lonely.example"\n',
                             encoding="utf-8")
    result = subprocess.run([str(SCRAPY), "crawl", "lonely", "-s", f"DATA_DIR={tmp_path / 'data'}"], cwd=ROOT,
                            capture_output=True, text=True, timeout=60,
                            env={**os.environ, "PERSIAN_NEWS_SITES": str(registry_file)})
    assert result.returncode == 1
    assert "the registry entry [lonely]" in result.stderr and "family must be one of" in result.stderr


@pytest.mark.crawl
def test_a_variant_of_a_family_s_markup_is_completed_by_the_generic_reading(tmp_path):
    # The real IRIB News page as another IranSamaneh site might serve it: the family is still detected (its script),
    # but the family parser's body class is not there.
    from tests.test_sites import crawl_news_article, shingle_f1

    html = (FIXTURES / "irinn" / "irinn_article_499654_fetched2017-05-24.html").read_text(encoding="utf-8")
    assert 'class="body col-xs-36"' in html
    html = html.replace('class="body col-xs-36"', 'class="matn col-xs-36"')
    wanted = json.loads((FIXTURES / "irinn" / "irinn_article_499654_fetched2017-05-24.expected.json").read_text(encoding="utf-8"))
    with serve_pages({"/fa/news/499654/x": html}) as server:
        result, records = crawl_news_article(f"{server.base_url}/fa/news/499654/x", tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "family: iransamaneh (detected from" in result.stderr
    assert "the iransamaneh parser found no body; taken from the generic reading: body" in result.stderr
    (record,) = records
    assert (record["title"], record["news_id"], record["published_at"]) == (
        wanted["title"], wanted["news_id"], wanted["published_at"])
    assert shingle_f1(record["body"], "\n\n".join(wanted["body"])) >= 0.95


@pytest.mark.crawl
def test_news_runs_of_different_sites_have_their_own_lock_and_folder(tmp_path):
    from crawler.state import RunLock

    data = tmp_path / "data"
    # A run of another site holds its lock: this site's run is not refused (runs of the same site would be: exit 75).
    other = RunLock(data / "news-other.example" / ".lock")
    other.acquire()
    try:
        with running(MockFeedSiteServer()) as server:
            result = crawl_site(server.base_url + "/", data)
            name = "news-" + site_key_of(server.base_url).replace(":", "_")
            same = RunLock(data / name / ".lock")
            same.acquire()
            try:
                refused = crawl_site(server.base_url + "/", data)
            finally:
                same.release()
    finally:
        other.release()
    assert result.returncode == 0, result.stderr[-2000:]
    assert list((data / name).glob(f"{name}-*.jsonl"))
    assert refused.returncode == 75
    runs = [json.loads(line) for line in (data / "runs.jsonl").read_text(encoding="utf-8").splitlines()]
    assert runs[-1]["spider"] == name


# -- bounds on what a site controls ------------------------------------------------------------------------------------

class HostileSite:
    """A site whose listings never end or never stop growing, counting the requests it gets."""

    def __init__(self, mode: str):
        from datetime import datetime

        from crawler.dates import TEHRAN

        self.mode = mode
        self.today = datetime.now(TEHRAN).strftime("%Y-%m-%dT%H:%M:%S+03:30")
        self.paths: list[str] = []

    def page(self, path: str) -> tuple[int, str, str]:
        self.paths.append(path)
        xml = "application/xml"
        if path == "/":
            links = "".join(f'<a href="/news/{1000 + number}/x">خبر شماره {number}</a>' for number in range(300))
            return 200, "text/html; charset=utf-8", f"<html><body>{links if self.mode == 'links' else ''}</body></html>"
        if path == "/robots.txt":
            return 200, "text/plain", "User-agent: *\nAllow: /\nSitemap: /sitemap-0.xml\n"
        if path.startswith("/sitemap-"):
            number = int(path.removeprefix("/sitemap-").removesuffix(".xml"))
            if self.mode == "endless":  # every index names one more
                return 200, xml, (f'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><sitemap>'
                                  f"<loc>/sitemap-{number + 1}.xml</loc></sitemap></sitemapindex>")
            if self.mode == "many" and number == 0:  # an index of 500 undated sitemaps
                children = "".join(f"<sitemap><loc>/sitemap-{child}.xml</loc></sitemap>" for child in range(1, 501))
                return 200, xml, f'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{children}</sitemapindex>'
            dated = self.mode == "huge"  # 400 articles of today, else 30 undated ones
            entries = "".join(f"<url><loc>/news/{(number + 10) * 1000 + entry}/x</loc>"
                              + (f"<lastmod>{self.today}</lastmod>" if dated else "") + "</url>"
                              for entry in range(400 if dated else 30))
            return 200, xml, f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{entries}</urlset>'
        if path.startswith("/news/"):
            code = path.split("/")[2]
            return 200, "text/html; charset=utf-8", (
                f"<html><head><title>خبر {code}</title><meta property='article:published_time' content='{self.today}'>"
                f"</head><body><h1>خبر شماره {code} از سایت</h1><p>متن خبر شماره {code} که چند کلمه دارد و خوانده "
                "می‌شود.</p></body></html>")
        return 404, "text/html", "<html><body>404</body></html>"


@pytest.mark.crawl
@pytest.mark.parametrize(("mode", "settings", "bound", "sitemaps", "articles"), [
    ("endless", ["DISCOVERY_MAX_SITEMAP_DEPTH=3"], "DISCOVERY_MAX_SITEMAP_DEPTH", 4, 0),
    ("many", ["DISCOVERY_MAX_SITEMAPS=20"], "DISCOVERY_MAX_SITEMAPS", 20, 0),  # undated entries: none fetched
    ("huge", ["DISCOVERY_MAX_LISTED=100", "DISCOVERY_MAX_ARTICLES=1000"], "DISCOVERY_MAX_LISTED", 1, 100),
    ("huge", ["DISCOVERY_MAX_ARTICLES=25"], "DISCOVERY_MAX_ARTICLES", 1, 25),
    ("links", ["DISCOVERY_MAX_LISTED=40"], "DISCOVERY_MAX_LISTED", 1, 40),
])
def test_discovery_stops_at_its_bounds_and_says_so(tmp_path, mode, settings, bound, sitemaps, articles):
    from tests.serving import LoopbackServer, PageHandler

    site = HostileSite(mode)

    class Handler(PageHandler):
        def do_GET(self):  # noqa: N802
            self._send(*site.page(urlsplit_path(self.path)))

    with running(LoopbackServer(Handler)) as server:
        arguments = [argument for setting in settings for argument in ("-s", setting)]
        result = crawl_site(server.base_url + "/", tmp_path / "data", *arguments)
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    assert len([path for path in site.paths if path.startswith("/sitemap-")]) == sitemaps
    assert len([path for path in site.paths if path.startswith("/news/")]) == articles
    warnings = [line for line in result.stderr.splitlines() if "WARNING" in line and f"-s {bound}=" in line]
    assert warnings, result.stderr[-3000:]
    run = json.loads((tmp_path / "data" / "runs.jsonl").read_text(encoding="utf-8").splitlines()[-1])
    assert run["bounds_hit"].get(bound, 0) >= 1
    assert "bounds hit (" in result.stderr


def urlsplit_path(path: str) -> str:
    from urllib.parse import urlsplit

    return urlsplit(path).path


@pytest.mark.subprocess
def test_two_sites_on_one_host_are_two_sites_and_run_side_by_side(tmp_path):
    # The same news codes on two ports of one host: before, the second site's run found everything "already stored"
    # (0 new, exit 0), and run together the second was refused (exit 75).
    data = tmp_path / "data"
    with running(MockFeedSiteServer()) as first, running(MockFeedSiteServer()) as second:
        together = [subprocess.Popen([str(SCRAPY), "crawl", "news", "-a", f"site_url={server.base_url}/",
                                      "-s", f"DATA_DIR={data}", *FAST], cwd=ROOT, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE, text=True) for server in (first, second)]
        results = [(process.wait(timeout=180), process.stderr.read()) for process in together]
    assert [status for status, _ in results] == [0, 0], results[1][1][-2000:]
    records = dumped(data)
    for server in (first, second):
        mine = [record for record in records if record["site"] == site_key_of(server.base_url)]
        assert sorted(record["news_id"] for record in mine) == sorted(story.news_id for story in server.site.recent())
    assert len({record["site"] for record in records}) == 2
    assert len({(record["site"], record["news_id"]) for record in records}) == len(records)
