"""Restoring lost zero-width non-joiners (U+200C) in Persian words, precision first.

Text copied through converters often loses its ZWNJs: «ظرفیتها» for «ظرفیت‌ها», «میکنند» for «می‌کنند». hazm joins
words separated by a space but never splits a fused one, so this module does, from hazm's own lexicon
(words.dat: 193k words, 13k of them written with a ZWNJ) and its verb conjugations:

1. a fused token that is a known word is left alone («بهتر», «کشورها», «آنها»): a wrong split is worse than
   a missed join;
2. a fused token whose ZWNJ form is in the lexicon, and only that one, gets it back («سهشنبه» -> «سه‌شنبه»);
3. otherwise an inflectional suffix (ها، های، تر، ترین...; ای، اند، است... only after a final ه) or a frequent
   compound head learned from the lexicon («زاده»، «آباد»، «بنیان»...) is split off when what remains is a known
   word (itself restored if need be) ending in a letter that joins to the next; words ending in the ezafe ی
   («انتهای»، «راستای») are not stems + «ای».
Unknown tokens are left exactly as they are.
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
import re
import tomllib
from collections import Counter
from functools import cache
from importlib import resources
from pathlib import Path

logger = logging.getLogger(__name__)

ZWNJ = "\u200c"
RULES_FILE = Path(__file__).with_name("rules") / "zwnj.toml"
# Letters that join to the following letter; a ZWNJ after any other letter (ا د ذ ر ز ژ و آ) changes nothing.
JOINING = frozenset("بپتثجچحخسشصضطظعغفقکگلمنهیئ")
# Inflectional suffixes that take a ZWNJ after a joining letter, longest first.
SUFFIXES = ("هایشان", "هایتان", "هایمان", "هایی", "هایم", "هایت", "هایش", "های", "ها", "ترین", "تری", "تر")
# Suffixes that never take a ZWNJ but may follow a word that lost one («گفتوگوی», «سپردهگذاران»).
NO_ZWNJ_SUFFIXES = ("ان", "ی")
# Suffixes written with a ZWNJ only after a final ه («منطقه‌ای», «کرده‌اند», «شده‌است»).
AFTER_HEH = ("ایم", "اید", "اند", "است", "ای", "ام", "ات", "اش")
# A compound head must end this many ZWNJ words of the lexicon to be split off by rule.
HEAD_MIN_COUNT = 25
MIN_STEM = 2
# Longer runs of letters are no word (the lexicon's longest fused words have 19 letters, with suffixes a few more):
# they are left as they are, since analysing a token costs the square of its length.
MAX_WORD = 40
_LONG_TOKEN_LOGGED = False  # the first such run is logged at INFO, the others at DEBUG
# Compound heads are split off only from stems of at least this length, and must be at least this long.
MIN_HEAD = 3
MIN_HEAD_STEM = 3
# ...and only from stems the lexicon has seen this often, so that rare look-alikes («معتق» in «معتقدان») stay whole.
FREQUENT_STEM = 1000

_PERSIAN_WORD = re.compile(r"[\u0621-\u065f\u0670\u067e\u0686\u0698\u06a9\u06af\u06cc\u06c0\u200c]+")
_DIACRITIC = re.compile(r"[\u064b-\u065f\u0670]")
# «می» and a space before a word; whether «می» (or «نمی») starts a word is checked on the match, because a pattern
# that begins with a literal is scanned for several times faster than one that begins with a look-behind.
_SPACED_MI = re.compile(r"می (?=([\u0621-\u064a\u067e\u0686\u0698\u06a9\u06af\u06cc\u0622]+))")
_PERSIAN_OR_ZWNJ = re.compile(r"[\u0600-\u06ff\u200c]")


def cache_path() -> Path:
    """Where the built lexicon is kept: PERSIAN_NEWS_CACHE, else $XDG_CACHE_HOME or ~/.cache, then
    persian-news-crawler/. The name carries hazm's version and a hash of this module and the rules file, so a
    change to either builds a new one."""
    from importlib.metadata import version

    digest = hashlib.sha256(Path(__file__).read_bytes() + RULES_FILE.read_bytes() + version("hazm").encode())
    base = os.environ.get("PERSIAN_NEWS_CACHE") or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "persian-news-crawler"
    return Path(base) / f"zwnj-lexicon-{digest.hexdigest()[:16]}.pickle"


def _write_cache(path: Path, state: dict) -> None:
    """Written under a temporary name and renamed, so that a concurrent process never reads half a file; a cache
    that cannot be written is only a slower start."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        with temporary.open("wb") as handle:
            pickle.dump(state, handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary, path)
    except OSError as error:
        logger.info("could not cache the ZWNJ lexicon at %s: %s", path, error)


