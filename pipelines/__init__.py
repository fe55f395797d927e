"""The stages after extraction, one concern each, in the order crawler/settings.py lists them:

    clean  ->  normalize  ->  validate (rejects file)  ->  dedupe  ->  store (Scrapy's feed export, data/)

Every stage is a pure function on an Article with a thin Scrapy pipeline around it, so the same code runs in a
crawl and offline over an existing dump.
"""
