"""The state behind one interface: the SQLite seen-store (crawler/state.py) and the Redis one (crawler/state_redis.py,
against a real redis-server on a free port) pass the same behaviour tests; then what only Redis has to do (claims
between workers, a run that a worker opens or joins and that expires when its workers die) and what it does when the
server goes away."""

from __future__ import annotations

import time

import pytest
import redis

from crawler.state import AloneClaims, Claims, SeenStore, StorageProblem, Store, claims_of
from crawler.state_redis import RedisStore

RECORD = {"url": "https://www.isna.ir/news/1/x", "title": "تیتر", "body": "متن", "published_at": "2024-01-01T10:00:00+03:30"}


@pytest.fixture(params=["sqlite", "redis"])
def store(request, tmp_path):
    if request.param == "sqlite":
        opened = SeenStore(tmp_path / "state.sqlite3")
    else:
        opened = RedisStore(request.getfixturevalue("redis_url"))
    yield opened
    opened.close()


def test_an_article_put_is_known_with_its_revision_and_fingerprint(store):
    assert store.get("isna", "id:1") is None and not store.has("isna", "id:1")
    store.put("isna", "id:1", RECORD, 1, "isna-a.jsonl", "2024-01-01T07:00:00Z")
    stored = store.get("isna", "id:1")
    assert (stored.revision, stored.file) == (1, "isna-a.jsonl") and store.has("isna", "id:1")
    store.put("isna", "id:1", dict(RECORD, title="تیتر تازه"), 2, "isna-b.jsonl", "2024-01-02T07:00:00Z")
    again = store.get("isna", "id:1")
    assert (again.revision, again.file) == (2, "isna-b.jsonl") and again.fingerprint != stored.fingerprint
    assert not store.has("tabnak", "id:1") and store.count("isna") == 1


def test_which_of_a_listing_s_articles_are_stored_is_one_question(store):
    for number in (1, 3):
        store.put("isna", f"id:{number}", RECORD, 1, "f.jsonl", "2024-01-01T07:00:00Z")
    keys = [f"id:{number}" for number in range(1, 6)]
    assert store.stored_among("isna", keys) == {"id:1", "id:3"}
    assert store.stored_among("tabnak", keys) == set() and store.stored_among("isna", []) == set()
    many = [f"id:{number}" for number in range(1200)]  # more than one query's worth of keys
    assert store.stored_among("isna", many) == {"id:1", "id:3"}


def test_a_page_found_to_be_no_article_is_remembered_apart_from_the_articles(store):
    store.skip("isna", "id:9", "photo page (nastooh:newsType), not a text article", "2024-01-01T07:00:00Z")
    store.skip("isna", "id:9", "photo page (nastooh:newsType), not a text article", "2024-01-02T07:00:00Z")  # again: once
    store.put("isna", "id:1", RECORD, 1, "f.jsonl", "2024-01-01T07:00:00Z")
    keys = ["id:1", "id:9", "id:10"]
    assert store.skipped_among("isna", keys) == {"id:9"} and store.stored_among("isna", keys) == {"id:1"}
    assert store.skipped_among("tabnak", keys) == set() and store.skipped_among("isna", []) == set()
    assert store.count("isna") == 1 and not store.has("isna", "id:9")  # no article: not counted as one


def test_a_page_listed_by_its_url_and_read_as_an_article_of_another_key_is_known_once_that_article_is_stored(store):
    store.alias("isna", "url:https://www.isna.ir/story/slug", "id:1")
    assert store.stored_among("isna", ["url:https://www.isna.ir/story/slug"]) == set()  # not stored yet (rejected?)
    store.put("isna", "id:1", RECORD, 1, "f.jsonl", "2024-01-01T07:00:00Z")
    keys = ["url:https://www.isna.ir/story/slug", "url:https://www.isna.ir/story/other", "id:1"]
    assert store.stored_among("isna", keys) == {"url:https://www.isna.ir/story/slug", "id:1"}
    assert store.stored_among("tabnak", keys) == set() and store.count("isna") == 1


