"""python -m pipelines COMMAND ...: offline tools over existing dumps. Commands: reprocess."""

import sys

COMMANDS = ("reprocess",)


def main() -> int:
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        print(f"usage: python -m pipelines {{{','.join(COMMANDS)}}} ...  (e.g. python -m pipelines reprocess IN.jsonl -o OUT.jsonl)",
              file=sys.stderr)
        return 2
    from pipelines.reprocess import main as reprocess_main

    return reprocess_main(sys.argv[2:])


if __name__ == "__main__":
    sys.exit(main())
