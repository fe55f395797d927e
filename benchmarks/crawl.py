"""End-to-end crawl speed and memory: `scrapy crawl isna` against a static mirror of a mock ISNA site with thousands
of article pages, served by nginx on 127.0.0.1. Prints a table; --json writes the same numbers.

    apt-get install -y nginx-light                   # once (Debian); without nginx the script stops and says so
    .venv/bin/python benchmarks/crawl.py [--sizes 2000 20000] [--json benchmarks/results/crawl.json]

For each size N: N article pages generated in the real article markup (tests/mocksite) with varied text, and the
latest-news archive over them (20 items a page), written to disk and served by nginx (one worker, access log off).
The crawl is a plain `scrapy crawl isna -a base_url=... -a pages=N/20 -O out.jsonl` with politeness off (no delay,
no AutoThrottle, 32 concurrent requests). Reported: articles per second, crawler CPU ms per article (user+system),
peak RSS of the crawler, nginx's CPU ms per article (so the server is shown not to be the bottleneck). For the
first size, a second run under cProfile splits the crawler's CPU into HTML parsing, extraction, the pipelines and
the rest (Scrapy, Twisted, networking).
"""

from __future__ import annotations

import argparse
import json
import os
import pstats
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from crawler.dates import jalali_to_tehran  # noqa: E402
from tests.mocksite.site import HERE as MOCK_HERE  # noqa: E402
from tests.mocksite.site import ArticleSpec, render_archive, render_article  # noqa: E402

PAGE_SIZE = 20
SCRAPY = Path(sys.executable).with_name("scrapy")
FAST = ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "CONCURRENT_REQUESTS=32",
        "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=32", "-s", "LOG_LEVEL=WARNING", "-s", "PROGRESS=off"]
AIM_MEMORY_GROWTH = 1.5


def articles(count: int) -> list[ArticleSpec]:
    rng = random.Random(count)
    sentences = [line.strip() for line in (MOCK_HERE / "seraji-test-sentences.txt").read_text(encoding="utf-8").splitlines() if line.strip()]
    start = jalali_to_tehran(1402, 1, 1)
    specs = []
    for number in range(count):
        published = start + (jalali_to_tehran(1402, 1, 2) - start) * number / 40  # 40 a day
        picked = rng.sample(sentences, 12)
        specs.append(ArticleSpec(
            code=f"14{number:011d}", title=picked[0].rstrip(".")[:90], kicker=picked[1][:60] if number % 3 else None,
            published=published.replace(second=0, microsecond=0), category="کرمان", lead=picked[2],
            paragraphs=[" ".join(picked[index:index + 2]) for index in range(3, 12, 2)], reporter=str(10000 + number % 9000),
            tags=["کرمان", "اقتصاد"][: number % 3], image=f"https://cdn.isna.ir/d/{number}.jpg" if number % 2 else None))
    return specs


