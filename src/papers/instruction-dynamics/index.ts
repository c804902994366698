// "Dynamics of instruction tuning: each ability has its own growth pace" (Song et al.), as a toy
// analog: six synthetic abilities trained jointly by a small MLP at five data volumes and two
// widths; per-ability learning curves, data needed to reach 90%, and width vs data gains.
import { ABILITIES } from "../../data/abilities";
import { tInterval } from "../../metrics/intervals";
import { kendallTau, logVolumeArea, volumeToReach } from "../../metrics/learning-curves";
import { evidence, sanity } from "../checks";
import { definePaper } from "../registry";
import { dynamicsFigures } from "./figures";
import { InstructionDynamicsConfig, InstructionDynamicsSeedRun, runInstructionDynamicsSeed } from "./run";

export interface InstructionDynamicsResult {
  runs: InstructionDynamicsSeedRun[];
}

const base: InstructionDynamicsConfig = {
  seeds: [0, 1, 2],
  volumes: [10, 40, 160, 640, 2560],
  widths: [64, 256],
  steps: 1500,
  batchSize: 64,
  lrGrid: [1e-3, 3e-3],
  selectVolume: 640,
  valFraction: 0.2,
  testPerTask: 300,
};

const TARGET = 0.9;

/** Test accuracy curve of one ability at one width for one seed (volumes in config order). */
export function curve(run: InstructionDynamicsSeedRun, width: number, task: number): number[] {
  return run.points.filter((p) => p.width === width).map((p) => p.acc[task]);
}

export function accAt(run: InstructionDynamicsSeedRun, width: number, volume: number, task: number): number {
  const p = run.points.find((x) => x.width === width && x.volume === volume);
  if (!p) throw new Error(`no point at width ${width}, volume ${volume}`);
  return p.acc[task];
}

/** Per seed at the wide width: the volume reaching 90% for every ability (Infinity when none). */
export function volumes90(run: InstructionDynamicsSeedRun, cfg: InstructionDynamicsConfig): number[] {
  return ABILITIES.map((_, t) => volumeToReach(cfg.volumes, curve(run, cfg.widths[1], t), TARGET));
}

/** Per seed at the wide width: the area under each ability's learning curve over log volume. */
export function areas(run: InstructionDynamicsSeedRun, cfg: InstructionDynamicsConfig): number[] {
  return ABILITIES.map((_, t) => logVolumeArea(cfg.volumes, curve(run, cfg.widths[1], t)));
}

/** Per ability and seed: (wide − narrow at the 4th volume) − (narrow at the 5th − narrow at the 4th). */
export function widthMinusData(run: InstructionDynamicsSeedRun, cfg: InstructionDynamicsConfig): number[] {
  const [narrow, wide] = cfg.widths;
  const v = cfg.volumes[cfg.volumes.length - 2];
  const vNext = cfg.volumes[cfg.volumes.length - 1];
  return ABILITIES.map(
    (_, t) =>
      accAt(run, wide, v, t) - accAt(run, narrow, v, t) - (accAt(run, narrow, vNext, t) - accAt(run, narrow, v, t)),
  );
}

const fmtV = (v: number, max: number) => (Number.isFinite(v) ? String(v) : `>${max}`);

function spreadPerSeed(r: InstructionDynamicsResult, cfg: InstructionDynamicsConfig) {
  const max = cfg.volumes[cfg.volumes.length - 1];
  return r.runs.map((run) => {
    const v = volumes90(run, cfg);
    const lo = Math.min(...v);
    const hi = Math.max(...v);
    const easy = ABILITIES[v.indexOf(lo)];
    const hard = ABILITIES[v.indexOf(hi)];
    // A hardest ability that never reaches 90% needs more than the largest volume: the ratio is at least 4·max/lo.
    const ratio = Number.isFinite(lo) ? (Number.isFinite(hi) ? hi / lo : (4 * max) / lo) : NaN;
    return {
      ratio,
      text: `seed ${run.seed}: ${easy} ${fmtV(lo, max)} vs ${hard} ${fmtV(hi, max)}`,
      censored: !Number.isFinite(hi),
    };
  });
}

function meanPairwiseTau(r: InstructionDynamicsResult, cfg: InstructionDynamicsConfig): number {
  const a = r.runs.map((run) => areas(run, cfg));
  const taus: number[] = [];
  for (let i = 0; i < a.length; i++) for (let j = i + 1; j < a.length; j++) taus.push(kendallTau(a[i], a[j]));
  return taus.length ? taus.reduce((x, y) => x + y, 0) / taus.length : NaN;
}

export const instructionDynamics = definePaper<
  InstructionDynamicsConfig,
  InstructionDynamicsResult,
  InstructionDynamicsSeedRun
