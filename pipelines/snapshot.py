"""One line per article across every run's dump: the latest revision of each, what most readers want.

    python -m pipelines snapshot [DATA_DIR or dump files...] -o articles.jsonl
    python -m pipelines snapshot data/ -o articles.parquet
    python -m pipelines snapshot data/ -o articles.csv [--bom]

The latest revision is the line with the highest `revision` of an article (its site and news code, or its URL when it
has none); on a tie, the one crawled last. Lines are ordered by site, then publication time, then key. The output
is JSON Lines as the dumps are, or Parquet (by the name's suffix) with the record's types: `published_at` and
`modified_at` as timestamps with the Asia/Tehran zone, `crawled_at` in UTC, lists as lists, images as a list of
(url, caption) structs, `revision` an integer (crawler/record.py is the one definition; `arrow_schema()` follows
it); or CSV for spreadsheets (crawler/csv_export.py: lists joined with «، », images as their URLs). Two passes over the files: the first keeps a small key per article (never a body), the second copies the chosen
lines; the output is written under a temporary name and renamed when complete. Exit status 0, 1 when some lines
were not JSON (they are counted and skipped), 2 for a usage error.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import os
import sys
import time
import types
import typing
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import orjson

from crawler.csv_export import COLUMNS, csv_cell
from crawler.record import TEHRAN_TIMESTAMP, UTC_TIMESTAMP, Article, article_key
from pipelines.dataset import LineCount, json_lines, sources_or_none, timestamp, write_atomically

PARQUET_ROWS_PER_GROUP = 10_000


@dataclasses.dataclass
class Chosen:
    rank: tuple  # (revision, crawled_at, file index, offset): the highest wins
    file: int
    offset: int
    length: int
    order: tuple  # (site, published_at, key)


def latest_revisions(dumps: list[Path], count: LineCount) -> list[Chosen]:
    """The line of each article's latest revision, in output order."""
    chosen: dict[tuple[str, str], Chosen] = {}
    for index, offset, length, record in json_lines(dumps, count):
        site = str(record.get("site") or "")
        key = article_key(record.get("news_id"), record.get("url"))
        revision = record.get("revision") if isinstance(record.get("revision"), int) else 1
        rank = (revision, str(record.get("crawled_at") or ""), index, offset)
        current = chosen.get((site, key))
        if current is None or rank > current.rank:
            published = _instant(record.get("published_at"))
            chosen[(site, key)] = Chosen(rank, index, offset, length, (site, published or "~", key))
    return sorted(chosen.values(), key=lambda item: item.order)


def chosen_lines(dumps: list[Path], chosen: list[Chosen]) -> Iterator[bytes]:
    handles = {}
    try:
        for item in chosen:
            handle = handles.get(item.file) or handles.setdefault(item.file, dumps[item.file].open("rb"))
            handle.seek(item.offset)
            yield handle.read(item.length).rstrip(b"\r\n")
    finally:
        for handle in handles.values():
            handle.close()


# -- Parquet -------------------------------------------------------------------------------------------------------

def arrow_schema():
    """The Arrow schema of a record, from crawler/record.py: Tehran and UTC timestamps by the field's pattern."""
    import pyarrow as pa

    def arrow_type(annotation, pattern):
        origin = typing.get_origin(annotation)
        if origin in (types.UnionType, typing.Union):
            (member,) = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
            return arrow_type(member, pattern)
        if origin is list:
            (item,) = typing.get_args(annotation)
            return pa.list_(arrow_type(item, None))
        if dataclasses.is_dataclass(annotation):
            hints = typing.get_type_hints(annotation)
            return pa.struct([(item.name, arrow_type(hints[item.name], item.metadata.get("pattern")))
                              for item in dataclasses.fields(annotation)])
        if annotation is int:
            return pa.int32()
        if pattern == TEHRAN_TIMESTAMP:
            return pa.timestamp("s", tz="Asia/Tehran")
        if pattern == UTC_TIMESTAMP:
            return pa.timestamp("s", tz="UTC")
        return pa.string()

    hints = typing.get_type_hints(Article)
    return pa.schema([(item.name, arrow_type(hints[item.name], item.metadata.get("pattern")))
                      for item in dataclasses.fields(Article)])


