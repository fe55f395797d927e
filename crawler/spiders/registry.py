"""One spider per registry entry (crawler/sites/sites.toml), named by its key: `scrapy crawl isna`,
`scrapy crawl nazirkerman`. Each is its family's spider with the entry's key, made here with no code per site."""

from __future__ import annotations

import sys
from typing import Any

from crawler.contracts import stored_pages
from crawler.sites import registered_site, registry
from crawler.spiders.base import NewsSpider
from crawler.spiders.discovery import ListedSiteSpider
from crawler.spiders.iransamaneh import IranSamanehSpider
from crawler.spiders.nastooh import NastoohSpider
from crawler.spiders.wordpress import WordPressSpider

# The spider that crawls each family's sites.
FAMILY_SPIDERS = {"nastooh": NastoohSpider, "iransamaneh": IranSamanehSpider, "wordpress": WordPressSpider,
                  "asam": ListedSiteSpider, "generic": ListedSiteSpider}


class BrokenEntrySpider(NewsSpider):
    """The spider of an entry of no known family: it refuses to start, with the reason."""

    site_key: str = ""

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        registered_site(self.site_key)  # SiteEntryError, with what is wrong in the entry


def _checked_parse(base: type, page: str):
    """The spider's default callback with a contract on one of its site's stored real pages (`scrapy check`): the
    page gives one record, the one written out by hand beside it."""

    def parse(self, response, **kwargs: Any):
        return base.parse(self, response, **kwargs)

    parse.__doc__ = (f"{base.parse.__doc__}\n\n        @url {page}.html\n        @returns items 1 1\n"
                     f"        @returns requests 0 0\n        @record {page}.expected.json\n")
    return parse


def _make_spiders() -> None:
    module = sys.modules[__name__]
    for key, entry in registry().items():
        # An entry of no known family is a spider all the same, which refuses to start with the reason.
        base = FAMILY_SPIDERS.get(entry.get("family"), BrokenEntrySpider)
        class_name = "".join(part.capitalize() for part in key.replace("-", "_").split("_")) + "Spider"
        members = {"name": key, "site_key": key, "__module__": __name__,
                   "__doc__": f"`scrapy crawl {key}`: {entry.get('name', key)}"}
        pages = stored_pages(key)
        if pages:
            members["parse"] = _checked_parse(base, pages[-1])
        setattr(module, class_name, type(class_name, (base,), members))


_make_spiders()
