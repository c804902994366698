// Property-based tests (fast-check) over the public functions of metrics, linalg, io and
// adapters with hostile arguments: random shapes including empty, ragged and mismatched,
// NaN/±Inf, negative or non-integer sizes and ranks, k beyond the rank, wrong types and
// unknown options. Every call must return a finite, correctly shaped answer or throw
// initlab's input error ("<argument>: <problem>"); a raw TypeError/RangeError from inside a
// dependency, a NaN returned silently, or a hang fails. FUZZ_RUNS sets the cases per
// function (default 200).
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import * as tf from "@tensorflow/tfjs";
import { InitlabInputError } from "../../src/core/validate";
import * as linalg from "../../src/linalg";
import * as metrics from "../../src/metrics";
import * as io from "../../src/io";
import * as adapters from "../../src/adapters";

const RUNS = Number(process.env.FUZZ_RUNS || 200);

// ---- arbitraries -------------------------------------------------------------------------

const fin = fc.double({ min: -1e3, max: 1e3, noNaN: true });
const weird = fc.constantFrom(NaN, Infinity, -Infinity, -0, 1e308, -1e308, 5e-324);
const num = fc.oneof({ weight: 8, arbitrary: fin }, { weight: 1, arbitrary: weird });
const junk = fc.constantFrom<unknown>(
  null,
  undefined,
  3,
  "m",
  {},
  true,
  [1, "a"],
  [["x"]],
  [[]],
  [[1], [2, 3]],
  new Float64Array(3),
  Symbol.iterator,
);
const grid = <T>(cells: fc.Arbitrary<T>, maxR = 5, maxC = 5) =>
  fc
    .tuple(fc.integer({ min: 0, max: maxR }), fc.integer({ min: 0, max: maxC }))
    .chain(([r, c]) => fc.array(fc.array(cells, { minLength: c, maxLength: c }), { minLength: r, maxLength: r }));
const matrix = fc.oneof(
  { weight: 6, arbitrary: grid(fin) as fc.Arbitrary<unknown> },
  { weight: 2, arbitrary: grid(num) as fc.Arbitrary<unknown> },
  { weight: 1, arbitrary: fc.array(fc.array(fin, { maxLength: 4 }), { maxLength: 4 }) as fc.Arbitrary<unknown> },
  { weight: 1, arbitrary: junk },
);
/** A pair of matrices that often share a shape. */
const matrixPair = fc.oneof(
  grid(fin).chain((a) =>
    fc.tuple(
      fc.constant(a as unknown),
      grid(fin, a.length, a[0]?.length ?? 0).map(
        (b) =>
          (b.length === a.length && b[0]?.length === a[0]?.length
            ? b
            : a.map((r) => r.map((v) => v * 2 + 1))) as unknown,
      ),
    ),
  ),
  fc.tuple(matrix, matrix),
);
const vec = fc.oneof(
  { weight: 6, arbitrary: fc.array(fin, { maxLength: 8 }) as fc.Arbitrary<unknown> },
  { weight: 2, arbitrary: fc.array(num, { maxLength: 8 }) as fc.Arbitrary<unknown> },
  { weight: 1, arbitrary: junk },
);
const size = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: -2, max: 12 }) as fc.Arbitrary<unknown> },
  { weight: 1, arbitrary: fc.constantFrom<unknown>(NaN, Infinity, 2.5, -0, 1e9, "3", null, undefined) },
);
const unit = fc.oneof(
  fc.double({ min: 0, max: 1, noNaN: true }),
  fc.constantFrom<unknown>(-0.1, 1.5, NaN, "0.5", null),
);
const opts = (known: Record<string, fc.Arbitrary<unknown>>) =>
  fc.oneof(
    { weight: 4, arbitrary: fc.record(known, { requiredKeys: [] }) as fc.Arbitrary<unknown> },
    { weight: 1, arbitrary: fc.constantFrom<unknown>(undefined, {}, { bogus: 1 }, null, 5, "x") },
  );
