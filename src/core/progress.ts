// Progress for long work: one display updated in place in a notebook, a throttled line in
// a terminal. Never writes to stderr (the notebook runner treats stderr as failure).
import { displayBundle, escapeHtml, inNotebook, newDisplayId } from "./display";
import { ProgressEvent } from "./types";

export interface Progress {
  update(step: number, values?: Record<string, number>): void;
  done(values?: Record<string, number>): void;
  /** Adapter for RunOptions.onProgress. */
  readonly callback: (p: ProgressEvent) => void;
}

function fmtTime(s: number): string {
  if (!Number.isFinite(s)) return "?";
  if (s < 60) return `${s.toFixed(0)}s`;
  return `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, "0")}s`;
}

function fmtVal(v: number): string {
  if (Number.isInteger(v)) return String(v);
  const a = Math.abs(v);
  return a !== 0 && (a < 1e-3 || a >= 1e4) ? v.toExponential(2) : v.toFixed(4);
}

/** Creates a progress reporter; `minIntervalMs` throttles updates (last one always shown). */
export function progress(label: string, total: number, minIntervalMs = 500): Progress {
  const start = Date.now();
  const id = newDisplayId();
  const nb = inNotebook();
  let last = 0;
  let shown = false;
  let curLabel = label;
  const line = (step: number, values: Record<string, number> = {}, final = false): string => {
    const el = (Date.now() - start) / 1000;
    const frac = total > 0 ? Math.min(1, step / total) : 1;
    const eta = frac > 0 ? (el / frac) * (1 - frac) : NaN;
    const bar = "#".repeat(Math.round(frac * 20)).padEnd(20, ".");
    const vals = Object.entries(values)
      .map(([k, v]) => `${k}=${fmtVal(v)}`)
      .join(" ");
    const time = final ? `done in ${fmtTime(el)}` : `elapsed ${fmtTime(el)} eta ${fmtTime(eta)}`;
    return `${curLabel} [${bar}] ${step}/${total} ${vals} ${time}`.replace(/\s+/g, " ").trim();
  };
  const emit = (text: string, final: boolean) => {
    if (nb) {
      displayBundle({ "text/plain": text, "text/html": `<pre>${escapeHtml(text)}</pre>` }, id, shown);
      shown = true;
    } else if (process.stdout.isTTY) {
      process.stdout.write(`\r${text}\x1b[K${final ? "\n" : ""}`);
    } else if (final || process.env.INITLAB_PROGRESS_LINES) {
      process.stdout.write(text + "\n");
    }
  };
  const p: Progress = {
    update(step, values) {
      const now = Date.now();
      if (now - last < minIntervalMs && step < total) return;
      last = now;
      emit(line(step, values), false);
    },
    done(values) {
      emit(line(total, values, true), true);
    },
    callback: (e: ProgressEvent) => {
      curLabel = e.label || label;
      if (e.total !== total) total = e.total;
      p.update(e.step, e.values);
    },
  };
  return p;
}
