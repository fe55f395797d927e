"""Text quality and speed of cleaning + normalization, measured on real Persian text. Prints a table; --json writes
the same numbers to a file.

    .venv/bin/python benchmarks/text_quality.py [--repeat 200] [--json benchmarks/results/text_quality.json]

ZWNJ restoration: every text below is real and written with correct ZWNJs. Each is run through normalization
twice: as published (the reference: letter forms unified, «می شود» joined, its own ZWNJs kept) and with every
ZWNJ deleted, restoration on (the state of text that lost them, as the seeds did). Comparing the two, position by
position, gives restored ZWNJs (TP), ZWNJs put inside a word the reference writes fused (FP, a wrong split), and
ZWNJs not restored (FN).
  - isna-article: title, kicker, lead and body of the real ISNA article (tests/fixtures/isna, 2025 copy);
  - isna-home: titles, kickers and summaries of the real 2017 ISNA home page;
  - seraji: the 600 sentences of the Persian UD treebank's test split (tests/mocksite/seraji-test-sentences.txt).
Good text left alone: the seraji sentences, unchanged, each as one record through the normalization stage; how
many come out different, and how.
Seeds: the 28 words of the two seed bodies that lost their ZWNJ (tests/fixtures/seed-words-lost-zwnj.txt).
"""

from __future__ import annotations

import argparse
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

from crawler.record import Article  # noqa: E402
from crawler.sites import parser_for, registered_site  # noqa: E402
from crawler.text import tidy  # noqa: E402

extract = parser_for(registered_site("isna")).article

FIXTURES = ROOT / "tests" / "fixtures"
ZWNJ = "\u200c"
AIMS = {"precision": 0.98, "recall": 0.85}


def isna_article_texts() -> list[str]:
    html = (FIXTURES / "isna" / "isna_article_95102918901_fetched2025-03-20.html").read_text(encoding="utf-8")
    article = extract(html, "https://www.isna.ir/news/95102918901/")
    return [article.title, article.kicker, article.lead, *article.body.split("\n\n")]


def isna_home_texts() -> list[str]:
    page = Selector(text=(FIXTURES / "isna" / "isna_homepage_fetched2017-05-23.html").read_text(encoding="utf-8"))
    texts = []
    for item in page.css("li"):
        for node in item.css("h3 a, h4 a, div.desc > p"):
            text = tidy("".join(node.xpath(".//text()").getall()))
            if text and len(text) > 10:
                texts.append(text)
    return list(dict.fromkeys(texts))


