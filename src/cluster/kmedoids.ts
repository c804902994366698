// k-medoids on any dissimilarity matrix (Schubert & Rousseeuw, "Fast and eager k-medoids
// clustering", Information Systems 2021): PAM's BUILD and SWAP, FastPAM1 (the same swaps as
// PAM, each iteration O(k) times cheaper) and FasterPAM (eager: the first improving swap is
// taken at once). Every kernel counts the dissimilarity entries it reads (`work`), a
// deterministic measure of cost that does not depend on the machine's load.
import { Rng } from "../core/random";
import { assertKnownOptions, fail } from "../core/validate";
import { assignFlat, checkMedoids, flattenDissimilarity } from "./dissimilarity";

export type KMedoidsMethod = "pam" | "fastpam1" | "fasterpam";

export interface KMedoidsOptions {
  method: KMedoidsMethod;
  /** "build" (default): PAM's greedy BUILD; "random": k distinct points drawn with `seed`; or medoid indices. */
  init?: "build" | "random" | number[];
  /** Swap iterations for pam/fastpam1 (one best swap each), passes over the data for fasterpam (default 100). */
  maxIter?: number;
  /** Seed of the random initialisation (default 0). */
  seed?: number;
}

export interface KMedoidsResult {
  /** Medoid indices (0-based), cluster c is medoids[c]. */
  medoids: number[];
  /** Cluster index of each point (position in `medoids`; nearest medoid, first on ties). */
  labels: number[];
  /** Total deviation: sum of each point's dissimilarity to its medoid. */
  loss: number;
  /** Swaps performed. */
  swaps: number;
  /** Swap iterations (pam/fastpam1) or passes over the data (fasterpam). */
  iterations: number;
  /** Dissimilarity entries read by initialisation and swapping. */
  work: number;
}

const METHODS: readonly KMedoidsMethod[] = ["pam", "fastpam1", "fasterpam"];

// Per-point caches: nearest and second-nearest medoid (positions in the medoid list) and distances.
class State {
  readonly near: Int32Array;
  readonly second: Int32Array;
  readonly dn: Float64Array;
  readonly ds: Float64Array;
  readonly removal: Float64Array;
  readonly isMedoid: Uint8Array;
  work = 0;
  constructor(
    readonly d: Float64Array,
    readonly n: number,
    readonly medoids: number[],
  ) {
    this.near = new Int32Array(n);
    this.second = new Int32Array(n);
    this.dn = new Float64Array(n);
    this.ds = new Float64Array(n);
    this.removal = new Float64Array(medoids.length);
    this.isMedoid = new Uint8Array(n);
    for (const m of medoids) this.isMedoid[m] = 1;
    for (let o = 0; o < n; o++) this.rescan(o);
    this.updateRemoval();
  }
  /** Nearest and second-nearest medoid of o by a full scan (O(k)). */
  rescan(o: number): void {
    const { d, n, medoids } = this;
    let b1 = -1;
    let b2 = -1;
    let d1 = Infinity;
    let d2 = Infinity;
    for (let m = 0; m < medoids.length; m++) {
      const v = d[o * n + medoids[m]];
      if (v < d1) {
        b2 = b1;
        d2 = d1;
        b1 = m;
        d1 = v;
      } else if (v < d2) {
        b2 = m;
        d2 = v;
      }
    }
    this.work += medoids.length;
    this.near[o] = b1;
    this.dn[o] = d1;
    this.second[o] = b2;
    this.ds[o] = d2;
  }
  /** Second-nearest medoid of o by a scan that skips the nearest. */
  rescanSecond(o: number): void {
    const { d, n, medoids } = this;
    let b2 = -1;
    let d2 = Infinity;
    for (let m = 0; m < medoids.length; m++) {
      if (m === this.near[o]) continue;
      const v = d[o * n + medoids[m]];
      if (v < d2) {
        b2 = m;
        d2 = v;
      }
    }
    this.work += medoids.length;
    this.second[o] = b2;
    this.ds[o] = d2;
  }
  /** ΔTD⁻_m: the loss of removing medoid m alone (its points move to their second-nearest). */
  updateRemoval(): void {
    this.removal.fill(0);
    for (let o = 0; o < this.n; o++) this.removal[this.near[o]] += this.ds[o] - this.dn[o];
  }
  loss(): number {
    let s = 0;
    for (let o = 0; o < this.n; o++) s += this.dn[o];
    return s;
  }
}

