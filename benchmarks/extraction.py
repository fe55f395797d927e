"""Extraction speed and body accuracy per page, against the HTML parse floor and against trafilatura, in one process
so that the ratios hold on a noisy machine. Prints a table; --json writes the same numbers.

    .venv/bin/python benchmarks/extraction.py [--repeat 100] [--json benchmarks/results/extraction.json]

Per page, the median of --repeat rounds, each round running (a) to (d) once in turn:
  (a) parse: lxml parses the page (parsel.Selector), the floor no extractor can go under;
  (b) ours: parse + our site extractor;
  (c) ours + pipelines: (b) then cleaning, hazm normalization and schema validation (the record is made anew
      each time: the pipelines change it in place);
  (d) trafilatura.extract on the same HTML (its defaults: text output, no comments).
Body accuracy: precision, recall and F1 of word 4-gram shingles of the extracted body against the expected body,
as Zyte's article-extraction benchmark scores it. Pages: the real ISNA article in its 2017 and 2025 templates
(expected: tests/fixtures/isna/*.expected.json), the real IRIB News article (IranSamaneh; tests/fixtures/irinn),
the same three real pages read by the generic parser (family parsers off: what `scrapy crawl news` does on a site
of no known CMS), and articles of the mock ISNA site (expected: what the mock was given to
publish) and of the mock WordPress site. The aims are printed per kind of page: real ISNA, mock ISNA, mock WordPress.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import re
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from parsel import Selector  # noqa: E402

from crawler.sites import Site, parser_for, registered_site  # noqa: E402
from pipelines.reprocess import process_record  # noqa: E402
from pipelines.validate import problems  # noqa: E402

AIMS = {"pipeline_over_parse": 2.0, "trafilatura_over_ours": 3.0}
extract_isna = parser_for(registered_site("isna")).article
extract_wordpress = parser_for(Site(key="bench", name="bench", family="wordpress", base_url="http://127.0.0.1")).article
extract_irinn = parser_for(registered_site("irinn")).article


def generic(host: str):
    """The generic parser (no family, no registry entry) for a site: what `scrapy crawl news` uses on a site of no
    known CMS."""
    return parser_for(Site(key=host, name=host, family="generic", base_url=f"https://{host}")).article


@dataclasses.dataclass
class Page:
    name: str
    html: str
    url: str
    expected_body: str
    extract: object  # (Selector, url) -> Article


def pages() -> list[Page]:
    found = []
    for stamp in ("2017-05-29", "2025-03-20"):
        name = f"isna_article_95102918901_fetched{stamp}"
        expected = json.loads((ROOT / "tests/fixtures/isna" / f"{name}.expected.json").read_text(encoding="utf-8"))
        found.append(Page(f"isna real {stamp[:4]}", (ROOT / "tests/fixtures/isna" / f"{name}.html").read_text(encoding="utf-8"),
                          expected["url"], "\n\n".join(expected["body"]), extract_isna))
    irinn = "irinn_article_499654_fetched2017-05-24"
    expected = json.loads((ROOT / "tests/fixtures/irinn" / f"{irinn}.expected.json").read_text(encoding="utf-8"))
    irinn_page = (ROOT / "tests/fixtures/irinn" / f"{irinn}.html").read_text(encoding="utf-8")
    found.append(Page("irinn real 2017", irinn_page, expected["url"], "\n\n".join(expected["body"]), extract_irinn))
    # The same real pages through the generic parser, their family parsers switched off.
    for page in [page for page in found if page.name.startswith(("isna real", "irinn real"))]:
        host = "www.irinn.ir" if page.name.startswith("irinn") else "www.isna.ir"
        found.append(dataclasses.replace(page, name="generic " + page.name, extract=generic(host)))
    from tests.mocksite.site import MockSite, render_article

    site = MockSite()
    for spec in [spec for spec in site.newest_first() if spec.is_article][:4]:
        found.append(Page(f"isna mock {spec.code}", render_article(spec), f"https://www.isna.ir{spec.path}",
                          "\n\n".join(spec.paragraphs), extract_isna))
    from tests.mockwp.site import MockWordPress

    wordpress = MockWordPress()
    for post in wordpress.posts[:3]:
        found.append(Page(f"wordpress mock {post.id}", wordpress.post_page(post, "http://127.0.0.1"),
                          f"http://127.0.0.1{post.path}", "\n\n".join(post.expected_body()),
                          extract_wordpress))
    return found


def shingles(text: str | None, size: int = 4) -> Counter:
    words = re.findall(r"\w+", (text or "").replace("\u200c", ""))
    return Counter(tuple(words[index:index + size]) for index in range(max(0, len(words) - size + 1)))


def accuracy(extracted: str | None, expected: str) -> dict:
    got, want = shingles(extracted), shingles(expected)
    overlap = sum((got & want).values())
    precision = overlap / sum(got.values()) if got else 0.0
    recall = overlap / sum(want.values()) if want else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4)}


def median_ms(functions: dict[str, object], repeat: int) -> dict[str, float]:
    """Median ms of each function over `repeat` rounds. Every round runs each function once, in turn, so a slow
    spell of the machine weighs on all of them alike and the ratios between them hold."""
    timings: dict[str, list[float]] = {name: [] for name in functions}
    for _ in range(repeat):
        for name, function in functions.items():
            started = time.perf_counter()
            function()
            timings[name].append(time.perf_counter() - started)
    return {name: round(statistics.median(values) * 1000, 3) for name, values in timings.items()}


def normalize_for_scoring(text: str | None) -> str:
    """Both sides' text through the same letter unification, so that scoring compares words, not letter forms."""
    return (text or "").replace("ي", "ی").replace("ك", "ک").replace("ى", "ی")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=100)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    try:
        import trafilatura
    except ImportError:
        trafilatura = None
        print("trafilatura is not installed (bash setup.sh): column (d) is left out\n")
    from pipelines.normalize import normalizer

    normalizer()  # built once per process, as in a crawl: not part of any page's time

    rows = []
    for page in pages():
        def parse(page=page):
            return Selector(text=page.html).root

        def ours(page=page):
            return page.extract(Selector(text=page.html, base_url=page.url), page.url)

        def ours_with_pipelines(page=page):
            article, _ = process_record(ours())
            article.crawled_at = "2026-01-01T00:00:00Z"
            problems(dataclasses.asdict(article))
            return article

        functions = {"parse_ms": parse, "ours_ms": ours, "pipeline_ms": ours_with_pipelines}
        if trafilatura:
            functions["trafilatura_ms"] = lambda page=page: trafilatura.extract(page.html)
        for function in functions.values():
            function()  # warm-up: caches of compiled queries and of the ZWNJ restorer, lazy imports
        row = {"page": page.name, "kb": round(len(page.html.encode()) / 1024, 1), **median_ms(functions, args.repeat)}
        expected = normalize_for_scoring(page.expected_body)
        row["ours"] = accuracy(normalize_for_scoring(ours_with_pipelines().body), expected)
        if trafilatura:
            row["trafilatura"] = accuracy(normalize_for_scoring(trafilatura.extract(page.html)), expected)
        rows.append(row)

    print(f"{'page':26} {'KB':>6} {'(a) parse':>10} {'(b) ours':>9} {'(c) +pipes':>10} {'(d) trafil.':>11} "
          f"{'c/a':>5} {'d/c':>5}  {'F1 ours':>7} {'F1 trafil.':>10}")
    for row in rows:
        ratio_ca = row["pipeline_ms"] / row["parse_ms"]
        ratio_dc = row.get("trafilatura_ms", 0) / row["pipeline_ms"]
        print(f"{row['page']:26} {row['kb']:>6} {row['parse_ms']:>10.2f} {row['ours_ms']:>9.2f} {row['pipeline_ms']:>10.2f} "
              f"{row.get('trafilatura_ms', float('nan')):>11.2f} {ratio_ca:>5.2f} {ratio_dc:>5.2f}  "
              f"{row['ours']['f1']:>7.3f} {row.get('trafilatura', {}).get('f1', float('nan')):>10.3f}")
    summary = {}
    print("\nagainst the aims, per kind of page:")
    for kind in ("isna real", "irinn real", "generic", "isna mock", "wordpress mock"):
        group = [row for row in rows if row["page"].startswith(kind)]
        over_parse = [row["pipeline_ms"] / row["parse_ms"] for row in group]
        entry = {"pipeline_over_parse": [round(min(over_parse), 2), round(max(over_parse), 2)]}
        line = f"  {kind:15} (c)/(a) {min(over_parse):.2f}-{max(over_parse):.2f} (aim <= {AIMS['pipeline_over_parse']})"
        if trafilatura:
            over_ours = [row["trafilatura_ms"] / row["pipeline_ms"] for row in group]
            higher = sum(row["ours"]["f1"] > row["trafilatura"]["f1"] for row in group)
            ties = sum(row["ours"]["f1"] == row["trafilatura"]["f1"] for row in group)
            entry.update(trafilatura_over_ours=[round(min(over_ours), 2), round(max(over_ours), 2)],
                         f1_higher=higher, f1_tied=ties, pages=len(group))
            line += (f"; (d)/(c) {min(over_ours):.2f}-{max(over_ours):.2f} (aim >= {AIMS['trafilatura_over_ours']}); "
                     f"body F1 higher than trafilatura's on {higher} of {len(group)} pages, tied on {ties}")
        summary[kind] = entry
        print(line)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"pages": rows, "summary": summary, "aims": AIMS}, ensure_ascii=False, indent=2) + "\n",
                             encoding="utf-8")
        print(f"written to {args.json}")


if __name__ == "__main__":
    main()
