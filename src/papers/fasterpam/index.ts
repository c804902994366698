// Fast and eager k-medoids (Schubert & Rousseeuw 2021): FastPAM1 makes exactly PAM's swaps at a
// fraction of the work, and FasterPAM's eager swaps reach a comparable loss, even from random medoids.
import { tInterval } from "../../metrics/intervals";
import { barChart, lineChart } from "../../plot/specs";
import { above, below, evidence, sanity } from "../checks";
import { definePaper } from "../registry";
import { FasterPamConfig, FasterPamResult, FasterPamSeedRun, MethodRun, runFasterPamSeed } from "./run";

const base: FasterPamConfig = { seeds: [0, 1, 2, 3, 4], points: 1000, ks: [10, 20], maxIter: 200 };

const get = (s: FasterPamSeedRun, k: number, method: string): MethodRun => {
  const r = s.perK.find((p) => p.k === k)?.runs.find((x) => x.method === method);
  if (!r) throw new Error(`fasterpam: no run for k=${k} ${method}`);
  return r;
};
const kMax = (c: FasterPamConfig) => Math.max(...c.ks);
const ratio = (r: FasterPamResult, k: number, a: string, b: string, f: (m: MethodRun) => number) =>
  r.runs.map((s) => f(get(s, k, a)) / f(get(s, k, b)));
const swapWork = (m: MethodRun) => m.work;
const perIter = (m: MethodRun) => m.work / Math.max(1, m.iterations);
const sameMedoids = (a: MethodRun, b: MethodRun) =>
  a.loss === b.loss && a.medoids.length === b.medoids.length && a.medoids.every((x, i) => x === b.medoids[i]);

export const fasterpam = definePaper<FasterPamConfig, FasterPamResult, FasterPamSeedRun>({
  id: "fasterpam",
  citation: {
    authors: ["Erich Schubert", "Peter J. Rousseeuw"],
    title: "Fast and eager k-medoids clustering: O(k) runtime improvement of the PAM, CLARA, and CLARANS algorithms",
    venue: "Information Systems",
    year: 2021,
    arxiv: "2008.05171",
    code: "https://github.com/kno10/rust-kmedoids",
  },
  claim:
    "FastPAM1 performs exactly PAM's swaps with an O(k)-fold cheaper swap phase, and FasterPAM's eager swaps reach a comparable total deviation in far less work, even from a random initialisation.",
  presets: {
    smoke: { ...base, seeds: [0], points: 150, ks: [5], maxIter: 50 },
    default: base,
    full: { ...base, points: 1797, ks: [10, 20, 50] },
  },
  runSeed: runFasterPamSeed,
  combine: (runs) => ({ runs }),
  checks(r, c) {
    const k = kMax(c);
    const all = r.runs.flatMap((s) => s.perK.map((p) => ({ s, k: p.k })));
    const identical = all.filter(({ s, k }) => sameMedoids(get(s, k, "PAM"), get(s, k, "FastPAM1"))).length;
    const checks = [
      sanity(
        "PAM and FastPAM1 from the same medoids end with identical medoids and total deviation (every seed and k)",
        `${identical} of ${all.length} runs identical`,
        "all runs identical",
        identical === all.length,
        { seeds: r.runs.length },
      ),
    ];
    for (const kk of c.ks) {
      const q = tInterval(ratio(r, kk, "FasterPAM", "PAM", (m) => m.loss));
      checks.push(
        evidence(
          `Comparable quality at k=${kk}: TD(FasterPAM) / TD(PAM), same random initial medoids`,
          q,
          "95% interval below 1.02",
          below(q, 1.02),
          { figure: "fasterpam-loss" },
        ),
      );
    }
    const q0 = tInterval(ratio(r, k, "FasterPAM", "PAM (BUILD)", (m) => m.loss));
    checks.push(
      evidence(
        `FasterPAM tolerates random initialisation at k=${k}: TD(FasterPAM, random init) / TD(PAM with BUILD)`,
        q0,
        "95% interval below 1.02",
        below(q0, 1.02),
        { figure: "fasterpam-loss" },
      ),
    );
    const sp = tInterval(ratio(r, k, "PAM", "FasterPAM", swapWork));
    checks.push(
      evidence(
        `FasterPAM needs far less work than PAM at k=${k}: dissimilarities read by PAM / by FasterPAM (same initial medoids)`,
        sp,
        "95% interval above 5",
        above(sp, 5),
        { figure: "fasterpam-work" },
      ),
    );
    const pi = tInterval(ratio(r, k, "PAM", "FastPAM1", perIter));
    checks.push(
      sanity(
        `FastPAM1's swap iteration reads about k=${k} times fewer dissimilarities than PAM's (by construction)`,
        pi,
        `95% interval above k/3 = ${(k / 3).toFixed(2)}`,
        above(pi, k / 3),
        { figure: "fasterpam-work" },
      ),
    );
    return checks;
  },
  figures(r, c) {
    const methods = ["PAM", "FastPAM1", "FasterPAM", "PAM (BUILD)"];
    const k = kMax(c);
    const loss = methods.map((m) => {
      const v = tInterval(r.runs.map((s) => get(s, k, m).loss));
      return { method: m, TD: v.mean, err: Number.isFinite(v.hi) ? v.hi - v.mean : 0 };
    });
    const work = c.ks.flatMap((kk) =>
      methods.map((m) => ({
        k: kk,
        method: m,
        work: tInterval(r.runs.map((s) => get(s, kk, m).work)).mean,
      })),
    );
    return [
      {
        name: "fasterpam-loss",
        spec: barChart(loss, {
          x: "method",
          y: "TD",
          error: "err",
          title: `Total deviation at k=${k}, mean over seeds (bars: 95% interval)`,
          yTitle: "TD (sum of distances to medoids)",
        }),
      },
      {
        name: "fasterpam-work",
        spec: lineChart(work, {
          x: "k",
          y: "work",
          color: "method",
          logY: true,
          title: "Work: dissimilarity entries read (initialisation + swaps), mean over seeds",
          yTitle: "entries read (log scale)",
        }),
      },
    ];
  },
  summary(r, c) {
    const out: Record<string, number | string> = { seeds: r.runs.length, points: c.points };
    for (const k of c.ks) {
      for (const m of ["PAM", "FastPAM1", "FasterPAM", "PAM (BUILD)"]) {
        out[`TD ${m} k=${k} (mean)`] = tInterval(r.runs.map((s) => get(s, k, m).loss)).mean;
        out[`swaps ${m} k=${k} (mean)`] = tInterval(r.runs.map((s) => get(s, k, m).swaps)).mean;
        out[`entries read ${m} k=${k} (mean)`] = tInterval(r.runs.map((s) => get(s, k, m).work)).mean;
        out[`wall time ${m} k=${k} seconds`] = tInterval(r.runs.map((s) => get(s, k, m).ms / 1000)).mean;
      }
      out[`FasterPAM passes k=${k} (mean)`] = tInterval(r.runs.map((s) => get(s, k, "FasterPAM").iterations)).mean;
      out[`PAM swap iterations k=${k} (mean)`] = tInterval(r.runs.map((s) => get(s, k, "PAM").iterations)).mean;
      out[`work ratio PAM / FasterPAM k=${k} (mean)`] = tInterval(ratio(r, k, "PAM", "FasterPAM", swapWork)).mean;
      out[`work ratio PAM / FastPAM1 k=${k} (mean)`] = tInterval(ratio(r, k, "PAM", "FastPAM1", swapWork)).mean;
    }
    return out;
  },
});
