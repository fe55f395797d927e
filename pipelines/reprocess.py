"""Reprocessing an existing dump: cleaning, normalization and validation run again over every line, so old dumps
are upgraded when the rules improve, without crawling.

    python -m pipelines reprocess IN.jsonl -o OUT.jsonl [--rejects REJECTS.jsonl]

Every line that is JSON and passes the record schema afterwards is written to OUT, in the input order; any other
line goes to the rejects file (default: OUT with `.rejects.jsonl`) with its line number and the reasons. OUT is
written under a temporary name and renamed when complete. A summary goes to standard error; the exit status is 0
when nothing was rejected, 1 when something was, 2 for a usage error (unreadable input, for example).
"""

from __future__ import annotations

import dataclasses
import json
import os
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from crawler.record import Article, article_from_dict
from pipelines.clean import CleaningReport, clean_article
from pipelines.normalize import normalize_article, normalizer
from pipelines.validate import problems


def process_record(article: Article) -> tuple[Article, CleaningReport]:
    """The stages a crawled record goes through after extraction, minus the per-run dedupe: clean, normalize."""
    report = clean_article(article)
    normalize_article(article)
    return article, report


@dataclass
class Summary:
    lines: int = 0
    written: int = 0
    rejected: int = 0
    reasons: Counter = field(default_factory=Counter)
    cleaning: CleaningReport = field(default_factory=CleaningReport)

    def text(self, output: Path, rejects: Path, seconds: float) -> str:
        parts = [f"reprocess: {self.lines} lines read, {self.written} written to {output}, "
                 f"{self.rejected} rejected" + (f" (see {rejects})" if self.rejected else "") + f" in {seconds:.1f} s"]
        if self.reasons:
            parts.append("  rejected for: " + ", ".join(f"{reason} ({count})" for reason, count in self.reasons.most_common()))
        if self.cleaning.removed:
            parts.append("  cleaning removed: " + ", ".join(f"{rule} {count}" for rule, count in sorted(self.cleaning.removed.items())))
        return "\n".join(parts)


def reprocess(source: TextIO, output: TextIO, rejects: TextIO) -> Summary:
    summary = Summary()
    for number, line in enumerate(source, start=1):
        if not line.strip():
            continue
        summary.lines += 1
        reasons, record = _reprocess_line(line, summary)
        if reasons:
            summary.rejected += 1
            summary.reasons.update(reason.split(":")[0] for reason in reasons)
            rejects.write(json.dumps({"line": number, "reasons": reasons, "input": line.rstrip("\n")}, ensure_ascii=False) + "\n")
        else:
            summary.written += 1
            output.write(json.dumps(record, ensure_ascii=False) + "\n")
    return summary


def _reprocess_line(line: str, summary: Summary) -> tuple[list[str], dict | None]:
    try:
        data = json.loads(line)
    except json.JSONDecodeError as error:
        return [f"not JSON: {error}"], None
    if not isinstance(data, dict):
        return [f"not a JSON object but {type(data).__name__}"], None
    try:
        article = article_from_dict(data)
    except TypeError as error:
        return [f"record: {error}"], None
    if not isinstance(article.site, str) or not isinstance(article.body, (str, type(None))):
        return problems(data) or ["record: site and body must be strings"], None
    article, report = process_record(article)
    summary.cleaning.add(report)
    record = dataclasses.asdict(article)
    reasons = problems(record)
    return (reasons, None) if reasons else ([], record)


def main(argv: list[str]) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m pipelines reprocess",
                                     description="Run cleaning, normalization and validation again over a JSONL dump.")
    parser.add_argument("input", type=Path, help="an existing JSONL dump")
    parser.add_argument("-o", "--output", type=Path, required=True, help="where the reprocessed records go")
    parser.add_argument("--rejects", type=Path, help="where rejected lines go (default: OUTPUT with .rejects.jsonl)")
    args = parser.parse_args(argv)
    rejects_path = args.rejects or args.output.with_suffix(".rejects.jsonl")
    if not args.input.is_file():
        parser.error(f"no such file: {args.input}")
    if args.input.resolve() == args.output.resolve():
        parser.error("the output must not be the input file")

    started = time.monotonic()
    normalizer()  # load the lexicons before timing the lines
    temporary = args.output.with_name(f".{args.output.name}.{os.getpid()}.tmp")
    rejects_temporary = rejects_path.with_name(f".{rejects_path.name}.{os.getpid()}.tmp")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    try:
        with args.input.open(encoding="utf-8", errors="strict") as source, \
                temporary.open("w", encoding="utf-8") as output, \
                rejects_temporary.open("w", encoding="utf-8") as rejects:
            summary = reprocess(source, output, rejects)
    except UnicodeDecodeError as error:
        temporary.unlink(missing_ok=True)
        rejects_temporary.unlink(missing_ok=True)
        print(f"reprocess: {args.input} is not UTF-8 text: {error}", file=sys.stderr)
        return 2
    os.replace(temporary, args.output)
    if summary.rejected:
        os.replace(rejects_temporary, rejects_path)
    else:
        rejects_temporary.unlink()
    print(summary.text(args.output, rejects_path, time.monotonic() - started), file=sys.stderr)
    return 1 if summary.rejected else 0
