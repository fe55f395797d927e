"""`scrapy check`: the contracts of the registry spiders run on the real pages stored for them (tests/fixtures/<key>/),
offline. `@url <key>/<page>.html` names a stored page (a file URL is made of it; an http(s) URL is fetched as Scrapy's
own @url contract does), and `@record <key>/<page>.expected.json` holds the callback's record to the one written out
by hand beside the page (fundus's parser tests as the model), field by field."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

from scrapy.contracts import Contract
from scrapy.contracts.default import UrlContract
from scrapy.exceptions import ContractFail

from crawler.record import Article

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures"


def stored_page_url(name: str) -> str:
    """The URL of a stored page given by its path under tests/fixtures, or the name itself when it is a URL."""
    if "://" in name:
        return name
    return (FIXTURES / name).as_uri()


class StoredPageUrlContract(UrlContract):
    """@url, for a stored real page as well as for a URL (SPIDER_CONTRACTS replaces Scrapy's own with it)."""

    def adjust_request_args(self, args: dict[str, Any]) -> dict[str, Any]:
        args["url"] = stored_page_url(self.args[0])
        return args


class ExpectedRecordContract(Contract):
    """@record <key>/<page>.expected.json: the callback gives that record (crawled_at aside)."""

    name = "record"

    def post_process(self, output: list[Any]) -> None:
        wanted = json.loads((FIXTURES / self.args[0]).read_text(encoding="utf-8"))
        wanted["body"] = "\n\n".join(wanted["body"])
        records = [dataclasses.asdict(item) for item in output if isinstance(item, Article)]
        if len(records) != 1:
            raise ContractFail(f"{len(records)} records, not 1")
        for field, value in wanted.items():
            if field != "crawled_at" and records[0].get(field) != value:
                raise ContractFail(f"{field}: {str(records[0].get(field))[:120]!r}, not {str(value)[:120]!r}")


def stored_pages(key: str) -> list[str]:
    """The stored real pages of a registry entry that have an expected record, by their path under tests/fixtures
    without the suffix (`isna/isna_article_95102918901_fetched2025-03-20`)."""
    folder = FIXTURES / key
    return sorted(f"{key}/{path.name.removesuffix('.expected.json')}"
                  for path in folder.glob("*.expected.json")) if folder.is_dir() else []
