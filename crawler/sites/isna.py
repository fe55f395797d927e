"""ISNA (isna.ir): a Nastooh CMS site; everything it does differently is data in sites.toml."""

from crawler.sites import site_config
from crawler.sites.nastooh import NastoohArticleExtractor

extractor = NastoohArticleExtractor(site_config("isna"))
extract = extractor.extract
