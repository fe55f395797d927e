"""Text quality: cleaning page junk, hazm normalization, ZWNJ restoration and reprocessing, on the real seed texts
and the real ISNA pages (tests/fixtures; see README.md there)."""

import dataclasses
import json
import os
import re
import time
from pathlib import Path

import pytest

from crawler.record import Article
from crawler.sites import parser_for, registered_site
from crawler.text import tidy
from pipelines.clean import clean_article
from pipelines.normalize import HAZM_OPTIONS, HazmCharacters, lost_zwnj, normalizer
from pipelines.reprocess import process_record
from tests.crawling import Ran, pipelines_command
from tests.helpers import ROOT

extract = parser_for(registered_site("isna")).article  # the ISNA parser's article reader

FIXTURES = ROOT / "tests" / "fixtures"
ZWNJ = "\u200c"
ISNA_SEED = (FIXTURES / "isna-khuzestan-1402052415139.txt").read_text(encoding="utf-8")
NAZIR_SEED = (FIXTURES / "nazirkerman-small-industries.txt").read_text(encoding="utf-8")



def seed_words() -> tuple[set[str], set[str]]:
    """(the 28 words that lost their ZWNJ, other ZWNJ words that are right) from seed-words-lost-zwnj.txt."""
    lines = [line.strip() for line in (FIXTURES / "seed-words-lost-zwnj.txt").read_text(encoding="utf-8").splitlines()]
    words = [line for line in lines if line and not line.startswith("#")]
    return {word for word in words if not word.startswith("+")}, {word[1:] for word in words if word.startswith("+")}


LOST_ZWNJ_WORDS, ALSO_CORRECT = seed_words()


def seed_record(site: str, title: str, text: str, start: str) -> dict:
    return {"site": site, "url": f"https://example.ir/{site}", "title": title, "body": text[text.index(start):],
            "published_at": "2023-08-15T12:46:00+03:30", "crawled_at": "2026-11-22T10:00:00Z"}


def seed_paragraphs(text: str, first: str, last: str) -> list[str]:
    """The article's paragraphs as the seed has them: the lines from the one starting with `first` to the one
    ending with `last`, blank lines dropped, the teaser (the paragraph ending in […]) excluded, white space
    (a no-break space in the Nazir Kerman text) tidied."""
    lines = [" ".join(line.split()) for line in text.splitlines()]
    start = next(i for i, line in enumerate(lines) if line.startswith(first) and not line.endswith("[…]"))
    end = next(i for i, line in enumerate(lines) if line.endswith(last))
    return [line for line in lines[start:end + 1] if line]


def but_for_zwnjs(paragraphs: list[str], expected: list[str]) -> list[str]:
    """The paragraphs, each replaced by its expected text when the two differ only in ZWNJs: one restored where the
    seed lost it, or one put for a space the seed typed in its place («نقش آفرینی» -> «نقش‌آفرینی»)."""
    def same(got: str, want: str) -> bool:
        pattern = "".join("[ \u200c]" if char == " " else re.escape(char) + "\u200c?" for char in want)
        return re.fullmatch(pattern, got) is not None
    return [want if index < len(expected) and same(got, want := expected[index]) else got
            for index, got in enumerate(paragraphs)]


ISNA_EXPECTED = seed_paragraphs(ISNA_SEED, "ایسنا/خوزستان معاون هماهنگی", "از صنایع کوچک حمایت کنند.")
NAZIR_EXPECTED = seed_paragraphs(NAZIR_SEED, "هشتمین جلسه کمیته", "آینده بسیار خوبی را برای صنعت استان رقم بزنند.")


@pytest.fixture(scope="module")
def reprocessed_seeds(tmp_path_factory):
    folder = tmp_path_factory.mktemp("seeds")
    source = folder / "in.jsonl"
    records = [
        seed_record("isna", "صنایع بزرگ خوزستان از صنایع کوچک حمایت کنند", ISNA_SEED, "ایسنا/خوزستان"),
        seed_record("nazirkerman", "توسعه اقتصادی در گرو رشد صنایع کوچک", NAZIR_SEED, "هشتمین جلسه کمیته"),
    ]
    source.write_text("".join(json.dumps(record, ensure_ascii=False) + "\n" for record in records), encoding="utf-8")
    result = pipelines_command("reprocess", str(source), "-o", str(folder / "out.jsonl"))
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in (folder / "out.jsonl").read_text(encoding="utf-8").splitlines()], result.stderr


