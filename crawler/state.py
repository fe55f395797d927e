"""What lives between runs, under DATA_DIR, and the file handling that keeps it trustworthy when a run is killed:

- RunLock: one run of a spider at a time (an flock, released by the kernel even on SIGKILL);
- SeenStore: the articles already written, across runs (SQLite, one commit per record), how far back the
  latest-news crawl is known to be complete, and the articles that failed for a reason that may pass (retried by
  the next runs, a bounded number of times);
- PartFile: a run's output, written as `.name.part` and renamed when the run ends, so a reader never sees a
  partial file; a `.part` left by a killed run is recovered by the next run (complete lines kept);
- append_line: one JSON line appended with a single write, for logs that other programs read;
- check_writable: the start-of-run check that a folder, a file or the seen-store can really be written;
- Store and Claims: what a seen-store answers (SeenStore here, RedisStore in crawler/state_redis.py), and the claims
  only a store shared by many machines keeps (a run alone has AloneClaims); coverage_of: the watermark the parts of
  one run reached together.

A write that fails (a full disk, a read-only mount) never leaves half a line behind: the file is cut back to its last
complete line and StorageProblem says which path and what went wrong, in one line.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import sqlite3
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from crawler.record import Record, article_url


class AnotherRunInProgress(RuntimeError):
    """A run of the same spider holds the lock."""


class StorageProblem(RuntimeError):
    """Something under DATA_DIR cannot be written (or read): the message names the path and the problem."""


def describe(error: OSError | sqlite3.Error, path: Path) -> str:
    """`<path>: <what the system said>`, without Python's exception noise."""
    reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
    return f"{path}: {reason}"


def check_writable(path: Path, *, is_file: bool = False) -> None:
    """Raise StorageProblem unless ``path`` (a folder, created if missing, or with is_file a file that is appended
    to) can really be written: a probe file is made and removed, or the file is opened for appending. Checked by
    trying, because permission bits do not tell (root, read-only mounts, full disks for new files)."""
    folder = path.parent if is_file else path
    try:
        folder.mkdir(parents=True, exist_ok=True)
        if is_file and path.exists():
            os.close(os.open(path, os.O_WRONLY | os.O_APPEND))
        else:
            fd, probe = tempfile.mkstemp(prefix=".write-check-", dir=folder)
            os.close(fd)
            os.unlink(probe)
    except OSError as error:
        where = Path(error.filename) if error.filename else path
        raise StorageProblem(f"cannot write {describe(error, where)}") from None


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
    leaves half a line behind it. StorageProblem when it cannot be written whole."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    except OSError as error:
        raise StorageProblem(f"cannot write {describe(error, path)}") from None
    try:
        _write_line(fd, record, path, os.fstat(fd).st_size)
    finally:
        os.close(fd)


