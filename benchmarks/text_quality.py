"""Text quality and speed of cleaning + normalization, measured on real Persian text. Prints a table; --json writes
the same numbers to a file.

    .venv/bin/python benchmarks/text_quality.py [--compare-with REV] [--repeat 200] [--json FILE]

ZWNJ restoration, on real text written with correct ZWNJs, in two damaged forms: every ZWNJ deleted («کتابها»)
and every ZWNJ typed as a space («کتاب ها»), as sites publish text that lost them. Each damaged text is normalized
with restoration on and compared, ZWNJ position by ZWNJ position, with the text as written (letter forms unified):
restored ZWNJs (TP), ZWNJs put where the text has none (FP: a wrong split, or a space joined that is a space) and
ZWNJs not restored (FN). Positions are counted between letters, so tools that also change digits or punctuation are
scored alike.
  - perdt-dev: the 1,456 sentences of the PerDT treebank's dev split (tests/fixtures/corpora), the corpus the
    restorer is tuned on (it learns from the train split: pipelines/zwnj_learn.py);
  - seraji: the 600 sentences of the Persian UD treebank's test split (tests/mocksite/seraji-test-sentences.txt),
    written to another house style (it fuses many plurals: «گروهها»);
  - isna-article and isna-home: the real ISNA article (tests/fixtures/isna, 2025 copy) and the titles, kickers and
    summaries of the real 2017 ISNA home page.
Beside ours, on the same inputs: hazm's Normalizer() with its defaults, parsivar's Normalizer with its statistical
spacing model (when parsivar is importable: `pip install --target DIR parsivar` and PYTHONPATH=DIR), and, with
--compare-with REV, this project at another git revision (run from a temporary worktree, in a subprocess).
Good text left alone: the perdt-dev and seraji sentences, unchanged, each as one record through the normalization
stage; how many come out different, and how.
Seeds: the 28 words of the two seed bodies that lost their ZWNJ (tests/fixtures/seed-words-lost-zwnj.txt).
Speed: normalization (restoration on) of the damaged corpora, in milliseconds per 1,000 characters, cold (the first
pass of a new process: nothing remembered of text seen before) and warm (the same texts again); the best of 5
rounds.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from parsel import Selector  # noqa: E402

from crawler.record import Article  # noqa: E402
from crawler.sites import parser_for, registered_site  # noqa: E402
from crawler.text import tidy  # noqa: E402
from pipelines.zwnj_learn import score  # noqa: E402

extract = parser_for(registered_site("isna")).article

FIXTURES = ROOT / "tests" / "fixtures"
ZWNJ = "\u200c"
AIMS = {"deleted": (0.98, 0.95), "spaced": (0.98, 0.85)}  # (precision, recall) on perdt-dev
DAMAGE = {"deleted": "", "spaced": " "}


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


def sentences(path: Path) -> list[str]:
    return [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def corpora() -> dict[str, list[str]]:
    return {"perdt-dev": sentences(FIXTURES / "corpora" / "perdt-dev-sentences.txt"),
            "seraji": sentences(ROOT / "tests" / "mocksite" / "seraji-test-sentences.txt"),
            "isna-article": isna_article_texts(), "isna-home": isna_home_texts()}


def damaged(texts: list[str], how: str) -> list[str]:
    return [text.replace(ZWNJ, DAMAGE[how]) for text in texts]


def other_tools() -> dict:
    """hazm's and parsivar's normalizers, as a user of each would call them (parsivar when importable)."""
    from hazm import Normalizer

    tools = {"hazm Normalizer()": Normalizer().normalize}
    try:
        from parsivar import Normalizer as ParsivarNormalizer
    except ImportError:
        print("parsivar is not importable: its row is left out (pip install --target DIR parsivar; PYTHONPATH=DIR)")
    else:
        tools["parsivar (spacing model)"] = ParsivarNormalizer(statistical_space_correction=True).normalize
    return tools


# Run inside a worktree of another revision: reads the texts (a JSON list) on its first line, then, for each line
# "round", normalizes them cold and warm and prints the two timings; for "outputs", prints what it made of them.
_AT_REVISION = """
import json, sys, time
sys.path.insert(0, ".")
from pipelines.normalize import normalizer
texts = json.loads(sys.stdin.readline())
started = time.perf_counter(); normal = normalizer(); build = time.perf_counter() - started
print(json.dumps({"build": build}), flush=True)
outputs = []
for command in sys.stdin:
    if command.strip() == "outputs":
        print(json.dumps(outputs, ensure_ascii=False), flush=True)
        continue
    if hasattr(normal._restorer, "forget"):
        normal._restorer.forget()
    else:
        normal._restorer._cache.clear()
    timings = []
    for _ in range(2):
        started = time.perf_counter()
        outputs = [normal.text(text, restore_zwnj=True) for text in texts]
        timings.append(time.perf_counter() - started)
    print(json.dumps(timings), flush=True)
