"""`./crawl demo`: a real crawl that needs no network. Starts the mock ISNA site on a free loopback port, runs
`scrapy crawl isna` over five Jalali days of it into a temporary folder, prints the run's summary line and the record
of its real article (a real ISNA Khuzestan story, tests/fixtures/isna-khuzestan-1402052415139.txt, which the mock
serves as ISNA printed it; the other articles are made of corpus sentences), and stops the server. The exit status is
the crawl's."""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from tests.mocksite.server import MockIsnaServer
from tests.mocksite.site import MockSite

ROOT = Path(__file__).resolve().parents[2]
FIRST_DAY, LAST_DAY = "1402-05-20", "1402-05-24"
SHOWN = "1402052415139"  # the real article among the mock's, published on LAST_DAY
# The summary line crawler/run.py logs at the end of every run.
_SUMMARY = re.compile(r"\] (?:INFO|ERROR): (isna: .*exit \d+: .*)$")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="./crawl demo", description=__doc__)
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder and say where it is")
    args = parser.parse_args(argv)
    server = MockIsnaServer(MockSite()).start_in_thread()
    folder = Path(tempfile.mkdtemp(prefix="persian-news-demo-"))
    try:
        print(f"demo: mock ISNA site at {server.base_url}; crawling {FIRST_DAY} to {LAST_DAY} into {folder}", flush=True)
        command = [str(Path(sys.executable).with_name("scrapy")), "crawl", "isna", "-a", f"base_url={server.base_url}",
                   "-a", f"from={FIRST_DAY}", "-a", f"to={LAST_DAY}", "-s", f"DATA_DIR={folder / 'data'}",
                   "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "PROGRESS=off",
                   "--logfile", str(folder / "crawl.log")]
        print("demo: " + " ".join(command[1:]), flush=True)
        status = subprocess.run(command, cwd=ROOT, check=False).returncode
        log = (folder / "crawl.log").read_text(encoding="utf-8", errors="replace").splitlines()
        summary = next((match.group(1) for line in reversed(log) if (match := _SUMMARY.search(line))), None)
        print(summary or "\n".join(["demo: the crawl left no summary line; the end of its log:", *log[-15:]]))
        dumps = sorted((folder / "data" / "isna").glob("isna-*.jsonl"))
        if dumps:
            records = [json.loads(line) for line in dumps[0].read_text(encoding="utf-8").splitlines()]
            shown = next((record for record in records if record.get("news_id") == SHOWN), records[0])
            print(f"demo: the record of a real ISNA article, one of {len(records)} in {dumps[0].name}:")
            print(json.dumps(shown, ensure_ascii=False, indent=2))
        if args.keep:
            print(f"demo: the dump, the log and runs.jsonl are in {folder}")
        return status
    finally:
        server.shutdown()
        server.server_close()
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
