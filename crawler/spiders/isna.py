"""`scrapy crawl isna`: ISNA (isna.ir). See crawler/spiders/nastooh.py for the arguments."""

from crawler.spiders.nastooh import NastoohSpider


class IsnaSpider(NastoohSpider):
    name = "isna"
    site_key = "isna"
