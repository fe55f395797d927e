"""A mock WordPress news site on 127.0.0.1: `python -m tests.mockwp --port 8801 [--rest on|off|rest_route|no-embed]`.

What it serves, as WordPress core does: /wp-json/wp/v2/posts (paged, X-WP-Total/X-WP-TotalPages, _embed, after/before),
/wp/v2/categories and /wp/v2/tags, the same under ?rest_route=, /feed/ (?paged=N), /wp-sitemap.xml, and the post
pages at /archives/<id>, in a Persian theme that prints Jalali dates (even inside time@datetime, as date plugins
do) and carries junk inside .entry-content: share buttons, related posts, a comment form, a «منبع:» line and an end
marker. REST modes: `on`; `off` (the API answers 401, as security plugins make it); `rest_route` (pretty
permalinks off: /wp-json/ is a 404 page, ?rest_route= works); `no-embed` (the API ignores _embed).
"""
