#!/usr/bin/env python3
"""PyTorch CPU reference for src/bench/training.ts: the same training steps (shapes, loss,
optimizer) as the numpy reference and the TS benchmarks, written the way a researcher would
write them in PyTorch (autograd, torch.optim.Adam with tf's epsilon 1e-7):
- MLP 784-256-256-10, batch 256, relu, mean cross-entropy;
- tiny transformer: token + position embeddings, one pre-norm layer (layer norm without
  affine, 4-head causal attention, 4d relu MLP, no biases), final layer norm, vocab 64
  output, next-token cross-entropy; d=64, seq 32, batch 32;
- conv net: conv 3x3 1->8 ("same") + bias, relu, conv 3x3 8->16 (stride 2, TF "same":
  0 before, 1 after) + bias, relu, dense 3136->10; 28x28, batch 64; channels-last input
  permuted to NCHW inside the step, as a port of the TS model would;
- LoRA r=4 (alpha 8) on the two hidden matrices of a frozen MLP 784-256-256-10, trained head,
  batch 256, Adam over the adapters and head;
- a 1024x1024 float32 matmul.
Measured at each thread count given (torch.set_num_threads); same timing scheme as the TS
side (warm-up, 5 timed blocks, median ms per step, and process CPU ms per step). Prints JSON
{"torch": version, "threads": {n: {name: {"ms": wall, "cpuMs": cpu}}}}. If torch is missing,
prints {"error": "..."} and exits 0."""
import json
import math
import sys
import time

try:
    import torch
    import torch.nn.functional as F
except Exception as e:  # noqa: BLE001 - any import failure means "no reference"
    print(json.dumps({"error": f"python3-torch is not installed ({type(e).__name__})"}))
    sys.exit(0)

MLP_NAME = "MLP 784-256-256-10 train step, batch 256 (Adam)"
MATMUL_NAME = "matmul 1024x1024 float32"
TRANSFORMER_NAME = "tiny transformer step (1 layer, d=64, 4 heads, seq 32, vocab 64, batch 32)"
CONV_NAME = "conv net step (2 conv layers, 28x28, batch 64)"
LORA_NAME = "LoRA r=4 step (MLP 784-256-256-10, adapters on 2 hidden layers + head, batch 256, Adam)"


def timed(step, blocks=5, steps=10, warmup=3):
    for _ in range(warmup):
        step()
    wall, cpu = [], []
    for _ in range(blocks):
        c0, t0 = time.process_time(), time.perf_counter()
        for _ in range(steps):
            step()
        wall.append((time.perf_counter() - t0) * 1000 / steps)
        cpu.append((time.process_time() - c0) * 1000 / steps)
    wall.sort()
    cpu.sort()
    return {"ms": wall[len(wall) // 2], "cpuMs": cpu[len(cpu) // 2]}


def adam(params):
    return torch.optim.Adam(params, lr=1e-3, eps=1e-7)


def mlp_step(sizes=(784, 256, 256, 10), batch=256):
    g = torch.Generator().manual_seed(2)
    n_data = batch * 8
    x_all = torch.randn(n_data, sizes[0], generator=g)
    y_all = torch.randint(0, sizes[-1], (n_data,), generator=g)
    layers = [torch.nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:])]
    params = [p for l in layers for p in l.parameters()]
    opt = adam(params)
    perm = torch.randperm(n_data, generator=g)
    state = {"i": 0}

    def step():
        s = (state["i"] % 8) * batch
        state["i"] += 1
        idx = perm[s:s + batch]
        h = x_all[idx]
        for k, l in enumerate(layers):
            h = l(h)
            if k + 1 < len(layers):
                h = F.relu(h)
        loss = F.cross_entropy(h, y_all[idx])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    return timed(step)


def lora_step(sizes=(784, 256, 256, 10), batch=256, r=4, alpha=8):
    g = torch.Generator().manual_seed(5)
    n_data = batch * 8
    x_all = torch.randn(n_data, sizes[0], generator=g)
    y_all = torch.randint(0, sizes[-1], (n_data,), generator=g)
    base = [torch.nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:])]
    for l in base[:-1]:
        l.requires_grad_(False)
    A = [torch.nn.Parameter(torch.empty(r, l.in_features).uniform_(-1 / math.sqrt(l.in_features), 1 / math.sqrt(l.in_features), generator=g)) for l in base[:-1]]
    B = [torch.nn.Parameter(torch.zeros(l.out_features, r)) for l in base[:-1]]
    s = alpha / r
    opt = adam(A + B + list(base[-1].parameters()))
    perm = torch.randperm(n_data, generator=g)
    state = {"i": 0}

    def step():
        k0 = (state["i"] % 8) * batch
        state["i"] += 1
        idx = perm[k0:k0 + batch]
        h = x_all[idx]
        for k, l in enumerate(base[:-1]):
            h = F.relu(l(h) + s * ((h @ A[k].t()) @ B[k].t()))
        loss = F.cross_entropy(base[-1](h), y_all[idx])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    return timed(step)