>({
  id: "instruction-dynamics",
  citation: {
    authors: ["Chiyu Song", "Zhanchao Zhou", "Jianhao Yan", "Yuejiao Fei", "Zhenzhong Lan", "Yue Zhang"],
    title: "Dynamics of Instruction Tuning: Each Ability of Large Language Models Has Its Own Growth Pace",
    venue: "arXiv preprint",
    year: 2023,
    arxiv: "2310.19651",
  },
  claim:
    "Abilities grow at their own pace under instruction tuning: some saturate on little data while others need far more data or a larger model, and the ordering of abilities is stable (toy analog with six synthetic abilities and a small MLP).",
  presets: {
    smoke: { ...base, seeds: [0], volumes: [10, 40], steps: 40, lrGrid: [3e-3], selectVolume: 40, testPerTask: 40 },
    default: base,
    full: { ...base, seeds: [0, 1, 2, 3, 4], volumes: [10, 40, 160, 640, 2560, 10240], steps: 4000 },
  },
  runSeed: runInstructionDynamicsSeed,
  combine: (runs) => ({ runs }),
  checks(r, cfg) {
    const spread = spreadPerSeed(r, cfg);
    const minRatio = Math.min(...spread.map((x) => x.ratio));
    const tau = meanPairwiseTau(r, cfg);
    const wd = ABILITIES.map((_, t) => tInterval(r.runs.map((run) => widthMinusData(run, cfg)[t])));
    const bestTask = wd.reduce((b, iv, t) => (iv.lo > wd[b].lo || Number.isNaN(wd[b].lo) ? t : b), 0);
    const lossDown = r.runs.every((run) => run.points.every((p) => p.lastLoss < p.firstLoss));
    return [
      evidence(
        `Growth paces differ: the data (per ability) to reach ${TARGET * 100}% exact match, hardest / easiest ability, wide MLP (${spread.map((x) => x.text).join("; ")})`,
        Number.isFinite(minRatio) ? minRatio : "an ability never reaches the target on some seed's easiest end",
        "ratio at least 4 on every seed (smallest over seeds shown; a hardest ability that never reaches the target counts as needing 4× the largest volume)",
        r.runs.length > 0 && minRatio >= 4,
        { seeds: r.runs.length, figure: "instruction-dynamics-curves" },
      ),
      evidence(
        "The ordering of abilities by difficulty (area under the learning curve over log volume, wide MLP) agrees across seeds: mean pairwise Kendall τ",
        Number.isNaN(tau) ? "n/a (one seed)" : tau,
        "mean pairwise τ at least 0.6",
        tau >= 0.6,
        { seeds: r.runs.length, figure: "instruction-dynamics-curves" },
      ),
      evidence(
        `Width helps more than data for some ability: (4× width gain) − (4× data gain) at ${cfg.volumes[cfg.volumes.length - 2]} per ability, best ability ${ABILITIES[bestTask]}`,
        wd[bestTask],
        "95% interval above 0 for at least one ability",
        wd.some((iv) => iv.n >= 2 && iv.lo > 0),
        { figure: "instruction-dynamics-width-vs-data" },
      ),
      sanity(
        "Training lowers the loss in every run (first vs last logged loss)",
        r.runs.reduce((n, run) => n + run.points.filter((p) => p.lastLoss < p.firstLoss).length, 0),
        `all ${r.runs.reduce((n, run) => n + run.points.length, 0)} runs`,
        lossDown,
        { seeds: r.runs.length },
      ),
    ];
  },
  figures: (r, cfg) => dynamicsFigures(r.runs, cfg),
  summary(r, cfg) {
    const [narrow, wide] = cfg.widths;
    const max = cfg.volumes[cfg.volumes.length - 1];
    const out: Record<string, number | string> = {
      seeds: r.runs.length,
      "widths (narrow / wide)": `${narrow} / ${wide}`,
      "optimizer steps per run (all volumes)": cfg.steps,
      "lr chosen narrow / wide (per seed)": r.runs
        .map((run) => `${run.selections[0].best} / ${run.selections[1].best}`)
        .join("; "),
      "mean pairwise Kendall tau": meanPairwiseTau(r, cfg),
    };
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    ABILITIES.forEach((a, t) => {
      out[`${a}: volume to 90% (wide, per seed)`] = r.runs.map((run) => fmtV(volumes90(run, cfg)[t], max)).join(", ");
      out[`${a}: curve area (wide, mean)`] = mean(r.runs.map((run) => areas(run, cfg)[t]));
      out[`${a}: accuracy wide at ${max} (mean)`] = mean(r.runs.map((run) => accAt(run, wide, max, t)));
      out[`${a}: accuracy narrow at ${max} (mean)`] = mean(r.runs.map((run) => accAt(run, narrow, max, t)));
      out[`${a}: width minus data gain (mean)`] = mean(r.runs.map((run) => widthMinusData(run, cfg)[t]));
    });
    return out;
  },
});
