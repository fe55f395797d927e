"""The data-quality report: is the data healthy, at a glance, for people who never look at a crawl.

    python -m pipelines report [DATA_DIR or dump files...] -o report.html

One self-contained HTML page (right to left; every script inside it, no font or file fetched when it is opened):
anomalies in words at the top, then articles per day per site (days without any marked), field coverage per site
over time (a redesign shows as a drop on its day), body lengths, top categories and tags, revisions and rejects
over time with the rejects' reasons, and crawl health from runs.jsonl (runs per day by exit status, failed pages,
durations, the reasons of failed runs).

The dumps are read a line at a time (pipelines/dataset.py): what is kept per article is its day, which fields it
has, its body's length in words and its categories and tags, never its text, so a year of several sites
(hundreds of thousands of records) takes seconds and little memory (benchmarks/report.py measures it).

Charts are drawn by Plotly (plotly.js, inlined from the `plotly` Python package, which ships it): a well-kept
library with line, bar, heat-map and box charts in one API, whose charts render Persian labels with the browser's
own text shaping, and which needs nothing at view time but the file. The cost is size: plotly.js is about 4.8 MB
of the page; `--plotly-js beside` writes it next to the page instead (one copy for many reports).

Exit status 0 when the report is written, 1 when some lines were not JSON (counted, skipped and said in the
report), 2 for a usage error (no dumps, a bad option).
"""

from __future__ import annotations

import argparse
import html
import math
import re
import statistics
import sys
import time
from array import array
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import jdatetime

from crawler.dates import TEHRAN, DateParseError, parse_day_argument
from crawler.text import unify_letters
from pipelines.dataset import (
    LineCount,
    Sources,
    json_lines,
    sources_or_none,
    timestamp,
    write_atomically,
)

# The fields whose coverage the report follows; "author or reporter" is either.
FIELDS = ("title", "lead", "body", "published_at", "category", "tags", "images", "author or reporter")

# Anomaly thresholds (stated in the report itself).
SILENCE_DAYS = 2  # a site with no article this many days in a row
COVERAGE_DROP_POINTS = 30  # a field's coverage this many points below its mean over the week before
COVERAGE_MIN_ARTICLES = 5  # ...on a day with at least this many articles, against at least 3 such days before
REJECTS_MIN = 10  # a day with at least this many rejects...
REJECTS_SHARE = 0.05  # ...that are at least this share of the day's records
TOP = 15  # categories and tags shown
WINDOW_DAYS = 30  # the days drawn by default: the last this many of the data (--since/--until to choose)
MAX_ANOMALIES = 40


# -- reading ---------------------------------------------------------------------------------------------------------

@dataclass
class SiteData:
    articles: Counter = field(default_factory=Counter)  # day -> new articles (revision 1, or no revision)
    revisions: Counter = field(default_factory=Counter)  # day found -> lines that are a later revision
    lines: Counter = field(default_factory=Counter)  # day -> lines (articles and revisions)
    present: dict = field(default_factory=lambda: defaultdict(lambda: [0] * len(FIELDS)))  # day -> lines with each field
    words: array = field(default_factory=lambda: array("I"))  # body length of each new article, in words
    categories: Counter = field(default_factory=Counter)
    tags: Counter = field(default_factory=Counter)
    undated: int = 0


@dataclass
class Dataset:
    sites: dict[str, SiteData] = field(default_factory=lambda: defaultdict(SiteData))
    rejects: Counter = field(default_factory=Counter)  # day -> rejected records
    reject_reasons: Counter = field(default_factory=Counter)
    runs: list[dict] = field(default_factory=list)
    lines: LineCount = field(default_factory=LineCount)
    files: int = 0
    implausible_dates: int = 0  # published_at values that are no plausible date (year 1, year 2999): read as undated
    since: date | None = None  # the window drawn: --since/--until, else the last WINDOW_DAYS days of the data
    until: date | None = None

    @property
    def days(self) -> list[date]:
        """Every day of the window that has, or lies between days that have, a record (by publication day), a
        revision or a reject (by the day it was found)."""
        return self._window([day for site in self.sites.values() for day in (*site.lines, *site.revisions)]
                            + list(self.rejects))

    @property
    def run_days(self) -> list[date]:
        """The same for the days that have a run (a backfill's runs are not its articles' days)."""
        return self._window([run["day"] for run in self.runs if run.get("day")])

    def _window(self, seen: list[date]) -> list[date]:
        """The days from the first to the last seen, within --since/--until, or within the last WINDOW_DAYS days
        of what was seen: one article dated years back must not stretch every axis over years."""
        last = min(max(seen), self.until) if seen and self.until else (max(seen) if seen else None)
        since = self.since or (last - timedelta(days=WINDOW_DAYS - 1) if last else None)
        inside = [day for day in seen if since <= day <= last] if last else []
        return _day_range(inside)

    def outside(self) -> int:
        """Records published outside the window drawn."""
        days = self.days
        if not days:
            return 0
        return sum(count for site in self.sites.values() for day, count in site.lines.items()
                   if not days[0] <= day <= days[-1])