class ZwnjRestorer:
    """Built once per process (loading the lexicon takes about two seconds); ``restore_text`` is then cheap."""

    def __init__(self, words: dict[str, int], verbs: set[str], keep_fused: frozenset[str] = frozenset()):
        # Every single-token form with its corpus count; verb conjugations count as attested (1).
        counts: dict[str, int] = {form: FREQUENT_STEM for form in keep_fused}
        for form, count in words.items():
            if " " not in form:
                counts[form] = max(count, counts.get(form, 0))
        for verb in verbs:
            if " " not in verb:
                counts[verb] = max(1, counts.get(verb, 0))
        plain = {form: count for form, count in counts.items() if ZWNJ not in form}
        # For each fused spelling, its most frequent ZWNJ spelling; two equally frequent ones make it ambiguous.
        best: dict[str, tuple[int, str]] = {}
        ambiguous: set[str] = set()
        for form, count in counts.items():
            if ZWNJ not in form:
                continue
            if min(len(part) for part in form.split(ZWNJ)) < 2:
                continue  # «ه‌ای», «جوان‌»: fragments, not words
            fused = form.replace(ZWNJ, "")
            if fused in best and best[fused][0] == count:
                ambiguous.add(fused)
            if fused not in best or best[fused][0] < count:
                best[fused] = (count, form)
        # A fused spelling the lexicon's corpus attests at all is a word as written («بهتر», «بزرگراه», «اینکه»),
        # whatever its ZWNJ twin's count; one it lists but never saw («بیشک», «میکند») or does not list is the
        # ZWNJ word with its ZWNJ lost.
        self.fused = {fused: form for fused, (count, form) in best.items()
                      if fused not in ambiguous and plain.get(fused, 0) == 0}
        self.plain = frozenset(form for form in plain if form not in self.fused)
        self.counts = counts
        self.frequent = frozenset(form for form in self.plain if plain[form] >= FREQUENT_STEM)
        self.verbs_with_zwnj = frozenset(verb for verb in verbs if ZWNJ in verb and " " not in verb)
        heads = Counter(form.rsplit(ZWNJ, 1)[1] for form in words if ZWNJ in form)
        self.heads = frozenset(head for head, count in heads.items()
                               if count >= HEAD_MIN_COUNT and len(head) >= MIN_HEAD and head not in AFTER_HEH)
        self._cache: dict[str, str | None] = {}

    @classmethod
    @cache
    def from_hazm(cls) -> "ZwnjRestorer":
        """The restorer built from hazm's lexicon: loaded from the on-disk cache when one matches hazm's version and
        this module (0.3 s), else built (about 3 s) and cached for the next process."""
        path = cache_path()
        try:
            with path.open("rb") as handle:
                restorer = cls.__new__(cls)
                restorer.__dict__.update(pickle.load(handle), _cache={})
                return restorer
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, TypeError):
            pass  # no cache yet, or an unreadable one: build
        restorer = cls._build_from_hazm()
        _write_cache(path, {name: value for name, value in restorer.__dict__.items() if name != "_cache"})
        return restorer

    @classmethod
    def _build_from_hazm(cls) -> "ZwnjRestorer":
        from hazm import Lemmatizer

        words: dict[str, int] = {}
        with resources.files("hazm").joinpath("data/words.dat").open(encoding="utf-8") as handle:
            for line in handle:
                form, _, rest = line.partition("\t")
                count = rest.partition("\t")[0]
                words[form] = int(count) if count.isdigit() else 0
        verbs = set(Lemmatizer(joined_verb_parts=False).verbs)
        with RULES_FILE.open("rb") as handle:
            keep_fused = frozenset(tomllib.load(handle).get("keep_fused", []))
        return cls(words, verbs, keep_fused)

    # -- words -----------------------------------------------------------------------------------------------

    def restore_word(self, token: str) -> str:
        """The token with its ZWNJs restored, or unchanged when it is known, already has one, is unknown, or is
        longer than any word (MAX_WORD: its analysis would cost the square of its length)."""
        if ZWNJ in token or token in self.plain or _DIACRITIC.search(token):
            return token
        if len(token) > MAX_WORD:
            global _LONG_TOKEN_LOGGED
            (logger.debug if _LONG_TOKEN_LOGGED else logger.info)(
                "a run of %d Persian letters is no word: its ZWNJs are not restored (MAX_WORD is %d)", len(token),
                MAX_WORD)
            _LONG_TOKEN_LOGGED = True
            return token
        if token not in self._cache:
            self._cache[token] = self._restore(token, depth=0)
        return self._cache[token] or token

    def _restore(self, token: str, depth: int) -> str | None:
        """The correct form of a fused token, or None when it cannot be told.

        Every analysis (stem + suffix, stem + compound head) is tried and the one whose stem the lexicon knows
        best wins, so «زورخانهای» is «زورخانه» + «ای», not «زورخان» + «های».
        """
        if token in self.plain:
            return token
        for suffix in NO_ZWNJ_SUFFIXES:
            stem = token[: -len(suffix)]
            if token.endswith(suffix) and stem in self.frequent:
                return token  # «میدانی» is «میدان» + ی and «صنعتگران» «صنعتگر» + ان: words as they stand
        if token in self.fused:
            return self.fused[token]
        if depth >= 3:
            return None
        candidates: list[tuple[int, str]] = []
        for suffix in NO_ZWNJ_SUFFIXES:
            stem = token[: -len(suffix)]
            if token.endswith(suffix) and len(stem) >= MIN_STEM and stem not in self.plain:
                fixed = self._restore(stem, depth + 1)
                if fixed is not None and fixed != stem:
                    candidates.append((self._weight(stem), fixed + suffix))
        for suffix in SUFFIXES + AFTER_HEH:
            stem = token[: -len(suffix)]
            if not token.endswith(suffix) or len(stem) < MIN_STEM:
                continue
            if suffix in AFTER_HEH and not stem.endswith("ه"):
                continue
            fixed = self._restore(stem, depth + 1)
            if fixed is not None:
                candidates.append((self._weight(stem), fixed + (ZWNJ if fixed[-1] in JOINING else "") + suffix))
        for split in range(MIN_HEAD_STEM, len(token) - MIN_HEAD + 1):
            stem, head = token[:split], token[split:]
            if stem[-1] not in JOINING or not (stem in self.frequent or stem in self.fused):
                continue
            if head in self.heads:
                fixed = self._restore(stem, depth + 1)
                if fixed is not None:
                    candidates.append((self._weight(stem), fixed + ZWNJ + head))
        return max(candidates)[1] if candidates else None

    def _weight(self, stem: str) -> int:
        """How well the lexicon knows a stem: its count when it is a word as written, less when it is not."""
        return self.counts.get(stem, 0) if stem in self.plain else self.counts.get(self.fused.get(stem, ""), 0) // 2

    # -- text ------------------------------------------------------------------------------------------------

    def join_spaced_mi(self, text: str) -> str:
        """«می شود» -> «می‌شود», where the joined form is a verb («ماه می سال» stays)."""
        return _SPACED_MI.sub(self._join_mi, text)

    def restore_text(self, text: str) -> str:
        """Join «می شود» where that is a verb, then restore every fused word."""
        text = self.join_spaced_mi(text)
        return _PERSIAN_WORD.sub(lambda match: self.restore_word(match.group()), text)

    def _join_mi(self, match: re.Match) -> str:
        text, start = match.string, match.start()
        prefix = "می"
        if start and _PERSIAN_OR_ZWNJ.match(text, start - 1):
            # «نمی» at the start of a word; otherwise «می» ends a longer word («اسلامی شد») and stays
            if text[start - 1] != "ن" or (start > 1 and _PERSIAN_OR_ZWNJ.match(text, start - 2)):
                return match.group()
            prefix = "نمی"
        joined = f"{prefix}{ZWNJ}{match.group(1)}"
        return f"می{ZWNJ}" if joined in self.verbs_with_zwnj else match.group()