/** Mostly well-formed cases (so answers get checked), the rest hostile. */
const mix = <T>(valid: fc.Arbitrary<T>, hostile: fc.Arbitrary<T>) =>
  fc.oneof({ weight: 3, arbitrary: valid }, { weight: 2, arbitrary: hostile });
const dims = fc.tuple(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 5 }));
const okMatrix = (r: number, c: number) =>
  fc.array(fc.array(fin, { minLength: c, maxLength: c }), { minLength: r, maxLength: r });
const goodMatrix = dims.chain(([r, c]) => okMatrix(r, c));
const square = fc.integer({ min: 1, max: 5 }).chain((n) => okMatrix(n, n));
const symmetric = square.map((m) => m.map((row, i) => row.map((v, j) => (v + m[j][i]) / 2)));
const samePair = dims.chain(([r, c]) => fc.tuple(okMatrix(r, c), okMatrix(r, c)));
const goodVec = fc.array(fin, { minLength: 2, maxLength: 8 });
const vecPair = fc
  .integer({ min: 2, max: 8 })
  .chain((n) => fc.tuple(fc.array(fin, { minLength: n, maxLength: n }), fc.array(fin, { minLength: n, maxLength: n })));
/** Class scores [n, c] with n labels in [0, c). */
const scored = (cells: fc.Arbitrary<number>) =>
  fc
    .tuple(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 2, max: 4 }))
    .chain(([n, c]) =>
      fc.tuple(
        fc.array(fc.array(cells, { minLength: c, maxLength: c }), { minLength: n, maxLength: n }),
        fc.array(fc.integer({ min: 0, max: c - 1 }), { minLength: n, maxLength: n }),
      ),
    );
const labels = fc.oneof(fc.array(fc.integer({ min: -1, max: 4 }), { maxLength: 6 }) as fc.Arbitrary<unknown>, vec);

// ---- oracles -------------------------------------------------------------------------------

const isFiniteNum = (v: unknown) => typeof v === "number" && Number.isFinite(v);
const shape2 = (m: unknown): [number, number] => {
  const a = m as ArrayLike<ArrayLike<unknown>>;
  return [a.length, a[0]?.length ?? 0];
};
function finiteDeep(v: unknown, path = "result"): string | null {
  if (typeof v === "number") return Number.isFinite(v) ? null : `${path} is ${v}`;
  if (v === null || typeof v !== "object") return null;
  if (ArrayBuffer.isView(v)) return finiteDeep(Array.from(v as unknown as ArrayLike<number>), path);
  for (const [k, x] of Object.entries(v)) {
    const bad = finiteDeep(x, `${path}.${k}`);
    if (bad) return bad;
  }
  return null;
}
const matrixOf = (r: number, c: number) => (v: unknown) => {
  const m = v as number[][];
  if (!Array.isArray(m) || m.length !== r || m.some((row) => row.length !== c)) return `shape is not ${r}×${c}`;
  return finiteDeep(m);
};
const arrayOf = (n: number) => (v: unknown) =>
  !v || (v as ArrayLike<number>).length !== n ? `length ${(v as ArrayLike<number>)?.length} ≠ ${n}` : finiteDeep(v);

const tally = new Map<string, { ok: number; refused: number }>();

/**
 * Runs `RUNS` generated cases of `fn`; `expect(result, args)` returns a problem or null.
 * Errors must be InitlabInputError with "<argument>: <problem>".
 */
