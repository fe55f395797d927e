"""The dumps under a data folder read as one dataset, a line at a time: what `python -m pipelines report` and
`python -m pipelines snapshot` read.

A data folder (DATA_DIR) holds, per run name, `<name>/<name>-<UTC start>.jsonl` (complete files only: a run's
`.part` file is never read), `runs.jsonl` (one line per run) and `rejects/<name>/rejects-<UTC time>.jsonl`
(data/README.md). Files given one by one are read as dumps. A line that is not a JSON object is counted and skipped,
never fatal: a report on a year of dumps must not stop at one bad byte.
"""

from __future__ import annotations

import logging
import os
import stat
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson

from crawler.dates import TEHRAN

logger = logging.getLogger(__name__)


class NoDumps(ValueError):
    """Nothing to read: the paths name no dump file (the message says what was looked at)."""


@dataclass
class Sources:
    """What one report or snapshot reads."""

    dumps: list[Path]
    runs: list[Path] = field(default_factory=list)
    rejects: list[Path] = field(default_factory=list)


def find_sources(paths: Iterable[str | Path]) -> Sources:
    """The dump files, runs logs and rejects files of data folders and files; NoDumps when there are no dumps and
    no runs log either. A missing path is an error with its name."""
    dumps: list[Path] = []
    runs: list[Path] = []
    rejects: list[Path] = []
    for given in paths:
        path = Path(given)
        if not path.exists():
            raise NoDumps(f"{path}: no such file or folder")
        if path.is_file():
            (runs if path.name == "runs.jsonl" else dumps).append(path)
            continue
        for folder in sorted(child for child in path.iterdir() if child.is_dir() and not child.name.startswith(".")):
            if folder.name == "rejects":
                rejects += sorted(folder.glob("*/rejects-*.jsonl"))
            elif folder.name != "schema":
                dumps += sorted(file for file in folder.glob("*.jsonl") if not file.name.startswith(".")
                                and file.is_file())  # a folder named like a dump is none
        if (path / "runs.jsonl").is_file():
            runs.append(path / "runs.jsonl")
    if not dumps and not runs:
        raise NoDumps(f"no dump files (<name>/<name>-<time>.jsonl) and no runs.jsonl in {', '.join(map(str, paths))}")
    return Sources(dumps, runs, rejects)


# Timestamps a dump can truly hold: none before 1990 (the validator refuses such dates) nor later than a day after
# the dataset is read. Anything else is a broken or hostile line, read as undated: one absurd date (year 1 or 2999)
# must not overflow time zone arithmetic or stretch a report's time axis over centuries.
EARLIEST = datetime(1990, 1, 1, tzinfo=UTC)
FUTURE_MARGIN = timedelta(days=1)


def timestamp(value) -> datetime | None:
    """A dump's timestamp (`2023-08-15T12:46:00+03:30`, `2026-12-01T10:00:00Z`) as an aware datetime (Tehran's when
    it has no offset); None for anything else, and for a moment before 1990 or more than a day from now."""
    if not isinstance(value, str) or len(value) < 10:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        moment = moment if moment.tzinfo else moment.replace(tzinfo=TEHRAN)
        if not EARLIEST <= moment <= datetime.now(UTC) + FUTURE_MARGIN:
            return None
    except (ValueError, OverflowError):
        return None
    return moment


def sources_or_none(command: str, paths: Iterable[str | Path]) -> Sources | None:
    """find_sources for a command line: None, with the reason printed in one line, when there is nothing to read."""
    try:
        return find_sources(paths)
    except NoDumps as problem:
        print(f"{command}: {problem}", file=sys.stderr)
        return None


def write_atomically(target: Path, write: Callable[[Path], int]) -> int:
    """``write(temporary)`` into a temporary file beside ``target``, flushed to disk, then renamed over it: a reader
    sees the old file or the whole new one, never half of one, and a full disk leaves the old one as it was. The
    target must be a regular file or not exist: a device, a folder or a pipe is refused (OSError), since renaming
    over /dev/full would replace the device itself. Returns what ``write`` returns."""
    try:
        mode = target.stat().st_mode
    except FileNotFoundError:
        mode = None
    if mode is not None and not stat.S_ISREG(mode):
        raise OSError(f"{target} is not a regular file (a device, a folder or a pipe): refusing to replace it")
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        result = write(temporary)
        with temporary.open("rb") as handle:
            os.fsync(handle.fileno())
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return result


@dataclass
class LineCount:
    read: int = 0
    bad: int = 0
    bad_example: str | None = None


# The longest line read: a dump's longest record is a few hundred KB; a "line" longer than this is a broken file (one
# with no line breaks at all would otherwise be read whole into memory).
MAX_LINE = 64 * 1024 * 1024


def json_lines(files: Iterable[Path], count: LineCount | None = None) -> Iterator[tuple[int, int, int, dict]]:
    """(file index, byte offset, line length, object) of every JSON object line of the files, in order. A file that
    cannot be read, and a line longer than MAX_LINE, are counted as bad lines and skipped, never fatal."""
    count = count if count is not None else LineCount()
    for index, path in enumerate(files):
        try:
            handle = path.open("rb")
        except OSError as error:
            count.read += 1
            count.bad += 1
            count.bad_example = count.bad_example or f"{path}: {error.strerror or error}"
            continue
        with handle:
            offset, number = 0, 0
            while line := handle.readline(MAX_LINE + 1):
                number += 1
                start, offset = offset, offset + len(line)
                if len(line) > MAX_LINE and not line.endswith(b"\n"):
                    while (rest := handle.readline(MAX_LINE)) and not rest.endswith(b"\n"):
                        offset += len(rest)
                    offset += len(rest)
                    count.read += 1
                    count.bad += 1
                    count.bad_example = count.bad_example or f"{path}:{number} (a line longer than {MAX_LINE} bytes)"
                    continue
                if not line.strip():
                    continue
                count.read += 1
                try:
                    value = orjson.loads(line)
                except orjson.JSONDecodeError:
                    value = None
                if not isinstance(value, dict):
                    count.bad += 1
                    count.bad_example = count.bad_example or f"{path}:{number}"
                    continue
                yield index, start, len(line), value
