"""The fault matrix: what a run does when the disk, the command line, the network or the site misbehaves.

Each case is a real `scrapy crawl` process against a real server on 127.0.0.1 (the mock ISNA site, or the fault
server in tests/faultserver.py in front of it) with its own DATA_DIR, and asserts the exit status, the records
written, the reason in runs.jsonl and, for network cases, that no request left 127.0.0.1. Storage faults use real
file systems: a small tmpfs that fills up, a read-only bind mount, and permission bits, with the process's
capability to ignore them dropped when the tests run as root (setpriv). The README's reliability section lists these
cases.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
from pathlib import Path

import pytest

from tests.helpers import FAST, ROOT, SCRAPY

ROOT_USER = os.geteuid() == 0
# What lets root write where permission bits say no; dropped so that chmod means for root what it means for a user.
NO_OVERRIDE = ["setpriv", "--bounding-set", "-dac_override,-dac_read_search,-fowner", "--"] if ROOT_USER else []
DAYS = ["-a", "from=1402-05-20", "-a", "to=1402-05-22"]


def crawl(data: Path, *args: str, spider: str = "isna", prefix: list[str] | None = None,
          timeout: float = 180) -> subprocess.CompletedProcess:
    command = [*(prefix or []), str(SCRAPY), "crawl", spider, "-s", f"DATA_DIR={data}", *FAST, *args]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, "PYTHONIOENCODING": "utf-8"})


def dump_ids(data: Path, spider: str = "isna") -> list[str]:
    """The news ids of every line of every dump; a line that is not complete JSON fails the test."""
    ids = []
    for path in sorted((data / spider).glob(f"{spider}-*.jsonl")):
        for number, line in enumerate(path.read_bytes().split(b"\n")[:-1], start=1):
            ids.append(json.loads(line)["news_id"])  # raises on a cut line
        assert path.read_bytes().endswith(b"\n") or path.stat().st_size == 0, f"{path.name} ends in a partial line"
    return ids


def stored_ids(data: Path, site: str = "isna") -> set[str]:
    with contextlib.closing(sqlite3.connect(data / "state.sqlite3")) as db:
        return {key.removeprefix("id:") for (key,) in db.execute("SELECT key FROM articles WHERE site = ?", (site,))}


def last_run(data: Path) -> dict:
    return json.loads((data / "runs.jsonl").read_text(encoding="utf-8").splitlines()[-1])


def one_line_refusal(result: subprocess.CompletedProcess, *words: str) -> str:
    """The run refused to start in one line naming the problem, and printed no traceback."""
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    lines = [line for line in result.stderr.splitlines() if line.startswith("cannot start `scrapy crawl")]
    assert len(lines) == 1, result.stderr[-3000:]
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


# -- storage ---------------------------------------------------------------------------------------------------------

@contextlib.contextmanager
def small_disk(size_kb: int):
    """A real, small file system of its own (tmpfs), mounted for the test and gone after it."""
    mount_point = Path(tempfile.mkdtemp(prefix="small-disk-"))
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_kb}k", "tmpfs", str(mount_point)], check=True)
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)
        mount_point.rmdir()


def fill(disk: Path, leave_kb: int) -> Path:
    """Fill the disk up to the last ``leave_kb`` kilobytes with a file; removing it gives the space back."""
    filler = disk / "filler"
    free = shutil.disk_usage(disk).free
    with filler.open("wb") as handle:
        handle.write(b"\0" * max(0, free - leave_kb * 1024))
    return filler


@pytest.mark.skipif(not ROOT_USER, reason="mounting a tmpfs needs root (CI runs as root)")
def test_a_full_disk_fails_the_run_leaves_only_complete_lines_and_the_next_run_fetches_the_rest(isna_site):
    wanted = {spec.code for spec in isna_site.site.articles_on((1402, 5, 20), (1402, 5, 22))}
    with small_disk(4096) as disk:
        data = disk / "data"
        crawl(data, "-a", f"base_url={isna_site.base_url}", "-a", "url=" + isna_site.base_url + "/news/95102918901/")
        filler = fill(disk, leave_kb=120)  # the store exists; room for a few records, not for all of them
        full = crawl(data, "-a", f"base_url={isna_site.base_url}", *DAYS)
        assert full.returncode == 1, full.stderr[-3000:]
        assert "No space left on device" in full.stderr or "database or disk is full" in full.stderr
        assert "exit 1: " in full.stderr  # the summary line is still there
        assert "Traceback" not in full.stderr
        written = dump_ids(data)
        assert set(written) - {"95102918901"} < wanted  # some, not all
        assert stored_ids(data) == set(written)  # the store claims exactly what is on disk, complete

        filler.unlink()
        again = crawl(data, "-a", f"base_url={isna_site.base_url}", *DAYS)
        assert again.returncode == 0, again.stderr[-3000:]
        ids = dump_ids(data)
        assert len(ids) == len(set(ids)), "an article was written twice"
        assert set(ids) == wanted | {"95102918901"}
        assert last_run(data)["exit_status"] == 0
        assert not list((data / "isna").glob(".*.part"))


@pytest.mark.skipif(not ROOT_USER, reason="mounting a tmpfs needs root (CI runs as root)")
def test_a_dump_that_fills_the_disk_is_cut_back_to_its_last_complete_line():
    from crawler.state import PartFile, StorageProblem, append_line

    record = {"title": "خبر " * 300}
    with small_disk(64) as disk:
        dump = PartFile(disk / "isna" / "isna-x.jsonl")
        with pytest.raises(StorageProblem, match="No space left on device|short write"):
            for _ in range(1000):
                dump.write(record)
        assert dump.lines > 3
        assert dump.part.stat().st_size == dump.size  # nothing of the line that did not fit
        with pytest.raises(StorageProblem):
            append_line(disk / "runs.jsonl", record)  # the same for the logs appended to
        assert not (disk / "runs.jsonl").exists() or (disk / "runs.jsonl").stat().st_size == 0
        assert dump.commit() == disk / "isna" / "isna-x.jsonl"
        lines = (disk / "isna" / "isna-x.jsonl").read_bytes().split(b"\n")
        assert lines[-1] == b"" and all(json.loads(line) == record for line in lines[:-1])


def test_a_read_only_seen_store_refuses_the_run_before_anything_is_fetched(isna_site, tmp_path):
    data = tmp_path / "data"
    assert crawl(data, "-a", f"base_url={isna_site.base_url}", *DAYS).returncode == 0
    before = len(isna_site.requests)
    (data / "state.sqlite3").chmod(0o444)
    result = crawl(data, "-a", f"base_url={isna_site.base_url}", *DAYS, "-a", "refresh=1", prefix=NO_OVERRIDE)
    assert result.returncode == 1
    one_line_refusal(result, "seen-store", "state.sqlite3", "readonly")
    assert len(isna_site.requests) == before  # nothing fetched


@pytest.mark.parametrize(("target", "mode", "named"), [
    ("isna", 0o555, "/isna"),  # the spider's folder
    ("runs.jsonl", 0o444, "runs.jsonl"),
    (".", 0o555, "data"),  # DATA_DIR itself
])
def test_an_unwritable_place_under_data_refuses_the_run_in_one_line(isna_site, tmp_path, target, mode, named):
    data = tmp_path / "data"
    assert crawl(data, "-a", f"base_url={isna_site.base_url}", "-a", "pages=1").returncode == 0
    before = len(isna_site.requests)
    (data / target).chmod(mode)
    try:
        result = crawl(data, "-a", f"base_url={isna_site.base_url}", "-a", "pages=1", prefix=NO_OVERRIDE)
    finally:
        (data / target).chmod(0o755 if mode == 0o555 else 0o644)
    assert result.returncode == 1
    one_line_refusal(result, named, "Permission denied")
    assert len(isna_site.requests) == before


@pytest.mark.skipif(not ROOT_USER, reason="a read-only bind mount needs root (CI runs as root)")
def test_data_on_a_read_only_mount_refuses_the_run_in_one_line(isna_site, tmp_path):
    data = tmp_path / "data"
    assert crawl(data, "-a", f"base_url={isna_site.base_url}", "-a", "pages=1").returncode == 0
    subprocess.run(["mount", "--bind", str(data), str(data)], check=True)
    try:
        subprocess.run(["mount", "-o", "remount,bind,ro", str(data)], check=True)
        result = crawl(data, "-a", f"base_url={isna_site.base_url}", "-a", "pages=1")
    finally:
        subprocess.run(["umount", str(data)], check=True)
    assert result.returncode == 1
    one_line_refusal(result, "Read-only file system")


def test_an_exception_in_a_pipeline_fails_the_run(isna_site, tmp_path):
    data = tmp_path / "data"
    pipelines = {"pipelines.clean.CleanPipeline": 200, "tests.faultserver.FailingPipeline": 250,
                 "pipelines.normalize.NormalizePipeline": 300, "pipelines.validate.ValidatePipeline": 500,
                 "pipelines.dedupe.DedupePipeline": 600, "pipelines.store.StorePipeline": 700}
    result = crawl(data, "-a", f"base_url={isna_site.base_url}", *DAYS, "-s", f"ITEM_PIPELINES={json.dumps(pipelines)}")
    assert result.returncode == 1
    assert "record(s) could not be processed or stored" in last_run(data)["exit_reason"]
    ids = dump_ids(data)
    assert ids and stored_ids(data) == set(ids)  # the others were written, and only they are claimed


# -- bad input --------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("args", "words"), [
    (["-a", "form=1402-05-20"], ["unknown option -a form=", "did you mean -a from=?", "-a to="]),
    (["-a", "url=not-a-url"], ["-a url= must be the absolute http(s) URL of an article"]),
    (["-a", "url=https://example.com/x"], ["-a url=https://example.com/x is not on ایسنا"]),
    (["-a", "from=1800-01-01"], ["neither Jalali", "nor Gregorian"]),
    (["-a", "from=1402-13-40"], ["'1402-13-40' is not a valid Jalali date"]),
])
def test_a_usage_error_is_one_line_and_exit_status_2(tmp_path, args, words):
    result = crawl(tmp_path / "data", *args)
    assert result.returncode == 2
    one_line_refusal(result, *words)
    assert "Task exception was never retrieved" not in result.stderr
    assert not (tmp_path / "data").exists()  # nothing was touched


def test_an_unknown_option_of_a_wordpress_spider_is_a_usage_error_too(tmp_path):
    result = crawl(tmp_path / "data", "-a", "site_ur=https://example.ir", spider="wordpress")
    assert result.returncode == 2
    one_line_refusal(result, "unknown option -a site_ur=", "did you mean -a site_url=?")


def test_a_misspelled_spider_gets_the_closest_name_and_leaves_no_lock(tmp_path):
    result = crawl(tmp_path / "data", spider="isnaa")
    assert result.returncode == 2
    one_line_refusal(result, "no spider 'isnaa'", "did you mean 'isna'?", "nazirkerman")
    assert not (tmp_path / "data").exists()


def test_gregorian_days_are_converted_and_said_so(isna_site, tmp_path):
    out = tmp_path / "out.jsonl"
    result = crawl(tmp_path / "data", "-a", f"base_url={isna_site.base_url}", "-a", "from=2023-08-11",
                   "-a", "to=2023-08-11", "-O", str(out))
    assert result.returncode == 0, result.stderr[-3000:]
    assert "-a from=2023-08-11 is a Gregorian date: read as the Jalali day 1402-05-20" in result.stderr
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert {record["news_id"] for record in records} == {spec.code for spec in isna_site.site.articles_on(
        (1402, 5, 20), (1402, 5, 20))}
