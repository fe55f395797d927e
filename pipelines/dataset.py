"""The dumps under a data folder read as one dataset, a line at a time: what `python -m pipelines report` and
`python -m pipelines snapshot` read.

A data folder (DATA_DIR) holds, per run name, `<name>/<name>-<UTC start>.jsonl` (complete files only: a run's
`.part` file is never read), `runs.jsonl` (one line per run) and `rejects/<name>/rejects-<UTC time>.jsonl`
(data/README.md). Files given one by one are read as dumps. A line that is not a JSON object is counted and skipped,
never fatal: a report on a year of dumps must not stop at one bad byte.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
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
                dumps += sorted(file for file in folder.glob("*.jsonl") if not file.name.startswith("."))
        if (path / "runs.jsonl").is_file():
            runs.append(path / "runs.jsonl")
    if not dumps and not runs:
        raise NoDumps(f"no dump files (<name>/<name>-<time>.jsonl) and no runs.jsonl in {', '.join(map(str, paths))}")
    return Sources(dumps, runs, rejects)


def timestamp(value) -> datetime | None:
    """A dump's timestamp (`2023-08-15T12:46:00+03:30`, `2026-12-01T10:00:00Z`) as an aware datetime (Tehran's when
    it has no offset); None for anything else."""
    if not isinstance(value, str) or len(value) < 10:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=TEHRAN)


def sources_or_none(command: str, paths: Iterable[str | Path]) -> Sources | None:
    """find_sources for a command line: None, with the reason printed in one line, when there is nothing to read."""
    try:
        return find_sources(paths)
    except NoDumps as problem:
        print(f"{command}: {problem}", file=sys.stderr)
        return None


@dataclass
class LineCount:
    read: int = 0
    bad: int = 0
    bad_example: str | None = None


def json_lines(files: Iterable[Path], count: LineCount | None = None) -> Iterator[tuple[int, int, int, dict]]:
    """(file index, byte offset, line length, object) of every JSON object line of the files, in order."""
    count = count if count is not None else LineCount()
    for index, path in enumerate(files):
        offset = 0
        with path.open("rb") as handle:
            for number, line in enumerate(handle, start=1):
                start, offset = offset, offset + len(line)
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
