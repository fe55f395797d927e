"""Plain-text helpers shared by extraction and the pipelines: whitespace and letter forms (ours, and hazm's tables).

Only what every text field needs lives here; Persian normalization proper (hazm's options, ZWNJ) is a pipeline stage.
"""

from __future__ import annotations

import re
import unicodedata


def tidy(text: str | None) -> str | None:
    """Collapse white space to single spaces and strip; None for text that is empty once tidied.

    White space is what str.split() splits on (every Unicode space: no-break spaces, line breaks...) and the BOM;
    never the ZWNJ (U+200C). str.split is four times faster than a regular expression on Persian text."""
    if text is None:
        return None
    return " ".join(text.replace("\ufeff", " ").split()) or None


def lines_of(text: str | None) -> list[str]:
    """The paragraphs of a plain text: every line is one (text dumps put list items on single lines), tidied, empty
    ones dropped."""
    if not text:
        return []
    return [line for line in (tidy(line) for line in text.splitlines()) if line]


def unify_letters(text: str) -> str:
    """Arabic letter forms to their Persian counterparts: ي (U+064A), ى (U+0649) -> ی, ك (U+0643) -> ک.
    (Three str.replace calls: several times faster than str.translate with a table on long paragraphs.)"""
    return text.replace("ي", "ی").replace("ى", "ی").replace("ك", "ک")


class HazmCharacters:
    """hazm's Normalizer(**HAZM_OPTIONS).normalize() (pipelines/normalize.py), from hazm's own tables: its character
    translation and its ligature replacements, applied only when the text has one of those characters. Here, not in
    the pipeline stage, because learning from a corpus (pipelines/zwnj_learn.py) normalizes its letters alike."""

    def __init__(self) -> None:
        # tests/test_text_quality.py holds the result equal to hazm's own Normalizer(**HAZM_OPTIONS) on real text,
        # so a hazm release that normalizes differently fails the tests rather than drifting unnoticed.
        from hazm.constants import (
            TRANSLATION_DST,
            TRANSLATION_SRC,
            UNICODE_REPLACEMENTS,
        )
        from hazm.utils import maketrans

        table = maketrans(TRANSLATION_SRC, TRANSLATION_DST)
        # hazm writes two of its replacements as alternations («(ﷰ|ﷹ)», «ﻵ|ﻶ|...|ﻻ|ﻼ») and then applies them as
        # plain strings, so they never match: read here as the characters they list.
        for old, new in UNICODE_REPLACEMENTS:
            for character in old.strip("()").split("|"):
                table[ord(character)] = new
        # Arabic presentation forms hazm's tables lack (559 of the 770) become their letters, as Unicode decomposes
        # them (NFKC), then through hazm's table: «ﻼ» -> «لا», «ﯾ» -> «ی» (what NFKC gives has no presentation form,
        # so the table as it grows translates it as hazm's alone would).
        for code in (*range(0xFB50, 0xFE00), *range(0xFE70, 0xFEFF)):
            decomposed = unicodedata.normalize("NFKC", chr(code))
            if code not in table and decomposed != chr(code):
                table[code] = decomposed.translate(table)
        self._table = table
        self._any = re.compile("[" + "".join(re.escape(chr(code)) for code in sorted(self._table)) + "]")

    def normalize(self, text: str) -> str:
        return text.translate(self._table) if self._any.search(text) else text