def write_mirror(folder: Path, specs: list[ArticleSpec]) -> None:
    (folder / "news").mkdir(parents=True)
    (folder / "archive").mkdir()
    (folder / "robots.txt").write_text("User-agent: *\nDisallow: /print/\n")
    for spec in specs:
        (folder / "news" / f"{spec.code}.html").write_text(render_article(spec), encoding="utf-8")
    newest = sorted(specs, key=lambda spec: spec.published, reverse=True)
    pages = -(-len(newest) // PAGE_SIZE)
    for page in range(1, pages + 1):
        html = render_archive(newest[(page - 1) * PAGE_SIZE: page * PAGE_SIZE], page, pages, lambda n: f"/archive?pi={n}&ms=0")
        (folder / "archive" / f"{page}.html").write_text(html, encoding="utf-8")


def start_nginx(folder: Path, port: int) -> subprocess.Popen:
    config = folder.parent / f"nginx-{port}.conf"
    config.write_text(f"""
worker_processes 1;
daemon off;
pid {folder.parent}/nginx-{port}.pid;
error_log {folder.parent}/nginx-{port}.error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    default_type text/html;
    types {{ text/html html; text/plain txt; }}
    charset utf-8;
    client_body_temp_path {folder.parent}/tmp-body; proxy_temp_path {folder.parent}/tmp-proxy;
    fastcgi_temp_path {folder.parent}/tmp-fcgi; uwsgi_temp_path {folder.parent}/tmp-uwsgi; scgi_temp_path {folder.parent}/tmp-scgi;
    server {{
        listen 127.0.0.1:{port};
        root {folder};
        location = /archive {{ try_files /archive/$arg_pi.html =404; }}
        location /news/ {{ rewrite ^/news/(\\d+)(/.*)?$ /news/$1.html break; }}
    }}
}}
""")
    process = subprocess.Popen([shutil.which("nginx"), "-c", str(config), "-p", str(folder.parent)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return process
        time.sleep(0.05)
    raise RuntimeError(f"nginx did not start: {process.stderr.read().decode()}")


def nginx_cpu_seconds(master: int) -> float:
    """User+system CPU of nginx's master and its workers, from /proc."""
    total = 0.0
    ticks = os.sysconf("SC_CLK_TCK")
    pids = [master] + [int(pid) for pid in Path(f"/proc/{master}/task/{master}/children").read_text().split()]
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def crawl(base_url: str, pages: int, output: Path, data: Path, profile: Path | None = None) -> dict:
    command = [str(SCRAPY), "crawl", "isna", "-a", f"base_url={base_url}", "-a", f"pages={pages}", "-O", str(output),
               "-s", f"DATA_DIR={data}", *FAST]
    if profile:
        command = [sys.executable, "-m", "cProfile", "-o", str(profile), *command]
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    errors = process.stderr.read().decode("utf-8", "replace")
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"crawl failed: {errors[-2000:]}")
    written = sum(1 for _ in output.open(encoding="utf-8"))
    return {"seconds": round(seconds, 2), "articles": written, "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 2),
            "peak_rss_mb": round(usage.ru_maxrss / 1024, 1)}


def profile_split(profile: Path) -> dict:
    """Where the crawler's CPU went: the profile's cumulative times of parsing, extraction and pipelines."""
    stats = pstats.Stats(str(profile)).stats
    total = sum(entry[2] for entry in stats.values())  # tottime over every function

    def cumulative(predicate) -> float:
        return sum(entry[3] for (filename, _, name), entry in stats.items() if predicate(filename, name))

    parsing = cumulative(lambda filename, name: filename.endswith("parsel/selector.py") and name == "create_root_node")
    extraction = cumulative(lambda filename, name: filename.endswith("crawler/sites/nastooh.py") and name == "article")
    pipelines = cumulative(lambda filename, name: "/pipelines/" in filename and name == "process_item")
    rest = max(0.0, total - parsing - extraction - pipelines)
    return {"total_seconds": round(total, 2), "parsing": round(parsing, 2), "extraction": round(extraction, 2),
            "pipelines": round(pipelines, 2), "scrapy_and_network": round(rest, 2)}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[2000, 20000])
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    if not shutil.which("nginx"):
        sys.exit("nginx is not installed: apt-get install -y nginx-light (Debian), then run this again")
    results = []
    with tempfile.TemporaryDirectory(prefix="crawl-bench-") as temporary:
        work = Path(temporary)
        work.chmod(0o755)  # nginx's worker runs as an unprivileged user: it must be able to read the mirror
        for index, size in enumerate(args.sizes):
            folder = work / f"mirror-{size}"
            started = time.perf_counter()
            write_mirror(folder, articles(size))
            generated = time.perf_counter() - started
            port = free_port()
            server = start_nginx(folder, port)
            try:
                base = f"http://127.0.0.1:{port}"
                pages = -(-size // PAGE_SIZE)
                server_before = nginx_cpu_seconds(server.pid)
                run = crawl(base, pages, work / f"out-{size}.jsonl", work / f"data-{size}")
                run["server_cpu_seconds"] = round(nginx_cpu_seconds(server.pid) - server_before, 2)
                if index == 0:
                    run["profile"] = profile_split_run(base, pages, work, size)
            finally:
                server.terminate()
                server.wait()
            run.update(size=size, generate_seconds=round(generated, 1))
            if run["articles"] != size:
                sys.exit(f"the crawl of {size} pages wrote {run['articles']} articles: the numbers would be wrong")
            results.append(run)
            shutil.rmtree(folder)

    print(f"{'pages':>7} {'written':>8} {'seconds':>8} {'articles/s':>11} {'CPU ms/article':>15} {'peak RSS MB':>12} {'nginx CPU ms/article':>21}")
    for run in results:
        print(f"{run['size']:>7} {run['articles']:>8} {run['seconds']:>8} {run['articles'] / run['seconds']:>11.1f} "
              f"{run['cpu_seconds'] * 1000 / run['articles']:>15.2f} {run['peak_rss_mb']:>12} "
              f"{run['server_cpu_seconds'] * 1000 / run['articles']:>21.3f}")
    split = results[0].get("profile")
    if split:
        per_article = {key: round(value * 1000 / results[0]["articles"], 2) for key, value in split.items()}
        print(f"\nwhere the crawler's CPU goes (profiled run of {results[0]['size']} pages, ms per article; the profiler "
              f"itself inflates every part): parsing {per_article['parsing']}, extraction {per_article['extraction']}, "
              f"pipelines {per_article['pipelines']}, Scrapy/Twisted/network {per_article['scrapy_and_network']} "
              f"(total {per_article['total_seconds']})")
    if len(results) > 1:
        growth = results[-1]["peak_rss_mb"] / results[0]["peak_rss_mb"]
        print(f"peak RSS at {results[-1]['size']} pages is {growth:.2f}x that at {results[0]['size']} "
              f"(aim: within {AIM_MEMORY_GROWTH}x)")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2) + "\n")
        print(f"written to {args.json}")


def profile_split_run(base: str, pages: int, work: Path, size: int) -> dict:
    profile = work / f"profile-{size}.prof"
    crawl(base, pages, work / f"out-profiled-{size}.jsonl", work / f"data-profiled-{size}", profile=profile)
    return profile_split(profile)


if __name__ == "__main__":
    main()