def _day_range(seen: list[date]) -> list[date]:
    if not seen:
        return []
    first, last = min(seen), max(seen)
    return [first + timedelta(days=offset) for offset in range((last - first).days + 1)]


def read_dataset(sources: Sources) -> Dataset:
    data = Dataset(files=len(sources.dumps))
    for _, _, _, record in json_lines(sources.dumps, data.lines):
        site = data.sites[str(record.get("site") or "?")]
        published = tehran_day(record.get("published_at"))
        if published is None and record.get("published_at") is not None:
            data.implausible_dates += 1
        day = published or tehran_day(record.get("crawled_at"))
        if day is None:
            site.undated += 1
            continue
        site.lines[day] += 1
        revision = record.get("revision")
        if isinstance(revision, int) and revision > 1:
            site.revisions[tehran_day(record.get("crawled_at")) or day] += 1  # when the change was found
        else:
            site.articles[day] += 1
            body = record.get("body")
            site.words.append(len(body.split()) if isinstance(body, str) else 0)
            site.categories.update(text for text in _texts(record.get("categories") or [record.get("category")]))
            site.tags.update(_texts(record.get("tags")))
        counts = site.present[day]
        for index, name in enumerate(FIELDS):
            if name == "author or reporter":
                value = record.get("author") or record.get("reporter_code")
            else:
                value = record.get(name)
            if value:
                counts[index] += 1
    rejects_count = LineCount()
    for _, _, _, line in json_lines(sources.rejects, rejects_count):
        record = line.get("record") if isinstance(line.get("record"), dict) else {}
        day = tehran_day(record.get("crawled_at")) or tehran_day(record.get("published_at"))  # when it was rejected
        if day is None:
            continue
        data.rejects[day] += 1
        reasons = line.get("reasons")
        for reason in reasons if isinstance(reasons, list) and reasons else ["(no reason given)"]:
            data.reject_reasons[reason_kind(str(reason))] += 1
    for _, _, _, run in json_lines(sources.runs, data.lines):
        run["day"] = tehran_day(run.get("started_at"))
        data.runs.append({key: run.get(key) for key in (
            "spider", "day", "exit_status", "exit_reason", "pages", "failed_pages", "seconds", "new_articles")})
    data.lines.bad += rejects_count.bad
    return data


# What makes one reject's reason differ from another's of the same kind: the value quoted, a timestamp, a number.
_REASON_VALUES = (re.compile(r"\s*\((?:'[^']*'|\"[^\"]*\")\)$"), re.compile(r"\d{4}-\d\d-\d\dT[\d:.]+(?:Z|[+-]\d\d:\d\d)?"))


def _gregorian_day(text: str) -> date:
    """A --since/--until day, Jalali (1403-09-11) or Gregorian (2024-12-01)."""
    day, _ = parse_day_argument(text)
    return day.togregorian()


def reason_kind(reason: str) -> str:
    """A reject's reason without the value it quotes: «title: missing», «url: not an absolute http(s) URL»,
    «published_at: <time> is after the page was crawled (<time>)», so that the table counts kinds of reasons."""
    reason = _REASON_VALUES[0].sub("", reason)
    return _REASON_VALUES[1].sub("<time>", reason)


def tehran_day(value) -> date | None:
    moment = timestamp(value)
    return moment.astimezone(TEHRAN).date() if moment else None


def _texts(values) -> list[str]:
    return [value for value in values or [] if isinstance(value, str) and value]


def jalali(day: date) -> str:
    return jdatetime.date.fromgregorian(date=day).strftime("%Y-%m-%d")


def both(day: date) -> str:
    return f"{jalali(day)} ({day.isoformat()})"


