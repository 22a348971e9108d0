#!/usr/bin/env bash
# Runs the conformance suite: real third-party clients against the real binary.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
venv="$here/.venv"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
"$venv/bin/pip" install --quiet --disable-pip-version-check -r "$here/requirements.txt"
# The official JavaScript Channel SDK, exactly as package-lock.json pins it.
(cd "$here/node" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
cd "$here"
exec "$venv/bin/python" -m pytest -q -p no:cacheprovider "$@"
