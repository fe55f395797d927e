"""One spider per registry entry (crawler/sites/sites.toml), named by its key: `scrapy crawl isna`,
`scrapy crawl nazirkerman`. Each is its family's spider with the entry's key, made here with no code per site."""

from __future__ import annotations

import sys
from typing import Any

from crawler.sites import SiteEntryError, registered_site, registry
from crawler.spiders.base import NewsSpider
from crawler.spiders.iransamaneh import IranSamanehSpider
from crawler.spiders.nastooh import NastoohSpider
from crawler.spiders.wordpress import WordPressSpider

# The spider that crawls each family's sites.
FAMILY_SPIDERS = {"nastooh": NastoohSpider, "iransamaneh": IranSamanehSpider, "wordpress": WordPressSpider}


class NoSiteCrawlSpider(NewsSpider):
    """The spider of an entry whose family cannot crawl a whole site (the generic parser reads single articles)."""

    site_key: str = ""

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        site = registered_site(self.site_key)  # SiteEntryError for an entry of no known family
        raise SiteEntryError(f"the registry entry [{site.key}] is of the {site.family} family, which has no spider "
                             "for a whole site yet; read its articles with scrapy crawl news -a url=...")


def _make_spiders() -> None:
    module = sys.modules[__name__]
    for key, entry in registry().items():
        # An entry of a family with no spider of its own (or of no known family) is a spider all the same, which
        # refuses to start with the reason.
        base = FAMILY_SPIDERS.get(entry.get("family"), NoSiteCrawlSpider)
        class_name = "".join(part.capitalize() for part in key.replace("-", "_").split("_")) + "Spider"
        spider = type(class_name, (base,), {"name": key, "site_key": key, "__module__": __name__,
                                            "__doc__": f"`scrapy crawl {key}`: {entry.get('name', key)}"})
        setattr(module, class_name, spider)


_make_spiders()