function property<A extends unknown[]>(
  name: string,
  args: fc.Arbitrary<A>,
  fn: (...a: A) => unknown,
  expect: (r: unknown, a: A) => string | null = (r) => finiteDeep(r),
): void {
  test(`property: ${name}`, () => {
    const t = { ok: 0, refused: 0 };
    const out = fc.check(
      fc.property(args, (a) => {
        let r: unknown;
        try {
          r = fn(...a);
        } catch (e) {
          if (!(e instanceof InitlabInputError))
            throw new Error(`${name} threw ${(e as Error)?.name}: ${(e as Error)?.message}`);
          if (!/: \S.{3,}/.test((e as Error).message))
            throw new Error(`${name}: unclear error "${(e as Error).message}"`);
          t.refused++;
          return;
        }
        const bad = expect(r, a);
        if (bad) throw new Error(`${name} returned a bad answer: ${bad}`);
        t.ok++;
      }),
      { numRuns: RUNS, seed: 17, endOnFailure: true },
    );
    if (out.failed)
      assert.fail(`${(out.errorInstance as Error)?.message} — for ${fc.stringify(out.counterexample).slice(0, 400)}`);
    tally.set(name, t);
  });
}

// ---- linalg --------------------------------------------------------------------------------

property(
  "linalg.svd",
  fc.tuple(mix(goodMatrix as fc.Arbitrary<unknown>, matrix), opts({ vectors: fc.boolean() as fc.Arbitrary<unknown> })),
  (m, o) => linalg.svd(m as number[][], o as never),
  (r, [m]) => {
    const s = r as linalg.SVDResult;
    const [rows, cols] = shape2(m);
    return s.S.length !== Math.min(rows, cols) ? `|S| = ${s.S.length}` : finiteDeep(s);
  },
);
property(
  "linalg.singularValues",
  fc.tuple(matrix),
  (m) => linalg.singularValues(m as number[][]),
  (r, [m]) => arrayOf(Math.min(...shape2(m)))(r),
);
property(
  "linalg.eigh",
  fc.tuple(mix(symmetric as fc.Arbitrary<unknown>, matrix), opts({ symmetryTol: num as fc.Arbitrary<unknown> })),
  (m, o) => linalg.eigh(m as number[][], o as never),
);
property(
  "linalg.svdTopK",
  fc.tuple(
    mix(goodMatrix as fc.Arbitrary<unknown>, matrix),
    mix(fc.integer({ min: 1, max: 4 }) as fc.Arbitrary<unknown>, size),
    opts({ oversample: size, seed: size }),
  ),
  (m, k, o) => linalg.svdTopK(m as number[][], k as number, o as never),
);
property("linalg.luDecompose", fc.tuple(matrix), (m) => linalg.luDecompose(m as number[][]));
property("linalg.toArray2D", fc.tuple(matrix), (m) => linalg.toArray2D(m as number[][]));
property(
  "linalg.fromFlat",
  mix(
    dims.chain(([r, c]) =>
      fc.tuple(
        fc.array(fin, { minLength: r * c, maxLength: r * c }) as fc.Arbitrary<unknown>,
        fc.constant(r as unknown),
        fc.constant(c as unknown),
      ),
    ),
    fc.tuple(vec, size, size),
  ),
  (d, r, c) => linalg.fromFlat(d as number[], r as number, c as number),
  (v, [, r, c]) => matrixOf(r as number, c as number)(v),
);

// ---- metrics -------------------------------------------------------------------------------

