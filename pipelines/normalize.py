"""Normalization of the record's Persian text fields with hazm; URLs, ids, dates and Latin text are never touched.

Applied to title, kicker, lead, body, category, categories, editor, source, province, tags and image captions:
- hazm's Normalizer, built once per process with options chosen on purpose (see HAZM_OPTIONS): Arabic letter forms
  and presentation forms to Persian letters, ligatures spelt out. Its defaults would turn digits Persian, space out
  URLs and slashes (`ایسنا/خوزستان` -> `ایسنا / خوزستان`), rewrite `3.5` and quotes, drop the ezafe hamza of
  `خانهٔ` and diacritics, so those options are off;
- kashida and stray zero-width or bidi control characters removed (the ZWNJ itself is kept, and tidied);
- `می شود` -> `می‌شود` where the joined form is a verb;
- lost ZWNJs restored (pipelines/zwnj.py) in records that show they lost them: no ZWNJ at all in a text of some
  length. Text that has its ZWNJs keeps its own spelling.
URLs, e-mail addresses and runs of Latin letters and digits are cut out before any of this and put back as they were.
"""

from __future__ import annotations

import re
from functools import cache

from crawler.record import Article
from crawler.text import tidy
from pipelines.zwnj import ZWNJ, ZwnjRestorer

TEXT_FIELDS = ("title", "kicker", "lead", "category", "editor", "source", "province")

HAZM_OPTIONS = {
    "correct_spacing": False,        # spaces out ایسنا/خوزستان and URLs, joins «ماه می سال» into «می‌سال»
    "remove_diacritics": False,      # «بُعد» and «بعد» are different words; diacritics are rare and deliberate
    "remove_specials_chars": False,  # would drop the ezafe hamza of «خانهٔ»
    "decrease_repeated_chars": False,
    "persian_style": False,          # rewrites quotes and 3.5 -> ۳٫۵
    "persian_numbers": False,        # digits stay as published
    "unicodes_replacement": True,    # ligatures such as ﷼ spelt out
    "seperate_mi": False,            # done by the ZWNJ restorer, from the same verb list, once
}

# Left exactly as published: URLs, e-mail addresses, and every word with a Latin letter or ASCII digit in it (with
# its punctuation, such as quotes) and no Persian letter.
_PROTECTED = re.compile(
    r"(?:https?://|www\.)[^\s«»\"']+"
    r"|[\w.+-]+@[\w-]+(?:\.[\w-]+)+"
    r"|(?<!\S)[^\s\u0600-\u06ff]*[A-Za-z0-9][^\s\u0600-\u06ff]*(?!\S)"
)
# Kashida, zero-width space/joiner, directional marks and embeddings, BOM, soft hyphen.
_STRAY = re.compile(r"[\u0640\u200b\u200d\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff\u00ad]")
# A ZWNJ that joins nothing: doubled, or beside a space, punctuation or the end of the text.
_LOOSE_ZWNJ = re.compile(r"\u200c{2,}|(?<![\u0600-\u06ff])\u200c|\u200c(?![\u0600-\u06ff])")
_PERSIAN_WORD = re.compile(r"[\u0600-\u06ff]+(?:\u200c[\u0600-\u06ff]+)*")

# A text lost its ZWNJs when it has this many Persian words and fewer ZWNJs than one per RATE words (correct
# Persian news has one every 15-20 words; the real ISNA article has 25 in 438 words).
MIN_WORDS_FOR_RESTORATION = 30
MISSING_ZWNJ_RATE = 150


class PersianNormalizer:
    """One per process: building it loads hazm's lexicons (about 3 s)."""

    def __init__(self) -> None:
        from hazm import Normalizer

        self._hazm = Normalizer(**HAZM_OPTIONS)
        self._restorer = ZwnjRestorer.from_hazm()

    def text(self, text: str | None, *, restore_zwnj: bool = False) -> str | None:
        """One text field, normalized; None when nothing is left."""
        return self.texts([text], restore_zwnj=restore_zwnj)[0]

    def texts(self, texts: list[str | None], *, restore_zwnj: bool = False) -> list[str | None]:
        """Many text fields at once: hazm's Normalizer rebuilds its character table on every call (0.2 ms), so all
        the Persian pieces of a record go through it in one call, one line each."""
        layouts: list[list[tuple[bool, str]] | None] = []
        persian: list[str] = []
        for text in texts:
            if not text:
                layouts.append(None)
                continue
            layout = []
            position = 0
            for match in _PROTECTED.finditer(text):
                layout.append((False, text[position:match.start()]))
                layout.append((True, match.group()))
                position = match.end()
            layout.append((False, text[position:]))
            for protected, piece in layout:
                if not protected:
                    persian.append(_STRAY.sub("", piece.replace("\n", " ")))
            layouts.append(layout)
        normalized = iter(self._hazm.normalize("\n".join(persian)).split("\n") if persian else [])
        finish = self._restorer.restore_text if restore_zwnj else self._restorer.join_spaced_mi
        results = []
        for layout in layouts:
            if layout is None:
                results.append(None)
                continue
            pieces = [piece if protected else finish(_tidy_zwnj(next(normalized))) for protected, piece in layout]
            results.append(tidy("".join(pieces)))
        return results

    def article(self, article: Article) -> Article:
        """Normalize the article's text fields in place and return it."""
        restore = lost_zwnj(article)
        paragraphs = article.body.split("\n\n") if article.body else []
        fields = [getattr(article, name) for name in TEXT_FIELDS]
        captions = [image.caption for image in article.images]
        values = iter(self.texts([*fields, *paragraphs, *article.tags, *article.categories, *captions],
                                 restore_zwnj=restore))
        for name in TEXT_FIELDS:
            setattr(article, name, next(values))
        article.body = "\n\n".join(text for text in (next(values) for _ in paragraphs) if text) or None
        article.tags = list(dict.fromkeys(tag for tag in (next(values) for _ in article.tags) if tag))
        article.categories = list(dict.fromkeys(name for name in (next(values) for _ in article.categories) if name))
        for image in article.images:
            image.caption = next(values)
        return article


def _tidy_zwnj(text: str) -> str:
    return _LOOSE_ZWNJ.sub(lambda match: ZWNJ if match.group().startswith(ZWNJ * 2) else "", text)


def lost_zwnj(article: Article) -> bool:
    """Whether the record's text shows it lost its ZWNJs (no ZWNJ where Persian text of this length has them)."""
    text = " ".join(value for value in (article.title, article.lead, article.body) if value)
    words = len(_PERSIAN_WORD.findall(text))
    return words >= MIN_WORDS_FOR_RESTORATION and text.count(ZWNJ) * MISSING_ZWNJ_RATE < words


@cache
def normalizer() -> PersianNormalizer:
    """The process's one normalizer."""
    return PersianNormalizer()


def normalize_article(article: Article) -> Article:
    return normalizer().article(article)


class NormalizePipeline:
    def open_spider(self) -> None:
        normalizer()  # pay the lexicon loading at start, not on the first article

    def process_item(self, item: Article) -> Article:
        return normalize_article(item)
