"""The stages after extraction, one concern each, in the order crawler/settings.py lists them:

    clean  ->  normalize  ->  validate (rejects file)  ->  dedupe  ->  store (the seen-store and the run's dump file
                                                                      under data/, crawler/incremental.py; in an
                                                                      export, Scrapy's feed export to the -o file)

Every stage is a function with a thin Scrapy pipeline around it, so the same code runs in a crawl and offline over an
existing dump (`python -m pipelines reprocess`). Clean and normalize work on the Article, its body as the list of
paragraphs the extractor made (crawler/record.py Body); validate makes the Record, the line as written, once, and
dedupe, store and Scrapy's feed export take that. Beside them, what reads the dumps: dataset.py (every
run's dump as one dataset), report.py (the data-quality page), snapshot.py (the latest revision of every article as
JSON Lines, Parquet or CSV).
"""
