"""Cleaning: page junk out of the article body, by the rules in pipelines/rules/cleaning.toml.

Works on the body text alone, whatever site or extractor it came from: it ends the story at its end marker,
drops comment-form, share-widget and related-news paragraphs and paragraphs that only repeat the title, drops a
teaser excerpt that the full text repeats, and moves a trailing «منبع: ...» line into the record's `source`.
Every removal is counted by rule name, so a crawl's stats say what was removed.
"""

from __future__ import annotations

import re
import tomllib
from collections import Counter
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from crawler.record import Article, Body
from crawler.text import tidy, unify_letters

RULES_FILE = Path(__file__).with_name("rules") / "cleaning.toml"

KASHIDA = "\u0640"
ZWNJ = "\u200c"
# Bullets and icon glyphs that page-to-text converters leave before list items and share buttons (stripped from
# tidied text, where the only white space left is single spaces: str.strip is several times faster than a pattern).
_LEADING_GLYPHS = " •·▪●■◦*?؟-–—|»>"
_TRAILING_PUNCTUATION = " .:،؛!?؟"


def match_key(paragraph: str) -> str:
    """The form of a paragraph that rules are written against (see the rules file)."""
    text = unify_letters(paragraph.replace(KASHIDA, "").replace(ZWNJ, ""))
    return (tidy(text) or "").lstrip(_LEADING_GLYPHS)


@dataclass(frozen=True)
class Rules:
    end_markers: tuple[re.Pattern, ...]
    source_line: re.Pattern
    source_line_window: int
    header_line: re.Pattern
    teaser_endings: tuple[str, ...]
    drop: re.Pattern  # every drop pattern in one alternation; group `r<i>` is rule drop_names[i]
    drop_names: tuple[str, ...]

    def dropped_by(self, key: str) -> str | None:
        match = self.drop.match(key)
        return self.drop_names[int(match.lastgroup[1:])] if match else None


@dataclass
class CleaningReport:
    """What cleaning removed from one record (or, added up, from many)."""

    removed: Counter = field(default_factory=Counter)

    def add(self, other: "CleaningReport") -> None:
        self.removed.update(other.removed)


@cache
def _rules_file() -> dict:
    with RULES_FILE.open("rb") as handle:
        return tomllib.load(handle)


@cache
def rules_for(site: str) -> Rules:
    data = _rules_file()
    generic = data["generic"]
    specific = dict(data.get("sites", {}).get(site, {}))

    def merged(key, default):
        return specific.get(key, generic.get(key, default))

    drop = [(group["name"], pattern) for section in (generic, specific)
            for group in section.get("drop", []) for pattern in group["patterns"]]
    for _, pattern in drop:
        re.compile(pattern)  # a broken pattern is reported on its own, not as part of the alternation
    return Rules(
        end_markers=tuple(re.compile(pattern) for pattern in generic["end_markers"] + specific.get("end_markers", [])),
        source_line=re.compile(merged("source_line", r"(?!)")),
        source_line_window=int(merged("source_line_window", 3)),
        header_line=re.compile(merged("header_line", r"(?!)")),
        teaser_endings=tuple(merged("teaser_endings", [])),
        drop=re.compile("|".join(f"(?P<r{index}>{pattern})" for index, (_, pattern) in enumerate(drop)) or r"(?!)"),
        drop_names=tuple(name for name, _ in drop),
    )


def clean_article(article: Article) -> CleaningReport:
    """Clean the article's body in place (and fill `source`, and `editor` from an end marker, when empty)."""
    rules = rules_for(article.site)
    report = CleaningReport()
    paragraphs = article.paragraphs
    keys = [match_key(paragraph) for paragraph in paragraphs]

    # 1. The end marker: the story stops there; what follows is kept aside only to look for an attribution.
    tail: list[str] = []
    for index, key in enumerate(keys):
        marker = next((match for pattern in rules.end_markers if (match := pattern.match(key))), None)
        if marker:
            editor = marker.groupdict().get("editor")
            if editor and not article.editor:
                article.editor = tidy(editor)
            tail = keys[index + 1:]
            report.removed["end_marker"] += 1
            report.removed["after_end_marker"] += len(tail)
            paragraphs, keys = paragraphs[:index], keys[:index]
            break

    # 2. The attribution: after the end marker, or among the last paragraphs of the story.
    source = _find_source(rules, tail)
    if source is None:
        window_start = max(0, len(keys) - rules.source_line_window)
        for index in range(len(keys) - 1, window_start - 1, -1):
            match = rules.source_line.match(keys[index])
            if match:
                source = match.group("source")
                del paragraphs[index], keys[index]
                report.removed["source_line"] += 1
                break
    if source and not article.source:
        article.source = tidy(source)

    # 3. Junk paragraphs wherever they stand, paragraphs that only repeat the title or name the author, and before
    # the story's first paragraph what stands above it on the page: the kicker, the lead, a line of facts.
    title_key = _bare(match_key(article.title)) if article.title else None
    header = {_bare(match_key(text)) for text in (article.kicker, article.lead) if text}
    byline = _bare(match_key(article.author)) if article.author else None
    kept: list[tuple[str, str]] = []
    for paragraph, key in zip(paragraphs, keys, strict=True):
        rule = rules.dropped_by(key)
        if rule is None and title_key and _bare(key) == title_key:
            rule = "title_repeat"
        elif rule is None and not kept and (_bare(key) in header or rules.header_line.match(key)):
            rule = "header_repeat"
        elif rule is None and byline and _bare(key) == byline:
            rule = "byline"
        if rule:
            report.removed[rule] += 1
        else:
            kept.append((paragraph, key))

    # 4. A teaser excerpt that the full text after it repeats.
    body: list[str] = []
    keys_kept = [key for _, key in kept]
    for index, (paragraph, key) in enumerate(kept):
        if _is_repeated_teaser(key, keys_kept, index + 1, rules.teaser_endings):
            report.removed["teaser"] += 1
            continue
        body.append(paragraph)

    article.body = Body.of(body)
    return report


def _find_source(rules: Rules, tail_keys: list[str]) -> str | None:
    for key in tail_keys:
        match = rules.source_line.match(key)
        if match:
            return match.group("source")
    return None


def _bare(key: str) -> str:
    return key.rstrip(_TRAILING_PUNCTUATION)


# A teaser shorter than this is not told apart from a sentence that happens to begin the next paragraph.
_MIN_TEASER = 40


def _is_repeated_teaser(key: str, keys: list[str], start: int, endings: tuple[str, ...]) -> bool:
    """Whether the paragraph is a teaser («... […]») that the text from keys[start] on begins with. Only as much of
    that text is joined as the teaser is long, so that a body of thousands of paragraphs is read once, not once for
    each of them."""
    ending = next((ending for ending in endings if key.endswith(ending)), None)
    if ending is None or start >= len(keys):
        return False
    stem = key[: -len(ending)].strip()
    if len(stem) < _MIN_TEASER:
        return False
    following, length = [], 0
    for later in keys[start:]:
        following.append(later)
        length += len(later) + 1
        if length > len(stem):
            break
    return " ".join(following).startswith(stem)


class CleanPipeline:
    def __init__(self, crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_item(self, item: Article) -> Article:
        report = clean_article(item)
        for rule, count in report.removed.items():
            self.crawler.stats.inc_value(f"clean/removed/{rule}", count)
        return item
