#!/usr/bin/env bash
# Jupyter Notebook on 127.0.0.1 with the project's tslab kernel; token authentication stays on.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$root/scripts/setup.sh" --quiet
export JUPYTER_PATH="$root/.jupyter" PATH="$root/node_modules/.bin:$PATH"
exec jupyter notebook --ip=127.0.0.1 --port="${INITLAB_PORT:-8888}" --no-browser --notebook-dir="$root/notebooks" "$@"