"""
# Speed is the best of this many rounds (cold: everything remembered forgotten first), ours and the revision's in
# turn, so that a busy machine slows both alike.
ROUNDS = 5


class AtRevision:
    """This project's normalization at another git revision, in a subprocess started in a temporary worktree."""

    def __init__(self, revision: str, texts: list[str]):
        self.folder = tempfile.TemporaryDirectory()
        self.tree = Path(self.folder.name) / "tree"
        subprocess.run(["git", "worktree", "add", "--detach", str(self.tree), revision], cwd=ROOT, check=True,
                       capture_output=True)
        self.process = subprocess.Popen(
            [sys.executable, "-c", _AT_REVISION], cwd=self.tree, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            text=True, env={**os.environ, "PERSIAN_NEWS_CACHE": str(Path(self.folder.name) / "cache")})
        self.build = self._ask(json.dumps(texts, ensure_ascii=False))["build"]

    def _ask(self, line: str):
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()
        return json.loads(self.process.stdout.readline())

    def round(self) -> list[float]:
        return self._ask("round")

    def outputs(self) -> list[str]:
        return self._ask("outputs")

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait(timeout=60)
        subprocess.run(["git", "worktree", "remove", "--force", str(self.tree)], cwd=ROOT, capture_output=True)
        self.folder.cleanup()


def restoration(normal, texts_by_corpus: dict[str, list[str]], revision: str | None) -> tuple[dict, dict]:
    """Scores of every tool on every corpus and damage, and the speed of ours (and of the revision's)."""
    references = {name: [normal.text(text) for text in texts] for name, texts in texts_by_corpus.items()}
    inputs = [(name, how, damaged(texts, how)) for name, texts in texts_by_corpus.items() for how in DAMAGE]
    all_inputs = [text for _, _, texts in inputs for text in texts]
    characters = sum(map(len, all_inputs))
    other = AtRevision(revision, all_inputs) if revision else None
    timings: dict[str, list[list[float]]] = {"ours": [], revision: []}
    try:
        for _ in range(ROUNDS):
            normal._restorer.forget()
            round_timings = []
            for _ in range(2):  # cold, then warm
                started = time.perf_counter()
                ours = [normal.text(text, restore_zwnj=True) for text in all_inputs]
                round_timings.append(time.perf_counter() - started)
            timings["ours"].append(round_timings)
            if other:
                timings[revision].append(other.round())
        outputs = {"ours": ours}
        if other:
            outputs[f"this project at {revision}"] = other.outputs()
    finally:
        if other:
            other.close()
    speed = {}
    for tool, rounds in timings.items():
        if rounds:
            speed[tool] = {"cold_ms_per_1000_chars": round(min(cold for cold, _ in rounds) / characters * 1e6, 3),
                           "warm_ms_per_1000_chars": round(min(warm for _, warm in rounds) / characters * 1e6, 3)}
    if other:
        speed[revision]["build_seconds"] = round(other.build, 2)
        # each round ran both, one after the other: the median of the rounds' ratios is steadier than either time
        speed["ratio_ours_to_revision"] = {
            when: round(statistics.median(ours[index] / theirs[index]
                                          for ours, theirs in zip(timings["ours"], timings[revision])), 2)
            for index, when in enumerate(("cold", "warm"))}
    for tool, run in other_tools().items():
        outputs[tool] = [run(text) for text in all_inputs]
    scores: dict = {}
    for tool, produced in outputs.items():
        position = 0
        for name, how, texts in inputs:
            scores.setdefault(tool, {})[f"{name} {how}"] = score(references[name], produced[position:position + len(texts)])
            position += len(texts)
    speed["characters"] = characters
    return scores, speed


def house_style(restorer, row: dict) -> dict:
    """How many of a row's FP and FN are house style, not errors: an FP word whose ZWNJ spelling the training
    corpus uses more than the fused one; an FN word whose fused spelling it uses more, or two of whose parts it
    spaces more often than it joins them («به‌تدریج» / «به تدریج»)."""
    corpus = restorer.corpus

    def more_with_zwnj(word: str) -> bool:
        return corpus.get(word, 0) > corpus.get(word.replace(ZWNJ, ""), 0)

    def more_fused(word: str) -> bool:
        if corpus.get(word.replace(ZWNJ, ""), 0) > corpus.get(word, 0):
            return True
        parts = word.split(ZWNJ)
        return any(restorer.pairs.get(pair, (0, 0))[1] > restorer.pairs.get(pair, (0, 0))[0]
                   for pair in zip(parts, parts[1:]))

    return {"fp": row["fp"], "fp_house_style": sum(count for word, count in row["wrong"].items() if more_with_zwnj(word)),
            "fn": row["fn"], "fn_house_style": sum(count for word, count in row["missed"].items() if more_fused(word))}