# -- anomalies -------------------------------------------------------------------------------------------------------

def anomalies(data: Dataset) -> list[str]:
    found: list[str] = []
    days = data.days
    if not days:
        return found
    last = days[-1]
    for name, site in sorted(data.sites.items()):
        if not site.articles:
            continue
        # silences: runs of days without a new article, from the site's first article of the days drawn to their end
        # (a site whose every article is older, such as one asked for by URL, is not silent: it has no days here)
        drawn = [day for day in site.articles if days[0] <= day <= last]
        run_start = None
        day = min(drawn) if drawn else last + timedelta(days=2)
        while day <= last + timedelta(days=1):
            quiet = day <= last and not site.articles.get(day)
            if quiet and run_start is None:
                run_start = day
            if not quiet and run_start is not None:
                length = (day - run_start).days
                if length >= SILENCE_DAYS:
                    ending = "up to the end of the data" if day > last else f"to {both(day - timedelta(days=1))}"
                    found.append(f"{name}: no articles for {length} days, from {both(run_start)} {ending}")
                run_start = None
            day += timedelta(days=1)
        # coverage drops
        qualifying = sorted(day for day, count in site.lines.items() if count >= COVERAGE_MIN_ARTICLES)
        for index, field_name in enumerate(FIELDS):
            in_drop = False
            for position, day in enumerate(qualifying):
                before = qualifying[max(0, position - 7):position]
                before = [earlier for earlier in before if (day - earlier).days <= 14]
                share = site.present[day][index] / site.lines[day]
                if len(before) < 3:
                    continue
                baseline = statistics.fmean(site.present[earlier][index] / site.lines[earlier] for earlier in before)
                # more than the threshold, and more than the day's own sampling noise (4 standard errors)
                noise = 4 * math.sqrt(max(baseline * (1 - baseline), 0.0025) / site.lines[day])
                dropped = baseline - share > max(COVERAGE_DROP_POINTS / 100, noise)
                if dropped and not in_drop:
                    found.append(f"{name}: {field_name} coverage fell from {baseline:.0%} to {share:.0%} on {both(day)}")
                in_drop = dropped
    records = Counter()
    for site in data.sites.values():
        records.update(site.lines)
    for day, count in sorted(data.rejects.items()):
        if count >= REJECTS_MIN and count >= REJECTS_SHARE * (count + records.get(day, 0)):
            found.append(f"{both(day)}: {count} records rejected ({count / (count + records.get(day, 0)):.0%} of the day's)")
    failed = defaultdict(list)
    for run in data.runs:
        if run.get("exit_status") not in (0, 75, None):
            failed[(run.get("spider"), run.get("day"))].append(run)
    for (spider, day), runs in sorted(failed.items(), key=lambda item: (str(item[0][1]), str(item[0][0]))):
        total = sum(1 for run in data.runs if run.get("spider") == spider and run.get("day") == day)
        reasons = Counter(str(run.get("exit_reason") or "?") for run in runs).most_common(1)[0][0]
        found.append(f"{spider}: {len(runs)} of {total} runs failed on {both(day) if day else 'an unknown day'} "
                     f"({reasons[:160]})")
    # a run is named by its spider (isna), or by its site (news-example.ir, wordpress-example.ir_8080), whose records'
    # `site` is the site itself (example.ir, example.ir:8080)
    with_articles = {name.replace(":", "_") for name, site in data.sites.items() if site.articles}
    for spider in sorted({str(run.get("spider")) for run in data.runs}):
        site_name = spider.removeprefix("news-").removeprefix("wordpress-")
        if site_name not in with_articles and spider not in with_articles:
            found.append(f"{spider}: {sum(1 for run in data.runs if run.get('spider') == spider)} runs in the runs log, "
                         "no article in the dumps")
    if data.lines.bad:
        found.append(f"{data.lines.bad} line(s) of the files were not JSON and were skipped "
                     f"(first: {data.lines.bad_example})")
    if data.implausible_dates:
        found.append(f"{data.implausible_dates} record(s) with a published_at that is no plausible date (before 1990, "
                     "after tomorrow, or not a timestamp), read as undated")
    if len(found) > MAX_ANOMALIES:
        found = [*found[:MAX_ANOMALIES], f"... and {len(found) - MAX_ANOMALIES} more"]
    return found


# -- charts ----------------------------------------------------------------------------------------------------------

