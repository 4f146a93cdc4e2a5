#!/usr/bin/env bash
# Run uv: the one on PATH, else a private copy installed once into .tools/ from PyPI.
set -euo pipefail
cd "$(dirname "$0")/.."
if command -v uv >/dev/null 2>&1; then
  exec uv "$@"
fi
if [ ! -x .tools/bin/uv ]; then
  echo "• installing uv into .tools/ (once)" >&2
  python3 -m venv .tools
  .tools/bin/pip install --quiet --disable-pip-version-check uv
fi
exec .tools/bin/uv "$@"
