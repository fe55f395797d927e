"""Restoring zero-width non-joiners (U+200C) that Persian text lost, precision first: deleted («کتابها»، «میکنند») or
typed as spaces («کتاب ها»، «می کنند»), as pages copied through converters and typed on some keyboards have them.

What to restore is learned from real text: pipelines/zwnj_learn.py counts, in a treebank written with correct
ZWNJs, every word's spellings and how often two parts are joined and how often they stand apart
(pipelines/rules/zwnj-learned.tsv). hazm's lexicon (words.dat: 193k words, 13k with a ZWNJ) and its verb
conjugations cover the words that corpus lacks.

A space between two words becomes a ZWNJ when the parts that meet there are joined more often than spaced in
the corpus («کرده اند» yes, «کرده است» no); for two parts it never met, when the second is a suffix the corpus joins
after a letter of this kind («ها» after any joining letter, «اند» after ه) or the first a prefix it joins to what
follows («بی»، «برمی»; «می» and «نمی» only where the joined word is a verb). A suffix or prefix is one that joins
many different parts («رده» in «رده‌بندی» only does not make «یک رده در» one word).

A fused word:
1. that the corpus has is left as it is, unless its ZWNJ spelling is there far more often («میشود» -> «می‌شود»;
   «آنها» stays: both spellings are in use, and a house style is no error);
2. that hazm's lexicon knows as written is left alone («بهتر», «کشورها»): a wrong split is worse than a missed join;
3. whose ZWNJ form hazm's lexicon has, and only that one, gets it back («سهشنبه» -> «سه‌شنبه»);
4. otherwise every analysis is tried, and the one whose stem the lexicons know best wins («زورخانهای» is «زورخانه» +
   «ای», not «زورخان» + «های»): an inflectional suffix (ها، های، تر، ترین...; ای، اند، است... after a final ه), a
   suffix or prefix learned from the corpus («سازی»، «ام» after ی; «بی»، «برمی»), «می» before a verb of a stem
   hazm or the corpus knows («میدمد»), or a frequent compound head of hazm's lexicon («زاده»، «آباد»); what
   remains must be a known word (itself restored if need be) ending in a letter that joins to the next. Words
   ending in the ezafe ی («انتهای») are not stems + «ای»; the ezafe hamza («شیوهنامهٔ») is set aside and put back.
Unknown tokens are left exactly as they are.
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
import re
import time
import tomllib
from collections import Counter
from functools import cache
from importlib import resources
from pathlib import Path

from pipelines import zwnj_learn
from pipelines.zwnj_learn import JOINING, LETTER_KIND

logger = logging.getLogger(__name__)

ZWNJ = "\u200c"
RULES_FILE = Path(__file__).with_name("rules") / "zwnj.toml"
LEARNED_FILE = Path(__file__).with_name("rules") / "zwnj-learned.tsv"
# Inflectional suffixes that take a ZWNJ after a joining letter, longest first.
SUFFIXES = ("هایشان", "هایتان", "هایمان", "هایی", "هایم", "هایت", "هایش", "های", "ها", "ترین", "تری", "تر")
# Comparative suffixes end many words («دفتر»، «کبوتر»، «روتیتر»): split off only a stem a corpus has seen in use.
COMPARATIVES = frozenset(("ترین", "تری", "تر"))
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
EZAFE_HAMZA = "\u0654"
# Person endings of a verb after its stem («می‌دم» + «د», «می‌مکید» + «»): with a stem hazm knows, a «می» word neither
# lexicon lists is a verb.
PERSON_ENDINGS = ("یم", "ید", "ند", "م", "ی", "د", "")
# hazm's counts come from a corpus about this many times larger than the learned one.
CORPUS_WEIGHT = 20
_DIACRITIC = re.compile(r"[\u064b-\u065f\u0670]")
# «می» and a space before a word; whether «می» (or «نمی») starts a word is checked on the match, because a pattern
# that begins with a literal is scanned for several times faster than one that begins with a look-behind.
_SPACED_MI = re.compile(r"می (?=([\u0621-\u064a\u067e\u0686\u0698\u06a9\u06af\u06cc\u0622]+))")
_PERSIAN_OR_ZWNJ = re.compile(r"[\u0600-\u06ff\u200c]")
# One Persian word, with or without ZWNJs: what may stand on either side of a space typed for a ZWNJ.
_WORD = re.compile(r"[\u0621-\u063f\u0641-\u065f\u0670\u067e\u0686\u0698\u06a9\u06af\u06cc\u06c0\u200c]+")
_WORD_AT_END = re.compile(_WORD.pattern + "$")
_WORD_LETTERS = frozenset(chr(code) for code in range(0x600, 0x700) if _WORD.match(chr(code))) | {ZWNJ}
# What the restorer remembers of the text it saw (never cached on disk), each a dict: word -> the word restored;
# "<depth><token>" -> what _analyse made of it; "token token" -> what the space between them stands for; token (what
# stands between two spaces) -> the token restored, the part that ends it (which may join to what follows), the part
# that starts it (which may join to what precedes).
REMEMBERED = ("_cache", "_analyses", "_gaps", "_tokens", "_ends", "_starts")
# Restored words and tokens and decisions on the spaces between two tokens are remembered, up to this many of each
# (then forgotten, and worked out anew).
MAX_REMEMBERED = 200_000
# A fused spelling the corpus has is kept unless its ZWNJ spelling is this many times more frequent.
CORPUS_ZWNJ_RATIO = 2
# A part the corpus joins to what follows (or to what precedes it) at least this share of the times it stands
# there, and at least MIN_JOINED times, is joined where a space was typed instead.
LEFT_SHARE = 0.95
RIGHT_SHARE = 0.9
MIN_JOINED = 5
# How many uses of a part's general behaviour weigh beside the counts of a particular pair.
PAIR_PRIOR = 4
MIN_PARTNERS = 5


def _decided(joined: int, spaced: int, share: float) -> bool:
    return joined >= MIN_JOINED and joined >= share * (joined + spaced)


CACHE_KEEP_DAYS = 30  # a cached lexicon of another version that no process loaded for this long is removed


def cache_path() -> Path:
    """Where the built lexicon is kept: PERSIAN_NEWS_CACHE, else $XDG_CACHE_HOME or ~/.cache, then
    persian-news-crawler/. The name carries hazm's version and a hash of this module and the rules file, so a
    change to either builds a new one."""
    from importlib.metadata import version

    digest = hashlib.sha256(Path(__file__).read_bytes() + RULES_FILE.read_bytes() + LEARNED_FILE.read_bytes()
                            + version("hazm").encode())
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
        return
    # Lexicons of other versions (another checkout's, or this one's before an update) that no process has loaded for
    # CACHE_KEEP_DAYS go: each is a few MB, and every change to the rules leaves one behind.
    stale = time.time() - CACHE_KEEP_DAYS * 86400
    for other in path.parent.glob("zwnj-lexicon-*.pickle"):
        try:
            if other != path and other.stat().st_mtime < stale:
                other.unlink()
        except OSError:
            pass


class ZwnjRestorer:
    """Built once per process (loading the lexicon takes about two seconds); ``restore_text`` is then cheap."""

    def __init__(self, words: dict[str, int], verbs: set[str], keep_fused: frozenset[str] = frozenset(),
                 learned: dict | None = None, verb_stems: frozenset[str] = frozenset()):
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
        self.verb_stems = frozenset(stem for stem in verb_stems if len(stem) >= 2)
        heads = Counter(form.rsplit(ZWNJ, 1)[1] for form in words if ZWNJ in form)
        self.heads = frozenset(head for head, count in heads.items()
                               if count >= HEAD_MIN_COUNT and len(head) >= MIN_HEAD and head not in AFTER_HEH)
        self._learn(learned or {"words": {}, "pairs": {}, "lefts": {}, "rights": {}})
        self.forget()

    def forget(self, names: tuple[str, ...] = REMEMBERED) -> None:
        """Forget what was worked out of the text seen so far (all of it, or these memories), as a new process
        starts: only the lexicons are cached on disk."""
        for name in names:
            setattr(self, name, {})

    def _full(self, name: str, adding: int = 1) -> bool:
        # whether a memory would grow past MAX_REMEMBERED
        return len(getattr(self, name)) + adding > MAX_REMEMBERED

    def _learn(self, learned: dict) -> None:
        """What pipelines/zwnj_learn.py learned from real text: the corpus's words, and its join/space counts."""
        # a word with the ezafe hamza («همه‌جانبهٔ») is the word as spelled: its uses count for the word
        self.corpus: dict[str, int] = dict(learned["words"])
        for form, count in learned["words"].items():
            if form.endswith(EZAFE_HAMZA) and len(form) > 2:
                self.corpus[form[:-1]] = self.corpus.get(form[:-1], 0) + count
        corpus_zwnj: dict[str, tuple[int, str]] = {}
        for form, count in self.corpus.items():
            if ZWNJ in form:
                fused = form.replace(ZWNJ, "")
                if fused not in corpus_zwnj or corpus_zwnj[fused][0] < count:
                    corpus_zwnj[fused] = (count, form)
        self.corpus_zwnj = corpus_zwnj
        # the stems of the corpus's «می» verbs join hazm's: «می‌دمید» in the corpus makes «میدمد» a verb
        stems = set(self.verb_stems)
        for form in self.corpus:
            prefix, _, rest = form.partition(ZWNJ)
            if prefix in ("می", "نمی") and ZWNJ not in rest:
                stems.update(rest[: len(rest) - len(ending)] for ending in PERSON_ENDINGS
                             if rest.endswith(ending) and len(rest) - len(ending) >= 2)
        self.verb_stems = frozenset(stems)
        self.pairs: dict[tuple[str, str], tuple[int, int]] = learned["pairs"]
        # A part is a prefix or a suffix when it joins many different parts («بی»، «ها»), not one or two
        # («رده» in «رده‌بندی» only: «یک رده در جدول» stays spaced).
        partners: Counter = Counter()
        for left, right in self.pairs:
            partners["left", left] += 1
            partners["right", zwnj_learn.letter_kind(left), right] += 1
        self.lefts = {part: counts for part, counts in learned["lefts"].items()
                      if _decided(*counts, LEFT_SHARE) and partners["left", part] >= MIN_PARTNERS}
        self.right_counts: dict[tuple[str, str], tuple[int, int]] = learned["rights"]
        self.rights = {key: counts for key, counts in learned["rights"].items()
                       if _decided(*counts, RIGHT_SHARE) and partners["right", *key] >= MIN_PARTNERS}
        # The parts a space may join to what follows them (a pair or a prefix starts with them), and to what
        # precedes them (a pair or a suffix ends with them); a space between any others stays.
        self._left_parts = frozenset(left for left, _ in self.pairs) | frozenset(self.lefts)
        self._right_parts = frozenset(right for _, right in self.pairs) | {right for _, right in self.rights}

    @classmethod
    @cache
    def from_hazm(cls) -> "ZwnjRestorer":
        """The restorer built from hazm's lexicon: loaded from the on-disk cache when one matches hazm's version and
        this module (0.3 s), else built (about 3 s) and cached for the next process."""
        path = cache_path()
        try:
            with path.open("rb") as handle:
                restorer = cls.__new__(cls)
                restorer.__dict__.update(pickle.load(handle))
                restorer.forget()
            try:
                os.utime(path)  # in use: kept while other versions' lexicons age out (_write_cache)
            except OSError:
                pass
            return restorer
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, TypeError):
            pass  # no cache yet, or an unreadable one: build
        restorer = cls._build_from_hazm()
        _write_cache(path, {name: value for name, value in restorer.__dict__.items() if name not in REMEMBERED})
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
        with resources.files("hazm").joinpath("data/verbs.dat").open(encoding="utf-8") as handle:
            verb_stems = frozenset(stem for line in handle for stem in line.strip().split("#") if stem)
        with RULES_FILE.open("rb") as handle:
            keep_fused = frozenset(tomllib.load(handle).get("keep_fused", []))
        return cls(words, verbs, keep_fused, zwnj_learn.read(LEARNED_FILE), verb_stems)

    # -- words -----------------------------------------------------------------------------------------------

    def restore_word(self, token: str) -> str:
        """The token with its ZWNJs restored, or unchanged when it is known, already has one, is unknown, or is
        longer than any word (MAX_WORD: its analysis would cost the square of its length). Remembered: a text
        repeats its words, and the next text most of them."""
        restored = self._cache.get(token)
        if restored is None:
            if len(token) > MAX_WORD:
                global _LONG_TOKEN_LOGGED
                (logger.debug if _LONG_TOKEN_LOGGED else logger.info)(
                    "a run of %d Persian letters is no word: its ZWNJs are not restored (MAX_WORD is %d)",
                    len(token), MAX_WORD)
                _LONG_TOKEN_LOGGED = True
                return token
            if self._full("_cache"):
                self.forget(("_cache",))
            restored = self._cache[token] = self._restore_word(token)
        return restored

    def _restore_word(self, token: str) -> str:
        if ZWNJ in token:
            return token
        if token.endswith(EZAFE_HAMZA) and len(token) > 2:  # «شیوهنامهٔ»: the word, then its ezafe
            return self._restore_word(token[:-1]) + EZAFE_HAMZA
        if token in self.corpus or token in self.corpus_zwnj:
            # the corpus has seen this spelling as a word, or as a ZWNJ word with its ZWNJs deleted: when both,
            # the ZWNJ spelling must be the more frequent by far, since a fused spelling in use is house style
            count, form = self.corpus_zwnj.get(token, (0, token))
            return form if count > self.corpus.get(token, 0) * CORPUS_ZWNJ_RATIO else token
        if token in self.plain or _DIACRITIC.search(token):
            return token
        return self._restore(token, depth=0) or token

    def _restore(self, token: str, depth: int) -> str | None:
        """_analyse, remembered: the analyses of a word's stems share most of their own."""
        key = f"{depth}{token}"
        if key in self._analyses:
            return self._analyses[key]
        if self._full("_analyses"):
            self.forget(("_analyses",))
        restored = self._analyses[key] = self._analyse(token, depth)
        return restored

    def _analyse(self, token: str, depth: int) -> str | None:
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
            if fixed is not None and (suffix not in COMPARATIVES or self._in_use(fixed)):
                candidates.append((self._weight(stem), fixed + (ZWNJ if fixed[-1] in JOINING else "") + suffix))
        for split in range(MIN_STEM, len(token) - 1):
            stem, rest = token[:split], token[split:]
            # a part the corpus writes joined after a stem of this kind («ها»، «سازی»، «ام» after ی)
            if stem[-1] in JOINING and (LETTER_KIND[stem[-1]], rest) in self.rights:
                fixed = self._restore(stem, depth + 1)
                if fixed is not None and (rest not in COMPARATIVES or self._in_use(fixed)):
                    candidates.append((self._weight(stem), fixed + ZWNJ + rest))
            # a prefix the corpus joins to what follows («بی»، «برمی»): «می» and «نمی» only before a verb
            if stem in self.lefts and stem[-1] in JOINING:
                if stem.endswith("می"):
                    if self._verb(stem, rest):
                        candidates.append((FREQUENT_STEM, stem + ZWNJ + rest))
                    continue
                fixed = self._restore(rest, depth + 1)
                if fixed is not None:
                    candidates.append((self._weight(rest), stem + ZWNJ + fixed))
        for split in range(MIN_HEAD_STEM, len(token) - MIN_HEAD + 1):
            stem, head = token[:split], token[split:]
            if stem[-1] not in JOINING or not (stem in self.frequent or stem in self.fused):
                continue
            if head in self.heads:
                fixed = self._restore(stem, depth + 1)
                if fixed is not None:
                    candidates.append((self._weight(stem), fixed + ZWNJ + head))
        return max(candidates)[1] if candidates else None

    def _verb(self, prefix: str, rest: str) -> bool:
        """Whether «می» (or «نمی»، «برمی»...) + rest is a verb: a conjugation hazm lists or the corpus has, or, for
        a verb neither knows, a present or past stem of one hazm knows with a person ending."""
        joined = f"{prefix}{ZWNJ}{rest}"
        if joined in self.corpus or f"می{ZWNJ}{rest}" in self.verbs_with_zwnj:
            return True
        for ending in PERSON_ENDINGS:
            if rest.endswith(ending) and rest[: len(rest) - len(ending)] in self.verb_stems:
                return True
        return False

    def _weight(self, stem: str) -> int:
        """How well the lexicon knows a stem: its count when it is a word as written, less when it is not."""
        if stem in self.corpus:
            return max(self.corpus[stem] * CORPUS_WEIGHT, self.counts.get(stem, 0))
        return self.counts.get(stem, 0) if stem in self.plain else self.counts.get(self.fused.get(stem, ""), 0) // 2

    # -- text ------------------------------------------------------------------------------------------------

    def join_spaced_mi(self, text: str) -> str:
        """«می شود» -> «می‌شود», where the joined form is a verb («ماه می سال» stays)."""
        return _SPACED_MI.sub(self._join_mi, text)

    def restore_text(self, text: str) -> str:
        """Decide each space between two Persian words (a space typed for a ZWNJ, «کتاب ها»، «می شود»، «برنامه ریزی»,
        becomes one), and restore the fused words of every other token; tokens joined by the first step are kept
        as written. What was made of a token (what stands between two spaces), and which parts its ends offer to
        a join, is remembered: most of a text was seen before, and is then looked up at C speed."""
        tokens = text.split(" ")
        if self._full("_tokens", len(tokens)):  # room for this text's tokens, remembered together
            self.forget(("_tokens", "_ends", "_starts"))
        restored = list(map(self._tokens.get, tokens))
        if None in restored:
            for index in [index for index, value in enumerate(restored) if value is None]:
                restored[index] = self._remember_token(tokens[index])
        if len(tokens) == 1:
            return restored[0]
        # two tokens and the space between them as one string: looked up at C speed, and a dict of strings is no
        # work for the garbage collector
        pairs = list(map(" ".join, zip(tokens, tokens[1:])))
        separators = list(map(self._gaps.get, pairs))
        if None in separators:
            if self._full("_gaps", len(pairs)):
                self.forget(("_gaps",))
            ends, starts, left_parts, right_parts = self._ends, self._starts, self._left_parts, self._right_parts
            for index in [index for index, value in enumerate(separators) if value is None]:
                left, right = ends[tokens[index]], starts[tokens[index + 1]]
                # most spaces are between parts the corpus never joins on either side: two set lookups
                separators[index] = self._gaps[pairs[index]] = (
                    self._separator(left, right) if left in left_parts or right in right_parts else " ")
        if separators.count(" ") == len(separators):
            return " ".join(restored)
        for index in [index for index, separator in enumerate(separators) if separator != " "]:
            restored[index], restored[index + 1] = tokens[index], tokens[index + 1]
        separators.append("")
        return "".join([piece for pair in zip(restored, separators) for piece in pair])

    def _remember_token(self, token: str) -> str:
        """The token restored, remembered with the parts its two ends offer to a join."""
        if _WORD.fullmatch(token):  # a word alone: most tokens
            restored = self._tokens[token] = self.restore_word(token)
            self._ends[token], self._starts[token] = token.rsplit(ZWNJ, 1)[-1], token.split(ZWNJ, 1)[0]
        else:
            restored = self._tokens[token] = _PERSIAN_WORD.sub(self._restore_match, token)
            self._ends[token], self._starts[token] = self._token_sides(token)
        return restored

    @staticmethod
    def _token_sides(token: str) -> tuple[str, str]:
        """The part after the last ZWNJ of the word that ends the token, and the part before the first ZWNJ of the
        word that starts it; "" for a side that is punctuation, a digit or anything else («(کتاب،» offers «» and «»,
        «کتاب‌ها» «ها» and «کتاب»)."""
        end = start = ""
        if token and token[-1] in _WORD_LETTERS:
            end = _WORD_AT_END.search(token).group().rsplit(ZWNJ, 1)[-1]  # linear: the last letter is a word's
        if token and token[0] in _WORD_LETTERS:
            start = _WORD.match(token).group().split(ZWNJ, 1)[0]
        return end, start

    def _restore_match(self, match: re.Match) -> str:
        return self.restore_word(match.group())

    def _separator(self, left: str, right: str) -> str:
        """What the space between two parts («کتاب» ending a token, «ها» starting the next) stands for: a ZWNJ when
        the corpus joins the two more often than it spaces them, or, for two it never met, when it joins the second
        after a letter of this kind («ها» after any joining letter, «اند» after ه) or the first to what follows
        («بی»، «برمی»; «می» and «نمی» only before a verb); nothing when the first ends in a letter that does not
        join and the two make a word the lexicons know («دفتر ها» -> «دفترها»); else a space."""
        if not left or not right:
            return " "  # punctuation, a digit or nothing on one side
        kind = LETTER_KIND.get(left[-1], "n")
        counts = self.pairs.get((left, right))
        if counts is not None:
            # the two parts' own counts, weighed with PAIR_PRIOR uses of how the second part stands after a letter
            # of this kind: «بافته» + «شده», joined once in the corpus, stays «بافته شده», for «شده» after ه is
            # mostly spaced (a verb)
            joined, spaced = self.right_counts.get((kind, right), (1, 1))
            share = joined / (joined + spaced)
            return ZWNJ if counts[0] + PAIR_PRIOR * share > counts[1] + PAIR_PRIOR * (1 - share) else " "
        if (kind, right) in self.rights:
            known = self._in_use(left) if right in COMPARATIVES else self._known(left)
            return ZWNJ if len(left) >= MIN_STEM and known else " "
        if kind == "n" and ("j", right) in self.rights:
            return "" if len(left) >= MIN_STEM and self._known(left + right) else " "
        if left in self.lefts:
            if left in ("می", "نمی"):
                joined = f"{left}{ZWNJ}{right}"
                return ZWNJ if joined in self.verbs_with_zwnj or joined in self.corpus else " "
            return ZWNJ if self._known(right) else " "
        return " "

    def _known(self, word: str) -> bool:
        return word in self.corpus or word in self.counts

    def _in_use(self, word: str) -> bool:
        """Seen in use: in the learned corpus, or counted at least once in hazm's (which lists some words 0 times)."""
        return word in self.corpus or self.counts.get(word, 0) > 0

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
