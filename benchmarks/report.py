"""The report and the snapshot on a year of dumps: time and peak memory, against the floor of reading the same files.

    .venv/bin/python benchmarks/report.py [--days 365] [--sites 5] [--per-day 150] [--keep DIR]

Generates the dumps (tests/generated_dumps.py: real Persian sentences, revisions, rejects, a runs log) into a
temporary folder, then runs each command in a process of its own, one after the other, and reads its wall time and
peak resident memory (the kernel's maximum RSS of the child):
  floor     every line read and parsed (orjson), nothing kept: what any reader of the files pays;
  report    python -m pipelines report DIR -o report.html;
  snapshot  python -m pipelines snapshot DIR -o articles.jsonl, and .parquet.
Ratios are against the floor of the same run. The aim: a year of several sites in seconds, with memory that does
not grow with the text (the report keeps no body).
"""

from __future__ import annotations

import argparse
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.generated_dumps import write_dumps  # noqa: E402

SITE_NAMES = ("isna", "tabnak", "nazirkerman", "irna", "mehr", "yjc", "tasnim", "khuzpress", "fars", "alef")

FLOOR = """
import sys, orjson
from pathlib import Path
lines = 0
for path in sorted(Path(sys.argv[1]).glob("*/*.jsonl")):
    with path.open("rb") as handle:
        for line in handle:
            orjson.loads(line)
            lines += 1
print(lines)
"""


def measure(command: list[str]) -> tuple[float, float]:
    """(wall seconds, peak RSS in MB) of a child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    subprocess.run(command, cwd=ROOT, check=True, capture_output=True)
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    # ru_maxrss of children is the largest of any child so far: each command is measured after smaller ones
    return seconds, max(peak, before) / 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--sites", type=int, default=5)
    parser.add_argument("--per-day", type=int, default=150)
    parser.add_argument("--keep", type=Path, default=None, help="generate into this folder and keep it")
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="report-bench-"))
    try:
        data = folder / "data"
        started = time.perf_counter()
        write_dumps(data, days=args.days, sites=SITE_NAMES[:args.sites], per_day=args.per_day)
        size = sum(path.stat().st_size for path in data.rglob("*.jsonl")) / 1e6
        lines = sum(1 for path in data.glob("*/*.jsonl") for _ in path.open("rb"))
        print(f"dumps: {lines} lines, {size:.0f} MB, {args.sites} sites x {args.days} days "
              f"(generated in {time.perf_counter() - started:.0f} s)")
        python = sys.executable
        # smallest first, since a child's peak memory is read as the largest so far
        rows = [("floor (read + parse every line)", [python, "-c", FLOOR, str(data)])]
        rows.append(("report", [python, "-m", "pipelines", "report", str(data), "-o", str(folder / "report.html")]))
        rows.append(("snapshot -> .jsonl", [python, "-m", "pipelines", "snapshot", str(data), "-o",
                                            str(folder / "articles.jsonl")]))
        rows.append(("snapshot -> .parquet", [python, "-m", "pipelines", "snapshot", str(data), "-o",
                                              str(folder / "articles.parquet")]))
        results = [(name, *measure(command)) for name, command in rows]
        floor = results[0][1]
        print(f"{'':34} {'seconds':>8} {'x floor':>8} {'lines/s':>10} {'peak MB*':>9}")
        for name, seconds, peak in results:
            print(f"{name:34} {seconds:8.1f} {seconds / floor:8.2f} {lines / seconds:10.0f} {peak:9.0f}")
        print("* the largest peak of any command so far (the kernel's maximum RSS of children)")
        print(f"report.html: {(folder / 'report.html').stat().st_size / 1e6:.1f} MB; "
              f"articles.parquet: {(folder / 'articles.parquet').stat().st_size / 1e6:.1f} MB")
    finally:
        if args.keep is None:
            shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
