"""numpy reference for `npm run bench` (src/cli/bench.ts). Run with Debian's /usr/bin/python3.

Usage: bench_ref.py '<json spec>'  where the spec is
  {"tasks": [{"id": "svd-512", "kind": "svd", "n": 512, "reps": 3}, ...], "seed": 0}
Prints one JSON object: {"numpy": version, "blas": [loaded BLAS/LAPACK libraries],
"tasks": {id: {"ms": median wall ms, "cpuMs": median CPU ms, "reps": n, ...}}}. Timing mirrors the TypeScript side:
one untimed warm-up, then the median of `reps` timed calls; inputs are drawn outside the
timed region.
"""
import json
import os
import sys
import time

import numpy as np


def timed(fn, reps, warmup=True):
    """{"ms": median wall ms, "cpuMs": median process CPU ms (all threads)}."""
    if warmup:
        fn()
    wall, cpu = [], []
    for _ in range(reps):
        t, c = time.perf_counter(), time.process_time()
        fn()
        wall.append((time.perf_counter() - t) * 1000)
        cpu.append((time.process_time() - c) * 1000)
    return {"ms": float(np.median(wall)), "cpuMs": float(np.median(cpu)), "reps": reps}


def randomized_topk(a, k, oversample, power_iters, rng):
    # Same algorithm as initlab's svdTopK (Halko et al. Alg. 4.4), so the ratio compares
    # implementations, not algorithms.
    l = min(k + oversample, min(a.shape))
    q, _ = np.linalg.qr(a @ rng.standard_normal((a.shape[1], l)))
    for _ in range(power_iters):
        z, _ = np.linalg.qr(a.T @ q)
        q, _ = np.linalg.qr(a @ z)
    ub, s, vt = np.linalg.svd(q.T @ a, full_matrices=False)
    return q @ ub[:, :k], s[:k], vt[:k].T


def intruders(base, tuned, k=10, eps=0.5):
    u0 = np.linalg.svd(base, full_matrices=False)[0]
    ut = np.linalg.svd(tuned, full_matrices=False)[0]
    cos = np.abs(ut[:, :k].T @ u0).max(axis=1)
    return int((cos < eps).sum())


def rand_pair(rng, m, n, rank):
    # Random "pre-trained" weights plus a low-rank update, like a fine-tuned matrix.
    base = rng.standard_normal((m, n)) * 0.02
    tuned = base + (rng.standard_normal((m, rank)) @ rng.standard_normal((rank, n))) * 0.002
    return base, tuned


def run(task, rng):
    kind = task["kind"]
    reps = task.get("reps", 3)
    if kind == "svd":
        a = rng.standard_normal((task["n"], task["n"]))
        return timed(lambda: np.linalg.svd(a, full_matrices=False), reps)
    if kind == "eigh":
        a = rng.standard_normal((task["n"], task["n"]))
        a = (a + a.T) / 2
        return timed(lambda: np.linalg.eigh(a), reps)
    if kind == "topk":
        a = rng.standard_normal((task["m"], task["n"]))
        k = task["k"]
        r = timed(lambda: randomized_topk(a, k, task["oversample"], task["powerIters"], rng), reps)
        r["fullSvdMs"] = timed(lambda: np.linalg.svd(a, compute_uv=False), 1, warmup=False)["ms"]
        return r
    if kind == "intruders":
        total = cpu = 0.0
        count = 0
        for (m, n, num) in task["shapes"]:
            for _ in range(num):
                base, tuned = rand_pair(rng, m, n, 8)
                t, c = time.perf_counter(), time.process_time()
                count += intruders(base, tuned)
                total += (time.perf_counter() - t) * 1000
                cpu += (time.process_time() - c) * 1000
        return {"ms": total, "cpuMs": cpu, "reps": 1, "intruders": count}
    raise ValueError("unknown task kind " + kind)


def loaded_blas():
    # Which BLAS/LAPACK shared objects numpy actually mapped (Debian: via alternatives).
    libs = set()
    try:
        with open("/proc/self/maps") as f:
            for line in f:
                p = line.split()[-1]
                if any(s in p for s in ("blas", "lapack", "openblas", "mkl")):
                    libs.add(os.path.realpath(p))
    except OSError:
        pass
    return sorted(libs)


def main():
    spec = json.loads(sys.argv[1])
    rng = np.random.default_rng(spec.get("seed", 0))
    np.linalg.svd(np.eye(4))  # load LAPACK before reading the maps
    out = {"numpy": np.__version__, "blas": loaded_blas(), "python": sys.version.split()[0], "tasks": {}}
    for task in spec["tasks"]:
        out["tasks"][task["id"]] = run(task, rng)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
