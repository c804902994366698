// The sweep's progress line: done, running, failed, waiting and an ETA from this session's
// pace. On a terminal it updates in place; otherwise a line is printed whenever a count changes.
import { CliIO } from "./flags";

export interface SweepCounts {
  done: number;
  running: number;
  failed: number;
  waiting: number;
  total: number;
}

function fmt(s: number): string {
  if (!Number.isFinite(s)) return "?";
  const r = Math.round(s);
  return r < 60 ? `${r}s` : `${Math.floor(r / 60)}m${String(r % 60).padStart(2, "0")}s`;
}

/** "12/20 done · 2 running · 1 failed · 5 waiting · ETA 1m10s". */
export function progressLine(c: SweepCounts, elapsedS: number, doneAtStart: number): string {
  const finished = c.done + c.failed;
  const fresh = finished - doneAtStart;
  const left = c.total - finished;
  const eta = left === 0 ? "0s" : fresh > 0 ? fmt((elapsedS / fresh) * left) : "?";
  return `${c.done}/${c.total} done · ${c.running} running · ${c.failed} failed · ${c.waiting} waiting · ETA ${eta}`;
}

export class ProgressPrinter {
  private last = "";
  private readonly t0 = Date.now();
  private readonly tty: boolean;
  constructor(
    private readonly io: CliIO,
    private readonly doneAtStart: number,
    tty = !!process.stdout.isTTY,
  ) {
    this.tty = tty;
  }
  update(c: SweepCounts): void {
    const line = progressLine(c, (Date.now() - this.t0) / 1000, this.doneAtStart);
    const key = `${c.done} ${c.running} ${c.failed} ${c.waiting}`;
    if (this.tty) this.io.out(`\r  ${line}\x1b[K`);
    else if (key !== this.last) this.io.out(`  ${line}\n`);
    this.last = key;
  }
  /** A message on its own line (the progress line is redrawn after it on a terminal). */
  note(text: string): void {
    this.io.out(`${this.tty ? "\r\x1b[K" : ""}  ${text}\n`);
  }
  end(): void {
    if (this.tty) this.io.out("\n");
  }
  seconds(): number {
    return (Date.now() - this.t0) / 1000;
  }
}
