"""Crawls on many machines, measured: 1, 2 and 4 workers of `scrapy crawl isna -s REDIS_URL=...` against one
redis-server and an nginx-served mirror of a mock ISNA site, politeness off; and one worker without Redis (SQLite
under DATA_DIR), the baseline of the same run.

    apt-get install -y nginx-light redis-server        # once (Debian)
    .venv/bin/python benchmarks/distributed.py [--size 4000] [--json benchmarks/results/distributed.json]

Reported per row: wall seconds from the first worker's start to the last one's exit, articles per second, the
workers' CPU ms per article (user+system of every worker process), and Redis's own CPU ms per article; then the
Redis server's memory and CPU per 100,000 request fingerprints (scrapy-redis's duplicate filter, a Redis set of SHA1
hex strings), measured alone. The aims (from the issue): throughput grows with workers until the server or the site is
the bottleneck (on this 2-core machine the cores are: 4 workers, nginx and Redis share two), and the per-article
overhead of Redis over SQLite under 10%.

The scaling is also measured with polite workers (--polite-pages, one request at a time each, 50 ms apart), where
one worker is bound by its politeness, as in real crawls, and not by the CPU: 1, 2 and 4 Redis workers.

The overhead is measured apart, in --pairs runs of one SQLite worker and one Redis worker started side by side (each
its own DATA_DIR, the same mirror): the CPU speed of a shared virtual machine drifts by a quarter within seconds, so two
runs one after the other differ by more than what is measured, while two runs at the same time see the same drift.
Reported: the median over the pairs of (Redis worker's CPU + Redis server's CPU) / SQLite worker's CPU, and the range.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from crawl import PAGE_SIZE, articles, free_port, start_nginx, write_mirror  # noqa: E402

SCRAPY = Path(sys.executable).with_name("scrapy")
FAST = ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=16",
        "-s", "LOG_LEVEL=WARNING", "-s", "PROGRESS=off", "-s", "DISTRIBUTED_IDLE_SECONDS=2",
        "-s", "DISTRIBUTED_HEARTBEAT_SECONDS=1"]
# Polite workers: one request at a time each, 50 ms apart; one worker is bound by its politeness, not by the CPU.
POLITE = ["-s", "DOWNLOAD_DELAY=0.05", "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=1",
          "-s", "LOG_LEVEL=WARNING", "-s", "PROGRESS=off", "-s", "DISTRIBUTED_IDLE_SECONDS=2",
          "-s", "DISTRIBUTED_HEARTBEAT_SECONDS=1"]


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start_redis(work: Path) -> tuple[subprocess.Popen, str]:
    import redis

    port = free_port()
    process = subprocess.Popen([shutil.which("redis-server"), "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                "--appendonly", "no"], stdout=subprocess.DEVNULL, cwd=work)
    url = f"redis://127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url)
    for _ in range(100):
        try:
            client.ping()
            return process, url
        except redis.ConnectionError:
            time.sleep(0.05)
    raise RuntimeError("redis-server did not start")


def start_worker(base: str, pages: int, data: Path, options: list[str], redis_url: str | None) -> subprocess.Popen:
    """`scrapy crawl isna` of the mirror's first ``pages`` archive pages into ``data``; its log beside it."""
    command = [str(SCRAPY), "crawl", "isna", "-a", f"base_url={base}", "-a", f"pages={pages}",
               "-s", f"DATA_DIR={data}", *options] + (["-s", f"REDIS_URL={redis_url}"] if redis_url else [])
    log = data.with_name(f"{data.name}.log").open("w")  # a file, not a pipe that nobody reads until the end
    return subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=log)


def wait_cpu(process: subprocess.Popen, data: Path) -> float:
    """The worker's CPU seconds once it exits (RuntimeError with its log's end when it failed)."""
    _, status, usage = os.wait4(process.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"a worker failed: {data.with_name(f'{data.name}.log').read_text()[-2000:]}")
    return usage.ru_utime + usage.ru_stime


def run_workers(count: int, base: str, pages: int, work: Path, redis_url: str | None, options: list[str] = FAST,
                label: str = "fast") -> dict:
    started = time.perf_counter()
    processes = []
    for number in range(count):
        data = work / f"data-{label}-{count}-{number}-{'redis' if redis_url else 'sqlite'}"
        processes.append((start_worker(base, pages, data, options, redis_url), data))
    cpu = sum(wait_cpu(process, data) for process, data in processes)
    seconds = time.perf_counter() - started
    written = sum(1 for _, data in processes for path in (data / "isna").glob("isna-*.jsonl") for _ in path.open())
    return {"workers": count, "redis": bool(redis_url), "seconds": round(seconds, 2), "articles": written,
            "cpu_seconds": round(cpu, 2)}


def overhead_pair(base: str, pages: int, work: Path, redis_url: str, redis_pid: int, number: int) -> float:
    """One SQLite worker and one Redis worker at the same time: (Redis worker + server CPU) / SQLite worker CPU."""
    redis_before = cpu_seconds(redis_pid)
    folders = {"sqlite": work / f"pair-{number}-sqlite", "redis": work / f"pair-{number}-redis"}
    processes = {name: start_worker(base, pages, data, FAST, redis_url if name == "redis" else None)
                 for name, data in folders.items()}
    cpu = {name: wait_cpu(processes[name], data) for name, data in folders.items()}
    return (cpu["redis"] + cpu_seconds(redis_pid) - redis_before) / cpu["sqlite"]


