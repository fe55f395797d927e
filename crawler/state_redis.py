"""The state that lives between runs, in Redis (REDIS_URL, scrapy-redis's own setting), for crawls on many
machines: the same Store as the SQLite seen-store of crawler/state.py, and a stand-in for its file lock, so that the
rest of the crawler does not know which it has (open_store picks one; worker_name and worker_label name this
process in claims and file names).

- RedisStore: the articles written (a hash per site: key -> revision, fingerprint, file), the retry list (a hash per
  site), the coverage watermark (one hash), and claims: before a worker fetches an article it claims it
  (SET NX with an expiry), so that two workers never both fetch and write it; the claim is released when the article
  is stored or given up, and expires by itself when the worker dies.
- The run's lock is crawler/distributed.py's run key: workers of one spider join one run instead of refusing each
  other, and the key expires when no live worker renews it.

Every Redis error (the server gone, a timeout, a refused write) is a StorageProblem naming the server, like a full
disk for the SQLite store: the run stops with exit status 1, and nothing half-written stays.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import socket
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import redis

from crawler import settings as defaults
from crawler.config import Config
from crawler.state import (
    KEYS_VERSION,
    Retry,
    SeenStore,
    StorageProblem,
    Store,
    StoredArticle,
    current_key,
    fingerprint,
)

# Delete a key only when it still holds our token (another worker may have it by now).
_RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end"
# Claims of articles for ARGV[1], for ARGV[2] seconds (KEYS[1]: the site's articles hash; KEYS[2..]: the claims;
# ARGV[3]: the prefix of the workers' sign-of-life keys, ARGV[4]: how long one lasts; ARGV[5..]: the articles' keys):
# a claim is granted when free, already this owner's (renewed then), or held by a worker whose sign of life has
# lapsed (killed: its claims are taken over at once, not after ARGV[2] seconds). The claimer's own sign of life is
# renewed. Returns, for each article, 1 and its stored entry ('' when none) when granted, else 0 and ''. (The sign-of-
# life keys are not in KEYS: one standalone Redis holds them, as it holds the claims.)
_CLAIM = """
redis.call('set', ARGV[3] .. ARGV[1], '1', 'EX', ARGV[4])
local answer = {}
for i = 2, #KEYS do
  local holder = redis.call('get', KEYS[i])
  local granted = 0
  if holder == false or (holder ~= ARGV[1] and redis.call('exists', ARGV[3] .. holder) == 0) then
    redis.call('set', KEYS[i], ARGV[1], 'EX', ARGV[2]) granted = 1
  elseif holder == ARGV[1] then redis.call('expire', KEYS[i], ARGV[2]) granted = 1 end
  answer[#answer + 1] = granted
  answer[#answer + 1] = granted == 1 and (redis.call('hget', KEYS[1], ARGV[i + 3]) or '') or ''
end
return answer
"""
# An article written (KEYS: its site's articles hash, retries hash, claim): stored, off the retry list, and its claim
# released when ARGV[3] holds it.
_PUT = """
redis.call('hset', KEYS[1], ARGV[1], ARGV[2])
redis.call('hdel', KEYS[2], ARGV[1])
if ARGV[3] ~= '' and redis.call('get', KEYS[3]) == ARGV[3] then redis.call('del', KEYS[3]) end
return 1
"""
# One more failed attempt at an article, atomically: returns the count.
_NOTE_FAILURE = """
local entry = redis.call('hget', KEYS[1], ARGV[1])
local attempts = 1
local listed_at = ARGV[3]
if entry then
  local old = cjson.decode(entry)
  attempts = old.attempts + 1
  if listed_at == '' and old.listed_at then listed_at = old.listed_at end
end
if listed_at == '' then listed_at = cjson.null end
redis.call('hset', KEYS[1], ARGV[1], cjson.encode({url=ARGV[2], listed_at=listed_at, attempts=attempts,
  reason=ARGV[4], updated_at=ARGV[5], gave_up=false}))
return attempts
"""


def worker_name() -> str:
    """This worker, as claims and locks name it: host and process."""
    return f"{socket.gethostname()}:{os.getpid()}"


def shown_url(url: str) -> str:
    """The server's address without a password, for messages."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname}:{parts.port or 6379}{parts.path}"


# A client that answers or fails within seconds (a dead server must stop a run, not hang it), on one connection:
# every command of a worker comes from the reactor's thread, and a pool's take and give back per command costs more
# than the command's own work in the client.
CLIENT_OPTIONS = {"socket_timeout": 10, "socket_connect_timeout": 5, "health_check_interval": 15,
                  "single_connection_client": True}


def connect(url: str) -> redis.Redis:
    """A client for REDIS_URL (CLIENT_OPTIONS)."""
    return redis.Redis.from_url(url, **CLIENT_OPTIONS)


def alive_key(namespace: str, worker: str) -> str:
    """The key whose presence says a worker lives (its heartbeat renews it): the claims of a worker without it are
    free for the others, and a busy worker without it is not waited for (crawler/distributed.py)."""
    return f"{namespace}:alive:{worker}"


@contextlib.contextmanager
def storage_errors(url: str):
    try:
        yield
    except redis.RedisError as error:
        raise StorageProblem(f"Redis at {shown_url(url)}: {error}") from None


@dataclass(frozen=True)
class HeldClaim:
    """A claim this process holds: its owner, the article's stored entry read with it, and when it was taken."""

    owner: str
    stored: bytes | None
    taken: float


class RedisStore:
    """The seen-store, the retry list, the watermark and the claims of every worker, in one Redis."""

    # Writes are taken this many at a time (crawler/incremental.py): a round trip per article costs the worker and
    # the server more CPU than the write itself.
    write_batch = 16

    def __init__(self, url: str, namespace: str = defaults.REDIS_NAMESPACE, alive_seconds: int = 15):
        self.url = url
        self.namespace = namespace
        # a worker that holds claims says it is alive (a key that lasts this long, renewed by its heartbeat and by
        # every claim it takes); when the key lapses, its claims are free for the others
        self.alive_seconds = max(1, int(alive_seconds))
        self._pipeline: redis.client.Pipeline | None = None
        # the claims this process holds, by (site, key)
        self._held: dict[tuple[str, str], HeldClaim] = {}
        # articles refused because another worker held them, until a claim of ours or their storing settles them
        self.refused: set[tuple[str, str]] = set()
        with storage_errors(url):
            self.client = connect(url)
            self.client.ping()
            self._note_failure = self.client.register_script(_NOTE_FAILURE)
            self._release = self.client.register_script(_RELEASE)
            self._claim = self.client.register_script(_CLAIM)
            self._put = self.client.register_script(_PUT)
            if int(self.client.get(self._key("keys_version")) or 0) < KEYS_VERSION:
                self._migrate_keys()

    def _key(self, *parts: str) -> str:
        return ":".join((self.namespace, *parts))

    def _migrate_keys(self) -> None:
        """Keys written before URL keys took their readable form (crawler/state.py KEYS_VERSION), rewritten once:
        each hash of articles, retries, pages found to be no article and aliases, field by field (a field whose new
        form is already there keeps that one). Workers that start together may both do it: each step is idempotent."""
        for kind in ("articles", "retries", "skipped", "aliases"):
            for name in self.client.scan_iter(match=self._key(kind, "*"), count=500):
                for field, value in self.client.hscan_iter(name, match="url:*%*", count=500):
                    old = field.decode()
                    new = current_key(old)
                    if new != old:
                        pipe = self.client.pipeline(transaction=True)
                        pipe.hsetnx(name, new, value)
                        pipe.hdel(name, old)
                        pipe.execute()
                if kind == "aliases":
                    for field, value in self.client.hscan_iter(name, count=500):
                        if current_key(value.decode()) != value.decode():
                            self.client.hset(name, field, current_key(value.decode()))
        self.client.set(self._key("keys_version"), KEYS_VERSION)

    def close(self) -> None:
        self.client.close()

    # -- articles ----------------------------------------------------------------------------------------------------

    def get(self, site: str, key: str) -> StoredArticle | None:
        held = self._held.get((site, key))
        if held is not None:  # read with the claim, in the same round trip
            value = held.stored
        else:
            with storage_errors(self.url):
                value = self.client.hget(self._key("articles", site), key)
        if value is None:
            return None
        entry = json.loads(value)
        return StoredArticle(entry["revision"], entry["fingerprint"], entry.get("file"))

    def has(self, site: str, key: str) -> bool:
        with storage_errors(self.url):
            return bool(self.client.hexists(self._key("articles", site), key))

    def stored_among(self, site: str, keys: list[str]) -> set[str]:
        found = self._keys_in("articles", site, keys)
        rest = [key for key in keys if key not in found]
        if rest:
            with storage_errors(self.url):
                targets = self.client.hmget(self._key("aliases", site), rest)
                aliased = {key: target.decode() for key, target in zip(rest, targets, strict=True) if target}
                stored = self._keys_in("articles", site, sorted(set(aliased.values())))
            found.update(key for key, target in aliased.items() if target in stored)
        return found

    def alias(self, site: str, key: str, article: str) -> None:
        with storage_errors(self.url):
            self.client.hset(self._key("aliases", site), key, article)

    def _keys_in(self, name: str, site: str, keys: list[str]) -> set[str]:
        if not keys:
            return set()
        with storage_errors(self.url):
            values = self.client.hmget(self._key(name, site), keys)
        return {key for key, value in zip(keys, values, strict=True) if value is not None}

    def skipped_among(self, site: str, keys: list[str]) -> set[str]:
        return self._keys_in("skipped", site, keys)

    def skip(self, site: str, key: str, reason: str, now: str) -> None:
        entry = json.dumps({"reason": reason, "skipped_at": now}, ensure_ascii=False)
        with storage_errors(self.url):
            self.client.hset(self._key("skipped", site), key, entry)

    def count(self, site: str) -> int:
        with storage_errors(self.url):
            return int(self.client.hlen(self._key("articles", site)))

    def put(self, site: str, key: str, record: dict[str, Any], revision: int, file: str | None, now: str) -> None:
        entry = json.dumps({"revision": revision, "fingerprint": fingerprint(record), "file": file, "url": record.get("url"),
                            "published_at": record.get("published_at"), "written_at": now}, ensure_ascii=False)
        held = self._held.pop((site, key), None)
        target = self._pipeline if self._pipeline is not None else self.client  # (an empty pipeline is falsy)
        with storage_errors(self.url):  # the claim goes with the write, in the same command
            self._put(keys=[self._key("articles", site), self._key("retries", site), self._key("claim", site, key)],
                      args=[key, entry, held.owner if held is not None else ""], client=target)

    @contextlib.contextmanager
    def transaction(self):
        """Many writes in one MULTI/EXEC, all or none (reads inside it see what was there before)."""
        self._pipeline = self.client.pipeline(transaction=True)
        try:
            yield
            with storage_errors(self.url):
                self._pipeline.execute()
        finally:
            self._pipeline = None

    # -- articles to try again ---------------------------------------------------------------------------------------

    def note_failure(self, site: str, key: str, url: str, listed_at: str | None, reason: str, now: str) -> int:
        with storage_errors(self.url):
            return int(self._note_failure(keys=[self._key("retries", site)], args=[key, url, listed_at or "", reason, now]))

    def retries(self, site: str) -> list[Retry]:
        with storage_errors(self.url):
            entries = self.client.hgetall(self._key("retries", site))
        waiting = []
        for key, value in entries.items():
            entry = json.loads(value)
            if not entry.get("gave_up"):
                waiting.append((entry.get("updated_at") or "", key.decode(), entry))
        return [Retry(key, entry["url"], entry.get("listed_at"), entry["attempts"], entry.get("reason"))
                for _, key, entry in sorted(waiting)]

    def give_up(self, site: str, key: str, now: str) -> None:
        with storage_errors(self.url):
            value = self.client.hget(self._key("retries", site), key)
            if value is not None:
                entry = json.loads(value) | {"gave_up": True, "updated_at": now}
                self.client.hset(self._key("retries", site), key, json.dumps(entry, ensure_ascii=False))

    def forget_failure(self, site: str, key: str) -> None:
        with storage_errors(self.url):
            value = self.client.hget(self._key("retries", site), key)
            if value is not None and not json.loads(value).get("gave_up"):
                self.client.hdel(self._key("retries", site), key)

    # -- the watermark -----------------------------------------------------------------------------------------------

    def covered_until(self, site: str) -> str | None:
        with storage_errors(self.url):
            value = self.client.hget(self._key("coverage"), site)
        return value.decode() if value is not None else None

    def set_covered_until(self, site: str, moment: str, now: str) -> None:
        with storage_errors(self.url):
            self.client.hset(self._key("coverage"), site, moment)

    # -- claims: one worker per article ------------------------------------------------------------------------------

    def claim(self, site: str, key: str, owner: str, seconds: int) -> bool:
        """Whether ``owner`` may fetch or write the article now: no other live worker has claimed it (a claim of
        ``owner``'s own is renewed). The claim expires after ``seconds`` (a dead worker's claims free themselves)."""
        held = self._held.get((site, key))
        if held is not None and held.owner == owner and time.monotonic() - held.taken < seconds / 2:
            return True  # ours, taken when the page was fetched (or taken from the queue): what was read with it holds
        return bool(self.claim_many(site, [key], owner, seconds))

    def claim_many(self, site: str, keys: list[str], owner: str, seconds: int) -> set[str]:
        """claim() of several articles of a site in one round trip: the keys granted. The stored entry of each is
        read with its claim (what the writer reads next, get())."""
        if not keys:
            return set()
        with storage_errors(self.url):
            answer = self._claim(keys=[self._key("articles", site), *(self._key("claim", site, key) for key in keys)],
                                 args=[owner, seconds, alive_key(self.namespace, ""), self.alive_seconds, *keys])
        granted, now = set(), time.monotonic()
        for key, flag, stored in zip(keys, answer[::2], answer[1::2], strict=True):
            if flag:
                granted.add(key)
                self._held[(site, key)] = HeldClaim(owner, stored or None, now)
                self.refused.discard((site, key))
            else:
                self.refused.add((site, key))
        return granted

    def still_alive(self, owner: str) -> None:
        """Renew ``owner``'s sign of life (its heartbeat calls this): its claims stay its own."""
        with storage_errors(self.url):
            self.client.set(alive_key(self.namespace, owner), "1", ex=self.alive_seconds)

    def unsettled(self) -> list[tuple[str, str]]:
        """The articles this process left to another worker that are not stored and whose claim is no live worker's:
        that worker stopped without writing them, so this run did not get them (the next run will)."""
        lost = []
        with storage_errors(self.url):
            for site, key in sorted(self.refused):
                if self.client.hexists(self._key("articles", site), key):
                    continue
                holder = self.client.get(self._key("claim", site, key))
                if holder is None or not self.client.exists(alive_key(self.namespace, holder.decode())):
                    lost.append((site, key))
        return lost
    def release_claim(self, site: str, key: str, owner: str) -> None:
        """Give the claim up (a put() of the article already did)."""
        if self._held.pop((site, key), None) is None:
            return
        with storage_errors(self.url):
            self._release(keys=[self._key("claim", site, key)], args=[owner])

    def release_claims(self, articles: list[tuple[str, str]] | None = None) -> None:
        """Give up, in one round trip, the claims this process holds on these (site, key) articles, or all of them
        (taken for pages it did not get to fetch)."""
        if articles is None:
            held, self._held = self._held, {}
        else:
            held = {article: self._held.pop(article) for article in articles if article in self._held}
        if not held:
            return
        with storage_errors(self.url):
            pipe = self.client.pipeline(transaction=False)
            for (site, key), claim in held.items():
                self._release(keys=[self._key("claim", site, key)], args=[claim.owner], client=pipe)
            pipe.execute()


# -- durability -----------------------------------------------------------------------------------------------------

STORE_ID = "store-id"  # the key (under the namespace) naming this store; a data folder remembers the one it used


def check_durability(url: str, namespace: str, data_dir, require_persistence: bool) -> str | None:
    """Before a run that writes to the Redis store: a warning (returned) when Redis keeps no append-only file, so
    that a restart would lose what runs wrote (StorageProblem instead with REDIS_REQUIRE_PERSISTENCE); and
    StorageProblem when Redis has lost the store this data folder used before: it came back empty (restarted without
    persistence, flushed) or is another server, and writing now would write every article again.

    The store's id is a random key Redis keeps (`<namespace>:store-id`); the data folder keeps the id it last saw in
    `.redis-store-<namespace>`. (Hand-written: neither scrapy-redis nor redis-py tells a Redis that came back empty
    from a new one.)"""
    remembered = Path(data_dir) / f".redis-store-{namespace}"
    warning = None
    with storage_errors(url):
        client = connect(url)
        try:
            appendonly = (client.config_get("appendonly") or {}).get("appendonly")
        except redis.ResponseError:  # CONFIG renamed or refused (a managed Redis): nothing to check with
            appendonly = None
        if appendonly == "no":
            problem = (f"Redis at {shown_url(url)} keeps no append-only file (appendonly no): a restart would lose "
                       "the seen-store, and the next runs would write every article again; set appendonly yes and "
                       "appendfsync everysec (README: More than one machine)")
            if require_persistence:
                raise StorageProblem(problem + " (REDIS_REQUIRE_PERSISTENCE is set)")
            warning = problem
        key = f"{namespace}:{STORE_ID}"
        known = remembered.read_text(encoding="utf-8").strip() if remembered.is_file() else None
        current = client.get(key)
        current = current.decode() if current else None
        if known and current != known:
            raise StorageProblem(
                f"Redis at {shown_url(url)} does not hold the seen-store this data folder last used (store "
                f"{known}, Redis has {current or 'none'}): it came back empty or is another server, and a run now "
                f"would write every article again. Restore Redis from its append-only file or backup; to start a new "
                f"store on purpose, delete {remembered}")
        if current is None:
            client.set(key, uuid.uuid4().hex, nx=True)
            current = client.get(key).decode()
        client.close()
    if known != current:
        remembered.parent.mkdir(parents=True, exist_ok=True)
        remembered.write_text(current + "\n", encoding="utf-8")
    return warning


def worker_label() -> str:
    """This worker in file names: host and process, file-name safe."""
    return re.sub(r"[^A-Za-z0-9.-]", "-", worker_name())


def open_store(config: Config) -> Store:
    """The seen-store of the run: in Redis when REDIS_URL is set (crawls on many machines), else SQLite under
    DATA_DIR. Both are a Store; StorageProblem, in one line, when the store cannot be used."""
    if config.redis_url:
        # a worker is dead after three heartbeats without a sign of life (crawler/distributed.py)
        return RedisStore(config.redis_url, config.redis_namespace,
                          alive_seconds=3 * config.distributed_heartbeat_seconds)
    return SeenStore(config.data_dir / "state.sqlite3")
