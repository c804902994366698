// One seeded source for every random draw in initlab. tfjs has no global seed, so
// library code never calls tf.random* without a seed taken from here.

/** A self-contained generator (mulberry32); use for reproducible sub-streams. */
export class Rng {
  private s: number;
  private spareNormal: number | null = null;
  constructor(seedValue: number) {
    this.s = (Math.floor(seedValue) ^ 0x85ebca6b) >>> 0;
  }
  /** Uniform in [0, 1). */
  next(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** Standard normal (Box-Muller, caching the second draw). */
  normal(): number {
    if (this.spareNormal !== null) {
      const v = this.spareNormal;
      this.spareNormal = null;
      return v;
    }
    let u = 0;
    while (u === 0) u = this.next();
    const v = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spareNormal = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }
  /** n draws of N(0, std²) as float32 (the same stream as n calls of normal()). */
  normalArray(n: number, std = 1): Float32Array {
    const a = new Float32Array(n);
    for (let i = 0; i < n; i++) a[i] = this.normal() * std;
    return a;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  /** Fisher-Yates permutation of 0..n-1. */
  permutation(n: number): number[] {
    const p = Array.from({ length: n }, (_, i) => i);
    for (let i = n - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [p[i], p[j]] = [p[j], p[i]];
    }
    return p;
  }
}

/** Uniform in [0, 1) from the global stream. */
export function random(): number {
  return globalRng.next();
}

/** Standard normal from the global stream. */
export function randn(): number {
  return globalRng.normal();
}

/** An integer seed for a tfjs op or initializer, drawn from the global stream. */
export function nextSeed(): number {
  return Math.floor(random() * 2147483647);
}

/** A new independent generator drawn from the global stream. */
export function forkRng(): Rng {
  return new Rng(nextSeed());
}

/** Fills a Float32Array of the given size with N(0, std²) draws from the global stream. */
export function normalArray(n: number, std = 1): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = randn() * std;
  return out;
}

let globalRng = new Rng(0);

/** Seeds every random source initlab uses (JS draws and the seeds handed to tfjs ops). */
export function seed(n: number): void {
  if (!Number.isFinite(n)) throw new Error(`seed: n must be a finite number, got ${n}`);
  globalRng = new Rng(n);
}
