"""What the parsers of the CMS families share: a registry entry's overrides applied to the class attributes."""

from __future__ import annotations

from crawler.sites import Site, SiteEntryError
from crawler.sites.html import compiled


class FamilyParser:
    """Base of a family's parser. SELECTORS names the class attributes that are CSS selector tuples, FACTS those that
    are site facts; a registry entry overrides either by name ([<key>.selectors], plain keys), and anything else in
    it is refused with the reason, so that a typo stops the site's spider at the start."""

    SELECTORS: tuple[str, ...] = ()
    FACTS: tuple[str, ...] = ()

    def __init__(self, site: Site):
        self.site = site
        for name, value in site.selectors.items():
            if name not in self.SELECTORS:
                raise SiteEntryError(f"the registry entry [{site.key}] has an unknown selector {name!r} "
                                     f"(known: {', '.join(self.SELECTORS)})")
            queries = (value,) if isinstance(value, str) else tuple(value)
            for query in queries:
                check_selector(site.key, name, query)
            setattr(self, name, queries)
        for name, value in site.facts.items():
            if name not in self.FACTS:
                raise SiteEntryError(f"the registry entry [{site.key}] has an unknown key {name!r} "
                                     f"(known for the {site.family} family: {', '.join(self.FACTS)})")
            setattr(self, name, tuple(value) if isinstance(value, list) else value)


def check_selector(key: str, name: str, query) -> None:
    """SiteEntryError unless ``query`` is CSS that compiles."""
    if not isinstance(query, str) or not query.strip():
        raise SiteEntryError(f"the registry entry [{key}]: selector {name} = {query!r} is not a CSS selector")
    try:
        compiled(query)
    except Exception as error:  # cssselect's SelectorError, or lxml's XPath error for odd pseudo-classes
        raise SiteEntryError(f"the registry entry [{key}]: selector {name} = {query!r} is not CSS we can use: "
                             f"{error}") from None
