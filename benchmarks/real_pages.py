"""Every stored real page, field by field: what the crawler's reading gives against the hand-written expected record,
beside trafilatura (the best generic extractor) on the same page. Prints a Markdown table; the README shows it.

    .venv/bin/python benchmarks/real_pages.py

Ours: the page's registry entry when it has one (its family's parser), else the generic parser of a site named by
its host (what `scrapy crawl news -a url=` uses on a site we have no code for), then every pipeline stage.
trafilatura: `bare_extraction` with its defaults (title, date, text). A field is `=` when it equals the expected
value, `day` when only the day of a timestamp is right (trafilatura gives no time of day and no offset), `-` when
missing, `x` when wrong; body is the F1 of word 4-gram shingles, ZWNJs aside.

A second table: another article in the template of each stored article page (its body replaced by 1, 3 or 12
paragraphs, tests/test_sites.py `in_template`), the body F1 of the generic parser (family parsers off) and of
trafilatura; a short article is where a generic extractor takes a page's footer or boxes for the text.
"""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import trafilatura  # noqa: E402

from pipelines.reprocess import process_record  # noqa: E402
from crawler.sites import Site  # noqa: E402
from crawler.sites.generic import GenericParser  # noqa: E402
from tests.test_sites import (  # noqa: E402
    BODY_IN_TEMPLATE,
    FIXTURES,
    SENTENCES,
    STORED,
    in_template,
    shingle_f1,
    stored_page,
    stored_page_parser,
    stored_response,
)


def mark(found, wanted, timestamp: bool = False) -> str:
    if found == wanted:
        return "="
    if not found:
        return "-"
    if timestamp and wanted and isinstance(found, str) and found[:10] == wanted[:10]:
        return "day"
    return "x"


def main() -> None:
    rows = []
    for expected in STORED:
        key, response = stored_response(expected)
        wanted = json.loads(expected.read_text(encoding="utf-8"))
        body = "\n\n".join(wanted["body"])
        ours = dataclasses.asdict(process_record(stored_page_parser(key, response.url).article(response.selector, response.url))[0])
        theirs = trafilatura.bare_extraction(response.text, url=response.url, with_metadata=True) or {}
        theirs = theirs if isinstance(theirs, dict) else theirs.as_dict()
        name = expected.name.removesuffix(".expected.json")
        rows.append((name, *(mark(ours[field], wanted[field], field == "published_at")
                             for field in ("title", "news_id", "published_at", "kicker", "lead")),
                     f"{shingle_f1(ours['body'], body):.3f}",
                     mark(theirs.get("title"), wanted["title"]), mark(theirs.get("date"), wanted["published_at"], True),
                     f"{shingle_f1(theirs.get('text'), body):.3f}"))
    print("| page | title | news_id | published_at | kicker | lead | body F1 | trafilatura title | trafilatura date | trafilatura body F1 |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    print()
    print("| another article in the template of | paragraphs | body F1 (generic parser) | trafilatura body F1 |")
    print("|---|---|---|---|")
    for stem, where in sorted(BODY_IN_TEMPLATE.items()):
        _, html, url = stored_page(FIXTURES / f"{stem}.expected.json")
        host = url.split("/")[2]
        parser = GenericParser(Site(key=host, name=host, family="generic", base_url=f"http://{host}"))
        for count in (1, 3, 12):
            sentences = SENTENCES[:count]
            page = in_template(html, where, sentences)
            ours = process_record(parser.article(page, url))[0].body
            theirs = trafilatura.extract(page, url=url) or ""
            text = "\n\n".join(sentences)
            print(f"| {stem.split('/')[1]} | {count} | {shingle_f1(ours, text):.3f} | {shingle_f1(theirs, text):.3f} |")


if __name__ == "__main__":
    main()