def seraji_sentences() -> list[str]:
    path = ROOT / "tests" / "mocksite" / "seraji-test-sentences.txt"
    return [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def gaps(text: str) -> tuple[str, dict[int, str]]:
    """The text without spaces and ZWNJs, and what stands in each gap: 'z' (ZWNJ) or 's' (space)."""
    skeleton: list[str] = []
    labels: dict[int, str] = {}
    for char in text:
        if char in (ZWNJ, " ", "\n"):
            if skeleton:
                labels[len(skeleton)] = "z" if char == ZWNJ or labels.get(len(skeleton)) == "z" else "s"
        else:
            skeleton.append(char)
    return "".join(skeleton), labels


def restoration(normalizer, texts: list[str]) -> dict:
    tp = fp = fn = 0
    wrong: Counter = Counter()
    for text in texts:
        reference = normalizer.text(text)
        restored = normalizer.text(text.replace(ZWNJ, ""), restore_zwnj=True)
        skeleton, expected = gaps(reference)
        restored_skeleton, found = gaps(restored)
        if skeleton != restored_skeleton:
            raise AssertionError(f"normalization changed letters, not only ZWNJs: {text!r}")
        for position in expected.keys() | found.keys():
            want, got = expected.get(position), found.get(position)
            if want == "z" and got == "z":
                tp += 1
            elif got == "z" and want is None:
                fp += 1
                wrong[_word_at(restored, skeleton, position)] += 1
            elif want == "z":
                fn += 1
    return {"texts": len(texts), "zwnj_in_reference": tp + fn, "tp": tp, "fp_wrong_split": fp, "fn": fn,
            "precision": round(tp / max(1, tp + fp), 4), "recall": round(tp / max(1, tp + fn), 4),
            "wrong_splits": dict(wrong.most_common(12))}


def _word_at(text: str, skeleton: str, position: int) -> str:
    # The restored word around a skeleton position, for the report.
    count = 0
    for index, char in enumerate(text):
        if char not in (ZWNJ, " ", "\n"):
            count += 1
        if count == position:
            start = text.rfind(" ", 0, index + 1) + 1
            end = text.find(" ", index + 1)
            return text[start:end if end > 0 else None].strip("،.:؛«»()")
    return ""


def good_text_changes(sentences: list[str]) -> dict:
    from pipelines.normalize import normalize_article

    kinds: Counter = Counter()
    changed = 0
    for sentence in sentences:
        out = normalize_article(Article(site="seraji", url="-", body=sentence)).body
        if out == sentence:
            continue
        changed += 1
        if out.replace(ZWNJ, "") != sentence.replace(ZWNJ, "").replace("می ", "می"):
            kinds["letters (Arabic ى/ي/ك and the like)"] += 1
        if out.count(ZWNJ) > sentence.count(ZWNJ):
            kinds["ZWNJ added (sentence had none: restoration ran)"] += 1
    return {"sentences": len(sentences), "changed": changed, "kinds": dict(kinds)}


def seed_words() -> dict:
    from pipelines.reprocess import process_record

    lines = [line.strip() for line in (FIXTURES / "seed-words-lost-zwnj.txt").read_text(encoding="utf-8").splitlines()]
    gold = {line for line in lines if line and not line.startswith(("#", "+"))}
    also = {line[1:] for line in lines if line.startswith("+")}
    found: set[str] = set()
    for name, start in (("isna-khuzestan-1402052415139.txt", "ایسنا/خوزستان"), ("nazirkerman-small-industries.txt", "هشتمین جلسه")):
        text = (FIXTURES / name).read_text(encoding="utf-8")
        article = Article(site="seed", url="-", title="-", body=text[text.index(start):])
        body = process_record(article)[0].body
        found |= {word.strip("،.:؛«»()") for word in re.findall(r"\S+", body) if ZWNJ in word}
    return {"lost": len(gold), "restored": len(gold & found), "missed": sorted(gold - found),
            "zwnj_where_none_belongs": sorted(found - gold - also)}


def throughput(repeat: int) -> dict:
    from pipelines.reprocess import process_record

    html = (FIXTURES / "isna" / "isna_article_95102918901_fetched2025-03-20.html").read_text(encoding="utf-8")
    seed = (FIXTURES / "isna-khuzestan-1402052415139.txt").read_text(encoding="utf-8")
    results = {}
    cases = {
        "isna article (has its ZWNJs)": lambda: extract(html, "https://www.isna.ir/news/95102918901/"),
        "seed text (lost its ZWNJs, restored)": lambda: Article(site="isna", url="-", title="-",
                                                                body=seed[seed.index("ایسنا/خوزستان"):]),
    }
    for name, make in cases.items():
        articles = [make() for _ in range(repeat)]
        characters = sum(len(article.body) + len(article.lead or "") + len(article.title or "") for article in articles)
        timings = []
        for article in articles:
            started = time.perf_counter()
            process_record(article)
            timings.append(time.perf_counter() - started)
        results[name] = {"ms_per_article_median": round(statistics.median(timings) * 1000, 3),
                         "chars_per_second": round(characters / sum(timings))}
    return results


# Long runs without a space, of the kinds that made normalization quadratic (an e-mail pattern tried at every
# position of a run of word characters): the time should double, not quadruple, when the run doubles.
LONG_RUNS = {
    "Latin and Persian letters (aب aب...)": "aب",
    "Persian letters": "ب",
    "Latin letters and dots": "a.",
    "upper-case URL": "HTTPS://X.IR/کتاب",
}


def long_runs(sizes: tuple[int, ...] = (10_000, 20_000, 40_000)) -> dict:
    from pipelines.normalize import normalizer

    normal = normalizer()
    results = {}
    for name, unit in LONG_RUNS.items():
        timings = {}
        for size in sizes:
            text = (unit * (size // len(unit) + 1))[:size]
            started = time.perf_counter()
            normal.text(text)
            timings[size] = time.perf_counter() - started
        results[name] = {"ms": {size: round(seconds * 1000, 3) for size, seconds in timings.items()},
                         "ratio_last_doubling": round(timings[sizes[-1]] / max(timings[sizes[-2]], 1e-9), 2)}
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=200, help="articles per throughput case (default 200)")
    parser.add_argument("--json", type=Path, help="also write the numbers to this file")
    args = parser.parse_args()

    from pipelines.normalize import normalizer

    started = time.perf_counter()
    normal = normalizer()
    build_seconds = time.perf_counter() - started
    report = {
        "normalizer_build_seconds": round(build_seconds, 2),
        "restoration": {name: restoration(normal, texts) for name, texts in (
            ("isna-article", isna_article_texts()), ("isna-home", isna_home_texts()), ("seraji", seraji_sentences()))},
        "good_text": good_text_changes(seraji_sentences()),
        "seeds": seed_words(),
        "throughput": throughput(args.repeat),
        "long_runs": long_runs(),
    }

    print(f"normalizer built in {build_seconds:.2f} s (once per process)\n")
    print(f"ZWNJ restoration (aims: precision >= {AIMS['precision']}, recall >= {AIMS['recall']})")
    print(f"  {'corpus':14} {'texts':>6} {'ZWNJs':>6} {'TP':>5} {'FP':>4} {'FN':>4} {'precision':>10} {'recall':>7}")
    for name, row in report["restoration"].items():
        print(f"  {name:14} {row['texts']:>6} {row['zwnj_in_reference']:>6} {row['tp']:>5} {row['fp_wrong_split']:>4} "
              f"{row['fn']:>4} {row['precision']:>10.3f} {row['recall']:>7.3f}")
    for name, row in report["restoration"].items():
        if row["wrong_splits"]:
            print(f"  {name} wrong splits (the reference writes these fused): "
                  + ", ".join(f"{word} x{count}" for word, count in row["wrong_splits"].items()))
    good = report["good_text"]
    print(f"\ngood text through normalization: {good['changed']} of {good['sentences']} seraji sentences changed: {good['kinds']}")
    seeds = report["seeds"]
    print(f"seed bodies: {seeds['restored']} of {seeds['lost']} words that lost their ZWNJ restored; missed: "
          f"{', '.join(seeds['missed']) or 'none'}; ZWNJs where none belongs: {', '.join(seeds['zwnj_where_none_belongs']) or 'none'}")
    print("\ncleaning + normalization speed")
    for name, row in report["throughput"].items():
        print(f"  {name:40} {row['ms_per_article_median']:>8.3f} ms/article  {row['chars_per_second']:>12,} chars/s")
    print("\nlong runs without a space through normalization (linear: about 2x per doubling; quadratic: 4x)")
    for name, row in report["long_runs"].items():
        times = "  ".join(f"{size // 1000}k: {ms:.2f} ms" for size, ms in row["ms"].items())
        print(f"  {name:40} {times}  last doubling x{row['ratio_last_doubling']}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        print(f"\nwritten to {args.json}")


if __name__ == "__main__":
    main()
