#!/usr/bin/env bash
# Builds initlab's optional LAPACK addon (src/linalg/native/lapack_addon.c) into
# build/native/initlab_lapack.node. Idempotent: rebuilds only when the source is newer.
# Never fails the caller: on any problem it prints one line and exits 0, and initlab keeps
# using its pure-JS linear algebra (ml-matrix).
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
src="$root/src/linalg/native/lapack_addon.c"
out="$root/build/native/initlab_lapack.node"
quiet=0
[ "${1:-}" = "--quiet" ] && quiet=1
skip() { echo "initlab native linalg: $* (using the pure-JS fallback)"; exit 0; }
[ "${INITLAB_LINALG:-}" = js ] && exit 0
[ -f "$out" ] && [ "$out" -nt "$src" ] && exit 0

# Debian packages: a C compiler and OpenBLAS (whose libopenblas carries LAPACK).
need=()
for p in gcc libc6-dev libopenblas-dev; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need+=("$p")
done
if [ "${#need[@]}" -gt 0 ]; then
  if [ -r /etc/debian_version ] && [ "$(id -u)" = 0 ]; then
    export DEBIAN_FRONTEND=noninteractive
    { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${need[@]}"; } >/dev/null 2>&1 \
      || skip "could not install ${need[*]}"
  else
    skip "missing packages ${need[*]} (apt-get install ${need[*]} as root to enable it)"
  fi
fi

# Node's N-API headers ship with Debian/NodeSource node under <prefix>/include/node.
prefix="$(dirname "$(dirname "$(readlink -f "$(command -v node)")")")"
inc=""
for d in "$prefix/include/node" /usr/include/node /usr/local/include/node; do
  [ -f "$d/node_api.h" ] && { inc="$d"; break; }
done
[ -n "$inc" ] || skip "node headers (node_api.h) not found"

mkdir -p "$root/build/native"
tmp="$root/build/native/tmp-$$.node"
if ! gcc -O2 -shared -fPIC -std=c11 -DNODE_GYP_MODULE_NAME=initlab_lapack -I"$inc" "$src" \
     -lopenblas -o "$tmp" 2>"$root/build/native/build.log"; then
  rm -f "$tmp"
  skip "compile failed (see build/native/build.log)"
fi
# Load it once before installing, so a broken build never shadows the fallback.
if ! node -e 'const m=require(process.argv[1]);const r=m.svd(new Float64Array([3,0,0,4]),2,2,false);if(Math.abs(r.s[0]-4)>1e-12)process.exit(1)' "$tmp" 2>>"$root/build/native/build.log"; then
  rm -f "$tmp"
  skip "built addon failed its load check (see build/native/build.log)"
fi
mv "$tmp" "$out"
[ "$quiet" = 1 ] || echo "[setup] native linalg: built $out (LAPACK via OpenBLAS)"
exit 0
