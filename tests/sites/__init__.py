"""Parsers of made-up sites, for the tests of the site families: what a site whose markup needs logic looks like."""