def test_isna_seed_body_is_exactly_the_article(reprocessed_seeds):
    (isna, _), _ = reprocessed_seeds
    paragraphs = isna["body"].split("\n\n")
    assert len(ISNA_EXPECTED) == 9
    assert but_for_zwnjs(paragraphs, ISNA_EXPECTED) == ISNA_EXPECTED
    assert isna["source"] is None


def test_nazir_seed_body_is_the_full_text_once_with_its_source(reprocessed_seeds):
    (_, nazir), summary = reprocessed_seeds
    paragraphs = nazir["body"].split("\n\n")
    assert len(NAZIR_EXPECTED) == 8
    assert but_for_zwnjs(paragraphs, NAZIR_EXPECTED) == NAZIR_EXPECTED
    assert nazir["source"] == "آرمان"
    assert nazir["editor"] == "طهماسبی"
    assert "teaser 1" in summary and "end_marker 2" in summary


def test_lost_zwnj_restored_in_the_seed_bodies_without_wrong_splits(reprocessed_seeds):
    records, _ = reprocessed_seeds
    words = {word for record in records for word in re.findall(r"\S+", record["body"])}
    with_zwnj = {word.strip("،.:؛«»()") for word in words if ZWNJ in word}
    assert len(LOST_ZWNJ_WORDS) == 28
    restored = LOST_ZWNJ_WORDS & with_zwnj
    assert len(restored) >= 24, sorted(LOST_ZWNJ_WORDS - with_zwnj)
    assert with_zwnj <= LOST_ZWNJ_WORDS | ALSO_CORRECT, sorted(with_zwnj - LOST_ZWNJ_WORDS - ALSO_CORRECT)
    for record in records:  # «اینکه» is written fused in these texts and on ISNA: it is no lost ZWNJ
        assert "این‌که" not in record["body"] and "اینکه" in record["body"]


def test_numbers_and_names_in_the_seeds_are_unchanged(reprocessed_seeds):
    (isna, nazir), _ = reprocessed_seeds
    assert "۲۴ مردادماه" in isna["body"] and "شماره ۲ اهواز" in isna["body"] and "۴۰ درصد" in isna["body"]
    assert "«نذیر کرمان»" in nazir["body"] and "کاتد (کیمیا)" in nazir["body"]


@pytest.mark.parametrize("stamp", ["2017-05-29", "2025-03-20"])
def test_cleaning_removes_nothing_from_real_isna_pages(stamp):
    html = (FIXTURES / "isna" / f"isna_article_95102918901_fetched{stamp}.html").read_text(encoding="utf-8")
    article = extract(html, "https://www.isna.ir/news/95102918901/")
    body = article.body
    report = clean_article(article)
    # Nothing but the end marker, which extraction leaves to this stage (nothing follows it on the page).
    assert body.endswith("\n\nانتهای پیام") and article.body == body.removesuffix("\n\nانتهای پیام")
    assert +report.removed == {"end_marker": 1}
    assert not lost_zwnj(article)  # the page has its ZWNJs: its spelling is kept


def body_after_cleaning(*paragraphs: str, title: str | None = "عنوان خبر", site: str = "isna") -> Article:
    article = Article(site=site, url="https://example.ir/1", title=title, body="\n\n".join(paragraphs))
    clean_article(article)
    return article


STORY = ["بند نخست خبر درباره نشست استانداری.", "بند دوم خبر با جزئیات بیشتر."]


@pytest.mark.parametrize("marker", ["انتهای پیام", "انتهای پیام/", "انتـهای پیام", "انتهای خبر/ طهماسبی", "انتهای خبر"])
def test_end_markers_end_the_story(marker):
    article = body_after_cleaning(*STORY, marker, "متن پس از پایان که نباید بماند")
    assert article.body.split("\n\n") == STORY


@pytest.mark.parametrize("line", ["منبع:آرمـان", "منبع: آرمان", "منبع : آرمان.", "منبع:‌آرمان", "• منبع:آرمان"])
def test_a_trailing_source_line_becomes_the_source(line):
    article = body_after_cleaning(*STORY, line)
    assert article.body.split("\n\n") == STORY
    assert article.source == "آرمان"