def test_failures_are_counted_listed_oldest_first_given_up_and_forgotten(store):
    assert store.note_failure("isna", "id:2", "https://x/2", "2024-01-01T10:00:00+03:30", "HTTP 500", "2024-01-01T07:00:00Z") == 1
    assert store.note_failure("isna", "id:3", "https://x/3", None, "timeout", "2024-01-01T07:05:00Z") == 1
    assert store.note_failure("isna", "id:2", "https://x/2", None, "HTTP 503", "2024-01-01T08:00:00Z") == 2
    waiting = store.retries("isna")
    assert [(retry.key, retry.attempts, retry.reason) for retry in waiting] == [("id:3", 1, "timeout"), ("id:2", 2, "HTTP 503")]
    assert waiting[1].listed_at == "2024-01-01T10:00:00+03:30"  # kept from the first failure
    store.give_up("isna", "id:3", "2024-01-01T09:00:00Z")
    assert [retry.key for retry in store.retries("isna")] == ["id:2"]
    store.forget_failure("isna", "id:3")  # given up: stays given up (reported once)
    store.put("isna", "id:2", RECORD, 1, "f.jsonl", "2024-01-01T09:30:00Z")  # stored: off the list
    assert store.retries("isna") == []


def test_the_watermark(store):
    assert store.covered_until("isna") is None
    store.set_covered_until("isna", "2024-01-01T10:00:00+03:30", "2024-01-01T07:00:00Z")
    store.set_covered_until("isna", "2024-01-02T10:00:00+03:30", "2024-01-02T07:00:00Z")
    assert store.covered_until("isna") == "2024-01-02T10:00:00+03:30" and store.covered_until("tabnak") is None


def test_a_transaction_is_all_or_nothing(store):
    with pytest.raises(RuntimeError):
        with store.transaction():
            store.put("isna", "id:7", RECORD, 1, "f.jsonl", "2024-01-01T07:00:00Z")
            raise RuntimeError("killed halfway")
    assert not store.has("isna", "id:7")
    with store.transaction():
        store.put("isna", "id:7", RECORD, 1, "f.jsonl", "2024-01-01T07:00:00Z")
        store.put("isna", "id:8", RECORD, 1, "f.jsonl", "2024-01-01T07:00:00Z")
    assert store.has("isna", "id:7") and store.has("isna", "id:8")


def test_both_stores_are_a_store_and_only_the_shared_one_keeps_claims(store):
    assert isinstance(store, Store) and store.write_batch >= 1
    assert isinstance(store, Claims) is isinstance(store, RedisStore)
    assert isinstance(claims_of(store), AloneClaims if isinstance(store, SeenStore) else RedisStore)


def test_a_claim_is_granted_to_the_worker_that_may_fetch(store):
    claims = claims_of(store)
    assert claims.claim("isna", "id:9", "worker-a", 60)
    claims.release_claim("isna", "id:9", "worker-a")
    assert claims.claim("isna", "id:9", "worker-b", 60)


def test_the_articles_taken_from_the_queue_are_claimed_at_once_with_what_is_stored_of_them(store):
    claims = claims_of(store)
    store.put("isna", "id:2", RECORD, 3, "f.jsonl", "2024-01-01T07:00:00Z")
    assert claims.claim_many("isna", ["id:1", "id:2", "id:3"], "worker-a", 60) == {"id:1", "id:2", "id:3"}
    assert store.get("isna", "id:2").revision == 3 and store.get("isna", "id:1") is None
    claims.release_claims([("isna", "id:1")])
    claims.release_claims()
    assert claims.claim_many("isna", ["id:1", "id:2", "id:3"], "worker-b", 60) == {"id:1", "id:2", "id:3"}
    assert claims.claim_many("isna", [], "worker-b", 60) == set() and claims.unsettled() == []


# -- what only the shared store has to do --------------------------------------------------------------------------

def test_claims_taken_at_once_leave_out_what_another_worker_holds_and_are_given_back(redis_url):
    a, b = RedisStore(redis_url), RedisStore(redis_url)
    assert a.claim_many("isna", ["id:1", "id:2", "id:3"], "worker-a", 60) == {"id:1", "id:2", "id:3"}
    assert b.claim_many("isna", ["id:2", "id:4"], "worker-b", 60) == {"id:4"}
    a.put("isna", "id:1", RECORD, 1, "f.jsonl", "2024-01-01T07:00:00Z")  # written: its claim goes with it
    a.release_claims([("isna", "id:2")])  # not fetched after all (the worker stops): free for the others
    assert b.claim_many("isna", ["id:1", "id:2", "id:3"], "worker-b", 60) == {"id:1", "id:2"}
    assert b.get("isna", "id:1").revision == 1  # read with the claim
    a.release_claims()  # the rest, at the end of a's run
    assert b.claim("isna", "id:3", "worker-b", 60)
    assert not a.claim("isna", "id:4", "worker-a", 60)



def test_two_workers_never_both_claim_an_article_and_a_dead_worker_s_claim_expires(redis_url):
    store = RedisStore(redis_url)
    assert store.claim("isna", "id:1", "worker-a", 1)
    assert not store.claim("isna", "id:1", "worker-b", 60)
    store.release_claim("isna", "id:1", "worker-b")  # not b's to release
    assert not store.claim("isna", "id:1", "worker-b", 60)
    time.sleep(1.2)  # worker-a died without releasing
    assert store.claim("isna", "id:1", "worker-b", 60)