property(
  "metrics.effectiveRank",
  fc.tuple(
    mix(
      fc.array(fc.double({ min: 0, max: 1e3, noNaN: true }), { minLength: 1, maxLength: 8 }) as fc.Arbitrary<unknown>,
      vec,
    ),
    opts({ eps: num as fc.Arbitrary<unknown> }),
  ),
  (s, o) => metrics.effectiveRank(s as number[], o as never),
);
property("metrics.spectrum", fc.tuple(matrix), (m) => metrics.spectrum(m as number[][]));
property("metrics.spectralNorm", fc.tuple(matrix), (m) => metrics.spectralNorm(m as number[][]));
property("metrics.stableRank", fc.tuple(matrix), (m) => metrics.stableRank(m as number[][]));
property("metrics.participationRatio", fc.tuple(matrix), (m) => metrics.participationRatio(m as number[][]));
property(
  "metrics.rankMe",
  fc.tuple(matrix, opts({ eps: num as fc.Arbitrary<unknown>, center: fc.boolean() as fc.Arbitrary<unknown> })),
  (m, o) => metrics.rankMe(m as number[][], o as never),
);
property("metrics.relativeWeightChange", matrixPair, (a, b) =>
  metrics.relativeWeightChange(a as number[][], b as number[][]),
);
property(
  "metrics.kernelAlignment",
  mix(
    fc
      .integer({ min: 1, max: 4 })
      .chain((n) => fc.tuple(okMatrix(n, n) as fc.Arbitrary<unknown>, okMatrix(n, n) as fc.Arbitrary<unknown>)),
    matrixPair,
  ),
  (a, b) => metrics.kernelAlignment(a as number[][], b as number[][]),
);
property("metrics.representationAlignment", matrixPair, (a, b) =>
  metrics.representationAlignment(a as number[][], b as number[][]),
);
property(
  "metrics.capturedVariance",
  mix(
    fc
      .tuple(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 3 }))
      .chain(([n, d, r]) => fc.tuple(okMatrix(n, d) as fc.Arbitrary<unknown>, okMatrix(d, r) as fc.Arbitrary<unknown>)),
    matrixPair,
  ),
  (a, b) => metrics.capturedVariance(a as number[][], b as number[][]),
);
property(
  "metrics.intruderDimensions",
  fc.tuple(mix(samePair as fc.Arbitrary<[unknown, unknown]>, matrixPair), opts({ k: size, epsilon: unit })),
  ([a, b], o) => metrics.intruderDimensions(a as number[][], b as number[][], o as never),
  (r, [[a]]) => {
    const x = r as metrics.IntruderResult;
    return x.maxCosine.some((c) => !(c >= 0 && c <= 1))
      ? "cosine outside [0, 1]"
      : x.count !== x.indices.length || x.count > Math.min(...shape2(a))
        ? "count"
        : null;
  },
);
property(
  "metrics.intruderCurve",
  fc.tuple(
    mix(samePair as fc.Arbitrary<[unknown, unknown]>, matrixPair),
    mix(
      fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 3 }) as fc.Arbitrary<unknown>,
      fc.array(unit, { maxLength: 3 }),
    ),
    opts({ k: size }),
  ),
  ([a, b], e, o) => metrics.intruderCurve(a as number[][], b as number[][], e as number[], o as never),
);
property(
  "metrics.scaleIntruders",
  fc.tuple(
    mix(samePair as fc.Arbitrary<[unknown, unknown]>, matrixPair),
    opts({ k: size, epsilon: unit, lambda: num as fc.Arbitrary<unknown> }),
  ),
  ([a, b], o) => metrics.scaleIntruders(a as number[][], b as number[][], o as never),
);
property("metrics.mean", fc.tuple(vec), (x) => metrics.mean(x as number[]));
property("metrics.std", fc.tuple(vec), (x) => metrics.std(x as number[]));
// Documented: NaN exactly when one side is constant (the correlation is undefined there).
const constant = (x: unknown) => new Set(x as number[]).size <= 1;
const correlation = (r: unknown, [x, y]: unknown[]) =>
  Number.isNaN(r)
    ? constant(x) || constant(y)
      ? null
      : "NaN for non-constant input"
    : isFiniteNum(r) && Math.abs(r as number) <= 1 + 1e-12
      ? null
      : `${r}`;