def _write_line(fd: int, record: dict[str, Any], path: Path, complete_size: int) -> int:
    """One JSON line in one write() call; returns its length in bytes. When the write fails or is short (a full
    disk), the file is cut back to ``complete_size``, where its last complete line ends, and StorageProblem says so."""
    data = (json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8")
    try:
        written = os.write(fd, data)
        if written == len(data):
            return written
        problem = f"short write, {written} of {len(data)} bytes (is the disk full?)"
    except OSError as error:
        problem = error.strerror or str(error)
    try:
        os.ftruncate(fd, complete_size)
    except OSError as error:
        problem += f"; the partial line could not be removed either ({error.strerror})"
    raise StorageProblem(f"cannot write {path}: {problem}")


class PartFile:
    """A run's JSONL output: lines go to `.<name>.part`; `commit()` renames it to `<name>` (or removes it when
    nothing was written)."""

    def __init__(self, final: Path):
        self.final = final
        self.part = part_path(final)
        self.lines = 0
        self.size = 0  # bytes of complete lines
        self._fd: int | None = None

    def write(self, record: dict[str, Any]) -> None:
        """Append the record as one line; StorageProblem (and the file as it was) when it cannot be written."""
        if self._fd is None:
            try:
                self.final.parent.mkdir(parents=True, exist_ok=True)
                self._fd = os.open(self.part, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_TRUNC, 0o644)
            except OSError as error:
                raise StorageProblem(f"cannot write {describe(error, self.part)}") from None
        self.size += _write_line(self._fd, record, self.part, self.size)
        self.lines += 1

    def take_back(self, size: int, lines: int) -> None:
        """Cut the file back to ``size`` bytes and ``lines`` lines: the record written last could not be recorded in
        the seen-store, so it must not stay on disk either (the next run writes it)."""
        os.ftruncate(self._fd, size)
        self.size, self.lines = size, lines

    def commit(self) -> Path | None:
        """Make the file visible under its final name, durably (the data, then the rename); None when the run
        wrote nothing. StorageProblem when that fails: the part file stays, and the next run recovers it."""
        if self._fd is None:
            return None
        if self.lines == 0:  # every line was taken back
            os.close(self._fd)
            self._fd = None
            self.part.unlink(missing_ok=True)
            return None
        try:
            os.fsync(self._fd)
            os.close(self._fd)
            self._fd = None
            os.replace(self.part, self.final)
            _fsync_directory(self.final.parent)
        except OSError as error:
            raise StorageProblem(f"cannot finish {describe(error, self.part)} (the next run recovers its complete "
                                 "lines)") from None
        return self.final


def part_path(final: Path) -> Path:
    return final.with_name(f".{final.name}.part")


def final_path(part: Path) -> Path:
    return part.with_name(part.name[1:].removesuffix(".part"))


def recover_part_file(part: Path, keep=None) -> tuple[Path, list[dict[str, Any]], int]:
    """Finish what a killed run left: keep the complete, parseable lines of `part` (and of those, the records
    ``keep`` accepts) under its final name.
    Returns (final path, recovered records, lines dropped). The part file stays until discard_part(): the caller
    first records the articles in the seen-store, so that a run killed during recovery leaves the part file for the
    next one to recover again (the same final file, written again whole), never articles on disk that the store does
    not know (they would be fetched and written twice)."""
    try:
        return _recover(part, keep)
    except OSError as error:
        raise StorageProblem(f"cannot recover {describe(error, Path(error.filename or part))}") from None


def _recover(part: Path, keep) -> tuple[Path, list[dict[str, Any]], int]:
    records: list[dict[str, Any]] = []
    dropped = 0
    with part.open("rb") as handle:
        for raw in handle:
            if not raw.endswith(b"\n"):
                dropped += 1  # the line being written when the run was killed
                continue
            try:
                record = json.loads(raw)
            except (json.JSONDecodeError, UnicodeDecodeError):
                dropped += 1
                continue
            if keep is None or keep(record):
                records.append(record)
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
    _fsync_directory(part.parent)
    return final, records, dropped


def discard_part(part: Path) -> None:
    """The last step of a recovery: the part file goes once its lines are in the final file and the store."""
    try:
        part.unlink(missing_ok=True)
        _fsync_directory(part.parent)
    except OSError as error:
        raise StorageProblem(f"cannot remove {describe(error, part)}") from None


def _fsync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# The form of the stores' keys: 1 since URL keys are readable URLs (crawler/record.py readable_url); a store of an
# earlier form is migrated when it is opened.
KEYS_VERSION = 1


def current_key(key: str) -> str:
    """An article's key (id:<code> or url:<url>) in today's form: a URL key's %-escaped Persian as characters."""
    return "url:" + article_url(key[4:]) if key.startswith("url:") and "%" in key else key


def fingerprint(record: dict[str, Any]) -> str:
    """A record's fingerprint (crawler/record.py Record.fingerprint): computed once for a Record, which validation
    makes; a record read back from a file is made one."""
    return (record if isinstance(record, Record) else Record(record)).fingerprint


@dataclass(frozen=True)
class StoredArticle:
    revision: int
    fingerprint: str
    file: str | None


@dataclass(frozen=True)
class Retry:
    key: str
    url: str
    listed_at: str | None
    attempts: int
    reason: str | None


class SeenStore:
    """Articles written across runs, keyed by (site, key) where key is `id:<news_id>` or `url:<url>`: a Store in
    SQLite under DATA_DIR."""

    write_batch = 1  # a local transaction is cheap: every record is put as it is written

    SCHEMA = """
        CREATE TABLE IF NOT EXISTS articles (
            site TEXT NOT NULL, key TEXT NOT NULL, url TEXT, published_at TEXT,
            revision INTEGER NOT NULL, fingerprint TEXT NOT NULL, file TEXT, written_at TEXT NOT NULL,
            PRIMARY KEY (site, key));
        CREATE TABLE IF NOT EXISTS coverage (
            site TEXT PRIMARY KEY, covered_until TEXT NOT NULL, updated_at TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS retries (
            site TEXT NOT NULL, key TEXT NOT NULL, url TEXT NOT NULL, listed_at TEXT, attempts INTEGER NOT NULL,
            reason TEXT, updated_at TEXT NOT NULL, gave_up INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (site, key));
        CREATE TABLE IF NOT EXISTS skipped (
            site TEXT NOT NULL, key TEXT NOT NULL, reason TEXT NOT NULL, skipped_at TEXT NOT NULL,
            PRIMARY KEY (site, key));
        CREATE TABLE IF NOT EXISTS aliases (
            site TEXT NOT NULL, key TEXT NOT NULL, article TEXT NOT NULL, PRIMARY KEY (site, key));
    """

    def __init__(self, path: Path):
        """Open (or create) the store and prove that it can be written: StorageProblem, in one line, when it
        cannot (a read-only file or mount, an unwritable folder, a file that is not SQLite)."""
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(path, isolation_level=None, timeout=30)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(self.SCHEMA)
            if self._db.execute("PRAGMA user_version").fetchone()[0] < KEYS_VERSION:
                self._migrate_keys()
            # A read-only database opens, reads and even begins a transaction: only a write tells.
            self._db.execute("BEGIN IMMEDIATE")
            self._db.execute("DELETE FROM coverage WHERE 0")
            self._db.execute("ROLLBACK")
        except (OSError, sqlite3.Error) as error:
            raise StorageProblem(f"the seen-store {describe(error, path)} cannot be written") from None

    def _migrate_keys(self) -> None:
        """Keys written before URL keys took their readable form (KEYS_VERSION 1): rewritten once, in one
        transaction; a key whose new form is already there is the same article, and the old one goes."""
        with self.transaction():
            for table, column in (("articles", "key"), ("retries", "key"), ("skipped", "key"), ("aliases", "key"),
                                  ("aliases", "article")):
                rows = self._db.execute(f"SELECT DISTINCT site, {column} FROM {table} WHERE {column} LIKE 'url:%\\%%' "
                                        "ESCAPE '\\'").fetchall()
                for site, old in rows:
                    new = current_key(old)
                    if new == old:
                        continue
                    self._db.execute(f"UPDATE OR IGNORE {table} SET {column} = ? WHERE site = ? AND {column} = ?",
                                     (new, site, old))
                    if column == "key":  # not moved: the new key was there already
                        self._db.execute(f"DELETE FROM {table} WHERE site = ? AND key = ?", (site, old))
            self._db.execute(f"PRAGMA user_version = {KEYS_VERSION}")

    def close(self) -> None:
        self._db.close()

    def get(self, site: str, key: str) -> StoredArticle | None:
        row = self._db.execute("SELECT revision, fingerprint, file FROM articles WHERE site = ? AND key = ?",
                               (site, key)).fetchone()
        return StoredArticle(*row) if row else None

    def has(self, site: str, key: str) -> bool:
        return self._db.execute("SELECT 1 FROM articles WHERE site = ? AND key = ?", (site, key)).fetchone() is not None

    def stored_among(self, site: str, keys: list[str]) -> set[str]:
        """The keys of ``keys`` the store has (a listing page's articles, asked about at once), directly or as the
        alias of a stored article."""
        found = self._keys_in("articles", site, keys)
        return found | self._keys_of("SELECT aliases.key FROM aliases JOIN articles ON articles.site = aliases.site AND "
                                     "articles.key = aliases.article WHERE aliases.site = ? AND aliases.key IN",
                                     site, [key for key in keys if key not in found])

    def alias(self, site: str, key: str, article: str) -> None:
        """The page listed as ``key`` (its URL) is the article ``article`` (its code, read on the page): once that
        article is stored, listings that give ``key`` need not fetch it again."""
        self._write("INSERT INTO aliases (site, key, article) VALUES (?, ?, ?) ON CONFLICT (site, key) "
                    "DO UPDATE SET article = excluded.article", (site, key, article))

    def skipped_among(self, site: str, keys: list[str]) -> set[str]:
        """The keys of ``keys`` whose pages earlier runs found to be no article (a photo page, an advertorial)."""
        return self._keys_in("skipped", site, keys)

    def _keys_in(self, table: str, site: str, keys: list[str]) -> set[str]:
        return self._keys_of(f"SELECT key FROM {table} WHERE site = ? AND key IN", site, keys)

    def _keys_of(self, query: str, site: str, keys: list[str]) -> set[str]:
        """The keys ``query`` (ending in `IN`, taking the site and then the keys) finds, asked 500 at a time."""
        found: set[str] = set()
        for start in range(0, len(keys), 500):
            chunk = keys[start:start + 500]
            rows = self._db.execute(f"{query} ({','.join('?' * len(chunk))})", (site, *chunk)).fetchall()
            found.update(row[0] for row in rows)
        return found

    def skip(self, site: str, key: str, reason: str, now: str) -> None:
        """Remember that this page is no article (why), so that later runs do not fetch it again."""
        self._write("INSERT INTO skipped (site, key, reason, skipped_at) VALUES (?, ?, ?, ?) ON CONFLICT (site, key) "
                    "DO UPDATE SET reason = excluded.reason, skipped_at = excluded.skipped_at", (site, key, reason, now))

    def count(self, site: str) -> int:
        return self._db.execute("SELECT COUNT(*) FROM articles WHERE site = ?", (site,)).fetchone()[0]

    def put(self, site: str, key: str, record: dict[str, Any], revision: int, file: str | None, now: str) -> None:
        self._write(
            "INSERT INTO articles (site, key, url, published_at, revision, fingerprint, file, written_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (site, key) DO UPDATE SET url = excluded.url, "
            "published_at = excluded.published_at, revision = excluded.revision, fingerprint = excluded.fingerprint, "
            "file = excluded.file, written_at = excluded.written_at",
            (site, key, record.get("url"), record.get("published_at"), revision, fingerprint(record), file, now))
        self._write("DELETE FROM retries WHERE site = ? AND key = ?", (site, key))  # after: a failure here only retries

    @contextlib.contextmanager
    def transaction(self):
        """Many writes in one commit (a recovery of thousands of records), all or none."""
        try:
            self._db.execute("BEGIN IMMEDIATE")
            yield
            self._db.execute("COMMIT")
        except BaseException as error:
            if self._db.in_transaction:
                self._db.execute("ROLLBACK")
            if isinstance(error, sqlite3.Error):
                raise StorageProblem(f"cannot write the seen-store {describe(error, self.path)}") from None
            raise

    def _write(self, sql: str, parameters: tuple) -> None:
        try:
            self._db.execute(sql, parameters)
        except sqlite3.Error as error:
            raise StorageProblem(f"cannot write the seen-store {describe(error, self.path)}") from None

    # -- articles that failed for a reason that may pass, retried by the next latest-news runs --------------------------

    def note_failure(self, site: str, key: str, url: str, listed_at: str | None, reason: str, now: str) -> int:
        """Remember (or count again) an article that could not be stored; returns how often it has failed."""
        self._write(
            "INSERT INTO retries (site, key, url, listed_at, attempts, reason, updated_at) VALUES (?, ?, ?, ?, 1, ?, ?) "
            "ON CONFLICT (site, key) DO UPDATE SET attempts = attempts + 1, reason = excluded.reason, "
            "url = excluded.url, listed_at = COALESCE(excluded.listed_at, listed_at), updated_at = excluded.updated_at",
            (site, key, url, listed_at, reason, now))
        return self._db.execute("SELECT attempts FROM retries WHERE site = ? AND key = ?", (site, key)).fetchone()[0]

    def retries(self, site: str) -> list[Retry]:
        """The site's articles waiting to be tried again, oldest failure first."""
        rows = self._db.execute("SELECT key, url, listed_at, attempts, reason FROM retries WHERE site = ? AND "
                                "gave_up = 0 ORDER BY updated_at, key", (site,)).fetchall()
        return [Retry(*row) for row in rows]

    def give_up(self, site: str, key: str, now: str) -> None:
        self._write("UPDATE retries SET gave_up = 1, updated_at = ? WHERE site = ? AND key = ?", (now, site, key))

    def forget_failure(self, site: str, key: str) -> None:
        """The article needs no retry any more (stored, or found to be no article)."""
        self._write("DELETE FROM retries WHERE site = ? AND key = ? AND gave_up = 0", (site, key))

    def covered_until(self, site: str) -> str | None:
        row = self._db.execute("SELECT covered_until FROM coverage WHERE site = ?", (site,)).fetchone()
        return row[0] if row else None

    def set_covered_until(self, site: str, moment: str, now: str) -> None:
        self._write("INSERT INTO coverage (site, covered_until, updated_at) VALUES (?, ?, ?) "
                    "ON CONFLICT (site) DO UPDATE SET covered_until = excluded.covered_until, "
                    "updated_at = excluded.updated_at", (site, moment, now))


@runtime_checkable
class Store(Protocol):
    """What a seen-store answers, whichever holds it: SQLite under DATA_DIR (SeenStore) or Redis (RedisStore).
    tests/test_state.py runs the same behaviour tests against both."""

    write_batch: int  # how many records the writer may gather before it puts them, in one transaction

    def close(self) -> None: ...
    def get(self, site: str, key: str) -> StoredArticle | None: ...
    def has(self, site: str, key: str) -> bool: ...
    def stored_among(self, site: str, keys: list[str]) -> set[str]: ...
    def skipped_among(self, site: str, keys: list[str]) -> set[str]: ...
    def skip(self, site: str, key: str, reason: str, now: str) -> None: ...
    def alias(self, site: str, key: str, article: str) -> None: ...
    def count(self, site: str) -> int: ...
    def put(self, site: str, key: str, record: dict[str, Any], revision: int, file: str | None, now: str) -> None: ...
    def transaction(self) -> contextlib.AbstractContextManager: ...
    def note_failure(self, site: str, key: str, url: str, listed_at: str | None, reason: str, now: str) -> int: ...
    def retries(self, site: str) -> list[Retry]: ...
    def give_up(self, site: str, key: str, now: str) -> None: ...
    def forget_failure(self, site: str, key: str) -> None: ...
    def covered_until(self, site: str) -> str | None: ...
    def set_covered_until(self, site: str, moment: str, now: str) -> None: ...


@runtime_checkable
class Claims(Protocol):
    """One worker per article, in a run shared by many machines (RedisStore): an article is claimed before its page
    is fetched and while its record is written; what a dead worker held is unsettled."""

    def claim(self, site: str, key: str, owner: str, seconds: int) -> bool: ...
    def claim_many(self, site: str, keys: list[str], owner: str, seconds: int) -> set[str]: ...
    def release_claim(self, site: str, key: str, owner: str) -> None: ...
    def release_claims(self, articles: list[tuple[str, str]] | None = None) -> None: ...
    def unsettled(self) -> list[tuple[str, str]]: ...


class AloneClaims:
    """The claims of a run on one machine: it has no one to share an article with, so every claim is granted."""

    def claim(self, site: str, key: str, owner: str, seconds: int) -> bool:
        return True

    def claim_many(self, site: str, keys: list[str], owner: str, seconds: int) -> set[str]:
        return set(keys)

    def release_claim(self, site: str, key: str, owner: str) -> None:
        return None

    def release_claims(self, articles: list[tuple[str, str]] | None = None) -> None:
        return None

    def unsettled(self) -> list[tuple[str, str]]:
        return []


def claims_of(store: Store) -> Claims:
    """The store's claims when it keeps them (Redis), else those of a run alone."""
    return store if isinstance(store, Claims) else AloneClaims()


def coverage_of(parts: list[dict | None]) -> str | None:
    """The watermark that the processes of one run reached together, from what each saw of the latest-news archive
    (counters.coverage_seen of each one's stats): the newest item of the first page, once the last page the run
    needed was read (by any of them); None when no part says. Articles that could not be stored are on the retry
    list, so the watermark may pass them."""
    parts = [part for part in parts if part]
    newest = [datetime.fromisoformat(part["newest_listed"]) for part in parts if part.get("newest_listed")]
    if not newest or not any(part.get("complete") for part in parts):
        return None
    return max(newest).isoformat()
