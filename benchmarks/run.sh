#!/usr/bin/env bash
# Every benchmark in one command, after the README's setup: installs nginx
# (Debian, when missing and when run as root), then prints each benchmark's table and writes its JSON under
# benchmarks/results/. Takes about ten minutes on 2 cores, most of it the 20,000-page crawl.
set -euo pipefail
cd "$(dirname "$0")/.."
bash setup.sh --if-needed
if ! command -v nginx >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ]; then
        apt-get install -y -qq nginx-light >/dev/null || { apt-get update -qq && apt-get install -y -qq nginx-light >/dev/null; }
    else
        echo "benchmarks/run.sh: nginx is needed for the crawl benchmark: sudo apt-get install nginx-light" >&2
        exit 1
    fi
fi
echo "== text quality and speed of cleaning + normalization"
.venv/bin/python benchmarks/text_quality.py --json benchmarks/results/text_quality.json
echo
echo "== extraction per page: parse floor, ours, ours + pipelines, trafilatura"
.venv/bin/python benchmarks/extraction.py --json benchmarks/results/extraction.json
echo
echo "== crawl: scrapy crawl isna against an nginx-served mirror, 2,000 and 20,000 pages"
.venv/bin/python benchmarks/crawl.py --sizes 2000 20000 --json benchmarks/results/crawl.json
echo
echo "== the report and the snapshot on a generated year of 5 sites"
.venv/bin/python benchmarks/report.py
echo
echo "== many workers: 1, 2 and 4 workers on one Redis, beside one worker on SQLite"
if command -v redis-server >/dev/null 2>&1; then
    .venv/bin/python benchmarks/distributed.py --json benchmarks/results/distributed.json
else
    echo "benchmarks/run.sh: redis-server is needed for this one: apt-get install redis-server" >&2
fi