def transformer_step(V=64, d=64, T=32, Bsz=32, H=4):
    g = torch.Generator().manual_seed(3)
    r = lambda *shape, std: torch.nn.Parameter(torch.randn(*shape, generator=g) * std)
    s = 1 / math.sqrt(d)
    p = {"tok": r(V, d, std=0.02), "pos": r(T, d, std=0.02), "wq": r(d, d, std=s), "wk": r(d, d, std=s),
         "wv": r(d, d, std=s), "wo": r(d, d, std=s), "w1": r(d, 4 * d, std=s), "w2": r(4 * d, d, std=1 / math.sqrt(4 * d)),
         "out": r(d, V, std=s)}
    opt = adam(list(p.values()))
    seqs = torch.randint(0, V, (4 * Bsz, T + 1), generator=g)
    mask = torch.triu(torch.full((T, T), -1e9), 1)
    dh = d // H
    ln = lambda x: F.layer_norm(x, (d,), eps=1e-5)
    split = lambda a: a.view(Bsz, T, H, dh).transpose(1, 2)
    state = {"i": 0}

    def step():
        k0 = (state["i"] % 4) * Bsz
        state["i"] += 1
        batch = seqs[k0:k0 + Bsz]
        x = F.embedding(batch[:, :T], p["tok"]) + p["pos"]
        h = ln(x)
        q, k, v = split(h @ p["wq"]), split(h @ p["wk"]), split(h @ p["wv"])
        a = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(dh) + mask, dim=-1)
        x = x + (a @ v).transpose(1, 2).reshape(Bsz, T, d) @ p["wo"]
        x = x + F.relu(ln(x) @ p["w1"]) @ p["w2"]
        logits = ln(x) @ p["out"]
        loss = F.cross_entropy(logits.reshape(-1, V), batch[:, 1:].reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    return timed(step, steps=5)


def conv_step(Bsz=64):
    g = torch.Generator().manual_seed(4)
    r = lambda *shape, fan: torch.nn.Parameter(torch.randn(*shape, generator=g) * math.sqrt(2 / fan))
    p = {"c1": r(8, 1, 3, 3, fan=9), "b1": torch.nn.Parameter(torch.zeros(8)), "c2": r(16, 8, 3, 3, fan=72),
         "b2": torch.nn.Parameter(torch.zeros(16)), "w": r(14 * 14 * 16, 10, fan=14 * 14 * 16)}
    opt = adam(list(p.values()))
    x_all = torch.randn(4 * Bsz, 28, 28, 1, generator=g)
    y_all = torch.randint(0, 10, (4 * Bsz,), generator=g)
    state = {"i": 0}

    def step():
        k0 = (state["i"] % 4) * Bsz
        state["i"] += 1
        x = x_all[k0:k0 + Bsz].permute(0, 3, 1, 2)
        h1 = F.relu(F.conv2d(x, p["c1"], p["b1"], padding=1))
        h2 = F.relu(F.conv2d(F.pad(h1, (0, 1, 0, 1)), p["c2"], p["b2"], stride=2))
        logits = h2.permute(0, 2, 3, 1).reshape(Bsz, -1) @ p["w"]
        loss = F.cross_entropy(logits, y_all[k0:k0 + Bsz])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    return timed(step, steps=5)


def matmul(n=1024):
    g = torch.Generator().manual_seed(1)
    a, b = torch.randn(n, n, generator=g), torch.randn(n, n, generator=g)
    return timed(lambda: a @ b, steps=5)


def main():
    threads = [int(t) for t in (sys.argv[1] if len(sys.argv) > 1 else "1,2").split(",")]
    out = {"torch": torch.__version__, "threads": {}}
    for n in threads:
        torch.set_num_threads(n)
        torch.manual_seed(0)
        out["threads"][str(n)] = {
            MATMUL_NAME: matmul(),
            MLP_NAME: mlp_step(),
            TRANSFORMER_NAME: transformer_step(),
            CONV_NAME: conv_step(),
            LORA_NAME: lora_step(),
        }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
