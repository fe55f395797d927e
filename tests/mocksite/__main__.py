"""python -m tests.mocksite --port 8800: serve the mock ISNA site until interrupted."""

import argparse
import logging

from tests.mocksite.server import MockIsnaServer
from tests.mocksite.site import LAYOUTS, MockSite
from tests.serving import serve_until_interrupted


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.mocksite", description=__doc__)
    parser.add_argument("--port", type=int, default=8800, help="port on 127.0.0.1 (default 8800; 0 picks a free one)")
    parser.add_argument("--page-size", type=int, default=4, help="archive items per page (default 4)")
    parser.add_argument("--fail-every", type=int, default=0, metavar="N",
                        help="answer every Nth request with 503, to watch retries (default: never)")
    parser.add_argument("--delay", type=float, default=0.0, metavar="SECONDS", help="wait before each answer (a slow site)")
    parser.add_argument("--layout", choices=LAYOUTS, default="nastooh",
                        help="article markup: the real one, a redesign the extractor does not know, or no dates")
    parser.add_argument("--verbose", action="store_true", help="log every request")
    args = parser.parse_args()
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO, format="%(asctime)s %(message)s")
    site = MockSite(page_size=args.page_size, layout=args.layout)
    server = MockIsnaServer(site, port=args.port, fail_every=args.fail_every, delay=args.delay)
    articles = sum(spec.is_article for spec in site.articles)
    serve_until_interrupted(server, f"mock ISNA site at {server.base_url} ({articles} articles); try: scrapy crawl isna "
                                    f"-a base_url={server.base_url} -a from=1402-05-20 -a to=1402-05-24 -O out.jsonl")


if __name__ == "__main__":
    main()
