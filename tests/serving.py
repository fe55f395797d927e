"""Running the mock sites: in a test (a context manager around a real server on a free port of 127.0.0.1, the way
Scrapy's own tests run their mock server), or from the command line until interrupted."""

import contextlib


def serve_until_interrupted(server, banner: str) -> None:
    print(banner, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


@contextlib.contextmanager
def running(server):
    """The server, serving from a thread for the duration of the block, then shut down and closed."""
    server.start_in_thread()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
