#!/usr/bin/env python3
"""numpy reference for src/bench/training.ts: the same MLP training step (784-256-256-10,
batch 256, relu, mean cross-entropy, Adam; forward, backward and update written by hand,
float32) and a 1024x1024 float32 matmul. Same timing scheme as the TS side: warm-up, then
5 timed blocks, median ms per step. Prints JSON {name: msPerStep}; names match the
BenchResult names of the TS benchmarks so the runner can pair them. With --cpu, prints
process CPU ms per step instead (all BLAS threads summed), for comparisons on a loaded
machine."""
import json
import sys
import time

import numpy as np

MLP_NAME = "MLP 784-256-256-10 train step, batch 256 (Adam)"
MATMUL_NAME = "matmul 1024x1024 float32"


CLOCK = time.perf_counter


def timed(step, blocks=5, steps=10, warmup=3):
    for _ in range(warmup):
        step()
    per = []
    for _ in range(blocks):
        t0 = CLOCK()
        for _ in range(steps):
            step()
        per.append((CLOCK() - t0) * 1000 / steps)
    return float(np.median(per))


def mlp_step_ms(sizes=(784, 256, 256, 10), batch=256, lr=1e-3, b1=0.9, b2=0.999, eps=1e-7):
    rng = np.random.default_rng(2)
    n_data = batch * 8
    x_all = rng.standard_normal((n_data, sizes[0]), dtype=np.float32)
    y_all = rng.integers(0, sizes[-1], n_data)
    W = [(rng.standard_normal((a, b), dtype=np.float32) * np.float32(np.sqrt(2 / a))) for a, b in zip(sizes[:-1], sizes[1:])]
    B = [np.zeros(b, np.float32) for b in sizes[1:]]
    params = W + B
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    perm = rng.permutation(n_data)
    state = {"i": 0, "t": 0}

    def step():
        s = (state["i"] % 8) * batch
        state["i"] += 1
        idx = perm[s:s + batch]
        x, y = x_all[idx], y_all[idx]
        hs = [x]
        for l in range(len(W)):
            z = hs[-1] @ W[l] + B[l]
            hs.append(np.maximum(z, 0) if l + 1 < len(W) else z)
        z = hs[-1]
        z = z - z.max(axis=1, keepdims=True)
        p = np.exp(z)
        p /= p.sum(axis=1, keepdims=True)
        g = p
        g[np.arange(batch), y] -= 1
        g /= np.float32(batch)
        gW, gB = [None] * len(W), [None] * len(W)
        for l in range(len(W) - 1, -1, -1):
            gW[l] = hs[l].T @ g
            gB[l] = g.sum(axis=0)
            if l > 0:
                g = (g @ W[l].T) * (hs[l] > 0)
        state["t"] += 1
        t = state["t"]
        c1, c2 = 1 - b1 ** t, 1 - b2 ** t
        for k, gr in enumerate(gW + gB):
            m[k] *= b1
            m[k] += (1 - b1) * gr
            v[k] *= b2
            v[k] += (1 - b2) * gr * gr
            params[k] -= (lr / c1) * m[k] / (np.sqrt(v[k] / c2) + eps)

    return timed(step)


def matmul_ms(n=1024):
    rng = np.random.default_rng(1)
    a = rng.standard_normal((n, n), dtype=np.float32)
    b = rng.standard_normal((n, n), dtype=np.float32)
    return timed(lambda: a @ b, steps=3, warmup=2)


def main():
    global CLOCK
    if "--cpu" in sys.argv[1:]:
        CLOCK = time.process_time
    out = {MLP_NAME: mlp_step_ms(), MATMUL_NAME: matmul_ms()}
    json.dump(out, sys.stdout)
    print()


if __name__ == "__main__":
    main()
