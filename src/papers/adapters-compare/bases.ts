// The benchmark's second base in the report: its checks, figures and summary entries are the
// same functions applied to the char-base part, tagged so the two bases read side by side.
import { Check, Figure } from "../types";

export const CHAR_TAG = "[char LM]";

const charName = (name: string) => `${name}-char`;

/** Checks computed on the char base: the claim says so and the figure link points at the char figure. */
export function onCharBase(checks: Check[]): Check[] {
  return checks.map((c) => ({
    ...c,
    claim: `${CHAR_TAG} ${c.claim}`,
    ...(c.figure ? { figure: charName(c.figure) } : {}),
  }));
}

/** The char base's figures under their own names (suffix "-char"). */
export function charFigures(figs: Figure[]): Figure[] {
  return figs.map((f) => ({ ...f, name: charName(f.name) }));
}

/** The char base's summary entries, prefixed "char: ". */
export function charSummary(s: Record<string, number | string>): Record<string, number | string> {
  return Object.fromEntries(Object.entries(s).map(([k, v]) => [`char: ${k}`, v]));
}
