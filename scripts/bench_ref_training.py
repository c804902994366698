#!/usr/bin/env python3
"""numpy reference for src/bench/training.ts: the same training steps, forward, backward and
Adam update written by hand in float32:
- MLP 784-256-256-10, batch 256, relu, mean cross-entropy;
- tiny transformer: token + position embeddings, one pre-norm layer (layer norm without
  affine, 4-head causal attention, 4d relu MLP, no biases), final layer norm, vocab 64
  output, next-token cross-entropy; d=64, seq 32, batch 32;
- conv net: conv 3x3 1->8 ("same", stride 1) + bias, relu, conv 3x3 8->16 ("same",
  stride 2, TF padding: 0 before, 1 after) + bias, relu, dense 3136->10; 28x28, batch 64.
  Convolutions as im2col + matmul (numpy has no conv); no input gradient, as in TF;
and a 1024x1024 float32 matmul. Same timing scheme as the TS side: warm-up, then 5 timed
blocks, median ms per step. Prints JSON {name: msPerStep}; names match the BenchResult
names of the TS benchmarks so the runner can pair them. With --cpu, prints process CPU ms
per step instead (all BLAS threads summed), for comparisons on a loaded machine.
--selftest checks the hand-written gradients against central finite differences (float64,
tiny instances) and the im2col convolutions against a direct loop, then exits."""
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


TRANSFORMER_NAME = "tiny transformer step (1 layer, d=64, 4 heads, seq 32, vocab 64, batch 32)"
CONV_NAME = "conv net step (2 conv layers, 28x28, batch 64)"


def adam_update(params, grads, m, v, t, lr=1e-3, b1=0.9, b2=0.999, eps=1e-7):
    """tf.train.adam's update (as FastAdam), in place."""
    c1, c2 = 1 - b1 ** t, 1 - b2 ** t
    for k, gr in enumerate(grads):
        m[k] *= b1
        m[k] += (1 - b1) * gr
        v[k] *= b2
        v[k] += (1 - b2) * gr * gr
        params[k] -= (lr / c1) * m[k] / (np.sqrt(v[k] / c2) + eps)


def ce_grad(z, y):
    """Mean cross-entropy of logits z [n, c] (via log-softmax, as crossEntropyFused) and dL/dz."""
    n = z.shape[0]
    z = z - z.max(axis=1, keepdims=True)
    p = np.exp(z)
    s = p.sum(axis=1, keepdims=True)
    loss = float(np.mean(np.log(s[:, 0]) - z[np.arange(n), y]))
    p /= s
    p[np.arange(n), y] -= 1
    p /= z.dtype.type(n)
    return loss, p


def ln_fwd(x, eps=1e-5):
    """Layer norm over the last axis, no affine (as training.ts's layerNorm)."""
    xc = x - x.mean(axis=-1, keepdims=True)
    rs = 1 / np.sqrt((xc * xc).mean(axis=-1, keepdims=True) + eps)
    return xc * rs, rs


def ln_bwd(dy, y, rs):
    return rs * (dy - dy.mean(axis=-1, keepdims=True) - y * (dy * y).mean(axis=-1, keepdims=True))


# ---- tiny transformer ------------------------------------------------------------------

T_KEYS = ("tok", "pos", "wq", "wk", "wv", "wo", "w1", "w2", "out")


def transformer_init(rng, V, d, T, dtype=np.float32):
    g = lambda shape, std: (rng.standard_normal(shape) * std).astype(dtype)
    s = 1 / np.sqrt(d)
    return {"tok": g((V, d), 0.02), "pos": g((T, d), 0.02), "wq": g((d, d), s), "wk": g((d, d), s),
            "wv": g((d, d), s), "wo": g((d, d), s), "w1": g((d, 4 * d), s),
            "w2": g((4 * d, d), 1 / np.sqrt(4 * d)), "out": g((d, V), s)}


