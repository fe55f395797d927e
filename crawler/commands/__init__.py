"""Project commands: `crawl` here replaces Scrapy's own so that its exit status means something."""