def fingerprint_cost(redis_url: str, server_pid: int, count: int = 100_000) -> dict:
    """Memory and CPU of the Redis server for ``count`` fingerprints added by scrapy-redis's duplicate filter."""
    import redis
    from scrapy import Request
    from scrapy_redis.dupefilter import RFPDupeFilter

    client = redis.Redis.from_url(redis_url)
    client.flushall()
    before_memory = client.info("memory")["used_memory"]
    before_cpu = cpu_seconds(server_pid)
    dupefilter = RFPDupeFilter(client, key="bench:dupefilter")
    for number in range(count):
        dupefilter.request_seen(Request(f"https://www.isna.ir/news/14{number:011d}/"))
    return {"fingerprints": client.scard("bench:dupefilter"),
            "memory_mb": round((client.info("memory")["used_memory"] - before_memory) / 1e6, 2),
            "server_cpu_seconds": round(cpu_seconds(server_pid) - before_cpu, 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=4000)
    parser.add_argument("--pairs", type=int, default=5, help="side-by-side runs measuring the overhead (default 5)")
    parser.add_argument("--polite-pages", type=int, default=40,
                        help="archive pages (20 articles each) the polite workers read (default 40)")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    for program in ("nginx", "redis-server"):
        if not shutil.which(program):
            sys.exit(f"{program} is not installed: apt-get install -y nginx-light redis-server, then run this again")
    rows = []
    with tempfile.TemporaryDirectory(prefix="distributed-bench-") as temporary:
        work = Path(temporary)
        work.chmod(0o755)
        folder = work / "mirror"
        write_mirror(folder, articles(args.size))
        port = free_port()
        server = start_nginx(folder, port)
        redis_server, redis_url = start_redis(work)
        base = f"http://127.0.0.1:{port}"
        try:
            pages = -(-args.size // PAGE_SIZE)
            for count, use_redis in ((1, False), (1, True), (2, True), (4, True)):
                redis_before = cpu_seconds(redis_server.pid)
                row = run_workers(count, base, pages, work, redis_url if use_redis else None)
                row["redis_cpu_seconds"] = round(cpu_seconds(redis_server.pid) - redis_before, 2)
                if row["articles"] != args.size:
                    sys.exit(f"{count} worker(s) wrote {row['articles']} of {args.size} articles: the numbers would be wrong")
                rows.append(row)
                import redis

                redis.Redis.from_url(redis_url).flushall()  # the next row starts from an empty store
            polite = []
            polite_pages = min(args.polite_pages, pages)
            for count in (1, 2, 4):
                row = run_workers(count, base, polite_pages, work, redis_url, POLITE, "polite")
                if row["articles"] != polite_pages * PAGE_SIZE:
                    sys.exit(f"{count} polite worker(s) wrote {row['articles']} articles: the numbers would be wrong")
                polite.append(row)
                redis.Redis.from_url(redis_url).flushall()
            ratios = []
            for number in range(args.pairs):
                ratios.append(overhead_pair(base, pages, work, redis_url, redis_server.pid, number))
                redis.Redis.from_url(redis_url).flushall()
            cost = fingerprint_cost(redis_url, redis_server.pid)
        finally:
            server.terminate()
            server.wait()
            redis_server.terminate()
            redis_server.wait()
    baseline = rows[0]
    print(f"{args.size} articles, {args.size // PAGE_SIZE} archive pages, nginx and redis-server on 127.0.0.1, "
          f"{os.cpu_count()} cores")
    print(f"{'':22} {'seconds':>8} {'articles/s':>11} {'x 1 worker':>11} {'CPU ms/article':>15} {'Redis CPU ms/art.':>18}")
    for row in rows:
        name = f"{row['workers']} worker(s), {'Redis' if row['redis'] else 'SQLite'}"
        rate = row["articles"] / row["seconds"]
        print(f"{name:22} {row['seconds']:8.1f} {rate:11.1f} {rate / (baseline['articles'] / baseline['seconds']):11.2f} "
              f"{row['cpu_seconds'] * 1000 / row['articles']:15.2f} {row['redis_cpu_seconds'] * 1000 / row['articles']:18.3f}")
    print(f"Polite workers (one request at a time each, DOWNLOAD_DELAY 0.05 s), {polite[0]['articles']} articles, Redis:")
    for row in polite:
        rate = row["articles"] / row["seconds"]
        print(f"{row['workers']} worker(s) {row['seconds']:8.1f} s {rate:8.1f} articles/s "
              f"{rate / (polite[0]['articles'] / polite[0]['seconds']):6.2f} x 1 worker")
    overhead = statistics.median(ratios) - 1
    print(f"Redis over SQLite, one worker: {overhead:+.1%} CPU per article (the worker's and Redis's together; median "
          f"of {len(ratios)} side-by-side pairs, range {min(ratios) - 1:+.1%} to {max(ratios) - 1:+.1%})")
    print(f"Redis per 100,000 fingerprints: {cost['memory_mb']} MB, {cost['server_cpu_seconds']} s of server CPU "
          "(added one at a time; a worker adds a page's at once)")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"size": args.size, "rows": rows, "overhead_pairs": [round(ratio, 4) for ratio in ratios],
                                         "overhead_median": round(overhead, 4), "polite_rows": polite, "fingerprints": cost}, indent=2) + "\n")


if __name__ == "__main__":
    main()