property(
  "metrics.pearson",
  mix(vecPair as fc.Arbitrary<[unknown, unknown]>, fc.tuple(vec, vec)),
  (x, y) => metrics.pearson(x as number[], y as number[]),
  correlation,
);
property(
  "metrics.spearman",
  mix(vecPair as fc.Arbitrary<[unknown, unknown]>, fc.tuple(vec, vec)),
  (x, y) => metrics.spearman(x as number[], y as number[]),
  correlation,
);
property(
  "metrics.ranks",
  fc.tuple(vec),
  (x) => metrics.ranks(x as number[]),
  (r, [x]) => arrayOf((x as number[]).length)(r),
);
property(
  "metrics.auroc",
  mix(
    fc
      .integer({ min: 2, max: 8 })
      .chain((n) =>
        fc.tuple(
          fc.array(fin, { minLength: n, maxLength: n }) as fc.Arbitrary<unknown>,
          fc.array(fc.boolean(), { minLength: n, maxLength: n }) as fc.Arbitrary<unknown>,
        ),
      ),
    fc.tuple(vec, labels),
  ),
  (s, p) => metrics.auroc(s as number[], p as number[]),
);
// Documented: one value has no interval (method "single", lo = hi = NaN).
const interval = (r: unknown) => {
  const i = r as metrics.Interval;
  if (i.method === "single")
    return i.n === 1 && Number.isNaN(i.lo) && Number.isNaN(i.hi) && isFiniteNum(i.mean) ? null : "single";
  return isFiniteNum(i.lo) && isFiniteNum(i.hi) && i.lo <= i.mean && i.mean <= i.hi
    ? null
    : `interval ${i.lo}..${i.hi}`;
};
property("metrics.tInterval", fc.tuple(vec, unit), (x, l) => metrics.tInterval(x as number[], l as number), interval);
property(
  "metrics.pairedDifference",
  fc
    .tuple(mix(vecPair as fc.Arbitrary<[unknown, unknown]>, fc.tuple(vec, vec)), unit)
    .map(([[a, b], l]) => [a, b, l] as [unknown, unknown, unknown]),
  (a, b, l) => metrics.pairedDifference(a as number[], b as number[], l as number),
  interval,
);
property("metrics.studentTQuantile", fc.tuple(unit, size), (p, df) =>
  metrics.studentTQuantile(p as number, df as number),
);
property("metrics.studentTCdf", fc.tuple(num, size), (t, df) => metrics.studentTCdf(t, df as number));
property(
  "metrics.incompleteBeta",
  fc.tuple(
    unit,
    mix(fc.double({ min: 0.01, max: 50, noNaN: true }), num),
    mix(fc.double({ min: 0.01, max: 50, noNaN: true }), num),
  ),
  (x, a, b) => metrics.incompleteBeta(x as number, a, b),
);
property(
  "metrics.el2nScores",
  mix(scored(fc.double({ min: 0, max: 1, noNaN: true })) as fc.Arbitrary<[unknown, unknown]>, fc.tuple(matrix, labels)),
  (p, y) => metrics.el2nScores(p as number[][], y as number[]),
);
property(
  "metrics.averageScores",
  fc.tuple(
    mix(
      fc
        .integer({ min: 1, max: 5 })
        .chain((n) =>
          fc.array(fc.array(fin, { minLength: n, maxLength: n }), { minLength: 1, maxLength: 3 }),
        ) as fc.Arbitrary<unknown>,
      fc.array(vec, { maxLength: 4 }),
    ),
  ),
  (runs) => metrics.averageScores(runs as number[][]),
);
property(
  "metrics.pruneByScore",
  fc.tuple(
    mix(goodVec as fc.Arbitrary<unknown>, vec),
    mix(
      fc.record({
        keep: fc.double({ min: 0, max: 0.5, noNaN: true }),
        order: fc.constantFrom("hardest", "easiest", "random"),
        seed: fc.integer({ min: 0, max: 9 }),
      }) as fc.Arbitrary<unknown>,
      opts({
        keep: fc.oneof(unit, size),
        offset: fc.oneof(unit, size),
        order: fc.constantFrom<unknown>("hardest", "easiest", "random", "bogus"),
        seed: size,
      }),
    ),
  ),
  (s, o) => metrics.pruneByScore(s as number[], o as never),
);
property(
  "metrics.forgettingScores",
  fc.tuple(
    mix(
      fc
        .integer({ min: 1, max: 5 })
        .chain((n) =>
          fc.array(fc.array(fc.boolean(), { minLength: n, maxLength: n }), { minLength: 1, maxLength: 4 }),
        ) as fc.Arbitrary<unknown>,
      fc.array(vec, { maxLength: 4 }),
    ),
  ),
  (h) => metrics.forgettingScores(h as number[][]),
);
property("metrics.stablemax", fc.tuple(matrix), (m) => metrics.stablemax(m as number[][]));
property(
  "metrics.stablemaxCrossEntropy",
  mix(scored(fin) as fc.Arbitrary<[unknown, unknown]>, fc.tuple(matrix, labels)),
  (m, y) => metrics.stablemaxCrossEntropy(m as number[][], y as number[]),
);
property(
  "metrics.softmaxCollapse",
  fc
    .tuple(
      mix(scored(fin) as fc.Arbitrary<[unknown, unknown]>, fc.tuple(matrix, labels)),
      opts({ precision: fc.constantFrom<unknown>("float32", "float16", "bogus") }),
    )
    .map(([[m, y], o]) => [m, y, o] as [unknown, unknown, unknown]),
  (m, y, o) => metrics.softmaxCollapse(m as number[][], y as number[], o as never),
);
property(
  "metrics.roundToPrecision",
  fc.tuple(num, fc.constantFrom<unknown>("float64", "float32", "float16", "bfloat16", "fp8", null)),
  (x, p) => metrics.roundToPrecision(x, p as never),
  (r, [x]) => (Number.isFinite(x) && Math.abs(x) < 3e38 && !isFiniteNum(r) && Math.abs(x) < 6e4 ? `${r}` : null),
);
property(
  "metrics.spectrumMetrics",
  fc.tuple(
    mix(
      fc
        .array(fc.double({ min: 0, max: 1e3, noNaN: true }), { minLength: 1, maxLength: 6 })
        .map((s) => s.sort((a, b) => b - a)) as fc.Arbitrary<unknown>,
      vec,
    ),
  ),
  (s) => metrics.spectrumMetrics(s as number[]),
);

