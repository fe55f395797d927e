"""What lives between runs, under DATA_DIR, and the file handling that keeps it trustworthy when a run is killed:

- RunLock: one run of a spider at a time (an flock, released by the kernel even on SIGKILL);
- SeenStore: the articles already written, across runs (SQLite, one commit per record), and how far back the
  latest-news crawl is known to be complete;
- PartFile: a run's output, written as `.name.part` and renamed when the run ends, so a reader never sees a
  partial file; a `.part` left by a killed run is recovered by the next run (complete lines kept);
- append_line: one JSON line appended with a single write, for logs that other programs read.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any


class AnotherRunInProgress(RuntimeError):
    """A run of the same spider holds the lock."""


class RunLock:
    def __init__(self, path: Path):
        self.path = path
        self._fd: int | None = None

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 200, 0).decode("utf-8", "replace").strip()
            os.close(fd)
            raise AnotherRunInProgress(f"another run holds {self.path} ({holder or 'unknown process'})") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()}\n".encode(), 0)
        self._fd = fd

    @property
    def held(self) -> bool:
        return self._fd is not None

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the descriptor releases the flock
            self._fd = None


def append_line(path: Path, record: dict[str, Any]) -> None:
    """Append one JSON line with a single write() on an O_APPEND descriptor: a reader or a killed writer never
    leaves half a line behind it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        _write_line(fd, record, path)
    finally:
        os.close(fd)


def _write_line(fd: int, record: dict[str, Any], path: Path) -> None:
    """One JSON line in one write() call."""
    data = (json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8")
    written = os.write(fd, data)
    if written != len(data):
        raise OSError(f"short write to {path}: {written} of {len(data)} bytes (disk full?)")


class PartFile:
    """A run's JSONL output: lines go to `.<name>.part`; `commit()` renames it to `<name>` (or removes it when
    nothing was written)."""

    def __init__(self, final: Path):
        self.final = final
        self.part = part_path(final)
        self.lines = 0
        self._fd: int | None = None

    def write(self, record: dict[str, Any]) -> None:
        if self._fd is None:
            self.final.parent.mkdir(parents=True, exist_ok=True)
            self._fd = os.open(self.part, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_TRUNC, 0o644)
        _write_line(self._fd, record, self.part)
        self.lines += 1

    def commit(self) -> Path | None:
        """Make the file visible under its final name; None when the run wrote nothing."""
        if self._fd is None:
            return None
        os.fsync(self._fd)
        os.close(self._fd)
        self._fd = None
        os.replace(self.part, self.final)
        _fsync_directory(self.final.parent)
        return self.final


def part_path(final: Path) -> Path:
    return final.with_name(f".{final.name}.part")


def final_path(part: Path) -> Path:
    return part.with_name(part.name[1:].removesuffix(".part"))


def recover_part_file(part: Path) -> tuple[Path, list[dict[str, Any]], int]:
    """Finish what a killed run left: keep the complete, parseable lines of `part` under its final name.
    Returns (final path, recovered records, lines dropped)."""
    records: list[dict[str, Any]] = []
    dropped = 0
    with part.open("rb") as handle:
        for raw in handle:
            if not raw.endswith(b"\n"):
                dropped += 1  # the line being written when the run was killed
                continue
            try:
                records.append(json.loads(raw))
            except (json.JSONDecodeError, UnicodeDecodeError):
                dropped += 1
    final = final_path(part)
    temporary = part.with_name(part.name + ".recovering")
    with temporary.open("w", encoding="utf-8") as out:
        for record in records:
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
        out.flush()
        os.fsync(out.fileno())
    if records:
        os.replace(temporary, final)
    else:
        temporary.unlink()
    part.unlink()
    _fsync_directory(part.parent)
    return final, records, dropped


def _fsync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fingerprint(record: dict[str, Any]) -> str:
    """What makes two fetches of an article the same revision: its text and its declared modification time."""
    keys = ("title", "kicker", "lead", "body", "tags", "modified_at")
    payload = json.dumps([record.get(key) for key in keys], ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class StoredArticle:
    revision: int
    fingerprint: str
    file: str | None


class SeenStore:
    """Articles written across runs, keyed by (site, key) where key is `id:<news_id>` or `url:<url>`."""

    SCHEMA = """
        CREATE TABLE IF NOT EXISTS articles (
            site TEXT NOT NULL, key TEXT NOT NULL, url TEXT, published_at TEXT,
            revision INTEGER NOT NULL, fingerprint TEXT NOT NULL, file TEXT, written_at TEXT NOT NULL,
            PRIMARY KEY (site, key));
        CREATE TABLE IF NOT EXISTS coverage (
            site TEXT PRIMARY KEY, covered_until TEXT NOT NULL, updated_at TEXT NOT NULL);
    """

    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._db = sqlite3.connect(path, isolation_level=None, timeout=30)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(self.SCHEMA)

    def close(self) -> None:
        self._db.close()

    def get(self, site: str, key: str) -> StoredArticle | None:
        row = self._db.execute("SELECT revision, fingerprint, file FROM articles WHERE site = ? AND key = ?",
                               (site, key)).fetchone()
        return StoredArticle(*row) if row else None

    def has(self, site: str, key: str) -> bool:
        return self._db.execute("SELECT 1 FROM articles WHERE site = ? AND key = ?", (site, key)).fetchone() is not None

    def count(self, site: str) -> int:
        return self._db.execute("SELECT COUNT(*) FROM articles WHERE site = ?", (site,)).fetchone()[0]

    def put(self, site: str, key: str, record: dict[str, Any], revision: int, file: str | None, now: str) -> None:
        self._db.execute(
            "INSERT INTO articles (site, key, url, published_at, revision, fingerprint, file, written_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (site, key) DO UPDATE SET url = excluded.url, "
            "published_at = excluded.published_at, revision = excluded.revision, fingerprint = excluded.fingerprint, "
            "file = excluded.file, written_at = excluded.written_at",
            (site, key, record.get("url"), record.get("published_at"), revision, fingerprint(record), file, now))

    def covered_until(self, site: str) -> str | None:
        row = self._db.execute("SELECT covered_until FROM coverage WHERE site = ?", (site,)).fetchone()
        return row[0] if row else None

    def set_covered_until(self, site: str, moment: str, now: str) -> None:
        self._db.execute("INSERT INTO coverage (site, covered_until, updated_at) VALUES (?, ?, ?) "
                         "ON CONFLICT (site) DO UPDATE SET covered_until = excluded.covered_until, "
                         "updated_at = excluded.updated_at", (site, moment, now))
