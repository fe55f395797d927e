"""The Asam (aasaam) CMS family: Tasnim, ILNA, Mojnews, Rokna, Fararu's neighbours and many economic dailies.

No real Asam page is stored yet, so everything here is hearsay (a peer crawler's
selectors and a 2018 Mojnews home page): the family is the generic parser with those selectors tried first. Where
the Asam markup is not found, every field falls back to the generic reading (JSON-LD, OpenGraph, trafilatura), so a
wrong guess costs precision, not records. To correct it, change the tuples below (or override one site's in its
registry entry) and store a real page under tests/fixtures/<site>/ with its expected record.
"""

from __future__ import annotations

from crawler.sites.generic import GenericParser


class AsamParser(GenericParser):
    """Reads an Asam site's article pages: the generic parser with the family's selectors [hearsay]."""

    title = ("h1.title", "h1", ".title")
    kicker = (".uptitle", ".up-title", "h2.up_title", "h2.news-uptitle")
    lead = (".lead", "p.news-lead", "p.news_lead")
    body = (".article_body .echo_detail", "#echo_detail", "#main_ck_editor")
    body_exclude = (".article_tag", ".sec_info", ".share_news", ".short_link_cnt", ".tinyurl_form", "script", "style")
    shown_date = ("time", ".news_time", ".news-time", *GenericParser.shown_date)
    tags = (".article_tags li", ".article_tag a", ".news_tags a", ".tags ul li a", *GenericParser.tags)
    breadcrumb = (".breadcrumb_list li a", ".breadcrumb li a", *GenericParser.breadcrumb)
