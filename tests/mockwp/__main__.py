"""python -m tests.mockwp --port 8801 [--rest on|off|rest_route|no-embed]: serve the mock WordPress site."""

import argparse

from tests.mockwp.site import REST_MODES, MockWordPress, MockWordPressServer
from tests.serving import serve_until_interrupted


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.mockwp", description=__doc__)
    parser.add_argument("--port", type=int, default=8801)
    parser.add_argument("--rest", choices=REST_MODES, default="on", help="how the REST API answers (default: on)")
    args = parser.parse_args()
    server = MockWordPressServer(MockWordPress(rest=args.rest), port=args.port)
    serve_until_interrupted(server, f"mock WordPress site at {server.base_url} (REST API: {args.rest}); try: "
                                    f"scrapy crawl wordpress -a site_url={server.base_url}/ -O out.jsonl")


if __name__ == "__main__":
    main()
