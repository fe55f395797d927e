"""Plain-text helpers shared by extraction and the pipelines: whitespace and letter forms.

Only what every text field needs lives here; Persian normalization proper (hazm, ZWNJ) is a pipeline stage.
"""

from __future__ import annotations

import re

# Every run of white space, including no-break spaces and line breaks, but not the ZWNJ (U+200C).
_WHITESPACE = re.compile(r"[\s\u00a0\u2000-\u200a\u202f\u205f\u3000\ufeff]+")


def tidy(text: str | None) -> str | None:
    """Collapse white space to single spaces and strip; None for text that is empty once tidied."""
    if text is None:
        return None
    cleaned = _WHITESPACE.sub(" ", text).strip()
    return cleaned or None


def unify_letters(text: str) -> str:
    """Arabic letter forms to their Persian counterparts: ي (U+064A), ى (U+0649) -> ی, ك (U+0643) -> ک.
    (Three str.replace calls: several times faster than str.translate with a table on long paragraphs.)"""
    return text.replace("ي", "ی").replace("ى", "ی").replace("ك", "ک")
