"""Learns where Persian writes a ZWNJ and where a space, from sentences written with correct ZWNJs, and writes what it
learned to pipelines/rules/zwnj-learned.tsv, the data file pipelines/zwnj.py reads.

    .venv/bin/python -m pipelines.zwnj_learn [../shared/corpora/perdt-train-sentences.txt]

The shipped file is learned from the train split of the Persian Dependency Treebank (PerDT, CC BY-SA 4.0; see the
file's header); the dev split tunes the thresholds in pipelines/zwnj.py and the Seraji sentences test them, as score() here
measures (benchmarks/text_quality.py, tests/test_zwnj.py). What is learned, from text normalized as the pipeline normalizes it:

- word: every Persian token with its count, with and without ZWNJ (a fused spelling the corpus uses is a word as
  written, «آنها» beside «آن‌ها»: house style, not an error);
- pair: two parts a ZWNJ joins at least once («کرده» + «اند»), with how often they are joined and how often the
  same two stand apart with a space («کرده است» is spaced, «کرده‌اند» joined);
- left: a part that starts joined words («می»، «بی»، «برمی»), how often it is joined to what follows and how often
  a space follows it;
- right: a part that ends joined words («ها»، «ترین»، «سازی»), per kind of letter before it (ه، ی، another letter
  that joins, a letter that does not), how often it is joined and how often it stands after a space.
"""

from __future__ import annotations

import argparse
import hashlib
import re
import sys
from collections import Counter
from pathlib import Path

from crawler.text import HazmCharacters, unify_letters

ZWNJ = "\u200c"
ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = ROOT.parent / "shared" / "corpora" / "perdt-train-sentences.txt"
LEARNED_FILE = Path(__file__).with_name("rules") / "zwnj-learned.tsv"
# Parts seen joined fewer times than this are not kept as left or right parts: too little to go on.
MIN_PART_JOINED = 3
# A left part joined to what follows at least this share of the times is a prefix («می»، «بی»، «برمی»).
PREFIX_SHARE = 0.9

_PERSIAN_TOKEN = re.compile(r"[\u0621-\u063a\u0641-\u064a\u067e\u0686\u0698\u06a9\u06af\u06cc\u0622\u0626\u06c0"
                            r"\u064b-\u065f\u0670\u0654\u200c]+")
# Letters that join to the following letter; a ZWNJ after any other letter (ا د ذ ر ز ژ و آ) changes nothing.
JOINING = frozenset("بپتثجچحخسشصضطظعغفقکگلمنهیئ")
# The kind of a part's last letter, which decides which suffixes take a ZWNJ after it: ه, ی, another letter that
# joins, or (any other) one that does not.
LETTER_KIND = {**dict.fromkeys(JOINING, "j"), "ه": "h", "ی": "y"}

HEADER = """\
# Where Persian writes a ZWNJ and where a space, learned by pipelines/zwnj_learn.py; rebuild it with
#   .venv/bin/python -m pipelines.zwnj_learn path/to/perdt-train-sentences.txt
# Learned from the train split of the Persian Dependency Treebank (PerDT), as kept in github.com/phsfr/UD_Persian-PerDT
# (commit 9b8d171, not-to-release/train_ner.txt): {sentences} sentences, {tokens} tokens, {zwnjs} ZWNJs;
# SHA-256 of the sentences file: {sha256}.
# License: Creative Commons Attribution-ShareAlike 4.0 International (this file is a derived work under the same
# licence). Cite: Mohammad Sadegh Rasooli, Manouchehr Kouhestani and Amirsaeid Moloodi (2013), Development of a
# Persian Syntactic Dependency Treebank, NAACL-HLT 2013; and the UD Persian-PerDT maintainers.
# Rows, tab-separated:
#   word   form  count                        every Persian token, with or without ZWNJ
#   pair   left  right  joined  spaced        two parts a ZWNJ joins at least once
#   left   part  joined  spaced               a part that starts joined words
#   right  kind  part  joined  spaced         a part that ends joined words, by the letter before it
#                                             (h: ه, y: ی, j: another joining letter, n: a letter that does not join)
"""


