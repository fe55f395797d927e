"""Normalization of the record's Persian text fields with hazm; URLs, ids, dates and Latin text are never touched.

Applied to title, kicker, lead, body, category, categories, editor, source, province, tags and image captions:
- hazm's Normalizer with options chosen on purpose (see HAZM_OPTIONS): Arabic letter forms and presentation forms
  to Persian letters, ligatures spelt out. Its defaults would turn digits Persian, space out URLs and slashes
  (`ایسنا/خوزستان` -> `ایسنا / خوزستان`), rewrite `3.5` and quotes, drop the ezafe hamza of `خانهٔ` and
  diacritics, so those options are off. With these options hazm's normalize() is its character table and its
  ligature replacements; HazmCharacters applies those same tables of hazm's, built once (hazm rebuilds the table
  on every call, and translating a text that has none of its characters costs a millisecond per article), and a
  test holds its output equal to hazm's Normalizer on real text;
- stray zero-width or bidi control characters removed (the ZWNJ itself is kept, and tidied), but for a
  left-to-right or right-to-left mark between two Persian letters, which stands for a ZWNJ; a kashida that
  stretches a letter removed, one standing alone as a dash kept;
- `می شود` -> `می‌شود` where the joined form is a verb;
- lost ZWNJs restored (pipelines/zwnj.py) in records that show they lost them: no ZWNJ at all in a text of some
  length. Text that has its ZWNJs keeps its own spelling.
URLs, e-mail addresses and runs of Latin letters and digits are cut out before any of this and put back as they were.
"""

from __future__ import annotations

import re
from functools import cache

from crawler.record import Article, Body
from crawler.text import HazmCharacters, tidy
from pipelines.zwnj import ZWNJ, ZwnjRestorer

TEXT_FIELDS = ("title", "kicker", "lead", "category", "editor", "author", "source", "province")

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

# Left exactly as published: URLs (any case of the scheme), e-mail addresses, and every word with a Latin letter or
# ASCII digit in it (with its punctuation, such as quotes) and no Persian letter. Each alternative can only start
# where a word starts, so the scan is linear however long a run without spaces is (an e-mail pattern tried at every
# position of a 20,000-letter run took seven seconds).
_PROTECTED = re.compile(
    r"(?i:https?://|www\.)[^\s«»\"']+"
    r"|(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+"
    # a Latin word: possessive, so that a long run followed by a Persian letter fails at once (linear, not quadratic)
    r"|(?<!\S)(?=[^\s\u0600-\u06ff]*?[A-Za-z0-9])[^\s\u0600-\u06ff]++(?!\S)"
)
# Never text, wherever they stand (URLs and Latin words included): C0 and C1 controls other than the line break, the
# Arabic letter mark, directional marks, embeddings and isolates, lone surrogates and the non-characters U+FFFE/F.
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
                      r"\ud800-\udfff\ufffe\uffff]")
# In Persian text: zero-width space/joiner, BOM, soft hyphen.
_STRAY = re.compile(r"[\u200b\u200d\ufeff\u00ad]")
# An Arabic-script letter (the kashida aside).
_ARABIC_LETTER = r"[\u0621-\u063f\u0641-\u06ff]"
# A kashida that stretches a letter («آرمـــان»), not one standing alone as a dash («الف ـ اعاده»).
_KASHIDA = re.compile(rf"(?<={_ARABIC_LETTER})\u0640+|\u0640+(?={_ARABIC_LETTER})")
# A left-to-right or right-to-left mark typed between two Persian letters where a ZWNJ belongs («سرمایه\u200eگذاران»).
_MARK_FOR_ZWNJ = re.compile(rf"(?<={_ARABIC_LETTER})[\u200b\u200d]*[\u200e\u200f][\u200b\u200d\u200e\u200f]*"
                            rf"(?={_ARABIC_LETTER})")
# A run of ZWNJs: one ZWNJ between two letters, nothing beside a space, punctuation or the end of the text.
_LOOSE_ZWNJ = re.compile(r"\u200c+")
_LETTER = re.compile(r"[\u0600-\u06ff]")
_ASCII_ALNUM = re.compile(r"[A-Za-z0-9]")
_PERSIAN_WORD = re.compile(r"[\u0600-\u06ff]+(?:\u200c[\u0600-\u06ff]+)*")

