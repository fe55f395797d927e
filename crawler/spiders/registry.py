"""One spider per registry entry (crawler/sites/sites.toml), named by its key: `scrapy crawl isna`,
`scrapy crawl nazirkerman`. Each is its family's spider with the entry's key, made here with no code per site."""

from __future__ import annotations

import sys

from crawler.sites import registry
from crawler.spiders.iransamaneh import IranSamanehSpider
from crawler.spiders.nastooh import NastoohSpider
from crawler.spiders.wordpress import WordPressSpider

# The spider that crawls each family's sites.
FAMILY_SPIDERS = {"nastooh": NastoohSpider, "iransamaneh": IranSamanehSpider, "wordpress": WordPressSpider}


def _make_spiders() -> None:
    module = sys.modules[__name__]
    for key, entry in registry().items():
        # An entry of no known family is a spider all the same, which refuses to start with the entry's problem.
        base = FAMILY_SPIDERS.get(entry.get("family"), NastoohSpider)
        class_name = "".join(part.capitalize() for part in key.replace("-", "_").split("_")) + "Spider"
        spider = type(class_name, (base,), {"name": key, "site_key": key, "__module__": __name__,
                                            "__doc__": f"`scrapy crawl {key}`: {entry.get('name', key)}"})
        setattr(module, class_name, spider)


_make_spiders()
