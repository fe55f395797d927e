"""Text normalization of the record's text fields; URLs, ids and dates are never touched.

Today: Arabic letter forms unified to Persian and white space tidied, paragraph breaks in the body kept.
"""

from __future__ import annotations

from crawler.record import Article
from crawler.text import tidy, unify_letters

TEXT_FIELDS = ("title", "kicker", "lead", "category", "editor", "source", "province")


def normalize_text(text: str | None) -> str | None:
    return tidy(unify_letters(text)) if text else None


def normalize_body(body: str | None) -> str | None:
    if not body:
        return None
    paragraphs = (normalize_text(paragraph) for paragraph in body.split("\n\n"))
    return "\n\n".join(paragraph for paragraph in paragraphs if paragraph) or None


def normalize_article(article: Article) -> Article:
    """Normalize the article's text fields in place and return it."""
    for name in TEXT_FIELDS:
        setattr(article, name, normalize_text(getattr(article, name)))
    article.body = normalize_body(article.body)
    tags = (normalize_text(tag) for tag in article.tags)
    article.tags = list(dict.fromkeys(tag for tag in tags if tag))
    for image in article.images:
        image.caption = normalize_text(image.caption)
    return article


class NormalizePipeline:
    def process_item(self, item: Article) -> Article:
        return normalize_article(item)
