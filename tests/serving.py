"""Running a mock site from the command line until interrupted."""


def serve_until_interrupted(server, banner: str) -> None:
    print(banner, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
