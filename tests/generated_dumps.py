"""A generated month (or year) of dumps under a data folder, for the report's long view and its anomalies: records
as the crawler writes them (real Persian sentences from the mock site's corpus), a runs log and rejects files, with
known events planted in them:

- the first site loses its lead from day REDESIGN on (a redesign the crawler did not follow), and REJECT_DAY has
  REJECTS of its records rejected (reason: published_at);
- the second site publishes nothing on days SILENT (a silence of three days), and its runs on day SILENT[0] fail
  (a blocked crawler);
- every site revises a few articles each day.

    python -m tests.generated_dumps DATA_DIR [--days 30] [--sites isna,tabnak,nazirkerman] [--per-day 20] [--end DAY]
"""

from __future__ import annotations

import argparse
import json
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import jdatetime

from crawler.dates import TEHRAN, to_jalali_string, to_tehran_iso
from tests.mocksite.site import HERE as MOCKSITE

SENTENCES = [line.strip() for line in (MOCKSITE / "seraji-test-sentences.txt").read_text(encoding="utf-8").splitlines()
             if line.strip()]
CATEGORIES = ["سیاسی", "اقتصادی", "اجتماعی", "فرهنگی", "ورزشی", "بین‌الملل", "استان‌ها", "علمی"]
TAGS = ["تهران", "برجام", "صنایع کوچک", "خلیج فارس", "آب", "کشاورزی", "دانشگاه", "انتخابات", "مجلس", "بورس", "نفت",
        "تورم", "مسکن", "خودرو", "کرونا", "آموزش", "فوتبال"]
SITES = ("isna", "tabnak", "nazirkerman")
SILENT = (10, 11, 12)  # day numbers (0 = the first day)
REDESIGN = 20
REJECT_DAY = 25
REJECTS = 30


@dataclass(frozen=True)
class Planted:
    first: date
    days: int

    def day(self, number: int) -> date:
        return self.first + timedelta(days=number)


def record(site: str, news_id: int, moment: datetime, rng: random.Random, *, lead: bool = True, revision: int = 1) -> dict:
    picked = rng.sample(SENTENCES, 6)
    return {
        "site": site, "url": f"https://www.{site}.ir/news/{news_id}/x", "news_id": str(news_id),
        "title": picked[0].rstrip("."), "kicker": None, "lead": picked[1] if lead else None,
        "body": "\n\n".join(picked[2:2 + rng.randint(1, 4)]),
        "published_at": to_tehran_iso(moment), "published_jalali": to_jalali_string(moment), "modified_at": None,
        "category": (category := rng.choice(CATEGORIES)), "categories": [category],
        "reporter_code": str(rng.randint(10000, 99999)) if site != "nazirkerman" else None, "editor": None,
        "author": "مریم احمدی" if site == "nazirkerman" else None, "source": None, "province": None,
        "tags": rng.sample(TAGS, rng.randint(0, 3)),
        "images": [{"url": f"https://www.{site}.ir/img/{news_id}.jpg", "caption": None}] if rng.random() < 0.8 else [],
        "revision": revision,
        "crawled_at": (moment + timedelta(minutes=20)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def write_dumps(data: Path, *, days: int = 30, sites: tuple[str, ...] = SITES, per_day: int = 20,
                end: date | None = None, runs_end: date | None = None, seed: int = 1405) -> Planted:
    """The dumps of ``days`` days up to ``end`` (today by default); the runs log's days end on ``runs_end`` (``end``
    by default; later for a backfill of old days)."""
    rng = random.Random(seed)
    end = end or datetime.now(TEHRAN).date()
    planted = Planted(end - timedelta(days=days - 1), days)
    runs_shift = (runs_end or end) - end
    runs = []
    redesigned, silenced = sites[0], sites[1] if len(sites) > 1 else None
    for site in sites:
        folder = data / site
        folder.mkdir(parents=True, exist_ok=True)
        news_id = 1000000
        earlier: list[dict] = []
        for number in range(days):
            day = planted.day(number)
            lines = []
            silent = site == silenced and number in SILENT
            for _ in range(0 if silent else rng.randint(per_day // 2, per_day * 3 // 2)):
                news_id += 1
                moment = datetime(day.year, day.month, day.day, rng.randint(0, 23), rng.randint(0, 59), tzinfo=TEHRAN)
                lines.append(record(site, news_id, moment, rng, lead=not (site == redesigned and number >= REDESIGN)))
            for old in rng.sample(earlier, min(len(earlier), 2)):
                revised = dict(old, revision=old["revision"] + 1, title=old["title"] + " (به‌روز شد)")
                revised["crawled_at"] = datetime(day.year, day.month, day.day, 23, 0, tzinfo=TEHRAN).astimezone(
                    UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
                lines.append(revised)
            earlier = (earlier + [line for line in lines if line["revision"] == 1])[-50:]
            if lines:
                stamp = datetime(day.year, day.month, day.day, 23, 30, tzinfo=TEHRAN).astimezone(UTC)
                path = folder / f"{site}-{stamp.strftime('%Y-%m-%dT%H-%M-%SZ')}.jsonl"
                path.write_text("".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines), encoding="utf-8")
            for hour in (2, 8, 14, 20):
                failed = site == silenced and number == SILENT[0]
                started = (datetime(day.year, day.month, day.day, hour, 0, tzinfo=TEHRAN) + runs_shift).astimezone(UTC)
                runs.append({
                    "spider": site, "started_at": started.strftime("%Y-%m-%dT%H:%M:%SZ"),
                    "ended_at": (started + timedelta(seconds=40)).strftime("%Y-%m-%dT%H:%M:%SZ"),
                    "seconds": round(rng.uniform(20, 90), 1), "mode": "incremental", "pages": 30,
                    "failed_pages": 25 if failed else rng.choice((0, 0, 0, 1)), "new_articles": len(lines) // 4,
                    "exit_status": 1 if failed else 0,
                    "exit_reason": "25 of 30 pages failed (HTTP 403: is the crawler blocked?)" if failed else "healthy"})
    day = planted.day(REJECT_DAY)
    bad = [] if REJECT_DAY >= days else [{"reasons": ["published_at: 1970-01-01T03:30:00+03:30 is before 1990"],
            "record": record(redesigned, 9000000 + number, datetime(day.year, day.month, day.day, 12, tzinfo=TEHRAN), rng)}
           for number in range(REJECTS)]
    if bad:
        rejects = data / "rejects" / redesigned
        rejects.mkdir(parents=True, exist_ok=True)
        (rejects / f"rejects-{day.isoformat()}T20-00-00Z.jsonl").write_text(
            "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in bad), encoding="utf-8")
    with (data / "runs.jsonl").open("a", encoding="utf-8") as handle:
        for run in sorted(runs, key=lambda run: run["started_at"]):
            handle.write(json.dumps(run, ensure_ascii=False) + "\n")
    return planted


def jalali(day: date) -> str:
    return jdatetime.date.fromgregorian(date=day).strftime("%Y-%m-%d")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("data", type=Path)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--sites", default=",".join(SITES), help="site keys, comma-separated")
    parser.add_argument("--per-day", type=int, default=20)
    parser.add_argument("--end", type=date.fromisoformat, default=None, help="the last day (Gregorian), default today")
    arguments = parser.parse_args()
    sites = tuple(arguments.sites.split(","))
    planted = write_dumps(arguments.data, days=arguments.days, sites=sites, per_day=arguments.per_day, end=arguments.end)
    print(f"{arguments.data}: {arguments.days} days from {planted.first} for {', '.join(sites)}")
