"""The README's first commands, run as a new user runs them: ./crawl (set up on first use, then exactly
`scrapy crawl`), ./crawl demo (a real crawl of the mock site, offline) and setup.sh --if-needed."""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from tests.helpers import FAST, ROOT, SCRAPY
from tests.mocksite.site import REAL_ARTICLE_CODE, REAL_ARTICLE_SLUG


def run(command: list[str], cwd=ROOT, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, "PYTHONIOENCODING": "utf-8"})


@pytest.mark.subprocess
def test_setup_if_needed_does_nothing_when_the_environment_is_up_to_date():
    result = run(["bash", str(ROOT / "setup.sh"), "--if-needed"], timeout=30)
    assert result.returncode == 0
    assert result.stdout == "" and result.stderr == ""


@pytest.mark.subprocess
def test_the_demo_crawls_the_mock_site_offline_and_shows_the_summary_and_a_record():
    result = run([str(ROOT / "crawl"), "demo"])
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    summary = next(line for line in result.stdout.splitlines() if line.startswith("isna: "))
    assert "22 new article(s)" in summary and summary.endswith("exit 0: healthy")
    text = result.stdout
    record = json.loads(text[text.index("\n{", text.index("the record of a real ISNA article")):])
    assert record["site"] == "isna" and record["news_id"] == "1402052415139"
    assert record["title"] == "صنایع بزرگ خوزستان از صنایع کوچک حمایت کنند" and "انتهای" not in record["body"]
    assert record["published_jalali"][:10] >= "1402-05-20" and record["published_jalali"][:10] <= "1402-05-24"


@pytest.mark.subprocess
def test_crawl_is_scrapy_crawl_from_any_folder_with_paths_relative_to_the_caller(isna_site, tmp_path):
    url = f"{isna_site.base_url}/news/{REAL_ARTICLE_CODE}/{REAL_ARTICLE_SLUG}"
    arguments = ["isna", "-a", f"base_url={isna_site.base_url}", "-a", f"url={url}", "-O", "one.jsonl", *FAST]
    result = run([str(ROOT / "crawl"), *arguments], cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    (record,) = [json.loads(line) for line in (tmp_path / "one.jsonl").read_text(encoding="utf-8").splitlines()]
    assert record["news_id"] == REAL_ARTICLE_CODE


@pytest.mark.subprocess
def test_crawl_exits_with_the_status_scrapy_crawl_gives_for_the_same_arguments(tmp_path):
    arguments = ["isna", "-a", "from=1402-05-24", "-a", "to=1402-05-20", "-s", f"DATA_DIR={tmp_path}"]
    ours, scrapys = run([str(ROOT / "crawl"), *arguments]), run([str(SCRAPY), "crawl", *arguments])
    assert scrapys.returncode != 0
    assert ours.returncode == scrapys.returncode
    assert "-a to=1402-05-20 is before -a from=1402-05-24" in ours.stderr


@pytest.mark.subprocess
def test_crawl_help_lists_every_option_of_every_spider_and_the_demo():
    from crawler.spiders.news import AnyNewsSpider
    from crawler.spiders.wordpress import WordPressSpider
    from crawler.spiders.base import SiteSpider

    result = run([str(ROOT / "crawl"), "-h"])
    assert result.returncode == 0, result.stderr[-2000:]
    options = {*SiteSpider.options, *AnyNewsSpider.options, *WordPressSpider.options}
    assert all(f"-a {option}=" in result.stdout for option in options), result.stdout
    assert "./crawl demo" in result.stdout and "Exit status: 0 healthy" in result.stdout
