"""Validation against the record schema. A record that fails is not written to the dump: it goes to a rejects
file with the reasons, and the reasons are counted in the crawl stats, so nothing is lost silently."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jsonschema_rs
from jsonschema import Draft202012Validator
from scrapy.exceptions import DropItem

from crawler import counters
from crawler.config import config_of, run_name_of
from crawler.dates import utc_now_iso
from crawler.incremental import IncrementalOutput
from crawler.record import (
    HTTP_URL,
    LETTERED_TEXT,
    TEXT,
    Article,
    Record,
    article_key,
    json_schema,
)
from crawler.run import rejects_dir
from crawler.state import StorageProblem, append_line

logger = logging.getLogger(__name__)

_VALIDATOR = Draft202012Validator(json_schema())

# jsonschema-rs (Rust) decides whether a record is valid, about twenty times faster than jsonschema's validator,
# which walks the schema anew for every record; jsonschema words the reasons for the few that are not. A test holds
# the two to the same verdicts.
is_valid = jsonschema_rs.validator_for(json_schema()).is_valid


# A publication date before this, or later than the crawl by more than CLOCK_SKEW, is a misread date, not news.
EARLIEST_PUBLICATION = datetime(1990, 1, 1, tzinfo=UTC)
CLOCK_SKEW = timedelta(hours=6)  # a site's clock or time zone set wrong


def date_problems(record: dict[str, Any]) -> list[str]:
    """What the schema cannot say about published_at: that it is a plausible date for an article crawled when this
    one was."""
    published, crawled = record.get("published_at"), record.get("crawled_at")
    if not isinstance(published, str) or not isinstance(crawled, str):
        return []  # missing: the schema says so
    try:
        moment = datetime.fromisoformat(published)
        crawl = datetime.fromisoformat(crawled.replace("Z", "+00:00"))
    except ValueError:
        return []  # not a timestamp: the schema says so
    if moment.tzinfo is None or crawl.tzinfo is None:
        return []
    if moment < EARLIEST_PUBLICATION:
        return [f"published_at: {published} is before {EARLIEST_PUBLICATION.year}: a misread date"]
    if moment > crawl + CLOCK_SKEW:
        return [f"published_at: {published} is after the page was crawled ({crawled})"]
    return []


def problems(record: dict[str, Any]) -> list[str]:
    """Why the record may not be written, one reason per problem (empty when it is valid). Valid records, nearly
    all of them, pass jsonschema-rs's check alone; jsonschema words the reasons for the others."""
    if is_valid(record):
        return date_problems(record)
    found = []
    for error in sorted(_VALIDATOR.iter_errors(record), key=lambda error: list(error.absolute_path)):
        where = ".".join(str(part) for part in error.absolute_path)
        if error.validator == "type" and error.instance is None:
            found.append(f"{where}: missing")
        elif error.validator == "pattern" and error.validator_value in _PATTERN_MEANING:
            found.append(f"{where}: {_PATTERN_MEANING[error.validator_value]} ({str(error.instance)[:80]!r})")
        else:
            found.append(f"{where or 'record'}: {error.message}")
    return found + date_problems(record)


_PATTERN_MEANING = {
    HTTP_URL: "not an absolute http(s) URL",
    TEXT: "not plain text (markup or control characters)",
    LETTERED_TEXT: "not plain text with a letter in it (markup, control characters, or no letter at all)",
}


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
        folder = rejects_dir(config_of(self.crawler.settings), run_name_of(self.crawler))
        self.rejects = RejectsFile(folder / f"rejects-{stamp}.jsonl")

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_item(self, item: Article) -> Record:
        """The article as it will be written (a Record, the stages after this one and the writers read), or dropped
        with its reasons."""
        record = Record.of(item)
        reasons = problems(record)
        stats = self.crawler.stats
        if not reasons:
            if record["published_at"] is None:
                stats.inc_value(counters.RECORDS_DATE_MISSING)
                logger.info("%s: the page states no publication date; written with published_at null", item.url)
            return record
        stats.inc_value(counters.RECORDS_REJECTED)
        if not stats.get_value(counters.RECORDS_REJECTED_EXAMPLE):
            stats.set_value(counters.RECORDS_REJECTED_EXAMPLE, f"{item.url}: {'; '.join(reasons)}")
        for reason in reasons:
            stats.inc_value(counters.rejected_for(reason.split(':')[0]))
        state = self.crawler.get_extension(IncrementalOutput)
        if state is not None:  # a reject may be a passing fault of the page: the next latest-news runs try it again
            state.note_failure(item.site, article_key(item.news_id, item.url), item.url, None,
                               "rejected: " + "; ".join(reasons))
        config = config_of(self.crawler.settings)
        if not (config.run_control and config.incremental_output):
            # an export (and `scrapy parse`) writes nothing under DATA_DIR: the reasons are in the dropped record's
            # log line
            raise DropItem(f"invalid record {record.get('url')}: {'; '.join(reasons)}")
        try:
            self.rejects.write(record, reasons)
        except StorageProblem as problem:
            # The rejected record would be lost without a trace: the run fails (crawler/run.py counts item errors).
            raise StorageProblem(f"{problem} (rejected record {record.get('url')}: {'; '.join(reasons)})") from None
        raise DropItem(f"invalid record {record.get('url')}: {'; '.join(reasons)} (written to {self.rejects.path})")

    def close_spider(self) -> None:
        if self.rejects and self.rejects.count:
            logger.warning("%d record(s) failed validation; see %s", self.rejects.count, self.rejects.path)
