#!/usr/bin/env bash
# Idempotent set-up used by every npm entry point: Debian packages, npm ci, build, and a
# project-local tslab kernel (JUPYTER_PATH=.jupyter), so nothing depends on global state.
set -euo pipefail
quiet=0
[ "${1:-}" = "--quiet" ] && quiet=1
say() { [ "$quiet" = 1 ] || echo "[setup] $*"; }
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

APT_PACKAGES=(jupyter-notebook jupyter-nbconvert python3-nbclient python3-numpy dataset-fashion-mnist fonts-dejavu-core redis-server fortunes-min)
[ "${INITLAB_BROWSER_TEST:-0}" = 1 ] && APT_PACKAGES+=(chromium)
# PyTorch is the benchmark's reference only (npm run bench): never needed by the main job or the tests.
[ "${INITLAB_BENCH:-0}" = 1 ] && APT_PACKAGES+=(python3-torch)

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  if [ ! -r /etc/debian_version ]; then
    echo "initlab setup: this is not Debian. Install the equivalents of: ${missing[*]} (Jupyter Notebook, nbconvert, nbclient, numpy, Fashion-MNIST IDX files under /usr/share/datasets/fashion-mnist, DejaVu fonts), then re-run." >&2
    exit 1
  fi
  if [ "$(id -u)" != 0 ]; then
    echo "initlab setup: missing Debian packages: ${missing[*]}" >&2
    echo "Run as root:  apt-get update && apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
  say "installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq "${missing[@]}" >/dev/null
fi

node_major="$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)"
if [ "$node_major" -lt 20 ]; then
  echo "initlab setup: Node.js >= 20 is required (found: $(node --version 2>/dev/null || echo none))" >&2
  exit 1
fi

# npm ci only when the lock file changed since the last install.
stamp=node_modules/.initlab-lock-stamp
if [ ! -f "$stamp" ] || ! cmp -s package-lock.json "$stamp"; then
  say "npm ci"
  npm ci --no-audit --no-fund --loglevel=error >/dev/null
  cp package-lock.json "$stamp"
fi
# Notebooks import the library by its package name: node_modules/initlab → project root.
ln -sfn .. node_modules/initlab

bash scripts/build-native.sh $([ "$quiet" = 1 ] && echo --quiet)  # optional LAPACK addon; never fails set-up
say "building (tsc)"
rm -rf dist  # stale outputs of moved modules would shadow the new ones
npx tsc -p tsconfig.json
# `npx initlab ...` runs this checkout's CLI (npm links no bin for the self-reference).
chmod +x dist/cli/main.js
ln -sfn ../initlab/dist/cli/main.js node_modules/.bin/initlab

kdir=.jupyter/kernels/tslab
mkdir -p "$kdir"
cat > "$kdir/kernel.json.tmp" <<JSON
{
  "argv": ["$root/node_modules/.bin/tslab", "kernel", "--config-path", "{connection_file}"],
  "display_name": "TypeScript (initlab)",
  "language": "typescript"
}
JSON
mv "$kdir/kernel.json.tmp" "$kdir/kernel.json"
say "ready: JUPYTER_PATH=$root/.jupyter"
