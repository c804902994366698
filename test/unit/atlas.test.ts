// The atlas: its rows come from the registries (a fixture method registered here appears in
// the table, trained and measured), its statistics against hand-computed answers, and its
// report page is self-contained.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { backendReady } from "../../src/nn/backend";
import { registerOptimizer } from "../../src/optim/registry";
import { registerMask } from "../../src/prune/registry";
import { MaskSet } from "../../src/prune/mask";
import { tInterval } from "../../src/metrics/intervals";
import { ATLAS_PRESETS } from "../../src/papers/atlas/presets";
import { runAtlas, selectedMethods } from "../../src/papers/atlas/run";
import { atlasView } from "../../src/papers/atlas/view";
import { atlasHtml, atlasMarkdown, atlasPageData } from "../../src/papers/atlas/page";
import { gram, labelAlignment, labelKernel } from "../../src/papers/atlas/diagnostics";
import { buildTable, permutationP, spearmanFinite } from "../../src/papers/atlas/table";
import type { RowSeed } from "../../src/papers/atlas/mlp-run";

test("a mask criterion registered after import is an atlas row without editing the atlas", () => {
  registerMask("atlas-fixture-mask", (ctx) => MaskSet.ones(ctx.vars.map((v) => [...v.shape])));
  const { infos } = selectedMethods({ ...ATLAS_PRESETS.default, only: ["mask"] });
  const row = infos.find((m) => m.id === "mask:atlas-fixture-mask");
  assert.ok(row, "fixture row listed");
  assert.equal(row.na, null);
  assert.match(row.recipe, /sparse FT/);
});

test("a fixture optimizer is trained and measured in the atlas table, identical to the recipe it wraps", async () => {
  await backendReady();
  // The fixture is plain SGD under another name with SGD's lr centre: same seed, same recipe,
  // so its row must equal the sgd row; the table finds it by the registry name alone.
  registerOptimizer("atlas-fixture-opt", { create: (lr) => tf.train.sgd(lr), stateFloats: () => 0 });
  const s = ATLAS_PRESETS.smoke;
  const cfg = {
    ...s,
    perRegistry: 0,
    only: ["optimizer:sgd", "optimizer:atlas-fixture-opt", "optimizer:adam"],
    lrs: { ...s.lrs, "optimizer:atlas-fixture-opt": s.lrs["optimizer:sgd"] },
    char: { ...s.char!, lrs: { ...s.char!.lrs, "optimizer:atlas-fixture-opt": s.char!.lrs["optimizer:sgd"] } },
  };
  const r = await runAtlas(cfg, {});
  const v = atlasView(r, cfg);
  const fx = v.table.find((t) => t.id === "optimizer:atlas-fixture-opt");
  const sgd = v.table.find((t) => t.id === "optimizer:sgd");
  assert.ok(fx && sgd);
  assert.ok(fx.cells.accB && Number.isFinite(fx.cells.accB.mean));
  for (const k of ["accB", "forgetting", "effRank", "intruders", "relChange", "rankMe"] as const)
    assert.equal(fx.cells[k]?.mean, sgd.cells[k]?.mean, k);
  const adam = v.table.find((t) => t.id === "optimizer:adam");
  assert.notEqual(adam?.cells.relChange?.mean, sgd.cells.relChange?.mean);
  assert.ok((adam?.cells.stateFloats?.mean ?? 0) > 0);
  // The char base runs optimizer rows too: the fixture is there, equal to SGD again.
  const cfx = v.char?.table.find((t) => t.id === "optimizer:atlas-fixture-opt");
  assert.ok(cfx?.cells.accB && Number.isFinite(cfx.cells.accB.mean));
  assert.equal(cfx.cells.forgetting?.mean, v.char?.table.find((t) => t.id === "optimizer:sgd")?.cells.forgetting?.mean);
  const html = atlasHtml(atlasPageData(r, cfg, "smoke"));
  assert.match(html, /optimizer:atlas-fixture-opt/);
  assert.match(atlasMarkdown(atlasPageData(r, cfg, "smoke")), /\| optimizer:atlas-fixture-opt \|/);
});

test("Spearman over finite pairs, and the permutation p-value of a perfect ranking", () => {
  assert.equal(spearmanFinite([1, 2, 3, 4], [10, 20, 30, 45]), 1);
  assert.equal(spearmanFinite([1, 2, NaN, 4, 5], [5, 4, 100, 2, 1]), -1);
  assert.ok(Number.isNaN(spearmanFinite([1, 2, NaN], [1, 2, 3])));
  // 8 values in the same order: |ρ| = 1 only for the identity and the reversal (2 of 8! orders).
  const x = [1, 2, 3, 4, 5, 6, 7, 8];
  const p = permutationP(x, x, 999, 1);
  assert.ok(p <= 3 / 1000, `p = ${p}`);
  assert.ok(permutationP(x, [3, 8, 1, 6, 2, 7, 4, 5], 999, 1) > 0.05);
});

test("table cells are the t-interval over seeds; rows without records stay n/a", () => {
  const diag = (accB: number) => ({
    accB,
    hardAcc: 0,
    forgetting: 0,
    effRank: 0,
    stableRank: 0,
    intruders: 0,
    relChange: 0,
    kaAfter: 0,
    repAlign: 0,
    rankMe: 0,
    stateFloats: 0,
    msPerStep: 0,
  });
  const rec = (seed: number, accB: number): RowSeed => ({
    id: "optimizer:x",
    seed,
    lr: 1,
    selection: null,
    diagnostics: diag(accB),
    changedFraction: 1,
    entries: 1,
  });
  const t = buildTable(
    [
      { id: "optimizer:x", registry: "optimizer", name: "x", recipe: "r", na: null },
      { id: "growth:g", registry: "growth", name: "g", recipe: "n/a", na: "why" },
    ],
    [rec(0, 0.5), rec(1, 0.7), rec(2, 0.9)],
  );
  assert.deepEqual(t[0].cells.accB, tInterval([0.5, 0.7, 0.9]));
  assert.deepEqual(t[1].cells, {});
  assert.equal(t[1].na, "why");
});

test("kernels: Gram by hand, label kernel, and one-hot features align perfectly with the labels", () => {
  assert.deepEqual(
    gram([
      [1, 2],
      [3, 4],
    ]),
    [
      [5, 11],
      [11, 25],
    ],
  );
  assert.deepEqual(labelKernel([0, 1, 0]), [
    [1, 0, 1],
    [0, 1, 0],
    [1, 0, 1],
  ]);
  const y = [0, 2, 1, 0, 2];
  const oneHot = y.map((c) => [0, 1, 2].map((k) => (k === c ? 1 : 0)));
  assert.ok(Math.abs(labelAlignment(oneHot, y) - 1) < 1e-12);
  // Constant features: K = 11ᵀ·c; alignment with YYᵀ = ΣK·Y / (‖K‖‖Y‖) = 9 / (5 · 3) by hand.
  assert.ok(
    Math.abs(
      labelAlignment(
        y.map(() => [1]),
        y,
      ) -
        9 / 15,
    ) < 1e-12,
  );
  assert.ok(
    Number.isNaN(
      labelAlignment(
        y.map(() => [0]),
        y,
      ),
    ),
  );
});