# A text lost its ZWNJs when it has this many Persian words and fewer ZWNJs than one per RATE words (correct
# Persian news has one every 15-20 words; the real ISNA article has 25 in 438 words).
MIN_WORDS_FOR_RESTORATION = 30
MISSING_ZWNJ_RATE = 150


class PersianNormalizer:
    """One per process: building it loads hazm's lexicons (about 3 s, under a second from the on-disk cache)."""

    def __init__(self) -> None:
        self._hazm = HazmCharacters()
        self._restorer = ZwnjRestorer.from_hazm()

    def text(self, text: str | None, *, restore_zwnj: bool = False) -> str | None:
        """One text field, normalized; None when nothing is left."""
        return self.texts([text], restore_zwnj=restore_zwnj)[0]

    def texts(self, texts: list[str | None], *, restore_zwnj: bool = False) -> list[str | None]:
        """Many text fields at once, each normalized; None for those with nothing left."""
        finish = self._restorer.restore_text if restore_zwnj else self._restorer.join_spaced_mi
        return [self._one(text, finish) if text else None for text in texts]

    def _one(self, text: str, finish) -> str | None:
        if _CONTROL.search(text):
            text = _MARK_FOR_ZWNJ.sub(ZWNJ, text)
            text = _CONTROL.sub(lambda match: " " if match.group() in "\t\r\x0b\x0c\x1c\x1d\x1e\x1f\x85" else "",
                                text)
        if not _ASCII_ALNUM.search(text):  # no URL, e-mail or Latin word: nothing to protect
            return tidy(self._persian(text, finish))
        pieces = []
        position = 0
        for match in _PROTECTED.finditer(text):
            pieces.append(self._persian(text[position:match.start()], finish))
            pieces.append(match.group())
            position = match.end()
        pieces.append(self._persian(text[position:], finish))
        return tidy("".join(pieces))

    def _persian(self, piece: str, finish) -> str:
        """A piece of text with nothing protected in it, through hazm's tables and the ZWNJ steps. Each step first
        looks for what it changes with a fast scan: most text has no stray characters and no loose ZWNJ."""
        piece = piece.replace("\n", " ")
        if _STRAY.search(piece):
            piece = _STRAY.sub("", piece)
        if "\u0640" in piece:
            piece = _KASHIDA.sub("", piece)
        piece = self._hazm.normalize(piece)
        if ZWNJ in piece:
            piece = _LOOSE_ZWNJ.sub(_tidy_zwnj_run, piece)
        return finish(piece)

    def article(self, article: Article) -> Article:
        """Normalize the article's text fields in place and return it."""
        restore = lost_zwnj(article)
        paragraphs = article.paragraphs
        fields = [getattr(article, name) for name in TEXT_FIELDS]
        captions = [image.caption for image in article.images]
        values = iter(self.texts([*fields, *paragraphs, *article.tags, *article.categories, *captions],
                                 restore_zwnj=restore))
        for name in TEXT_FIELDS:
            setattr(article, name, next(values))
        article.body = Body.of([next(values) for _ in paragraphs])
        article.tags = list(dict.fromkeys(tag for tag in (next(values) for _ in article.tags) if tag))
        article.categories = list(dict.fromkeys(name for name in (next(values) for _ in article.categories) if name))
        for image in article.images:
            image.caption = next(values)
        return article


def _tidy_zwnj_run(match: re.Match) -> str:
    text, start, end = match.string, match.start(), match.end()
    joins = start and end < len(text) and _LETTER.match(text, start - 1) and _LETTER.match(text, end)
    return ZWNJ if joins else ""


def lost_zwnj(article: Article) -> bool:
    """Whether the record's text shows it lost its ZWNJs (no ZWNJ where Persian text of this length has them)."""
    text = " ".join(value for value in (article.title, article.lead, article.body) if value)
    zwnjs = text.count(ZWNJ)
    if zwnjs * MISSING_ZWNJ_RATE >= len(text):  # more ZWNJs than any count of words in this text calls for
        return False
    words = len(_PERSIAN_WORD.findall(text))
    return words >= MIN_WORDS_FOR_RESTORATION and zwnjs * MISSING_ZWNJ_RATE < words


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
