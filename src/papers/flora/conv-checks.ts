// Checks, figure and summary of FLoRA's conv part (see conv-run.ts and the README).
import { fail } from "../../core/validate";
import { Interval, pairedDifference, tInterval } from "../../metrics/intervals";
import { barChart } from "../../plot/specs";
import { above, evidence, sanity } from "../checks";
import { selectionText } from "../adapters-compare/checks";
import { fmt } from "../adapters-compare/compare";
import { Check, Figure } from "../types";
import { CONV_METHODS, ConvMethod, ConvPartResult, ConvRun } from "./conv-run";

const of = (r: ConvPartResult, m: ConvMethod): ConvRun[] =>
  r.runs.filter((x) => x.method === m).sort((a, b) => a.seed - b.seed);

/** Paired difference of test accuracy a − b over the seeds both ran. */
export function convPaired(r: ConvPartResult, a: ConvMethod, b: ConvMethod): Interval {
  const ra = of(r, a);
  const rb = of(r, b);
  if (!ra.length || ra.length !== rb.length) fail("conv", `no paired runs of "${a}" and "${b}"`);
  return pairedDifference(
    ra.map((x) => x.testAcc),
    rb.map((x) => x.testAcc),
  );
}

export function convChecks(r: ConvPartResult): Check[] {
  const pf = r.params["FLoRA-conv"];
  const pl = r.params["reshape-LoRA"];
  const rel = Math.abs(pf - pl) / pl;
  const d = convPaired(r, "FLoRA-conv", "reshape-LoRA");
  const dHead = convPaired(r, "FLoRA-conv", "head only");
  return [
    sanity(
      "[conv] FLoRA-conv and reshape-LoRA train matched parameter counts on the two conv kernels",
      Number(rel.toPrecision(3)),
      "|params(FLoRA-conv) − params(reshape-LoRA)| / params(reshape-LoRA) ≤ 0.05",
      rel <= 0.05,
    ),
    evidence(
      "[conv] FLoRA's Tucker form on conv kernels fine-tunes to a higher task-B test accuracy than reshape-LoRA at matched parameters",
      d,
      "95% interval of the paired difference acc(FLoRA-conv) − acc(reshape-LoRA) above 0",
      above(d, 0),
      { figure: "flora-conv" },
    ),
    evidence(
      "[conv] Adapting the conv kernels with FLoRA beats training the new head alone (the kernels' adaptation matters at this scale)",
      dHead,
      "95% interval of the paired difference acc(FLoRA-conv) − acc(head only) above 0",
      above(dHead, 0),
      { figure: "flora-conv" },
    ),
  ];
}

export function convFigure(r: ConvPartResult, shift: string): Figure {
  const rows = CONV_METHODS.map((m) => {
    const iv = tInterval(of(r, m).map((x) => x.testAcc));
    return {
      method: `${m} (${r.params[m]} params)`,
      acc: iv.mean,
      ci: iv.n < 2 ? 0 : (iv.hi - iv.lo) / 2,
    };
  });
  return {
    name: "flora-conv",
    spec: barChart(rows, {
      x: "method",
      y: "acc",
      error: "ci",
      title: `Conv net, task B (digits ${shift === "invert" ? "inverted" : "rotated by 90°"}): test accuracy, mean and 95% interval over seeds`,
      xTitle: "adapter on the two conv kernels",
      yTitle: "task-B test accuracy",
    }),
  };
}

export function convSummary(r: ConvPartResult): Record<string, number | string> {
  const out: Record<string, number | string> = {
    "conv baseAccA": r.baseAccA,
    "conv seeds": new Set(r.runs.map((x) => x.seed)).size,
  };
  for (const m of CONV_METHODS) {
    const rs = of(r, m);
    const iv = tInterval(rs.map((x) => x.testAcc));
    out[`conv ${m}`] = `params ${r.params[m]}; accB ${fmt(iv.mean)}`;
    out[`conv ${m}: accB mean`] = iv.mean;
    out[`conv ${m}: lr selected per seed`] = selectionText(rs.map((x) => x.selection));
  }
  return out;
}