def test_source_lines_in_the_middle_of_the_story_stay():
    middle = "منبع: مرکز آمار ایران"
    article = body_after_cleaning(STORY[0], middle, *STORY, *STORY)
    assert middle in article.body and article.source is None


@pytest.mark.parametrize("junk", [
    "نظرات", "ارسال نظر", "شما در حال پاسخ به نظر «» هستید.", "لطفا عدد مقابل را در جعبه متن وارد کنید", "captcha",
    "در زمینه انتشار نظرات مخاطبان رعایت چند مورد ضروری است:", "-لطفا نظرات خود را با حروف فارسی تایپ کنید.",
    "-«ایسنا» مجاز به ویرایش ادبی نظرات مخاطبان است.", "• - نظرات پس از تأیید مدیر بخش مربوطه منتشر میشود.",
    "اخبار مرتبط", "لینک کوتاه", "اشتراک‌گذاری", "عنوان خبر", "? عنوان خبر", "عنوان خبر.",
    "بیشتر بخوانید: عنوان خبر مرتبط دیگری که در میان متن آمده است", "مطلب مرتبط: نرخ تورم در استان کرمان",
])
def test_junk_paragraphs_are_dropped_wherever_they_stand(junk):
    article = body_after_cleaning(STORY[0], junk, STORY[1])
    assert article.body.split("\n\n") == STORY


@pytest.mark.parametrize("content", [
    "نظرات کارشناسان درباره این طرح متفاوت است.",
    "او گفت: ارسال نظر مردم به استانداری ممکن است.",
    "عنوان خبر در روزنامه‌ها بازتاب داشت.",
    "این بند با سه نقطه تمام می‌شود و تکرار نمی‌شود اما جمله‌ای بلند است ...",
    "انتهای پیام رسانی دولت در این زمینه روشن نیست.",
    "بخوانید و بدانید که این طرح از سال آینده اجرا می‌شود.",
])
def test_real_content_that_resembles_junk_is_kept(content):
    article = body_after_cleaning(STORY[0], content, STORY[1])
    assert article.body.split("\n\n") == [STORY[0], content, STORY[1]]


def test_a_teaser_is_dropped_only_when_the_full_text_repeats_it():
    full = ["هشتمین جلسه کمیته ارتباط موثر صنایع کوچک و بزرگ استان کرمان برگزار شد.",
            "به گزارش گروه اقتصادی، این جلسه با حضور معاون استاندار برگزار شد."]
    teaser = "هشتمین جلسه کمیته ارتباط موثر صنایع کوچک و بزرگ استان کرمان برگزار شد. به گزارش گروه اقتصادی […]"
    assert body_after_cleaning(teaser, *full).body.split("\n\n") == full
    other = "جلسه دیگری درباره صنایع بزرگ استان کرمان در هفته آینده برگزار خواهد شد و گزارش آن […]"
    assert body_after_cleaning(other, *full).body.split("\n\n") == [other, *full]


def text(value: str, **options) -> str:
    return normalizer().text(value, **options)


def test_normalizer_is_built_once_per_process():
    assert normalizer() is normalizer()


def real_texts() -> list[str]:
    """Real Persian text: the Seraji sentences (as they are, without their ZWNJs, and typed with Arabic ي and ك as
    some sites publish), every text node of the real ISNA pages, and both seeds."""
    from lxml import html

    sentences = (ROOT / "tests" / "mocksite" / "seraji-test-sentences.txt").read_text(encoding="utf-8").splitlines()
    texts = sentences + [sentence.replace(ZWNJ, "") for sentence in sentences] + [ISNA_SEED, NAZIR_SEED]
    texts += [sentence.replace("ی", "ي").replace("ک", "ك") for sentence in sentences]
    for page in sorted((FIXTURES / "isna").glob("*.html")):
        texts += html.fromstring(page.read_bytes()).xpath("//text()")
    return texts