// ---- io ------------------------------------------------------------------------------------

const tensorIn = fc.record({
  dtype: fc.constantFrom<unknown>("F32", "F16", "BF16", "I32", "I64", "U8", "BOOL", "F64", "X", null),
  shape: fc.oneof(fc.array(fc.integer({ min: -1, max: 3 }), { maxLength: 3 }) as fc.Arbitrary<unknown>, junk),
  data: fc.oneof(
    fc.array(fc.oneof(fin, fc.integer({ min: -3, max: 300 })), { maxLength: 9 }) as fc.Arbitrary<unknown>,
    vec,
  ),
});
const names = fc.constantFrom("w", "__proto__", "constructor", "toString", "", "__metadata__", "a.b");
property(
  "io.writeSafetensors + readSafetensors",
  fc.tuple(
    fc.dictionary(names, tensorIn, { maxKeys: 3 }),
    opts({ __proto__: fc.constant("x"), k: fc.constantFrom<unknown>("v", 1) }),
  ),
  (t, m) => {
    const bytes = io.writeSafetensors(t as never, m as never);
    return io.readSafetensors(bytes);
  },
  (r, [t]) => {
    const f = r as io.SafetensorsFile;
    const want = Object.keys(t as object);
    const got = Object.keys(f.tensors);
    return want.join() !== got.join() ? `names ${got} ≠ ${want}` : null;
  },
);
property(
  "io.writeNpy + readNpy",
  fc.tuple(tensorIn),
  (t) => io.readNpy(io.writeNpy(t as never)),
  (r, [t]) => ((r as io.NpyArray).data.length !== (t.data as unknown[]).length ? "length" : null),
);
property("io.readSafetensors (random bytes)", fc.tuple(fc.uint8Array({ maxLength: 64 })), (b) => io.readSafetensors(b));
property("io.readNpy (random bytes)", fc.tuple(fc.uint8Array({ maxLength: 64 })), (b) => io.readNpy(b));
const indexText = fc
  .record(
    {
      weight_map: fc.dictionary(
        fc.oneof(fc.string(), names),
        fc.oneof(
          fc.constantFrom<unknown>(
            "model-00001-of-00002.safetensors",
            "a.safetensors",
            "../x.safetensors",
            "",
            3,
            null,
          ),
        ),
      ),
      metadata: fc.constantFrom<unknown>({ total_size: 8 }, null, [], "x"),
    },
    { requiredKeys: ["weight_map"] },
  )
  .map((o) => JSON.stringify(o));
