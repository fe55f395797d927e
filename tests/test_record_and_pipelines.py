"""The record definition, its shipped JSON Schema, and the stages after extraction."""

import dataclasses
import json

import pytest
from jsonschema import Draft202012Validator

from crawler.record import Article, Image, Record, article_from_dict, schema_text
from pipelines.dedupe import DedupePipeline
from pipelines.normalize import normalize_article
from pipelines.validate import date_problems, is_valid, problems
from tests.helpers import ROOT

SCHEMA_FILE = ROOT / "data" / "schema" / "article.schema.json"
EXPECTED = sorted((ROOT / "tests" / "fixtures" / "isna").glob("*.expected.json"))


def valid_record(**changes) -> dict:
    record = json.loads(EXPECTED[-1].read_text(encoding="utf-8"))
    record["body"] = "\n\n".join(record["body"])
    record["crawled_at"] = "2026-11-22T10:00:00Z"
    record.update(changes)
    return record


def test_shipped_schema_is_generated_from_the_record_definition():
    assert SCHEMA_FILE.read_text(encoding="utf-8") == schema_text(), (
        "data/schema/article.schema.json is stale: run python -m crawler.record > data/schema/article.schema.json")


def test_schema_lists_every_field_of_the_record():
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    assert list(schema["properties"]) == [field.name for field in dataclasses.fields(Article)]
    assert set(schema["required"]) == set(schema["properties"])


def test_expected_records_are_valid():
    assert problems(valid_record()) == []


@pytest.mark.parametrize("changes", [
    {"title": "x < y و «<<نقل قول>>»"},  # a lone "<", and guillemets typed as <<: text, not markup
    {"published_at": "2026-11-22T16:00:00+03:30"},  # hours after the crawl: within a wrong clock's margin
    {"url": "HTTPS://WWW.ISNA.IR/news/1/"},
    {"published_at": None, "published_jalali": None},  # the page states no date: written, counted as date_missing
    {"news_id": "aB3xZ"},  # a site whose codes have letters
])
def test_text_and_dates_that_look_odd_but_are_right_are_kept(changes):
    assert problems(valid_record(**changes)) == []


@pytest.mark.parametrize(("changes", "reason"), [
    ({"body": None}, "body: missing"),
    ({"title": None}, "title: missing"),
    ({"body": ""}, "body: '' should be non-empty"),
    ({"kicker": ""}, "kicker: '' should be non-empty"),
    ({"news_id": "۹۵۱۰۲۹۱۸۹۰۱"}, "news_id: '۹۵۱۰۲۹۱۸۹۰۱' does not match"),
    ({"news_id": "12/34"}, "news_id: '12/34' does not match"),
    ({"published_at": "2017-01-18T14:59:36"}, "published_at: '2017-01-18T14:59:36' does not match"),
    ({"crawled_at": None}, "crawled_at: missing"),
    ({"tags": None}, "tags: missing"),
    ({"extra": 1}, "record: Additional properties are not allowed"),
    # What hostile pages made pass before: URLs that are not http(s), text that is no text, impossible dates.
    ({"url": "javascript:alert(1)"}, "url: not an absolute http(s) URL"),
    ({"url": "//cdn.example.ir/x"}, "url: not an absolute http(s) URL"),
    ({"url": "data:text/html,x"}, "url: not an absolute http(s) URL"),
    ({"images": [{"url": "file:///etc/passwd", "caption": None}]}, "images.0.url: not an absolute http(s) URL"),
    ({"images": [{"url": "mailto:x@y.ir", "caption": None}]}, "images.0.url: not an absolute http(s) URL"),
    ({"title": "<div><div>x</div></div>"}, "title: not plain text with a letter"),
    ({"title": "1.5"}, "title: not plain text with a letter"),
    ({"body": "<"}, "body: not plain text with a letter"),
    ({"body": "۱۲۳ ، ۴۵۶"}, "body: not plain text with a letter"),  # Persian digits and comma are no letters
    ({"title": "خبر\x01"}, "title: not plain text with a letter"),
    ({"lead": "متن \u202e معکوس"}, "lead: not plain text"),
    ({"kicker": "Latin\u200eword"}, "kicker: not plain text"),
    ({"tags": ["برچسب", "<script>x</script>"]}, "tags.1: not plain text"),
    ({"published_at": "2099-01-01T00:00:00+03:30"}, "published_at: 2099-01-01T00:00:00+03:30 is after the page was crawled"),
    ({"published_at": "1970-01-01T03:30:00+03:30"}, "published_at: 1970-01-01T03:30:00+03:30 is before 1990"),
])
def test_invalid_records_are_refused_with_the_reason(changes, reason):
    found = problems(valid_record(**changes))
    assert any(message.startswith(reason) for message in found), found


VALUES = [None, "", "x", "123", "۱۲۳", "2017-01-18T14:59:36+03:30", "1395-10-29T14:59", 0, -1, 2, 1.5, 2.0, True,
          [], ["a"], [""], [1], [None], {}, [{"url": "https://a/b.jpg", "caption": None}], [{"url": ""}],
          [{"caption": "x"}], [{"url": "u", "caption": 3}], [{"url": "u", "caption": "c", "extra": 1}], ["a", "a"],
          "<div>x</div>", "x < y", "x\x01", "متن\u202e", "1.5", "javascript:x", "//cdn.ir/x", "https://a.ir/ب",
          [{"url": "data:x", "caption": None}], ["<b>x</b>"], "1989-12-31T23:59:59+03:30", "2099-01-01T00:00:00Z"]