def good_text_changes(sentences: list[str]) -> dict:
    """Each sentence, as written, as one record through the normalization stage: how many come out different."""
    from pipelines.normalize import normalize_article

    kinds: Counter = Counter()
    changed = 0
    examples = []
    for sentence in sentences:
        out = normalize_article(Article(site="corpus", url="-", body=sentence)).body
        if out == sentence:
            continue
        changed += 1
        if out.replace(ZWNJ, "") != sentence.replace(ZWNJ, ""):
            kinds["letters (Arabic ى/ي/ك and the like)"] += 1
        if out.count(ZWNJ) > sentence.count(ZWNJ):
            kinds["ZWNJ added (a long sentence without one: restoration ran)"] += 1
            examples += [(a, b) for a, b in zip(sentence.split(), out.split()) if a != b and ZWNJ in b]
    return {"sentences": len(sentences), "changed": changed, "kinds": dict(kinds), "zwnj_added": examples[:12]}


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
    parser.add_argument("--compare-with", metavar="REV", help="also score this project at this git revision")
    parser.add_argument("--json", type=Path, help="also write the numbers to this file")
    args = parser.parse_args()

    from pipelines.normalize import normalizer

    started = time.perf_counter()
    normal = normalizer()
    build_seconds = time.perf_counter() - started
    texts = corpora()
    scores, speed = restoration(normal, texts, args.compare_with)
    report = {
        "normalizer_build_seconds": round(build_seconds, 2),
        "restoration": scores,
        "speed": speed,
        "good_text": {name: good_text_changes(texts[name]) for name in ("perdt-dev", "seraji")},
        "seeds": seed_words(),
        "throughput": throughput(args.repeat),
        "long_runs": long_runs(),
    }

    print(f"normalizer built in {build_seconds:.2f} s (once per process)\n")
    aims = ", ".join(f"{how}: P >= {p}, R >= {r}" for how, (p, r) in AIMS.items())
    print(f"ZWNJ restoration (aims on perdt-dev, {aims})")
    print("  (FP: ZWNJs the text as written does not have; of them, FP space: where it has a space)")
    print(f"  {'tool':28} {'corpus, damage':22} {'ZWNJs':>6} {'TP':>5} {'FP':>5} {'FP space':>8} {'FN':>5} "
          f"{'precision':>9} {'recall':>7}")
    for tool, rows in scores.items():
        for name, row in rows.items():
            unaligned = f"  ({row['unaligned']} texts with letters changed, not scored)" if row["unaligned"] else ""
            print(f"  {tool:28} {name:22} {row['zwnj_in_reference']:>6} {row['tp']:>5} {row['fp']:>5} "
                  f"{row['fp_for_space']:>8} {row['fn']:>5} {row['precision']:>9.3f} {row['recall']:>7.3f}{unaligned}")
    for name, row in scores["ours"].items():
        if row["wrong"]:
            print(f"  ours, {name}: ZWNJs the text as written does not have: "
                  + ", ".join(f"{word} x{count}" for word, count in row["wrong"].most_common(12)))
    for how in DAMAGE:
        style = house_style(normal._restorer, scores["ours"][f"seraji {how}"])
        print(f"  seraji {how}: of {style['fp']} FP, {style['fp_house_style']} are words the training corpus writes "
              f"with that ZWNJ more often than fused (Seraji fuses them); of {style['fn']} FN, {style['fn_house_style']}"
              f" are words it writes fused or spaced more often («آنها», «به تدریج»)")
    report["house_style"] = {how: house_style(normal._restorer, scores["ours"][f"seraji {how}"]) for how in DAMAGE}
    print(f"\nrestoration speed over {speed['characters']:,} damaged characters (ms per 1,000 characters)")
    for tool, row in speed.items():
        if tool not in ("characters", "ratio_ours_to_revision"):
            print(f"  {tool:28} cold {row['cold_ms_per_1000_chars']:.3f}  warm {row['warm_ms_per_1000_chars']:.3f}"
                  + (f"  (built in {row['build_seconds']} s)" if "build_seconds" in row else ""))
    if args.compare_with:
        ratio = speed["ratio_ours_to_revision"]
        print(f"  time ours / {args.compare_with} (median of the rounds): cold {ratio['cold']:.2f}, "
              f"warm {ratio['warm']:.2f}")
    for name, good in report["good_text"].items():
        print(f"\ngood text through normalization: {good['changed']} of {good['sentences']} {name} sentences changed: "
              f"{good['kinds']}; ZWNJs added: {good['zwnj_added']}")
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
        for rows in report["restoration"].values():
            for row in rows.values():
                row["wrong"], row["missed"] = dict(row["wrong"].most_common(12)), dict(row["missed"].most_common(12))
        args.json.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        print(f"\nwritten to {args.json}")


if __name__ == "__main__":
    main()
