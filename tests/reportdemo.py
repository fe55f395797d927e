"""The report of the mock sites' crawl, as the README shows it: the mock ISNA site (five Jalali days) and the mock
WordPress site crawled for real into one data folder, a generated month of three more sites ending on the same day
for the long view (tests/generated_dumps.py, with its planted anomalies), then `python -m pipelines report`, opened in
headless Chromium for a screenshot.

    python -m tests.reportdemo OUT_DIR [--screenshot docs/report.png --height 2000]
"""

from __future__ import annotations

import argparse
import sys
from datetime import date, datetime
from pathlib import Path

from crawler.dates import TEHRAN
from tests.crawling import Ran, pipelines_command, scrapy_crawl
from tests.generated_dumps import write_dumps
from tests.mocksite.server import MockIsnaServer
from tests.mocksite.site import MockSite
from tests.mockwp.site import MockWordPress, MockWordPressServer
from tests.serving import running

FAST = ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "PROGRESS=off"]
LAST_DAY = date(2023, 8, 16)  # 1402-05-25, the mock sites' last day
GENERATED_SITES = ("irna", "tabnak", "khuzpress")


def make_demo_data(data: Path, process: bool = False) -> None:
    """The mock sites crawled into ``data`` (in this process, or in processes of their own when not under pytest), and
    the generated month beside them; raises when a crawl fails."""
    with running(MockIsnaServer(MockSite())) as isna, running(MockWordPressServer(MockWordPress())) as wordpress:
        for spider, *arguments in (
                ("isna", "-a", f"base_url={isna.base_url}", "-a", "from=1402-05-20", "-a", "to=1402-05-24"),
                ("nazirkerman", "-a", f"site_url={wordpress.base_url}", "-a", "from=1402-05-20", "-a", "to=1402-05-25")):
            result = scrapy_crawl(spider, *arguments, "-s", f"DATA_DIR={data}", *FAST, process=process)
            if result.returncode != 0:
                raise RuntimeError(f"scrapy crawl {spider} failed:\n{result.stderr[-3000:]}")
    # a backfill of that month, run over the last month: the runs log's days are this month's
    write_dumps(data, days=30, sites=GENERATED_SITES, end=LAST_DAY, runs_end=datetime.now(TEHRAN).date())


def make_report(data: Path, report: Path, process: bool = False) -> Ran:
    return pipelines_command("report", str(data), "-o", str(report), process=process)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.reportdemo", description=__doc__.split("\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--screenshot", type=Path, default=None, help="default: OUT/report.png")
    parser.add_argument("--height", type=int, default=None, help="the top HEIGHT pixels only (default: the whole page)")
    args = parser.parse_args(argv)
    from tests.browser import open_page

    make_demo_data(args.out / "data", process=True)
    result = make_report(args.out / "data", args.out / "report.html", process=True)
    print(result.stderr.strip())
    opened = open_page(args.out / "report.html", screenshot=args.screenshot or args.out / "report.png",
                       height=args.height)
    print(f"{len(opened.charts)} charts, {len(opened.anomalies)} anomalies, console: {opened.console or 'nothing'}")
    return result.returncode


if __name__ == "__main__":
    sys.exit(main())
