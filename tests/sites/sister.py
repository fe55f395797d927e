"""A Nastooh sister site whose headline and body carry other class names: a subclass of the family parser that
overrides two selectors (the registry entry names it: `parser = "tests.sites.sister:SisterParser"`)."""

from crawler.sites.nastooh import NastoohParser


class SisterParser(NastoohParser):
    title = ("h1.headline",)
    body = ("div.news-text",)
