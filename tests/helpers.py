"""Comparisons the crawl tests share."""

import re


def letters(text: str | None) -> str | None:
    """Text without spaces and ZWNJs, Arabic letter forms as Persian: what extraction must get right whatever
    normalization does with spacing (it joins «می شود» and restores lost ZWNJs; tests/test_text_quality.py covers
    that)."""
    if text is None:
        return None
    return re.sub(r"[ \u200c]", "", text).replace("ي", "ی").replace("ى", "ی").replace("ك", "ک")
