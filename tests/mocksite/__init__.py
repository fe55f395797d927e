"""A mock ISNA site on 127.0.0.1 for crawl tests and offline demos; see README.md beside this file."""