_LAYOUT = {"margin": {"l": 60, "r": 20, "t": 40, "b": 50}, "height": 360, "template": "plotly_white",
           "font": {"family": "Tahoma, 'Noto Sans Arabic', 'DejaVu Sans', sans-serif", "size": 12},
           "legend": {"orientation": "h", "y": -0.2}}


def _figure(**layout):
    import plotly.graph_objects as go

    figure = go.Figure()
    figure.update_layout(**{**_LAYOUT, **layout})
    return figure


DAY_MS = 86400000  # a day on a date axis: bars a day wide, whatever the number of days


def day_axis(days: list[date]) -> dict:
    """An x axis of days: whole days (a single day is a day, not 23:59:59.9996 to 00:00:00.0004), labelled with the
    Jalali day above the Gregorian one when there are few enough to label each."""
    midnight = datetime.min.time()
    axis = {"type": "date", "range": [datetime.combine(days[0], midnight) - timedelta(hours=12),
                                      datetime.combine(days[-1], midnight) + timedelta(hours=12)]}
    if len(days) <= 16:
        axis.update(tickmode="array", tickvals=days, ticktext=[f"{jalali(day)}<br>{day.isoformat()}" for day in days])
    else:
        axis.update(tickformat="%Y-%m-%d", dtick=DAY_MS * max(1, len(days) // 12))
    return axis


def count_axis(largest: float) -> dict:
    """An axis of counts: whole numbers only (no 0.2 runs), from zero."""
    axis = {"rangemode": "tozero", "tickformat": ",d"}
    if largest < 5:
        axis.update(dtick=1, range=[0, max(1, largest) + 0.5])
    return axis


def articles_chart(data: Dataset, days: list[date]):
    import plotly.graph_objects as go

    figure = _figure(title="Articles per day, per site", yaxis_title="articles", hovermode="x unified",
                     xaxis=day_axis(days), yaxis=count_axis(max((count for site in data.sites.values()
                                                                 for day, count in site.articles.items()
                                                                 if days[0] <= day <= days[-1]), default=0)))
    for name, site in sorted(data.sites.items()):
        drawn = [day for day in site.articles if days[0] <= day <= days[-1]]
        if not drawn:  # every article of the site is older than the days drawn (one asked for by URL)
            continue
        first = min(drawn)
        shown = [day for day in days if day >= first]
        counts = [site.articles.get(day, 0) for day in shown]
        figure.add_trace(go.Scatter(x=shown, y=counts, mode="lines+markers", name=name, marker={"size": 4},
                                    customdata=[jalali(day) for day in shown],
                                    hovertemplate="%{customdata}: %{y}<extra>" + html.escape(name) + "</extra>"))
        empty = [day for day in shown if not site.articles.get(day)]
        if empty:
            figure.add_trace(go.Scatter(x=empty, y=[0] * len(empty), mode="markers", showlegend=False,
                                        marker={"symbol": "x", "size": 9, "color": "#d62728"},
                                        name=f"{name}: no articles",
                                        hovertemplate="%{x|%Y-%m-%d}: " + html.escape(name) + " published nothing<extra></extra>"))
    return figure


def coverage_chart(name: str, site: SiteData, days: list[date]):
    import plotly.graph_objects as go

    first = min((day for day in site.lines if day >= days[0]), default=days[0])
    shown = [day for day in days if day >= first]
    z = [[(site.present[day][index] / site.lines[day]) if site.lines.get(day) else None for day in shown]
         for index in range(len(FIELDS))]
    figure = _figure(title=f"Field coverage, {name} (share of the day's records with the field)", height=300,
                     margin={"l": 140, "r": 20, "t": 40, "b": 50}, xaxis=day_axis(shown))
    figure.add_trace(go.Heatmap(x=shown, y=list(FIELDS), z=z, zmin=0, zmax=1, colorscale="RdYlGn", xgap=1, ygap=1,
                                colorbar={"title": "share", "tickformat": ".0%"},
                                hovertemplate="%{x|%Y-%m-%d} %{y}: %{z:.0%}<extra></extra>"))
    return figure


def lengths_chart(data: Dataset):
    import plotly.graph_objects as go

    figure = _figure(title="Body length per site (words)", yaxis_title="words", showlegend=False)
    for name, site in sorted(data.sites.items()):
        if not site.words:
            continue
        values = sorted(site.words)
        q1, median, q3 = (values[int(round(share * (len(values) - 1)))] for share in (0.25, 0.5, 0.75))
        spread = q3 - q1
        low = next(value for value in values if value >= q1 - 1.5 * spread)
        high = next(value for value in reversed(values) if value <= q3 + 1.5 * spread)
        figure.add_trace(go.Box(name=name, x=[name], q1=[q1], median=[median], q3=[q3], lowerfence=[low], upperfence=[high],
                                mean=[statistics.fmean(values)], boxmean=True))
    return figure


def top_chart(data: Dataset, attribute: str, title: str):
    import plotly.graph_objects as go

    # one bar for the spellings of one label across sites (ي/ی, ك/ک, a ZWNJ or a space), named as most sites write it
    spellings: dict[str, Counter] = defaultdict(Counter)
    per_site: dict[str, Counter] = {}
    for name, site in data.sites.items():
        per_site[name] = Counter()
        for label, count in getattr(site, attribute).items():
            key = label_key(label)
            spellings[key][label] += count
            per_site[name][key] += count
    total = Counter({key: sum(counts.values()) for key, counts in spellings.items()})
    top = [key for key, _ in total.most_common(TOP)][::-1]
    shown = [spellings[key].most_common(1)[0][0] for key in top]
    figure = _figure(title=title, barmode="stack", height=max(300, 26 * len(top) + 120),
                     margin={"l": 180, "r": 20, "t": 40, "b": 50}, xaxis_title="articles",
                     xaxis=count_axis(max((total[key] for key in top), default=0)))
    for name, counts in sorted(per_site.items()):
        if any(counts.get(key) for key in top):
            figure.add_trace(go.Bar(y=shown, x=[counts.get(key, 0) for key in top], name=name, orientation="h"))
    return figure


def label_key(label: str) -> str:
    """What the spellings of one category or tag share: Persian letter forms, no ZWNJ, single spaces."""
    return " ".join(unify_letters(label).replace("\u200c", " ").split())


def revisions_chart(data: Dataset, days: list[date]):
    import plotly.graph_objects as go

    revisions = Counter()
    for site in data.sites.values():
        revisions.update(site.revisions)
    largest = max([revisions.get(day, 0) for day in days] + [data.rejects.get(day, 0) for day in days], default=0)
    figure = _figure(title="Revisions and rejects per day", barmode="group", yaxis_title="records",
                     xaxis=day_axis(days), yaxis=count_axis(largest))
    figure.add_trace(go.Bar(x=days, y=[revisions.get(day, 0) for day in days], name="revisions (an article changed)",
                            width=DAY_MS * 0.4))
    figure.add_trace(go.Bar(x=days, y=[data.rejects.get(day, 0) for day in days], name="rejected records", width=DAY_MS * 0.4,
                            marker_color="#d62728"))
    return figure


def runs_chart(data: Dataset, days: list[date]):
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    figure = make_subplots(rows=1, cols=2, subplot_titles=("Runs per day by exit status", "Failed pages per day"))
    figure.update_layout(**{**_LAYOUT, "barmode": "stack", "margin": {"l": 60, "r": 20, "t": 60, "b": 50}})
    statuses = Counter((run.get("day"), run.get("exit_status")) for run in data.runs)
    names = {0: "0 healthy", 1: "1 failed", 2: "2 usage error", 75: "75 another run in progress"}
    colours = {0: "#2ca02c", 1: "#d62728", 2: "#9467bd", 75: "#ff7f0e"}
    for status in sorted({run.get("exit_status") for run in data.runs}, key=lambda value: (value is None, value)):
        figure.add_trace(go.Bar(x=days, y=[statuses.get((day, status), 0) for day in days], width=DAY_MS * 0.8,
                                name=names.get(status, f"exit {status}"), marker_color=colours.get(status)), row=1, col=1)
    failed = Counter()
    for run in data.runs:
        failed[run.get("day")] += run.get("failed_pages") or 0
    figure.add_trace(go.Scatter(x=days, y=[failed.get(day, 0) for day in days], mode="lines+markers",
                                name="failed pages", marker_color="#d62728"), row=1, col=2)
    figure.update_xaxes(**day_axis(days))
    per_day = Counter(run.get("day") for run in data.runs)
    figure.update_yaxes(**count_axis(max((per_day[day] for day in days), default=0)), row=1, col=1)
    figure.update_yaxes(**count_axis(max((failed[day] for day in days), default=0)), row=1, col=2)
    return figure


def duration_chart(data: Dataset):
    import plotly.graph_objects as go

    figure = _figure(title="Run duration per spider (seconds)", yaxis_title="seconds", showlegend=False)
    by_spider = defaultdict(list)
    for run in data.runs:
        if isinstance(run.get("seconds"), int | float):
            by_spider[str(run.get("spider"))].append(run["seconds"])
    for spider, seconds in sorted(by_spider.items()):
        figure.add_trace(go.Box(y=seconds, name=spider, boxpoints="outliers"))
    return figure


# -- the page --------------------------------------------------------------------------------------------------------

_STYLE = """
body { font-family: Tahoma, 'Noto Sans Arabic', 'DejaVu Sans', sans-serif; margin: 0 auto; max-width: 1200px;
       padding: 1rem 1.5rem; color: #222; background: #fff; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.2rem; margin-top: 2rem; border-bottom: 1px solid #ddd; }
.chart { margin: 0.5rem 0 1.5rem; border: 1px solid #eee; }
.anomalies li { margin: 0.2rem 0; } .ok { color: #2ca02c; } .summary { color: #555; }
table { border-collapse: collapse; margin: 0.5rem 0; } td, th { border: 1px solid #ddd; padding: 0.2rem 0.6rem; }
.note { color: #666; font-size: 0.85rem; } [lang="fa"] { direction: rtl; unicode-bidi: embed; }
"""


def render(data: Dataset, plotly_js: str = "inline") -> tuple[str, str | None]:
    """The page, and plotly.js when it goes beside the page (plotly_js="beside")."""
    from plotly.offline import get_plotlyjs

    days = data.days
    found = anomalies(data)
    articles = sum(sum(site.articles.values()) for site in data.sites.values())
    revisions = sum(sum(site.revisions.values()) for site in data.sites.values())
    charts: list[tuple[str, str, object]] = []  # (section, id, figure)
    if days and any(site.articles for site in data.sites.values()):
        charts.append(("Articles per day", "articles", articles_chart(data, days)))
        for number, (name, site) in enumerate(sorted(data.sites.items())):
            if any(days[0] <= day <= days[-1] for day in site.lines):  # records among the days drawn
                charts.append(("Field coverage over time", f"coverage-{number}", coverage_chart(name, site, days)))
        charts.append(("Body length", "lengths", lengths_chart(data)))
        if any(site.categories for site in data.sites.values()):
            charts.append(("Top categories and tags", "categories", top_chart(data, "categories", f"Top {TOP} categories")))
        if any(site.tags for site in data.sites.values()):
            charts.append(("Top categories and tags", "tags", top_chart(data, "tags", f"Top {TOP} tags")))
    if days and (data.rejects or any(site.revisions for site in data.sites.values())):
        charts.append(("Revisions and rejects", "revisions", revisions_chart(data, days)))
    if data.runs:
        charts.append(("Crawl health", "runs", runs_chart(data, data.run_days)))
        charts.append(("Crawl health", "durations", duration_chart(data)))

    parts = [f"""<!DOCTYPE html><html lang="en" dir="ltr"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>Data-quality report</title>
<style>{_STYLE}</style>"""]
    if plotly_js == "inline":
        parts.append(f'<script type="text/javascript">{get_plotlyjs()}</script>')
    else:
        parts.append('<script type="text/javascript" src="plotly.min.js"></script>')
    period = f"{both(days[0])} – {both(days[-1])}" if days else "no dated records"
    outside = data.outside()
    if outside:
        period += (f" ({outside} record(s) published outside these days are counted but not drawn: "
                   "--since/--until to choose the days)")
    parts.append(f"""</head><body>
<h1>Data-quality report <span dir="rtl" lang="fa">(گزارش کیفیت داده‌ها)</span></h1>
<p class="summary">{len(data.sites)} site(s), {articles} articles and {revisions} revisions in {data.files} dump
file(s); {sum(data.rejects.values())} rejected records; {len(data.runs)} runs; {period}. Made
{datetime.now(UTC).strftime('%Y-%m-%d %H:%M')} UTC.</p>
<h2>Anomalies</h2>
<p class="note">Thresholds: a site with no articles {SILENCE_DAYS} days or more in a row; a field whose coverage
fell more than {COVERAGE_DROP_POINTS} points below its mean of the week before, and by more than four standard errors
of the day's sample (days with at least {COVERAGE_MIN_ARTICLES} records, against at least 3 such days); a day with at least {REJECTS_MIN} rejects making at
least {REJECTS_SHARE:.0%} of its records; runs that failed.</p>""")
    if found:
        parts.append('<ul class="anomalies">' + "".join(f'<li dir="auto">{html.escape(item)}</li>' for item in found) + "</ul>")
    else:
        parts.append('<p class="ok">None found.</p>')
    section = None
    for title, chart_id, figure in charts:
        if title != section:
            parts.append(f"<h2>{html.escape(title)}</h2>")
            section = title
        parts.append(f'<div class="chart" id="chart-{chart_id}">')
        parts.append(figure.to_html(full_html=False, include_plotlyjs=False, div_id=f"plot-{chart_id}",
                                    config={"displaylogo": False, "responsive": True}))
        parts.append("</div>")
    if data.reject_reasons:
        parts.append("<h2>Why records were rejected</h2><table><tr><th>reason</th><th>records</th></tr>"
                     + "".join(f"<tr><td>{html.escape(reason)}</td><td>{count}</td></tr>"
                               for reason, count in data.reject_reasons.most_common(20)) + "</table>")
    failures = Counter(str(run.get("exit_reason")) for run in data.runs if run.get("exit_status") not in (0, None))
    if failures:
        parts.append("<h2>Why runs failed</h2><table><tr><th>reason</th><th>runs</th></tr>"
                     + "".join(f"<tr><td>{html.escape(reason[:300])}</td><td>{count}</td></tr>"
                               for reason, count in failures.most_common(20)) + "</table>")
    tables = []
    for name, site in sorted(data.sites.items()):
        top_categories = "، ".join(f"{html.escape(label)} ({count})" for label, count in site.categories.most_common(5))
        top_tags = "، ".join(f"{html.escape(label)} ({count})" for label, count in site.tags.most_common(5))
        tables.append(f"<tr><td>{html.escape(name)}</td><td>{sum(site.articles.values())}</td>"
                      f"<td lang='fa'>{top_categories or '-'}</td><td lang='fa'>{top_tags or '-'}</td></tr>")
    if tables:
        parts.append("<h2>Sites</h2><table><tr><th>site</th><th>articles</th>"
                     "<th>top categories</th><th>top tags</th></tr>" + "".join(tables) + "</table>")
    if not charts:
        parts.append("<p>No records and no runs to chart.</p>")
    parts.append("</body></html>")
    return "\n".join(parts), (get_plotlyjs() if plotly_js == "beside" else None)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipelines report", description="the data-quality report")
    parser.add_argument("paths", nargs="*", default=["data"], help="data folders or dump files (default: data)")
    parser.add_argument("-o", "--output", required=True, help="the HTML file to write")
    parser.add_argument("--plotly-js", choices=("inline", "beside"), default="inline",
                        help="plotly.js inside the page (default) or in plotly.min.js next to it")
    parser.add_argument("--since", help=f"the first day drawn, Jalali or Gregorian (default: the last {WINDOW_DAYS} "
                                        "days of the data)")
    parser.add_argument("--until", help="the last day drawn, Jalali or Gregorian (default: the data's last day)")
    args = parser.parse_args(argv)
    try:
        since, until = (_gregorian_day(value) if value else None for value in (args.since, args.until))
    except DateParseError as error:
        print(f"report: {error}", file=sys.stderr)
        return 2
    sources = sources_or_none("report", args.paths)
    if sources is None:
        return 2
    started = time.monotonic()
    data = read_dataset(sources)
    data.since, data.until = since, until
    page, script = render(data, args.plotly_js)
    output = Path(args.output)
    try:
        if script is not None:
            write_atomically(output.parent / "plotly.min.js", lambda path: path.write_text(script, encoding="utf-8"))
        write_atomically(output, lambda path: path.write_text(page, encoding="utf-8"))
    except OSError as error:
        print(f"report: cannot write {output}: {error.strerror or error}", file=sys.stderr)
        return 1
    print(f"report: {data.lines.read} lines of {len(sources.dumps)} dump file(s), {len(sources.rejects)} rejects "
          f"file(s) and {len(sources.runs)} runs log(s) -> {output} in {time.monotonic() - started:.1f} s; "
          f"{len(anomalies(data))} anomalies", file=sys.stderr)
    return 1 if data.lines.bad else 0