def transformer_loss_grads(p, ids, y, heads):
    """Loss and gradients of all parameters of tinyTransformerLogits + mean cross-entropy."""
    B, T = ids.shape
    V, d = p["tok"].shape
    dh, N, dt = d // heads, B * T, p["tok"].dtype
    split = lambda a: a.reshape(B, T, heads, dh).transpose(0, 2, 1, 3)
    merge = lambda a: a.transpose(0, 2, 1, 3).reshape(N, d)
    scale = dt.type(1 / np.sqrt(dh))
    mask = np.triu(np.full((T, T), -1e9, dt), 1)
    # forward
    flat_ids = ids.reshape(-1)
    x0 = (p["tok"][flat_ids].reshape(B, T, d) + p["pos"]).reshape(N, d)
    h0, rs0 = ln_fwd(x0)
    q, k, v = split(h0 @ p["wq"]), split(h0 @ p["wk"]), split(h0 @ p["wv"])
    s = np.matmul(q, k.transpose(0, 1, 3, 2)) * scale + mask
    s -= s.max(axis=-1, keepdims=True)
    a = np.exp(s)
    a /= a.sum(axis=-1, keepdims=True)
    ctx = merge(np.matmul(a, v))
    x1 = x0 + ctx @ p["wo"]
    h1, rs1 = ln_fwd(x1)
    u = h1 @ p["w1"]
    r = np.maximum(u, 0)
    x2 = x1 + r @ p["w2"]
    h2, rs2 = ln_fwd(x2)
    loss, dz = ce_grad(h2 @ p["out"], y)
    # backward
    g = {"out": h2.T @ dz}
    dx2 = ln_bwd(dz @ p["out"].T, h2, rs2)
    g["w2"] = r.T @ dx2
    du = (dx2 @ p["w2"].T) * (u > 0)
    g["w1"] = h1.T @ du
    dx1 = dx2 + ln_bwd(du @ p["w1"].T, h1, rs1)
    g["wo"] = ctx.T @ dx1
    dctx = split(dx1 @ p["wo"].T)
    da = np.matmul(dctx, v.transpose(0, 1, 3, 2))
    dv = np.matmul(a.transpose(0, 1, 3, 2), dctx)
    ds = a * (da - (da * a).sum(axis=-1, keepdims=True))
    ds *= scale
    dq, dk, dv = merge(np.matmul(ds, k)), merge(np.matmul(ds.transpose(0, 1, 3, 2), q)), merge(dv)
    g["wq"], g["wk"], g["wv"] = h0.T @ dq, h0.T @ dk, h0.T @ dv
    dx0 = dx1 + ln_bwd(dq @ p["wq"].T + dk @ p["wk"].T + dv @ p["wv"].T, h0, rs0)
    g["pos"] = dx0.reshape(B, T, d).sum(axis=0)
    onehot = np.zeros((N, V), dt)  # embedding gradient as a one-hot matmul (np.add.at is slower)
    onehot[np.arange(N), flat_ids] = 1
    g["tok"] = onehot.T @ dx0
    return loss, g


def transformer_step_ms(V=64, d=64, T=32, B=32, H=4):
    rng = np.random.default_rng(3)
    p = transformer_init(rng, V, d, T)
    params = [p[k] for k in T_KEYS]
    m = [np.zeros_like(x) for x in params]
    v = [np.zeros_like(x) for x in params]
    seqs = rng.integers(0, V, (4 * B, T + 1))
    state = {"i": 0, "t": 0}

    def step():
        s = (state["i"] % 4) * B
        state["i"] += 1
        batch = seqs[s:s + B]
        _, g = transformer_loss_grads(p, batch[:, :T], batch[:, 1:].reshape(-1), H)
        state["t"] += 1
        adam_update(params, [g[k] for k in T_KEYS], m, v, state["t"])

    return timed(step, steps=5)


# ---- conv net (im2col + matmul) ----------------------------------------------------------

C_KEYS = ("c1", "b1", "c2", "b2", "w")


