"""WordPress sites: `scrapy crawl wordpress -a site_url=...` and the registry's spiders, against the mock WordPress
site on 127.0.0.1 (tests/mockwp) with its REST API on, off, reachable only by ?rest_route=, or without _embed.
The same posts must come out the same way whichever route the spider takes."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.crawling import scrapy_crawl
from tests.helpers import FAST, ROOT, SCRAPY, letters
from tests.mockwp.site import (
    AUTHORS,
    CATEGORIES,
    TAGS,
    MockWordPress,
    MockWordPressServer,
    Post,
)
from tests.serving import running


def serve(rest: str) -> MockWordPressServer:
    return MockWordPressServer(MockWordPress(rest=rest))


def crawl(tmp_path: Path, spider: str, *args: str, env: dict | None = None) -> tuple[list[dict], str]:
    out = tmp_path / f"{spider}.jsonl"
    result = scrapy_crawl(spider, *args, "-O", str(out), "-s", f"DATA_DIR={tmp_path / 'data'}", *FAST, env=env,
                          process=env is not None)  # a registry in the environment is read by a new process
    assert result.returncode == 0, result.stderr[-3000:]
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    return records, result.stderr


def check_post(record: dict, post: Post) -> None:
    assert record["news_id"] == str(post.id)
    assert letters(record["title"]) == letters(post.title)
    paragraphs = record["body"].split("\n\n")
    assert [letters(paragraph) for paragraph in paragraphs] == [letters(paragraph) for paragraph in post.expected_body()]
    assert record["published_at"] == post.published.isoformat()
    assert record["category"] == CATEGORIES[post.categories[0]]
    assert record["categories"] == [CATEGORIES[term] for term in post.categories]
    assert record["tags"] == [TAGS[term] for term in post.tags]
    assert record["source"] == post.source
    assert record["author"] == AUTHORS[post.author]
    assert letters(record["lead"]) == letters(post.excerpt)
    for junk in ("اشتراک", "مطالب مرتبط", "خبر مرتبط", "ارسال نظر", "انتهای خبر", "منبع"):
        assert junk not in record["body"]


@pytest.mark.crawl
@pytest.mark.parametrize("rest", ["on", "off", "rest_route", "no-embed"])
def test_every_post_exactly_once_with_clean_fields_whatever_the_route(tmp_path, rest):
    with running(serve(rest)) as server:
        records, log = crawl(tmp_path, "wordpress", "-a", f"site_url={server.base_url}/")
    posts = server.site.posts
    assert sorted(record["news_id"] for record in records) == sorted(str(post.id) for post in posts)
    for record in records:
        check_post(record, server.site.by_id[int(record["news_id"])])
        assert record["site"] == f"127.0.0.1:{server.port}" and record["province"] is None
    expected_route = {"on": "route: REST API at", "off": "route: feed and sitemaps", "rest_route": "route: REST API at",
                      "no-embed": "route: REST API at"}[rest]
    assert expected_route in log
    if rest == "rest_route":
        assert "?rest_route=" in log or "rest (rest_route)" in log


@pytest.mark.crawl
def test_both_routes_give_the_same_records(tmp_path):
    results = {}
    for rest in ("on", "off"):
        with running(serve(rest)) as server:
            records, _ = crawl(tmp_path / rest, "wordpress", "-a", f"site_url={server.base_url}/")
        host = server.base_url
        results[rest] = {record["news_id"]: json.loads(json.dumps(record).replace(host, "http://site").replace(
            f"127.0.0.1:{server.port}", "site")) for record in records}  # the site's key has its port
    assert results["on"].keys() == results["off"].keys()
    for news_id, record in results["on"].items():
        other = results["off"][news_id]
        assert {key: value for key, value in record.items() if key != "crawled_at"} == {
            key: value for key, value in other.items() if key != "crawled_at"}, news_id


@pytest.mark.crawl
@pytest.mark.parametrize("rest", ["on", "off"])
def test_date_range_on_both_routes(tmp_path, rest):
    with running(serve(rest)) as server:
        records, _ = crawl(tmp_path, "wordpress", "-a", f"site_url={server.base_url}/", "-a", "from=1402-05-22",
                           "-a", "to=1402-05-23")
    wanted = {str(post.id) for post in server.site.posts if post.jalali.strftime("%Y-%m-%d") in ("1402-05-22", "1402-05-23")}
    assert len(wanted) == 5
    assert sorted(record["news_id"] for record in records) == sorted(wanted)


@pytest.mark.subprocess
def test_a_registry_entry_is_a_spider_with_no_code_change(tmp_path):
    registry = tmp_path / "sites.toml"
    # a deployment's own file: its entries are added to the shipped registry
    registry.write_text('[yazdfarda]\nname = "یزد فردا"\nfamily = "wordpress"\nbase_url = "https://yazdfarda.example"\n'
                        'province = "یزد"\nverified = false\n', encoding="utf-8")
    env = {"PERSIAN_NEWS_SITES": str(registry)}
    listed = subprocess.run([str(SCRAPY), "list"], cwd=ROOT, capture_output=True, text=True, env={**os.environ, **env})
    assert listed.returncode == 0
    assert {"isna", "wordpress", "nazirkerman", "kermaneno", "khuzpress", "goldashtkerman", "fardayekerman",
            "yazdfarda"} <= set(listed.stdout.split())
    with running(serve("off")) as server:
        records, _ = crawl(tmp_path, "yazdfarda", "-a", f"site_url={server.base_url}", env=env)
    assert len(records) == len(server.site.posts)
    assert {record["site"] for record in records} == {"yazdfarda"}
    assert {record["province"] for record in records} == {"یزد"}


@pytest.mark.subprocess
def test_a_registry_entry_with_bad_selectors_stops_its_crawl_with_the_reason_and_no_other(tmp_path):
    registry = tmp_path / "sites.toml"
    registry.write_text((ROOT / "crawler" / "sites" / "sites.toml").read_text(encoding="utf-8") + (
        '\n[yazdfarda]\nname = "یزد فردا"\nfamily = "wordpress"\nbase_url = "https://yazdfarda.example"\n'
        '[yazdfarda.selectors]\nbody = "div.post["\ntitel = "h1"\nbody_exclude = ".related"\n'), encoding="utf-8")
    env = {**os.environ, "PERSIAN_NEWS_SITES": str(registry)}
    listed = subprocess.run([str(SCRAPY), "list"], cwd=ROOT, capture_output=True, text=True, env=env, timeout=120)
    assert listed.returncode == 0 and {"isna", "nazirkerman", "yazdfarda"} <= set(listed.stdout.split())
    result = subprocess.run([str(SCRAPY), "crawl", "yazdfarda", "-s", f"DATA_DIR={tmp_path}"], cwd=ROOT,
                            capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode != 0
    assert f"cannot start `scrapy crawl yazdfarda`: the registry entry [yazdfarda] in {registry} has bad selectors" \
        in result.stderr
    assert "body = 'div.post[' is not a CSS selector" in result.stderr
    assert "unknown selector 'titel'" in result.stderr
    assert "body_exclude = '.related': a CSS selector (text) is needed" not in result.stderr  # one query is fine too
    assert not list(tmp_path.glob("yazdfarda/*.jsonl"))


def test_shipped_registry_selectors_are_all_usable():
    from crawler.sites import parser_for, registered_site, site_keys

    for key in site_keys():
        parser_for(registered_site(key))  # raises SiteEntryError for an entry that cannot be used


@pytest.mark.crawl
def test_shipped_provincial_spiders_run_against_a_mirror(tmp_path):
    with running(serve("on")) as server:
        records, _ = crawl(tmp_path, "nazirkerman", "-a", f"site_url={server.base_url}", "-a", "from=1402-05-25")
    assert records and {(record["site"], record["province"]) for record in records} == {("nazirkerman", "کرمان")}


@pytest.mark.crawl
def test_incremental_runs_skip_stored_posts(tmp_path):
    with running(serve("on")) as server:
        command = ["wordpress", "-a", f"site_url={server.base_url}/", "-s", f"DATA_DIR={tmp_path}", *FAST]
        first = scrapy_crawl(*command)
        before = len(server.requests)
        second = scrapy_crawl(*command)
    assert first.returncode == 0 and second.returncode == 0, second.stderr[-2000:]
    name = f"wordpress-127.0.0.1_{server.port}"  # each WordPress site its own folder and lock
    files = list((tmp_path / name).glob(f"{name}-*.jsonl"))
    assert len(files) == 1 and len(files[0].read_text(encoding="utf-8").splitlines()) == len(server.site.posts)
    assert len(server.requests) - before <= 2  # robots.txt and one REST page
    runs = [json.loads(line) for line in (tmp_path / "runs.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [(run["new_articles"], run["already_stored"], run["exit_status"]) for run in runs] == [
        (len(server.site.posts), 0, 0), (0, len(server.site.posts), 0)]  # stored posts: listed, not fetched again


@pytest.mark.crawl
def test_missing_site_url_is_a_clear_error(tmp_path):
    result = scrapy_crawl("wordpress", "-s", f"DATA_DIR={tmp_path}")
    assert result.returncode == 2  # a usage error
    assert "scrapy crawl wordpress needs the site: -a site_url=https://example.ir/" in result.stderr


@pytest.mark.parametrize("exclude", [".bs-irp", [".bs-irp", "#ad-box"]])
def test_body_exclude_takes_one_selector_or_a_list(exclude):
    from crawler.sites import Site
    from crawler.sites.wordpress import WordPressParser, body_paragraphs

    parser = WordPressParser(Site(key="x", name="x", family="wordpress", base_url="https://x.example",
                                  selectors={"body_exclude": exclude}))
    body = ('<p>متن خبر اول.</p><div class="bs-irp"><a href="/1">خبر مرتبط</a></div>'
            '<div id="ad-box">آگهی</div><p>متن خبر دوم.</p>')
    kept = body_paragraphs(parser.clean_body(body))
    assert kept[0] == "متن خبر اول." and kept[-1] == "متن خبر دوم." and "خبر مرتبط" not in kept
    assert ("آگهی" in kept) == isinstance(exclude, str)


def test_a_rest_post_whose_term_taxonomy_is_an_object_is_read_without_that_term():
    # A broken or hostile API: before, the TypeError lost the REST page's every post and the run said "healthy".
    from crawler.sites import Site
    from crawler.sites.wordpress import WordPressParser

    site = Site(key="example.ir", name="example.ir", family="wordpress", base_url="https://example.ir")
    post = {"id": 7, "date_gmt": "2023-08-15T09:16:00", "title": {"rendered": "عنوان نوشته"},
            "content": {"rendered": "<p>متن نوشته آزمایشی که چند کلمه دارد.</p>"}, "link": "https://example.ir/?p=7",
            "_embedded": {"wp:term": [[{"id": 3, "name": "ورزش", "taxonomy": {"x": 1}},
                                       {"id": 4, "name": "سیاست", "taxonomy": "category"}]]}}
    article = WordPressParser(site).rest_article(post)
    assert article.categories == ["سیاست"] and article.title == "عنوان نوشته"
