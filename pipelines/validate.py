"""Validation against the record schema. A record that fails is not written to the dump: it goes to a rejects
file with the reasons, and the reasons are counted in the crawl stats, so nothing is lost silently."""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from scrapy.exceptions import DropItem

from crawler.dates import utc_now_iso
from crawler.record import Article, json_schema
from crawler.state import append_line

logger = logging.getLogger(__name__)

_VALIDATOR = Draft202012Validator(json_schema())


def problems(record: dict[str, Any]) -> list[str]:
    """Why the record may not be written, one reason per problem (empty when it is valid)."""
    found = []
    for error in sorted(_VALIDATOR.iter_errors(record), key=lambda error: list(error.absolute_path)):
        where = ".".join(str(part) for part in error.absolute_path)
        if error.validator == "type" and error.instance is None:
            found.append(f"{where}: missing")
        else:
            found.append(f"{where or 'record'}: {error.message}")
    return found


class RejectsFile:
    """Rejected records, one JSON line each (a single write per line), in a file created only when something is
    rejected."""

    def __init__(self, path: Path):
        self.path = path
        self.count = 0

    def write(self, record: dict[str, Any], reasons: list[str], **context: Any) -> None:
        append_line(self.path, {"reasons": reasons, **context, "record": record})
        self.count += 1


class ValidatePipeline:
    def __init__(self, crawler):
        self.crawler = crawler
        self.rejects: RejectsFile | None = None

    def open_spider(self) -> None:
        stamp = utc_now_iso().replace(":", "-")
        settings = self.crawler.settings
        directory = Path(settings.get("REJECTS_DIR") or Path(settings.get("DATA_DIR")) / "rejects")
        self.rejects = RejectsFile(directory / self.crawler.spider.name / f"rejects-{stamp}.jsonl")

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_item(self, item: Article) -> Article:
        record = dataclasses.asdict(item)
        reasons = problems(record)
        if not reasons:
            return item
        stats = self.crawler.stats
        stats.inc_value("records/rejected")
        for reason in reasons:
            stats.inc_value(f"records/rejected/{reason.split(':')[0]}")
        self.rejects.write(record, reasons)
        raise DropItem(f"invalid record {record.get('url')}: {'; '.join(reasons)} (written to {self.rejects.path})")

    def close_spider(self) -> None:
        if self.rejects and self.rejects.count:
            logger.warning("%d record(s) failed validation; see %s", self.rejects.count, self.rejects.path)