def test_hazm_tables_applied_once_give_what_hazms_normalizer_gives():
    from hazm import Normalizer
    from hazm.constants import TRANSLATION_SRC, UNICODE_REPLACEMENTS

    hazm, ours = Normalizer(**HAZM_OPTIONS), HazmCharacters()
    # every character of hazm's tables, but for its two alternations, which hazm never matches (the next test)
    replaced = [old for old, _ in UNICODE_REPLACEMENTS if "|" not in old]
    assert len(replaced) == len(UNICODE_REPLACEMENTS) - 2
    every_character = "کتاب " + " ".join(TRANSLATION_SRC) + " " + " ".join(replaced)
    texts = [*real_texts(), every_character, "سيد علي كريمي\u00a0گفت ﷼"]
    changed = [text for text in texts if hazm.normalize(text) != text]
    assert len(texts) > 6000 and len(changed) > 600  # the comparison covers text that hazm does change
    assert [ours.normalize(text) for text in texts] == [hazm.normalize(text) for text in texts]


@pytest.mark.parametrize(("raw", "expected"), [
    ("ﻻزم است", "لازم است"),                  # lam-alef ligature: in hazm's alternation «ﻵ|ﻶ|...», never matched
    ("ﻼ", "لا"),
    ("صلوات ﷰ", "صلوات صلی"),              # «(ﷰ|ﷹ)»
    ("ﺑﺎ ﮐﺘﺎﺏ", "با کتاب"),                  # presentation forms in hazm's table
    ("ﯾﮏ ﻧﻔﺮ", "یک نفر"),
    ("\ufbe8\ufbe9", "یی"),                   # alef maksura forms hazm's table lacks: decomposed, then ى -> ی
])
def test_presentation_forms_become_letters(raw, expected):
    assert HazmCharacters().normalize(raw) == expected
    assert normalizer().text(raw) == expected


def test_tidy_collapses_every_white_space_but_keeps_the_zwnj():
    assert tidy(" \ufeffنیم\u200cفاصله\u00a0و\u2009\u202f\u3000\r\n\tفاصله \u200b ") == "نیم\u200cفاصله و فاصله \u200b"
    assert tidy("\u00a0\n ") is None and tidy("") is None and tidy(None) is None


@pytest.mark.parametrize(("raw", "expected"), [
    ("سيدعباس عراقچي", "سیدعباس عراقچی"),
    ("كشور", "کشور"),
    ("آرمـــان", "آرمان"),
    ("ایران\u200b\u200fامروز\u202b", "ایران\u200cامروز"),   # a mark between two letters stands for a ZWNJ
    ("سرمایه\u200eگذاران و راه\u200fاندازی", "سرمایه\u200cگذاران و راه\u200cاندازی"),
    ("abc\u200e ایران\u200f.", "abc ایران."),                  # elsewhere it is dropped
    ("الف ـ اعاده دادرسی", "الف ـ اعاده دادرسی"),              # a kashida standing alone is a dash
    ("ـ ماده ۱", "ـ ماده ۱"),
    ("برگزار می شود", "برگزار می‌شود"),
    ("نمی دانم", "نمی‌دانم"),
    ("در ماه می سال گذشته", "در ماه می سال گذشته"),
    ("گفت‌‌وگو", "گفت‌وگو"),
    ("خانهٔ ما", "خانهٔ ما"),
    ("در بُعدی وسیع", "در بُعدی وسیع"),
])
def test_persian_text_normalization(raw, expected):
    assert text(raw) == expected


@pytest.mark.parametrize("kept", [
    "https://www.isna.ir/news/1402052415139/صنایع-بزرگ-خوزستان",
    "www.isna.ir/news/95102918901/",
    "info@isna.ir",
    "1402052415139",
    "3.5",
    "1,250,000",
    "COVID-19 “vaccine” trial",
    "ISNA",
])
def test_urls_numbers_and_latin_text_are_left_byte_for_byte(kept):
    sentence = f"به گزارش ايسنا {kept} در متن خبر آمده است"
    assert text(sentence) == f"به گزارش ایسنا {kept} در متن خبر آمده است"
    assert text(sentence, restore_zwnj=True).split(" ")[3:3 + len(kept.split(" "))] == kept.split(" ")


def test_datelines_and_persian_digits_are_left_alone():
    assert text("ایسنا/خوزستان در ۲۴ مرداد ۱۴۰۲ و 24 مرداد") == "ایسنا/خوزستان در ۲۴ مرداد ۱۴۰۲ و 24 مرداد"


