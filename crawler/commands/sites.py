"""`scrapy sites`: the registry as a table: key, name, family, province, verified, and how many stored real pages
(tests/fixtures/<key>/*.expected.json) prove the entry."""

from __future__ import annotations

import os
import sys
import unicodedata

from scrapy.commands import ScrapyCommand

from crawler.settings import PROJECT_ROOT
from crawler.sites import SiteEntryError, registered_site, registry, registry_files


class Command(ScrapyCommand):
    requires_project = True
    default_settings = {"LOG_ENABLED": False}

    def short_desc(self) -> str:
        return "Print the registry of sites as a table"

    def run(self, args, opts) -> None:
        rows = [("key", "name", "family", "province", "verified", "stored pages")]
        for key in sorted(registry()):
            try:
                site = registered_site(key)
            except SiteEntryError as error:
                rows.append((key, "-", "-", "-", "-", f"unusable: {error}"))
                continue
            stored = len(list((PROJECT_ROOT / "tests" / "fixtures" / key).glob("*.expected.json")))
            rows.append((key, site.name, site.family, site.province or "-", "yes" if site.verified else "no", str(stored)))
        widths = [max(_width(row[column]) for row in rows) for column in range(len(rows[0]))]
        lines = ["  ".join(cell + " " * (width - _width(cell)) for cell, width in zip(row, widths, strict=True)).rstrip()
                 for row in rows]
        try:
            sys.stdout.write("\n".join(lines) + f"\n\n{len(rows) - 1} sites in {' and '.join(map(str, registry_files()))}\n")
            sys.stdout.flush()
        except BrokenPipeError:  # `scrapy sites | head`: the reader has what it wanted
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def _width(text: str) -> int:
    """Columns a text takes in a terminal: combining marks and zero-width joiners take none."""
    return sum(0 if unicodedata.combining(char) or char in "\u200c\u200d" else 1 for char in text)
