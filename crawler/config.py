"""The project's own settings (crawler/settings.py, each overridable with `-s NAME=VALUE`), read into one typed object:
built once for a crawler (when Scrapy has frozen its settings) and handed to whatever needs it, the way trafilatura
hands its `Extractor` options down. The defaults are crawler/settings.py's and nowhere else. Scrapy's own settings
(FEEDS, JOBDIR, CONCURRENT_REQUESTS...) are Scrapy's to read.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from crawler import settings as defaults


def _setting(name: str) -> Any:
    return dataclasses.field(metadata={"setting": name})


@dataclasses.dataclass(frozen=True)
class Config:
    """The project's settings of one run, typed; each field names its setting (crawler/settings.py documents it)."""

    # where a run writes, and what it is
    data_dir: Path = _setting("DATA_DIR")
    rejects_dir: Path | None = _setting("REJECTS_DIR")
    run_control: bool = _setting("RUN_CONTROL")
    incremental_output: bool = _setting("INCREMENTAL_OUTPUT")
    run_name: str | None = _setting("RUN_NAME")
    run_lock_held: bool = _setting("RUN_LOCK_HELD")
    progress: str = _setting("PROGRESS")
    log_level: Any = _setting("LOG_LEVEL")
    # the verdict
    run_max_error_share: float = _setting("RUN_MAX_ERROR_SHARE")
    run_min_errors: int = _setting("RUN_MIN_ERRORS")
    run_max_missing_field_share: float = _setting("RUN_MAX_MISSING_FIELD_SHARE")
    run_min_article_pages: int = _setting("RUN_MIN_ARTICLE_PAGES")
    # incremental runs
    incremental_overlap_minutes: int = _setting("INCREMENTAL_OVERLAP_MINUTES")
    catchup_max_pages: int = _setting("CATCHUP_MAX_PAGES")
    future_tolerance_minutes: int = _setting("FUTURE_TOLERANCE_MINUTES")
    retry_failed_articles: int = _setting("RETRY_FAILED_ARTICLES")
    latest_news_days: float = _setting("LATEST_NEWS_DAYS")
    # bounds on what a site controls
    discovery_max_sitemaps: int = _setting("DISCOVERY_MAX_SITEMAPS")
    discovery_max_sitemap_depth: int = _setting("DISCOVERY_MAX_SITEMAP_DEPTH")
    discovery_max_listed: int = _setting("DISCOVERY_MAX_LISTED")
    discovery_max_articles: int = _setting("DISCOVERY_MAX_ARTICLES")
    article_max_bytes: int = _setting("ARTICLE_MAX_BYTES")
    # retries of a fetch
    retry_backoff_base: float = _setting("RETRY_BACKOFF_BASE")
    retry_backoff_max: float = _setting("RETRY_BACKOFF_MAX")
    # many machines
    redis_url: str | None = _setting("REDIS_URL")
    redis_namespace: str = _setting("REDIS_NAMESPACE")
    redis_require_persistence: bool = _setting("REDIS_REQUIRE_PERSISTENCE")
    distributed_role: str | None = _setting("DISTRIBUTED_ROLE")
    distributed_run_id: str | None = _setting("DISTRIBUTED_RUN_ID")
    distributed_idle_seconds: float = _setting("DISTRIBUTED_IDLE_SECONDS")
    distributed_heartbeat_seconds: float = _setting("DISTRIBUTED_HEARTBEAT_SECONDS")
    write_delay_seconds: float = _setting("WRITE_DELAY_SECONDS")
    claim_seconds: int = _setting("CLAIM_SECONDS")
    scheduler_busy_key: str | None = _setting("SCHEDULER_BUSY_KEY")
    # exports
    csv_list_separator: str = _setting("CSV_LIST_SEPARATOR")

    @classmethod
    def from_settings(cls, settings) -> Config:
        """The values of ``settings`` (Scrapy's, or a dict), each typed as its field, crawler/settings.py's default
        where a setting is unset or empty."""
        values = {}
        for field in dataclasses.fields(cls):
            name = field.metadata["setting"]
            default = getattr(defaults, name, None)
            value = settings.get(name)
            if value is None or value == "":
                value = default
            values[field.name] = _typed(field.type, value, name)
        return cls(**values)

    def value_of(self, setting: str) -> Any:
        """A setting's value by its name (DISCOVERY_MAX_LISTED), for messages that name the setting."""
        for field in dataclasses.fields(self):
            if field.metadata["setting"] == setting:
                return getattr(self, field.name)
        raise KeyError(setting)


def _typed(kind: str, value: Any, name: str) -> Any:
    if value is None:
        return None
    try:
        if kind.startswith("bool"):
            return value if isinstance(value, bool) else str(value).strip().lower() in ("1", "true", "yes", "on")
        if kind.startswith("int"):
            return int(value)
        if kind.startswith("float"):
            return float(value)
        if kind.startswith("Path"):
            return Path(value)
        if kind.startswith("str"):
            return str(value)
    except ValueError:
        raise ValueError(f"-s {name}={value!r}: not a valid {kind.split(' ')[0]}") from None
    return value


_BUILT = "_project_config"


def config_of(settings) -> Config:
    """The Config of a crawler's settings: built once, when Scrapy has frozen them (they no longer change); settings
    still being made (the crawl command's, before the crawler) are read afresh."""
    if not getattr(settings, "frozen", False):
        return Config.from_settings(settings)
    config = vars(settings).get(_BUILT)
    if config is None:
        config = Config.from_settings(settings)
        vars(settings)[_BUILT] = config
    return config


def run_name_of(crawler) -> str:
    """What names a run's lock, folder and files: the spider's name, or what the crawl command set as RUN_NAME (the
    spider's run_name() for its arguments: `news-example.ir` for `scrapy crawl news -a
    site_url=https://example.ir/`)."""
    return config_of(crawler.settings).run_name or crawler.spidercls.name