/** PAM's own cost: the change of swapping medoid m for point j, one O(n) sum per (m, j). */
function pamDelta(st: State, m: number, j: number): number {
  const { d, n, near, dn, ds } = st;
  let delta = 0;
  for (let o = 0; o < n; o++) {
    const doj = d[o * n + j];
    if (near[o] === m) delta += (doj < ds[o] ? doj : ds[o]) - dn[o];
    else if (doj < dn[o]) delta += doj - dn[o];
  }
  st.work += n;
  return delta;
}

/** FastPAM1: the change for every medoid m at once for candidate j, in one O(n) pass. */
function fastDeltas(st: State, j: number, out: Float64Array): number {
  const { d, n, near, dn, ds, removal, medoids } = st;
  const k = medoids.length;
  if (k === 1) {
    // No second-nearest medoid: every point moves to j.
    let s = 0;
    for (let o = 0; o < n; o++) s += d[o * n + j] - dn[o];
    st.work += n;
    out[0] = s;
    return s;
  }
  out.set(removal);
  let acc = 0;
  for (let o = 0; o < n; o++) {
    const doj = d[o * n + j];
    if (doj < dn[o]) {
      acc += doj - dn[o];
      out[near[o]] += dn[o] - ds[o];
    } else if (doj < ds[o]) out[near[o]] += doj - ds[o];
  }
  st.work += n;
  let best = Infinity;
  for (let m = 0; m < k; m++) {
    out[m] += acc;
    if (out[m] < best) best = out[m];
  }
  return best;
}

/** Swap medoid position m for point j and update every cache (O(n), plus O(k) rescans when needed). */
function applySwap(st: State, m: number, j: number): void {
  const { d, n, near, second, dn, ds } = st;
  st.isMedoid[st.medoids[m]] = 0;
  st.isMedoid[j] = 1;
  st.medoids[m] = j;
  for (let o = 0; o < n; o++) {
    const doj = d[o * n + j];
    if (near[o] === m) {
      if (doj < ds[o]) dn[o] = doj;
      else {
        near[o] = second[o];
        dn[o] = ds[o];
        st.rescanSecond(o);
      }
    } else if (doj < dn[o]) {
      second[o] = near[o];
      ds[o] = dn[o];
      near[o] = m;
      dn[o] = doj;
    } else if (second[o] === m) {
      if (doj < ds[o]) ds[o] = doj;
      else st.rescanSecond(o);
    } else if (doj < ds[o]) {
      second[o] = m;
      ds[o] = doj;
    }
  }
  st.work += n;
  st.updateRemoval();
}

/** PAM BUILD: the point with least total dissimilarity, then each time the point that lowers TD most. */
export function buildInit(d: Float64Array, n: number, k: number): { medoids: number[]; work: number } {
  const dn = new Float64Array(n).fill(Infinity);
  const medoids: number[] = [];
  const chosen = new Uint8Array(n);
  let work = 0;
  for (let step = 0; step < k; step++) {
    let best = -1;
    let bestGain = -Infinity;
    for (let j = 0; j < n; j++) {
      if (chosen[j]) continue;
      let gain = 0;
      for (let o = 0; o < n; o++) {
        const v = d[o * n + j];
        // First step: minimise the total (gain = −Σ d); later: Σ max(dn − d, 0).
        if (step === 0) gain -= v;
        else if (v < dn[o]) gain += dn[o] - v;
      }
      work += n;
      if (gain > bestGain) {
        bestGain = gain;
        best = j;
      }
    }
    medoids.push(best);
    chosen[best] = 1;
    for (let o = 0; o < n; o++) dn[o] = Math.min(dn[o], d[o * n + best]);
    work += n;
  }
  return { medoids, work };
}

// A swap must improve TD by more than rounding: PAM and FastPAM1 sum the same terms in different
// orders, and this margin keeps their choices identical on near-ties.
const tolerance = (st: State) => 1e-9 * (1 + st.loss() / st.n);

function bestSwapLoop(st: State, method: "pam" | "fastpam1", maxIter: number): { swaps: number; iterations: number } {
  const k = st.medoids.length;
  const deltas = new Float64Array(k);
  let swaps = 0;
  let iterations = 0;
  while (iterations < maxIter) {
    iterations++;
    const tol = tolerance(st);
    let best = -tol;
    let bm = -1;
    let bj = -1;
    // Scan order (j outer, m inner) is the same for both methods so that ties agree.
    for (let j = 0; j < st.n; j++) {
      if (st.isMedoid[j]) continue;
      if (method === "pam") {
        for (let m = 0; m < k; m++) {
          const v = pamDelta(st, m, j);
          if (v < best - tol) {
            best = v;
            bm = m;
            bj = j;
          }
        }
      } else {
        fastDeltas(st, j, deltas);
        for (let m = 0; m < k; m++) {
          if (deltas[m] < best - tol) {
            best = deltas[m];
            bm = m;
            bj = j;
          }
        }
      }
    }
    if (bm < 0) break;
    applySwap(st, bm, bj);
    swaps++;
  }
  return { swaps, iterations };
}