def _arrow_value(value, kind):
    import pyarrow as pa

    if value is None:
        return None
    if pa.types.is_timestamp(kind):
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00"))
        except (TypeError, ValueError):
            return None
    if pa.types.is_list(kind):
        return [_arrow_value(item, kind.value_type) for item in value] if isinstance(value, list) else []
    if pa.types.is_struct(kind):
        return {kind.field(number).name: _arrow_value(value.get(kind.field(number).name), kind.field(number).type)
                for number in range(kind.num_fields)} if isinstance(value, dict) else None
    if pa.types.is_integer(kind):
        return value if isinstance(value, int) else None
    return value if isinstance(value, str) else str(value)


def write_parquet(lines: Iterator[bytes], target: Path) -> int:
    """Batches of lines read by Arrow's own JSON reader with the record's schema (ISO times with their offsets are
    parsed there); a batch it refuses (a value of another type in an old dump) is converted line by line, where a
    value of the wrong type becomes null."""
    import io

    import pyarrow as pa
    import pyarrow.json as pa_json
    import pyarrow.parquet as pq

    schema = arrow_schema()
    options = pa_json.ParseOptions(explicit_schema=schema, unexpected_field_behavior="ignore")
    written = 0
    batch: list[bytes] = []
    with pq.ParquetWriter(target, schema, compression="zstd") as writer:
        def flush():
            try:
                table = pa_json.read_json(io.BytesIO(b"\n".join(batch)), parse_options=options).select(schema.names)
            except pa.ArrowInvalid:
                rows = [orjson.loads(line) for line in batch]
                table = pa.Table.from_pydict({field.name: [_arrow_value(row.get(field.name), field.type) for row in rows]
                                              for field in schema}, schema=schema)
            writer.write_table(table.cast(schema))
            batch.clear()

        for line in lines:
            batch.append(line)
            written += 1
            if len(batch) >= PARQUET_ROWS_PER_GROUP:
                flush()
        if batch:
            flush()
    return written


def write_csv(lines: Iterator[bytes], target: Path, bom: bool = False) -> int:
    """The records as CSV rows with the record's columns (crawler/csv_export.py: lists joined with «، », images as
    URLs), UTF-8, with the byte-order mark Excel needs when ``bom``."""
    written = 0
    with target.open("w", encoding="utf-8-sig" if bom else "utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        for line in lines:
            record = orjson.loads(line)
            writer.writerow([csv_cell(name, record.get(name)) for name in COLUMNS])
            written += 1
    return written


def write_jsonl(lines: Iterator[bytes], target: Path) -> int:
    written = 0
    with target.open("wb") as handle:
        for line in lines:
            handle.write(line + b"\n")
            written += 1
        handle.flush()
        os.fsync(handle.fileno())
    return written


# -- command -------------------------------------------------------------------------------------------------------

def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipelines snapshot",
                                     description="the latest revision of every article, as JSON Lines or Parquet")
    parser.add_argument("paths", nargs="*", default=["data"], help="data folders or dump files (default: data)")
    parser.add_argument("-o", "--output", required=True, help="articles.jsonl, articles.parquet or articles.csv")
    parser.add_argument("--bom", action="store_true", help="CSV: start with the byte-order mark Excel needs for UTF-8")
    args = parser.parse_args(argv)
    output = Path(args.output)
    if output.suffix not in (".jsonl", ".parquet", ".csv"):
        print(f"snapshot: -o must end in .jsonl, .parquet or .csv, not {output.name!r}", file=sys.stderr)
        return 2
    sources = sources_or_none("snapshot", args.paths)
    if sources is None:
        return 2
    started = time.monotonic()
    count = LineCount()
    chosen = latest_revisions(sources.dumps, count)
    try:
        writers = {".parquet": write_parquet, ".jsonl": write_jsonl,
                   ".csv": lambda lines, target: write_csv(lines, target, args.bom)}
        written = write_atomically(output, lambda temporary: writers[output.suffix](chosen_lines(sources.dumps, chosen),
                                                                                     temporary))
    except OSError as error:
        print(f"snapshot: cannot write {output}: {error.strerror or error}", file=sys.stderr)
        return 1
    print(f"snapshot: {count.read} lines in {len(sources.dumps)} file(s), {written} articles (latest revision of each) "
          f"written to {output} in {time.monotonic() - started:.1f} s"
          + (f"; {count.bad} line(s) were not JSON and were skipped (first: {count.bad_example})" if count.bad else ""),
          file=sys.stderr)
    return 1 if count.bad else 0


def _instant(value) -> str | None:
    """A timestamp as a sortable UTC string (the dumps' offsets differ between summer and winter before 2023)."""
    moment = timestamp(value)
    return moment.astimezone(UTC).isoformat() if moment else None