def test_restoration_only_for_text_that_lost_its_zwnj():
    fused = " ".join(["شرکتهای دانشگاهی در بخشهای مختلف فعالیت میکنند و بزرگراه تازه ساخته شد."] * 4)
    with_some = fused + " این متن نیم‌فاصله دارد و " + " ".join(["کار"] * 5)
    assert lost_zwnj(Article(site="x", url="u", body=fused))
    record = process_record(Article(site="x", url="u", body=fused))[0]
    assert "شرکت‌های" in record.body and "بخش‌های" in record.body and "می‌کنند" in record.body
    assert "بزرگراه" in record.body  # a fused word that the lexicon knows is not split
    kept = process_record(Article(site="x", url="u", body=with_some * 3))[0]
    assert "شرکتهای" in kept.body  # text that has its ZWNJs keeps its own spelling


def write_lines(path: Path, lines: list[str]) -> None:
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")


def run_reprocess(*args: str) -> Ran:
    return pipelines_command("reprocess", *args)


def test_reprocess_keeps_order_and_rejects_bad_lines_with_their_line_numbers(tmp_path):
    good = json.loads((FIXTURES / "isna" / "isna_article_95102918901_fetched2025-03-20.expected.json").read_text(encoding="utf-8"))
    good["body"] = "\n\n".join(good["body"]).replace("می‌شود", "می شود")
    good["crawled_at"] = "2026-11-22T10:00:00Z"
    second = {**good, "news_id": "95102918902", "tags": ["مجيد"]}
    untitled = {**good, "title": None}
    lines = [json.dumps(good, ensure_ascii=False), "{not json", json.dumps(second, ensure_ascii=False), "",
             json.dumps(untitled, ensure_ascii=False), json.dumps({**good, "colour": "red"}, ensure_ascii=False),
             "[1, 2]", json.dumps({**good, "news_id": "95102918903", "published_at": None, "published_jalali": None},
                                  ensure_ascii=False)]
    write_lines(tmp_path / "in.jsonl", lines)
    result = run_reprocess(str(tmp_path / "in.jsonl"), "-o", str(tmp_path / "out.jsonl"))
    assert result.returncode == 1
    out = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text(encoding="utf-8").splitlines()]
    # an undated record is a record: the page stated no date
    assert [record["news_id"] for record in out] == ["95102918901", "95102918902", "95102918903"]
    assert "می‌شود" in out[0]["body"] and out[1]["tags"] == ["مجید"] and out[2]["published_at"] is None
    rejects = [json.loads(line) for line in (tmp_path / "out.rejects.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [(reject["line"], reject["reasons"][0].split(":")[0]) for reject in rejects] == [
        (2, "not JSON"), (5, "title"), (6, "record"), (7, "not a JSON object but list")]
    assert "title: missing" in rejects[1]["reasons"]
    assert "8 lines read, 3 written" not in result.stderr and "7 lines read, 3 written" in result.stderr
    assert "4 rejected" in result.stderr
    assert not list(tmp_path.glob(".*.tmp"))


def test_reprocess_of_a_clean_dump_exits_zero_and_writes_no_rejects_file(tmp_path):
    record = dataclasses.asdict(Article(site="isna", url="https://www.isna.ir/news/1/", title="عنوان", body="متن خبر",
                                        published_at="2023-08-15T12:46:00+03:30", crawled_at="2026-11-22T10:00:00Z"))
    write_lines(tmp_path / "in.jsonl", [json.dumps(record, ensure_ascii=False)])
    result = run_reprocess(str(tmp_path / "in.jsonl"), "-o", str(tmp_path / "out.jsonl"))
    assert result.returncode == 0, result.stderr
    assert json.loads((tmp_path / "out.jsonl").read_text(encoding="utf-8")) == record
    assert not (tmp_path / "out.rejects.jsonl").exists()


def test_reprocess_usage_errors(tmp_path):
    assert run_reprocess(str(tmp_path / "missing.jsonl"), "-o", str(tmp_path / "out.jsonl")).returncode == 2
    (tmp_path / "latin1.jsonl").write_bytes('{"site": "caf\u00e9"}\n'.encode("latin-1"))
    result = run_reprocess(str(tmp_path / "latin1.jsonl"), "-o", str(tmp_path / "out.jsonl"))
    assert result.returncode == 2 and "is not UTF-8 text" in result.stderr
    assert not (tmp_path / "out.jsonl").exists()


@pytest.mark.parametrize("junk", [
    "اشتراک‌گذاری: تلگرام واتساپ", "تلگرام واتساپ توییتر", "دیدگاهتان را بنویسید",
    "نشانی ایمیل شما منتشر نخواهد شد. بخش‌های موردنیاز علامت‌گذاری شده‌اند *", "فرستادن دیدگاه",
])
def test_wordpress_share_and_comment_text_is_dropped(junk):
    article = body_after_cleaning(STORY[0], junk, STORY[1], site="anywordpress")
    assert article.body.split("\n\n") == STORY


def test_a_site_s_own_cleaning_rules_apply_to_that_site_only(tmp_path, monkeypatch):
    import pipelines.clean

    rules = tmp_path / "cleaning.toml"
    rules.write_text(pipelines.clean.RULES_FILE.read_text(encoding="utf-8") + "\n[sites.testsite]\n"
                     "end_markers = ['^پایان$']\n[[sites.testsite.drop]]\nname = \"channel_ad\"\n"
                     "patterns = ['^کانال ما در ایتا$']\n", encoding="utf-8")
    monkeypatch.setattr(pipelines.clean, "RULES_FILE", rules)
    pipelines.clean._rules_file.cache_clear()
    pipelines.clean.rules_for.cache_clear()
    try:
        article = body_after_cleaning(STORY[0], "کانال ما در ایتا", STORY[1], "پایان", "پس از پایان", site="testsite")
        assert article.body.split("\n\n") == STORY
        other = body_after_cleaning(STORY[0], "کانال ما در ایتا", STORY[1], site="isna")
        assert "کانال ما در ایتا" in other.body  # a site's own rule stays with that site
    finally:
        pipelines.clean._rules_file.cache_clear()
        pipelines.clean.rules_for.cache_clear()


@pytest.mark.parametrize("site", ["isna", "nazirkerman"])
@pytest.mark.parametrize("marker", ["انتهای خبر/", "انتهای خبر/ ", "انتهای خبر /", "انتهای خبر/ طهماسبی"])
def test_an_end_marker_with_or_without_an_editor_ends_the_story(site, marker):
    article = body_after_cleaning(*STORY, marker, "اشتراک در تلگرام", "خبر بعدی سایت", site=site)
    assert article.body.split("\n\n") == STORY
    assert article.editor == ("طهماسبی" if "طهماسبی" in marker else None)


def test_the_zwnj_lexicon_is_cached_on_disk_and_rebuilt_when_unreadable(tmp_path, monkeypatch):
    from pipelines import zwnj

    monkeypatch.setenv("PERSIAN_NEWS_CACHE", str(tmp_path))
    from_hazm = zwnj.ZwnjRestorer.from_hazm.__func__
    path = zwnj.cache_path()
    assert path.parent == tmp_path and not path.exists()
    try:
        from_hazm.cache_clear()
        built = zwnj.ZwnjRestorer.from_hazm()
        assert path.exists()
        from_hazm.cache_clear()
        loaded = zwnj.ZwnjRestorer.from_hazm()
        assert loaded is not built
        for table in ("fused", "plain", "counts", "frequent", "verbs_with_zwnj", "heads"):
            assert getattr(loaded, table) == getattr(built, table), table
        words = ["ظرفیتها", "میکنند", "سهشنبه", "حسنزاده", "بزرگراه", "اینکه"]
        assert [loaded.restore_word(word) for word in words] == [built.restore_word(word) for word in words]
        # other versions' lexicons: one no process has loaded for longer than the cache keeps them, one in use lately
        old, recent = tmp_path / "zwnj-lexicon-0000000000000000.pickle", tmp_path / "zwnj-lexicon-1111111111111111.pickle"
        for other, days in ((old, zwnj.CACHE_KEEP_DAYS + 1), (recent, 1)):
            other.write_bytes(b"another version")
            os.utime(other, (time.time() - days * 86400,) * 2)
        path.write_bytes(b"not a pickle")
        from_hazm.cache_clear()
        rebuilt = zwnj.ZwnjRestorer.from_hazm()
        assert rebuilt.fused == built.fused
        assert path.read_bytes() != b"not a pickle"  # written again
        assert not old.exists() and recent.exists()  # the stale one went, with the new one written
    finally:
        from_hazm.cache_clear()
