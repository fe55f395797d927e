"""CSV that opens right in a spreadsheet: `scrapy crawl isna -O articles.csv`, and `python -m pipelines snapshot -o
articles.csv`. One row per record, the record's fields as columns in the schema's order; a list (tags, categories)
is one cell, its items joined with CSV_LIST_SEPARATOR («، », the Persian comma, which Persian tags do not contain,
unlike the ASCII comma some do); images are their URLs, space-separated (a URL has no space); a missing value is an
empty cell. UTF-8; `-s FEED_EXPORT_ENCODING=utf-8-sig` (or `snapshot --bom`) starts the file with the byte-order mark
that Excel needs to read it as UTF-8.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from scrapy.exporters import CsvItemExporter

from crawler import settings as defaults
from crawler.config import config_of
from crawler.record import Article

LIST_SEPARATOR = defaults.CSV_LIST_SEPARATOR
# The columns: every field of the record, in its order.
COLUMNS = tuple(field.name for field in dataclasses.fields(Article))


def csv_cell(name: str, value: Any, separator: str = LIST_SEPARATOR) -> str | int:
    """One field of a record (an Article's attribute, or a value of a JSON line) as a spreadsheet cell."""
    if value is None:
        return ""
    if name == "images":
        return " ".join(url for image in value if (url := _image_url(image)))
    if isinstance(value, (list, tuple)):
        return separator.join(str(item) for item in value if item is not None)
    return value


def _image_url(image) -> str | None:
    if isinstance(image, dict):
        return image.get("url")
    return getattr(image, "url", None)


class ArticleCsvExporter(CsvItemExporter):
    """Scrapy's CSV exporter with the record's columns and csv_cell() for every field (FEED_EXPORTERS["csv"])."""

    def __init__(self, file, *, list_separator: str = LIST_SEPARATOR, **kwargs: Any):
        if not kwargs.get("fields_to_export"):  # FEED_EXPORT_FIELDS when set, else every field of the record
            kwargs["fields_to_export"] = list(COLUMNS)
        super().__init__(file, **kwargs)
        self.list_separator = list_separator

    @classmethod
    def from_crawler(cls, crawler, file, *args: Any, **kwargs: Any):
        return cls(file, *args, list_separator=config_of(crawler.settings).csv_list_separator, **kwargs)

    def serialize_field(self, field, name: str, value: Any) -> Any:
        return csv_cell(name, value, self.list_separator)