def same_pad(n, k, s):
    """TF "same" padding: output size and (before, after) padding."""
    out = -(-n // s)
    total = max((out - 1) * s + k - n, 0)
    return out, total // 2, total - total // 2


def im2col(x, k, s):
    """Patches [B·oh·ow, k·k·C] (order kh, kw, C: matches a [k, k, C, Cout] filter reshaped)."""
    B, H, W, C = x.shape
    oh, pt, pb = same_pad(H, k, s)
    ow, pl, pr = same_pad(W, k, s)
    xp = np.pad(x, ((0, 0), (pt, pb), (pl, pr), (0, 0)))
    cols = np.empty((B, oh, ow, k * k * C), x.dtype)
    for i in range(k):
        for j in range(k):
            cols[..., (i * k + j) * C:(i * k + j + 1) * C] = xp[:, i:i + (oh - 1) * s + 1:s, j:j + (ow - 1) * s + 1:s, :]
    return cols.reshape(B * oh * ow, k * k * C), (x.shape, xp.shape, oh, ow, pt, pl)


def col2im(dcols, meta, k, s):
    (B, H, W, C), xp_shape, oh, ow, pt, pl = meta
    dxp = np.zeros(xp_shape, dcols.dtype)
    dcols = dcols.reshape(B, oh, ow, k * k * C)
    for i in range(k):
        for j in range(k):
            dxp[:, i:i + (oh - 1) * s + 1:s, j:j + (ow - 1) * s + 1:s, :] += dcols[..., (i * k + j) * C:(i * k + j + 1) * C]
    return dxp[:, pt:pt + H, pl:pl + W, :]


def conv_init(rng, S=28, C1=8, C2=16, classes=10, dtype=np.float32):
    g = lambda shape, fan_in: (rng.standard_normal(shape) * np.sqrt(2 / fan_in)).astype(dtype)
    flat = (-(-S // 2)) ** 2 * C2
    return {"c1": g((3, 3, 1, C1), 9), "b1": np.zeros(C1, dtype), "c2": g((3, 3, C1, C2), 9 * C1),
            "b2": np.zeros(C2, dtype), "w": g((flat, classes), flat)}


def convnet_loss_grads(p, x, y):
    """Loss and gradients of conv(s1)+b, relu, conv(s2)+b, relu, dense; x [B, S, S, 1]."""
    B = x.shape[0]
    C1, C2 = p["c1"].shape[3], p["c2"].shape[3]
    w1, w2 = p["c1"].reshape(-1, C1), p["c2"].reshape(-1, C2)
    cols1, m1 = im2col(x, 3, 1)
    z1 = cols1 @ w1 + p["b1"]
    h1 = np.maximum(z1, 0)
    cols2, m2 = im2col(h1.reshape(B, x.shape[1], x.shape[2], C1), 3, 2)
    z2 = cols2 @ w2 + p["b2"]
    flat = np.maximum(z2, 0).reshape(B, -1)
    loss, dz = ce_grad(flat @ p["w"], y)
    g = {"w": flat.T @ dz}
    dz2 = (dz @ p["w"].T).reshape(-1, C2) * (z2 > 0)
    g["b2"], g["c2"] = dz2.sum(axis=0), (cols2.T @ dz2).reshape(p["c2"].shape)
    dz1 = col2im(dz2 @ w2.T, m2, 3, 2).reshape(-1, C1) * (z1 > 0)
    g["b1"], g["c1"] = dz1.sum(axis=0), (cols1.T @ dz1).reshape(p["c1"].shape)
    return loss, g


def conv_step_ms(B=64):
    rng = np.random.default_rng(4)
    p = conv_init(rng)
    params = [p[k] for k in C_KEYS]
    m = [np.zeros_like(x) for x in params]
    v = [np.zeros_like(x) for x in params]
    x_all = rng.standard_normal((4 * B, 28, 28, 1), dtype=np.float32)
    y_all = rng.integers(0, 10, 4 * B)
    state = {"i": 0, "t": 0}

    def step():
        s = (state["i"] % 4) * B
        state["i"] += 1
        _, g = convnet_loss_grads(p, x_all[s:s + B], y_all[s:s + B])
        state["t"] += 1
        adam_update(params, [g[k] for k in C_KEYS], m, v, state["t"])

    return timed(step, steps=5)


# ---- self-test: gradients vs finite differences (float64, tiny instances) ---------------

def fd_check(name, loss_fn, p, g, rng, h=1e-6, entries=5):
    """Central differences along a random direction per parameter (all entries at once)
    and at a few single entries; returns the worst relative error."""
    worst = 0.0
    for key, arr in p.items():
        key_worst = 0.0
        dirs = [rng.standard_normal(arr.shape)]
        for _ in range(entries):
            e = np.zeros(arr.shape)
            e.flat[rng.integers(arr.size)] = 1
            dirs.append(e)
        for u in dirs:
            orig = arr.copy()
            arr += h * u
            lp = loss_fn()
            arr[...] = orig - h * u
            lm = loss_fn()
            arr[...] = orig
            fd, an = (lp - lm) / (2 * h), float(np.sum(g[key] * u))
            # entries whose true gradient is ~0 (relu-dead) compare on an absolute scale
            worst = max(worst, abs(fd - an) / max(abs(fd) + abs(an), 1e-4))
            key_worst = max(key_worst, abs(fd - an) / max(abs(fd) + abs(an), 1e-4))
        print(f"  {name}.{key:4s} shape {arr.shape}: |g| {np.linalg.norm(g[key]):.3e}, worst rel. error {key_worst:.1e}")
    return worst


def direct_conv_same(x, w, b, s):
    """Naive TF-"same" convolution, for checking im2col."""
    B, H, W, C = x.shape
    k, _, _, Co = w.shape
    oh, pt, _ = same_pad(H, k, s)
    ow, pl, _ = same_pad(W, k, s)
    out = np.zeros((B, oh, ow, Co)) + b
    for oi in range(oh):
        for oj in range(ow):
            for i in range(k):
                for j in range(k):
                    ii, jj = oi * s + i - pt, oj * s + j - pl
                    if 0 <= ii < H and 0 <= jj < W:
                        out[:, oi, oj, :] += x[:, ii, jj, :] @ w[i, j]
    return out


def selftest():
    rng = np.random.default_rng(0)
    ok = True
    # transformer: V=7, d=8, 2 heads, T=5, B=3 (weights scaled up so every path carries gradient)
    p = transformer_init(rng, 7, 8, 5, np.float64)
    for key in ("tok", "pos"):
        p[key] *= 25
    ids = rng.integers(0, 7, (3, 5))
    y = rng.integers(0, 7, 15)
    _, g = transformer_loss_grads(p, ids, y, 2)
    err = fd_check("transformer", lambda: transformer_loss_grads(p, ids, y, 2)[0], p, g, rng)
    print(f"transformer: worst relative error vs finite differences {err:.2e}")
    ok &= err < 1e-6
    # conv net: 6x6 input (stride-2 "same" pads 0 before, 1 after), 2 and 3 channels, batch 3
    p = conv_init(rng, S=6, C1=2, C2=3, classes=4, dtype=np.float64)
    p["b1"] += rng.standard_normal(p["b1"].shape) * 0.1
    p["b2"] += rng.standard_normal(p["b2"].shape) * 0.1
    x = rng.standard_normal((3, 6, 6, 1))
    y = rng.integers(0, 4, 3)
    _, g = convnet_loss_grads(p, x, y)
    err = fd_check("conv", lambda: convnet_loss_grads(p, x, y)[0], p, g, rng)
    print(f"conv net: worst relative error vs finite differences {err:.2e}")
    ok &= err < 1e-6
    for S, s, C, Co in ((6, 1, 1, 2), (6, 2, 2, 3), (7, 2, 2, 3), (28, 2, 8, 16)):
        xx = rng.standard_normal((2, S, S, C))
        w = rng.standard_normal((3, 3, C, Co))
        b = rng.standard_normal(Co)
        cols, meta = im2col(xx, 3, s)
        got = (cols @ w.reshape(-1, Co) + b).reshape(2, meta[2], meta[3], Co)
        e = float(np.abs(got - direct_conv_same(xx, w, b, s)).max())
        print(f"im2col conv vs direct loop, {S}x{S}, stride {s}: max abs diff {e:.1e}, output {got.shape[1]}x{got.shape[2]}")
        ok &= e < 1e-10
    print("selftest", "passed" if ok else "FAILED")
    return 0 if ok else 1


def matmul_ms(n=1024):
    rng = np.random.default_rng(1)
    a = rng.standard_normal((n, n), dtype=np.float32)
    b = rng.standard_normal((n, n), dtype=np.float32)
    return timed(lambda: a @ b, steps=3, warmup=2)


def main():
    global CLOCK
    if "--selftest" in sys.argv[1:]:
        sys.exit(selftest())
    if "--cpu" in sys.argv[1:]:
        CLOCK = time.process_time
    out = {MLP_NAME: mlp_step_ms(), MATMUL_NAME: matmul_ms(), TRANSFORMER_NAME: transformer_step_ms(), CONV_NAME: conv_step_ms()}
    json.dump(out, sys.stdout)
    print()


if __name__ == "__main__":
    main()