def letter_kind(part: str) -> str:
    """The kind of the last letter of a part (LETTER_KIND; "n" for a letter that does not join, or none)."""
    return LETTER_KIND.get(part[-1:], "n")


def learn(sentences) -> dict:
    """Counts from sentences of correct text (one a line; tokens separated by spaces, as normalized)."""
    characters = HazmCharacters()
    words: Counter = Counter()
    joined: Counter = Counter()
    spaced: Counter = Counter()
    totals = Counter()
    for line in sentences:
        tokens = characters.normalize(line).split()
        if not tokens:
            continue
        totals["sentences"] += 1
        totals["tokens"] += len(tokens)
        persian = [bool(_PERSIAN_TOKEN.fullmatch(token)) for token in tokens]
        for token, is_persian in zip(tokens, persian):
            if not is_persian:
                continue
            words[token] += 1
            parts = token.split(ZWNJ)
            totals["zwnjs"] += len(parts) - 1
            for left, right in zip(parts, parts[1:]):
                if left and right:
                    joined[left, right] += 1
        for index in range(len(tokens) - 1):
            if persian[index] and persian[index + 1]:
                spaced[tokens[index].rsplit(ZWNJ, 1)[-1], tokens[index + 1].split(ZWNJ, 1)[0]] += 1
    lefts_joined, lefts_spaced = Counter(), Counter()
    for (left, right), count in joined.items():
        lefts_joined[left] += count
    for (left, right), count in spaced.items():
        if lefts_joined[left]:
            lefts_spaced[left] += count
    # A right part is counted after words, not after prefixes: «دهد» is joined after «می» only, and that says
    # nothing of «بیشتری دهد».
    prefixes = {part for part, count in lefts_joined.items()
                if count >= MIN_PART_JOINED and count >= PREFIX_SHARE * (count + lefts_spaced[part])}
    rights_joined, rights_spaced = Counter(), Counter()
    for (left, right), count in joined.items():
        if left not in prefixes:
            rights_joined[letter_kind(left), right] += count
    for (left, right), count in spaced.items():
        rights_spaced[letter_kind(left), right] += count
    return {
        "totals": totals,
        "words": words,
        "pairs": {pair: (count, spaced[pair]) for pair, count in joined.items()},
        "lefts": {part: (count, lefts_spaced[part]) for part, count in lefts_joined.items()
                  if count >= MIN_PART_JOINED},
        "rights": {key: (count, rights_spaced[key]) for key, count in rights_joined.items()
                   if count >= MIN_PART_JOINED},
    }


def write(learned: dict, path: Path, sha256: str = "-") -> None:
    rows = [HEADER.format(**learned["totals"], sha256=sha256)]
    rows += [f"word\t{form}\t{count}\n" for form, count in sorted(learned["words"].items())]
    rows += [f"pair\t{left}\t{right}\t{joined}\t{spaced}\n"
             for (left, right), (joined, spaced) in sorted(learned["pairs"].items())]
    rows += [f"left\t{part}\t{joined}\t{spaced}\n" for part, (joined, spaced) in sorted(learned["lefts"].items())]
    rows += [f"right\t{kind}\t{part}\t{joined}\t{spaced}\n"
             for (kind, part), (joined, spaced) in sorted(learned["rights"].items())]
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text("".join(rows), encoding="utf-8")
    temporary.replace(path)


def read(path: Path = LEARNED_FILE) -> dict:
    """The learned counts, as learn() returns them (without the totals)."""
    learned: dict = {"words": {}, "pairs": {}, "lefts": {}, "rights": {}}
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.startswith("#"):
                continue
            kind, *fields = line.rstrip("\n").split("\t")
            if kind == "word":
                learned["words"][fields[0]] = int(fields[1])
            elif kind == "pair":
                learned["pairs"][fields[0], fields[1]] = (int(fields[2]), int(fields[3]))
            elif kind == "left":
                learned["lefts"][fields[0]] = (int(fields[1]), int(fields[2]))
            elif kind == "right":
                learned["rights"][fields[0], fields[1]] = (int(fields[2]), int(fields[3]))
            else:
                raise ValueError(f"{path}: unknown row kind {kind!r}")
    return learned