property(
  "io.parseSafetensorsIndex",
  fc.tuple(mix(indexText, fc.oneof(fc.json(), fc.string()))),
  (s) => io.parseSafetensorsIndex(s),
  (r) => {
    for (const [n, f] of (r as io.SafetensorsIndex).weightMap)
      if (!f.endsWith(".safetensors") || f.includes("/")) return `${n} → ${f}`;
    return null;
  },
);
const cfg = fc.record(
  {
    peft_type: fc.constantFrom<unknown>("LORA", "ADALORA", "LOHA", null, 1),
    r: size,
    lora_alpha: fc.oneof(num as fc.Arbitrary<unknown>, fc.constant("8")),
    use_rslora: fc.constantFrom<unknown>(true, false, "yes", null),
    use_dora: fc.constantFrom<unknown>(true, false),
    fan_in_fan_out: fc.constantFrom<unknown>(true, false, 1),
    target_modules: fc.constantFrom<unknown>(["q_proj"], "q_proj|v_proj", "(", null, 3, [1]),
    rank_pattern: fc.constantFrom<unknown>({}, { q: 2 }, { q: -1 }, { __proto__: 2 }, [], null),
    alpha_pattern: fc.constantFrom<unknown>({}, { q: 2 }, { q: "x" }, null),
  },
  { requiredKeys: [] },
);
const goodCfg = fc.record({
  peft_type: fc.constant("LORA"),
  r: fc.integer({ min: 1, max: 64 }),
  lora_alpha: fc.integer({ min: 1, max: 64 }),
  target_modules: fc.constantFrom(["q_proj"], "q|v", null),
});
property(
  "io.parseAdapterConfig",
  fc.tuple(
    fc.oneof(
      goodCfg.map((c) => JSON.stringify(c)),
      cfg.map((c) => JSON.stringify(c)),
      fc.string(),
    ),
  ),
  (s) => io.parseAdapterConfig(s),
  (r) => {
    const c = r as io.LoraAdapterConfig;
    return Number.isInteger(c.r) && c.r > 0 && Number.isFinite(c.loraAlpha)
      ? null
      : "config accepted with a bad r/alpha";
  },
);
const small = (rows: number, cols: number) =>
  fc.array(fin, { minLength: rows * cols, maxLength: rows * cols }).map((data) => ({ shape: [rows, cols], data }));
property(
  "io.loraDelta",
  fc.tuple(
    fc
      .tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 4 }), fc.integer({ min: 0, max: 4 }))
      .chain(([r, i, o]) =>
        fc.tuple(
          fc.oneof(small(r, i), small(r + 1, i)) as fc.Arbitrary<unknown>,
          fc.oneof(small(o, r), junk) as fc.Arbitrary<unknown>,
        ),
      ),
    num,
    fc.boolean(),
  ),
  ([a, b], s, t) => io.loraDelta(a as never, b as never, s, t),
);
property(
  "io.numberToF16 ∘ f16ToNumber",
  fc.tuple(num),
  (x) => io.f16ToNumber(io.numberToF16(x)),
  (r, [x]) =>
    Math.abs(x) < 65504 && !Number.isNaN(x) && Math.abs((r as number) - x) > Math.abs(x) * 2 ** -10 + 2 ** -24
      ? `${x} → ${r}`
      : null,
);