def test_jsonschema_rs_agrees_with_jsonschema_on_every_field_and_value():
    """problems() lets a record through on jsonschema-rs's check; jsonschema's validator is the reference."""
    reference = Draft202012Validator(json.loads(SCHEMA_FILE.read_text(encoding="utf-8")))
    records = [valid_record(), valid_record(extra=1), {}]
    for name in valid_record():
        records += [valid_record(**{name: value}) for value in VALUES]
        records.append({key: value for key, value in valid_record().items() if key != name})
    verdicts = [(is_valid(record), reference.is_valid(record)) for record in records]
    assert all((problems(record) == []) == (valid and not date_problems(record))
               for record, (_, valid) in zip(records, verdicts, strict=True))
    assert sum(valid for _, valid in verdicts) > 40 and sum(not valid for _, valid in verdicts) > 300
    assert [ours for ours, _ in verdicts] == [theirs for _, theirs in verdicts]


def test_record_round_trips_through_json():
    record = valid_record()
    assert dataclasses.asdict(article_from_dict(record)) == record


def test_normalize_unifies_arabic_letters_and_tidies_space_but_keeps_zwnj_and_metadata():
    article = Article(
        site="isna", url="https://www.isna.ir/news/1402052415139/ي", news_id="1402052415139",
        title="  سيدعباس  عراقچي\u00a0در تهران ", kicker="", lead="ايسنا/کرمان  يك خبر",
        body="بند اول  با فاصله\n\n \u00a0 \n\nمی‌شود كه", tags=["مجيد", "مجید", " "],
        category="سياست\n خارجی", published_at="2023-08-15T12:46:00+03:30",
        images=[Image(url="https://cdn.isna.ir/ي.jpg", caption="عكس")],
    )
    normalize_article(article)
    assert article.title == "سیدعباس عراقچی در تهران"
    assert article.kicker is None
    assert article.lead == "ایسنا/کرمان یک خبر"
    assert article.body == "بند اول با فاصله\n\nمی‌شود که"
    assert article.tags == ["مجید"]
    assert article.category == "سیاست خارجی"
    assert article.images[0].caption == "عکس"
    # URLs, ids and dates are never rewritten.
    assert article.url == "https://www.isna.ir/news/1402052415139/ي"
    assert article.images[0].url == "https://cdn.isna.ir/ي.jpg"
    assert article.news_id == "1402052415139"


def test_dedupe_drops_a_second_record_of_the_same_site_and_news_id_else_url():
    from scrapy.exceptions import DropItem
    from scrapy.utils.test import get_crawler

    dedupe = DedupePipeline(get_crawler())

    def record(**fields):  # as validation hands it on
        return Record.of(Article(**fields))

    dedupe.process_item(record(site="isna", url="https://www.isna.ir/news/1/a", news_id="1"))
    with pytest.raises(DropItem, match="id:1"):
        dedupe.process_item(record(site="isna", url="https://www.isna.ir/amp/1/", news_id="1"))
    dedupe.process_item(record(site="mehr", url="https://www.mehrnews.com/news/1/", news_id="1"))  # another site
    dedupe.process_item(record(site="nazirkerman", url="https://nazirkerman.ir/?p=5"))
    with pytest.raises(DropItem, match="url:https://nazirkerman.ir/\\?p=5"):
        dedupe.process_item(record(site="nazirkerman", url="https://nazirkerman.ir/?p=5"))

def test_the_body_goes_from_extraction_to_the_written_record_as_its_paragraphs():
    # The real ISNA page: the extractor's paragraphs are what cleaning and normalization take, and the record written
    # has the body as plain text, the paragraphs joined by a blank line.
    import pickle

    from parsel import Selector

    from crawler.record import Body
    from crawler.sites import parser_for, registered_site
    from pipelines.reprocess import process_record

    page = ROOT / "tests/fixtures/isna/isna_article_95102918901_fetched2025-03-20"
    expected = json.loads(page.with_suffix(".expected.json").read_text(encoding="utf-8"))
    html = page.with_suffix(".html").read_text(encoding="utf-8")
    article = parser_for(registered_site("isna")).article(Selector(html), expected["url"])
    assert isinstance(article.body, Body) and article.paragraphs == list(article.body.paragraphs)
    article, _ = process_record(article)
    assert isinstance(article.body, Body) and article.paragraphs == expected["body"]
    record = Record.of(article)
    assert type(record["body"]) is str and record["body"] == "\n\n".join(expected["body"])
    assert type(pickle.loads(pickle.dumps(article.body))) is str  # a Scrapy disk queue or a copy holds plain text
    assert record.key == "id:95102918901" and record.fingerprint == Record(json.loads(json.dumps(record))).fingerprint
    plain = Article(site="isna", url=expected["url"], body="یک بند\n\nبند دوم\nسطر سوم ")  # read back from a dump
    assert plain.paragraphs == ["یک بند", "بند دوم", "سطر سوم"]
