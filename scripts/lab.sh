#!/usr/bin/env bash
# Jupyter Notebook on 127.0.0.1 with the project's tslab kernel; token authentication stays on.
# Environment: INITLAB_PORT (default 8888), INITLAB_NOTEBOOK_DIR (default notebooks/; keep it
# inside the project so notebooks resolve `import ... from "initlab"`), JUPYTER_TOKEN (a fixed
# token; unset → Jupyter generates one). Extra arguments go to `jupyter notebook`.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [ -n "${JUPYTER_TOKEN+x}" ] && [ -z "$JUPYTER_TOKEN" ]; then
  echo "initlab lab: JUPYTER_TOKEN is set but empty, which would turn token authentication off; unset it or give a token" >&2
  exit 2
fi
bash "$root/scripts/setup.sh" --quiet
export JUPYTER_PATH="$root/.jupyter" PATH="$root/node_modules/.bin:$PATH"
args=(--ip=127.0.0.1 --port="${INITLAB_PORT:-8888}" --no-browser --notebook-dir="${INITLAB_NOTEBOOK_DIR:-$root/notebooks}")
# Containers and CI run as root; Jupyter refuses that unless told (it still listens on loopback only).
[ "$(id -u)" = 0 ] && args+=(--allow-root)
exec jupyter notebook "${args[@]}" "$@"
