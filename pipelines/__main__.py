"""python -m pipelines COMMAND ...: offline tools over existing dumps.

    reprocess IN.jsonl -o OUT.jsonl        run cleaning, normalization and validation again over a dump
    snapshot [DATA_DIR...] -o FILE         the latest revision of every article, as .jsonl or .parquet
    report [DATA_DIR...] -o report.html    the data-quality report, one self-contained HTML page
"""

import importlib
import sys

COMMANDS = {"reprocess": "pipelines.reprocess", "snapshot": "pipelines.snapshot", "report": "pipelines.report"}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] not in COMMANDS:
        print(f"usage: python -m pipelines {{{','.join(COMMANDS)}}} ...\n" + __doc__.split("\n", 2)[2], file=sys.stderr)
        return 2
    return importlib.import_module(COMMANDS[argv[0]]).main(argv[1:])


if __name__ == "__main__":
    sys.exit(main())