def test_a_worker_opens_a_run_or_joins_the_live_one_and_a_run_of_dead_workers_is_taken_over(redis_url):
    from crawler.config import Config
    from crawler.distributed import join_run, run_keys

    settings = Config.from_settings({"REDIS_URL": redis_url, "DISTRIBUTED_HEARTBEAT_SECONDS": 1})
    client = redis.Redis.from_url(redis_url)
    keys = run_keys(settings, "isna")
    client.zadd(keys["requests"], {b"a request of a dead run": 0})
    role, run_id = join_run(settings, "isna")
    assert role == "leader" and client.zcard(keys["requests"]) == 0  # a new run starts from an empty queue
    client.zadd(keys["requests"], {b"seeded": 0})
    assert join_run(settings, "isna") == ("follower", run_id)  # the leader is alive (its heartbeat is fresh)
    assert client.zcard(keys["requests"]) == 1
    time.sleep(4.2)  # three heartbeats (and a second of rounding) without a sign of life: every worker is dead
    role, new_run = join_run(settings, "isna")
    assert role == "leader" and new_run != run_id and client.zcard(keys["requests"]) == 0
    assert 0 < client.ttl(keys["run"]) <= 7  # the run's key expires unless a live worker renews it


def test_redis_gone_is_a_storage_problem_naming_the_server(redis_server):
    from tests.conftest import RedisServer

    server = RedisServer()
    store = RedisStore(server.url)
    store.put("isna", "id:1", RECORD, 1, "f.jsonl", "2024-01-01T07:00:00Z")
    server.stop()
    with pytest.raises(StorageProblem, match=rf"Redis at redis://127.0.0.1:{server.port}/0: "):
        store.put("isna", "id:2", RECORD, 1, "f.jsonl", "2024-01-01T07:00:00Z")
    with pytest.raises(StorageProblem):
        store.has("isna", "id:1")
    with pytest.raises(StorageProblem, match="Redis at"):
        RedisStore(server.url)


def test_a_store_written_with_escaped_url_keys_is_migrated_to_the_readable_form_once(tmp_path, request):
    # Before, a URL key was the URL as the page or the fetch spelt it: the same article, %-escaped on one site and
    # written in Persian on another. A store of that time is rewritten when it is opened, and nothing is lost.
    import sqlite3
    from urllib.parse import quote

    readable = "https://site.ir/1402/05/20/صنایع-بزرگ"
    escaped = "https://site.ir/1402/05/20/" + quote("صنایع-بزرگ")
    for kind in ("sqlite", "redis"):
        if kind == "sqlite":
            store = SeenStore(tmp_path / "state.sqlite3")
            store.put("site.ir", f"url:{escaped}", RECORD, 1, "f.jsonl", "2024-01-01T07:00:00Z")
            store.skip("site.ir", "url:https://site.ir/photo/%D8%B9%DA%A9%D8%B3", "photo page", "2024-01-01T07:00:00Z")
            store.alias("site.ir", "url:https://site.ir/?p=%D8%A7", f"url:{escaped}")
            store.close()
            db = sqlite3.connect(tmp_path / "state.sqlite3")
            db.execute("PRAGMA user_version = 0")  # as a store of that time was
            db.commit()
            db.close()
            store = SeenStore(tmp_path / "state.sqlite3")
        else:
            store = RedisStore(request.getfixturevalue("redis_url"))
            store.put("site.ir", f"url:{escaped}", RECORD, 1, "f.jsonl", "2024-01-01T07:00:00Z")
            store.skip("site.ir", "url:https://site.ir/photo/%D8%B9%DA%A9%D8%B3", "photo page", "2024-01-01T07:00:00Z")
            store.alias("site.ir", "url:https://site.ir/?p=%D8%A7", f"url:{escaped}")
            store.client.delete(store._key("keys_version"))
            store.close()
            store = RedisStore(request.getfixturevalue("redis_url"))
        assert store.has("site.ir", f"url:{readable}") and not store.has("site.ir", f"url:{escaped}"), kind
        assert store.count("site.ir") == 1
        assert store.skipped_among("site.ir", ["url:https://site.ir/photo/عکس"]) == {"url:https://site.ir/photo/عکس"}
        assert store.stored_among("site.ir", ["url:https://site.ir/?p=ا"]) == {"url:https://site.ir/?p=ا"}
        store.close()
