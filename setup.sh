#!/usr/bin/env bash
# One command sets everything up: finds Python >= 3.12, creates .venv/ at the repository root and installs
# the project with its test dependencies into it. Safe to run again.
#   bash setup.sh              set up (again)
#   bash setup.sh --if-needed  only when .venv/ is missing or was set up from another pyproject.toml or setup.sh
#                              (what ./crawl and ./test run first; silent when there is nothing to do)
set -euo pipefail
cd "$(dirname "$0")"

# What the environment was built from: when this changes, .venv/ is brought up to date.
wanted_stamp() {
    cat pyproject.toml setup.sh | sha256sum | cut -d' ' -f1
}
STAMP=.venv/.setup-stamp

if [ "${1:-}" = "--if-needed" ]; then
    if [ -x .venv/bin/python ] && [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$(wanted_stamp)" ]; then
        exit 0
    fi
    echo "setup.sh: setting up .venv/ (first use, or the project's dependencies changed)" >&2
elif [ -n "${1:-}" ]; then
    echo "setup.sh: unknown option ${1} (use: bash setup.sh [--if-needed])" >&2
    exit 2
fi

find_python() {
    local candidate
    for candidate in "${PYTHON:-}" python3.12 python3.13 python3; do
        [ -n "$candidate" ] || continue
        if command -v "$candidate" >/dev/null 2>&1 &&
            "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then
            command -v "$candidate"
            return 0
        fi
    done
    # pyenv installs that are present but not selected as the global version
    for candidate in "$HOME"/.pyenv/versions/3.1[2-9]*/bin/python3 /usr/local/bin/python3.1[2-9] /usr/bin/python3.1[2-9]; do
        if [ -x "$candidate" ] && "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then
            echo "$candidate"
            return 0
        fi
    done
    return 1
}

if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then
    python=$(find_python) || {
        echo "setup.sh: Python 3.12 or newer is required (hazm 0.12 needs it); set PYTHON=/path/to/python3.12" >&2
        exit 1
    }
    echo "setup.sh: creating .venv with $python ($("$python" --version))"
    rm -rf .venv
    "$python" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e '.[test]'
wanted_stamp > "$STAMP"
echo "setup.sh: ready. Activate with: source .venv/bin/activate" >&2