_LETTER = re.compile(r"[\u0621-\u063a\u0641-\u064a\u0671-\u06d3]")


def gaps(text: str) -> tuple[str, dict[int, str]]:
    """The text's letters (Arabic forms unified), and what stands between each two of them where something does:
    'z' (a ZWNJ among what stands there) or 's' (a space)."""
    skeleton: list[str] = []
    labels: dict[int, str] = {}
    for char in unify_letters(text):
        if _LETTER.match(char):
            skeleton.append(char)
        elif skeleton and char in (ZWNJ, " ", "\n"):
            position = len(skeleton)
            labels[position] = "z" if char == ZWNJ or labels.get(position) == "z" else "s"
    return "".join(skeleton), labels


def score(references: list[str], outputs: list[str]) -> dict:
    """ZWNJ restoration scored position by position: each output against the text as written (its reference).
    TP: a ZWNJ where the reference has one; FP: a ZWNJ where it has none (a wrong split, or a space joined that
    is a space in the reference: fp_for_space); FN: a ZWNJ of the reference not restored. The words of each FP
    (as output) and FN (as in the reference) are counted in wrong and missed. An output whose letters differ from its reference
    (a tool that also rewrote letters) cannot be scored position by position and is counted as unaligned."""
    tp = fp = fp_for_space = fn = unaligned = 0
    wrong: Counter = Counter()
    missed: Counter = Counter()
    for reference, output in zip(references, outputs, strict=True):
        skeleton, expected = gaps(reference)
        output_skeleton, found = gaps(output)
        if skeleton != output_skeleton:  # a tool that changed letters: its ZWNJs cannot be placed
            unaligned += 1
            continue
        for position in expected.keys() | found.keys():
            want, got = expected.get(position), found.get(position)
            if want == "z" and got == "z":
                tp += 1
            elif got == "z":
                fp += 1
                fp_for_space += want == "s"
                wrong[_word_at(output, position)] += 1
            elif want == "z":
                fn += 1
                missed[_word_at(reference, position)] += 1
    return {"texts": len(references), "unaligned": unaligned, "zwnj_in_reference": tp + fn, "tp": tp, "fp": fp,
            "fp_for_space": fp_for_space, "fn": fn, "precision": round(tp / max(1, tp + fp), 4), "recall": round(tp / max(1, tp + fn), 4),
            "wrong": wrong, "missed": missed}


def _word_at(text: str, position: int) -> str:
    # The output's word around a letter position, for the report.
    count = 0
    for index, char in enumerate(text):
        if _LETTER.match(char):
            count += 1
        if count == position:
            start = text.rfind(" ", 0, index + 1) + 1
            end = text.find(" ", index + 1)
            return text[start:end if end > 0 else None].strip("،.:؛«»()")
    return ""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Learn ZWNJ and spacing statistics from correct Persian sentences.")
    parser.add_argument("corpus", nargs="?", type=Path, default=DEFAULT_CORPUS,
                        help=f"sentences, one a line (default {DEFAULT_CORPUS})")
    parser.add_argument("--output", type=Path, default=LEARNED_FILE, help=f"where to write (default {LEARNED_FILE})")
    args = parser.parse_args(argv)
    if not args.corpus.is_file():
        parser.error(f"no corpus at {args.corpus}")
    with args.corpus.open(encoding="utf-8") as handle:
        learned = learn(handle)
    write(learned, args.output, hashlib.sha256(args.corpus.read_bytes()).hexdigest())
    totals = learned["totals"]
    print(f"learned from {totals['sentences']} sentences ({totals['tokens']} tokens, {totals['zwnjs']} ZWNJs): "
          f"{len(learned['words'])} words, {len(learned['pairs'])} pairs, {len(learned['lefts'])} left parts, "
          f"{len(learned['rights'])} right parts -> {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
