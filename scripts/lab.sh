#!/usr/bin/env bash
# Jupyter Notebook with the project's tslab kernel. Token authentication is always on (the
# token goes through the environment, not the command line other users can read in `ps`; a
# Jupyter config file that empties the token is refused), and the server
# listens on loopback unless INITLAB_HOST says otherwise, in which case it says so loudly.
# Environment: INITLAB_PORT (default 8888), INITLAB_HOST (default 127.0.0.1), INITLAB_NOTEBOOK_DIR
# (default notebooks/; keep it inside the project so notebooks resolve `import ... from "initlab"`),
# JUPYTER_TOKEN (a fixed token; unset → a random one, printed). INITLAB_LAB_DRY_RUN=1 prints the
# command instead of running it. Extra arguments go to `jupyter notebook`.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
die() {
  echo "initlab lab: $*" >&2
  exit 2
}
if [ -n "${JUPYTER_TOKEN+x}" ] && [ -z "$JUPYTER_TOKEN" ]; then
  die "JUPYTER_TOKEN is set but empty, which would turn token authentication off; unset it or give a token"
fi
for a in "$@"; do
  case "$a" in
  --ip | --ip=* | --*.ip=* | --*.ip)
    die "choose the interface with INITLAB_HOST, not $a (so a non-loopback address is announced)" ;;
  --*token* | --*password* | --*disable_check_xsrf* | --*allow_unauthenticated* | --*allow_origin*)
    die "$a would weaken authentication; the lab always runs with token authentication" ;;
  esac
done
host="${INITLAB_HOST:-127.0.0.1}"
port="${INITLAB_PORT:-8888}"
token="${JUPYTER_TOKEN:-$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')}"
case "$host" in
127.* | ::1 | localhost) ;;
*)
  {
    echo "################################################################################"
    echo "# WARNING: initlab lab is listening on $host:$port, NOT on loopback."
    echo "# Other machines on this network can reach it; anyone with the token can run"
    echo "# code as $(id -un) on $(hostname). Unset INITLAB_HOST to stay on 127.0.0.1."
    echo "################################################################################"
  } >&2
  ;;
esac
args=(--ip="$host" --port="$port" --no-browser --notebook-dir="${INITLAB_NOTEBOOK_DIR:-$root/notebooks}")
# Containers and CI run as root; Jupyter refuses that unless told.
[ "$(id -u)" = 0 ] && args+=(--allow-root)
if [ -n "${INITLAB_LAB_DRY_RUN:-}" ]; then
  echo "jupyter notebook ${args[*]} $*"
  exit 0
fi
cfg="${JUPYTER_CONFIG_DIR:-$HOME/.jupyter}"
if grep -sEq "^[^#]*\.token[[:space:]]*=[[:space:]]*(''|\"\")" "$cfg"/jupyter_notebook_config.py "$cfg"/jupyter_server_config.py; then
  die "a Jupyter config file in $cfg sets an empty token; the lab keeps token authentication on"
fi
[ -n "${JUPYTER_TOKEN:-}" ] || echo "initlab lab: token $token (open http://$host:$port/?token=$token)" >&2
bash "$root/scripts/setup.sh" --quiet
export JUPYTER_PATH="$root/.jupyter" PATH="$root/node_modules/.bin:$PATH" JUPYTER_TOKEN="$token"
exec jupyter notebook "${args[@]}" "$@"