function eagerLoop(st: State, maxIter: number): { swaps: number; iterations: number } {
  const k = st.medoids.length;
  const deltas = new Float64Array(k);
  let swaps = 0;
  let iterations = 0;
  let lastSwap = -1;
  let tol = tolerance(st);
  while (iterations < maxIter) {
    iterations++;
    const before = swaps;
    for (let j = 0; j < st.n; j++) {
      // A full cycle without a swap since point lastSwap: converged.
      if (j === lastSwap) break;
      if (st.isMedoid[j]) continue;
      const best = fastDeltas(st, j, deltas);
      if (!(best < -tol)) continue;
      let m = 0;
      while (deltas[m] !== best) m++;
      applySwap(st, m, j);
      swaps++;
      lastSwap = j;
      tol = tolerance(st);
    }
    if (swaps === before) break;
  }
  return { swaps, iterations };
}

function randomInit(n: number, k: number, seedValue: number): number[] {
  return new Rng(seedValue).permutation(n).slice(0, k);
}

/** Runs k-medoids on a validated flat matrix (used by kMedoids and CLARA). */
export function kMedoidsFlat(d: Float64Array, n: number, k: number, opts: KMedoidsOptions): KMedoidsResult {
  const maxIter = opts.maxIter ?? 100;
  let work = 0;
  let medoids: number[];
  const init = opts.init ?? "build";
  if (init === "build") {
    const b = buildInit(d, n, k);
    medoids = b.medoids;
    work += b.work;
  } else if (init === "random") medoids = randomInit(n, k, opts.seed ?? 0);
  else medoids = [...init];
  const st = new State(d, n, medoids);
  const loop =
    k === n
      ? { swaps: 0, iterations: 0 }
      : opts.method === "fasterpam"
        ? eagerLoop(st, maxIter)
        : bestSwapLoop(st, opts.method, maxIter);
  const { labels, loss } = assignFlat(d, n, st.medoids);
  return {
    medoids: [...st.medoids],
    labels,
    loss,
    swaps: loop.swaps,
    iterations: loop.iterations,
    work: work + st.work,
  };
}

/**
 * k-medoids clustering of n points given their n×n dissimilarities (finite, ≥ 0; symmetry is
 * not required). "pam" and "fastpam1" take the best swap per iteration and return identical
 * medoids; "fasterpam" swaps eagerly and usually reaches a comparable loss in far less work.
 */
export function kMedoids(dissimilarity: number[][], k: number, opts: KMedoidsOptions): KMedoidsResult {
  assertKnownOptions("opts", opts, ["method", "init", "maxIter", "seed"]);
  if (opts === undefined) fail("opts", `is required: { method: ${METHODS.map((m) => `"${m}"`).join(" | ")} }`);
  if (!METHODS.includes(opts.method))
    fail("opts.method", `must be one of ${METHODS.join(", ")}, got ${JSON.stringify(opts.method)}`);
  const { n, d } = flattenDissimilarity(dissimilarity);
  if (!Number.isInteger(k) || k < 1 || k > n) fail("k", `must be an integer in [1, ${n}], got ${k}`);
  if (opts.maxIter !== undefined && (!Number.isInteger(opts.maxIter) || opts.maxIter < 0))
    fail("opts.maxIter", `must be an integer ≥ 0, got ${opts.maxIter}`);
  if (opts.seed !== undefined && !Number.isFinite(opts.seed))
    fail("opts.seed", `must be a finite number, got ${opts.seed}`);
  const init = opts.init;
  if (Array.isArray(init)) {
    checkMedoids(init, n, "opts.init");
    if (init.length !== k) fail("opts.init", `has ${init.length} medoids; expected k = ${k}`);
  } else if (init !== undefined && init !== "build" && init !== "random")
    fail("opts.init", `must be "build", "random" or an array of k point indices, got ${JSON.stringify(init)}`);
  return kMedoidsFlat(d, n, k, opts);
}