// ---- adapters ------------------------------------------------------------------------------

property("adapters.loraScale", fc.tuple(size, num, fc.boolean()), (r, a, rs) => adapters.loraScale(r as number, a, rs));
const ratios = fc.array(fc.array(fc.double({ min: 0, max: 0.3, noNaN: true }), { minLength: 4, maxLength: 6 }), {
  minLength: 1,
  maxLength: 3,
});
property(
  "adapters.evaRankAllocation",
  fc.tuple(
    mix(ratios as fc.Arbitrary<unknown>, fc.array(vec, { maxLength: 3 })),
    mix(
      fc.record({ r: fc.integer({ min: 1, max: 2 }) }) as fc.Arbitrary<unknown>,
      opts({ r: size, rho: num as fc.Arbitrary<unknown>, alpha: num as fc.Arbitrary<unknown> }),
    ),
  ),
  (e, o) => adapters.evaRankAllocation(e as number[][], o as never),
);
property("adapters.loraGaDirections", fc.tuple(fc.constantFrom<unknown>("ArB2r", "A2rBr", "ArBr", "x"), size), (d, r) =>
  adapters.loraGaDirections(d as never, r as number),
);

// The registered adapters over a small base with hostile configs (tfjs; fewer cases each is
// not allowed: every function gets RUNS).
const adapterConfig = mix(
  fc.record(
    { r: fc.integer({ min: 1, max: 2 }), alpha: fc.integer({ min: 1, max: 8 }), seed: fc.integer({ min: 0, max: 9 }) },
    { requiredKeys: ["r"] },
  ) as fc.Arbitrary<unknown>,
  fc.record(
    {
      r: size,
      alpha: fc.oneof(num as fc.Arbitrary<unknown>, fc.constant("8")),
      seed: size,
      bogus: fc.constant(1),
      init: fc.constantFrom<unknown>("gaussian", "pissa", "zeros", 7),
    },
    { requiredKeys: [] },
  ) as fc.Arbitrary<unknown>,
);
for (const name of adapters.adapterNames()) {
  property(
    `adapters.createAdapter("${name}")`,
    fc.tuple(adapterConfig, fc.constantFrom([4, 3], [3, 4], [1, 1], [0, 3])),
    (c, [i, o]) =>
      tf.tidy(() => {
        const base = tf.randomNormal([i, o], 0, 1, "float32", 1) as tf.Tensor2D;
        const a = adapters.createAdapter(name, base, c as object);
        const d = a.deltaW();
        const e = a.effectiveWeight();
        const out = { delta: d.shape, eff: e.shape, finite: tf.all(tf.isFinite(e)).dataSync()[0] };
        a.trainableVariables().forEach((v) => v.dispose());
        a.base.dispose();
        return out;
      }),
    (r, [, [i, o]]) => {
      const x = r as { delta: number[]; eff: number[]; finite: number };
      return x.delta.join() !== `${i},${o}` || x.eff.join() !== `${i},${o}`
        ? `shape ${x.delta}`
        : x.finite
          ? null
          : "non-finite effective weight";
    },
  );
}

test("property tally (cases per function)", () => {
  const lines = [...tally].map(
    ([n, t]) => `${n}: ${t.ok + t.refused} cases (${t.ok} answered, ${t.refused} refused with a named error)`,
  );
  console.log(`properties: ${tally.size} functions × ${RUNS} cases\n` + lines.join("\n"));
  for (const [n, t] of tally) assert.equal(t.ok + t.refused, RUNS, n);
});
