// The paper registry: definePaper registers a reproduction; the runner, the report and
// `il.papers()` read metadata from here, never from notebook text.
import { SIZES } from "../core/types";
import { fail } from "../core/validate";
import { PaperConfig, PaperDefinition, PaperInfo } from "./types";

const registry = new Map<string, PaperDefinition<PaperConfig, unknown, unknown>>();

const ID = /^[a-z0-9][a-z0-9-]*$/;

/** Registers a paper (validated) and returns it; re-registering an id is an error. */
export function definePaper<C extends PaperConfig, R, S = unknown>(
  def: PaperDefinition<C, R, S>,
): PaperDefinition<C, R, S> {
  if (!def || typeof def !== "object") fail("definePaper", "needs a paper definition object");
  if (typeof def.id !== "string" || !ID.test(def.id))
    fail("id", `must be lower-case letters, digits and '-', got ${JSON.stringify(def.id)}`);
  const where = `paper "${def.id}"`;
  if (registry.has(def.id)) fail("id", `${where} is already registered`);
  const c = def.citation;
  if (
    !c ||
    !Array.isArray(c.authors) ||
    typeof c.title !== "string" ||
    !c.title ||
    typeof c.venue !== "string" ||
    !Number.isInteger(c.year)
  ) {
    fail(`${where}.citation`, "needs authors (array), title, venue (strings) and year (integer)");
  }
  if (typeof def.claim !== "string" || def.claim.length < 10) fail(`${where}.claim`, "must be one sentence");
  for (const s of SIZES) {
    const p = def.presets?.[s];
    if (!p) fail(`${where}.presets`, `is missing size "${s}"`);
    if (!Array.isArray(p.seeds) || p.seeds.length === 0 || !p.seeds.every((x) => Number.isInteger(x)))
      fail(`${where}.presets.${s}.seeds`, "must be a non-empty array of integer seeds");
    if (new Set(p.seeds).size !== p.seeds.length) fail(`${where}.presets.${s}.seeds`, "has duplicates");
  }
  const perSeed = def.runSeed !== undefined || def.combine !== undefined;
  if (perSeed && (typeof def.runSeed !== "function" || typeof def.combine !== "function"))
    fail(`${where}.runSeed`, "and combine go together: give both functions");
  if (perSeed && def.run !== undefined) fail(`${where}.run`, "give either run or runSeed + combine, not both");
  if (!perSeed && typeof def.run !== "function") fail(`${where}.run`, "must be a function (or give runSeed + combine)");
  if (
    (def.seedParts !== undefined || def.mergeParts !== undefined) &&
    (typeof def.seedParts !== "function" || typeof def.mergeParts !== "function" || !perSeed)
  )
    fail(`${where}.seedParts`, "and mergeParts go together, with runSeed + combine: give all four functions");
  if (def.seedResultsReadSeedList !== undefined && (typeof def.seedResultsReadSeedList !== "boolean" || !perSeed))
    fail(`${where}.seedResultsReadSeedList`, "must be a boolean, on a paper with runSeed + combine");
  for (const f of ["checks", "figures"] as const)
    if (typeof def[f] !== "function") fail(`${where}.${f}`, "must be a function");
  for (const n of def.needs ?? [])
    if (typeof n !== "string" || n === def.id) fail(`${where}.needs`, `has an invalid entry ${JSON.stringify(n)}`);
  registry.set(def.id, def as unknown as PaperDefinition<PaperConfig, unknown, unknown>);
  return def;
}

/** The registered paper with this id. */
export function getPaper(id: string): PaperDefinition<PaperConfig, unknown, unknown> {
  const p = registry.get(id);
  if (!p) fail("id", `unknown paper "${id}" (registered: ${[...registry.keys()].sort().join(", ") || "none"})`);
  return p;
}

/** Metadata of every registered paper, sorted by id. */
export function papers(): PaperInfo[] {
  return [...registry.values()]
    .map((p) => ({
      id: p.id,
      citation: p.citation,
      claim: p.claim,
      needs: p.needs ?? [],
      seeds: { smoke: p.presets.smoke.seeds, default: p.presets.default.seeds, full: p.presets.full.seeds },
    }))
    .sort((a, b) => a.id.localeCompare(b.id));
}

/** Ids in an order where every paper comes after the papers it needs (ties by id). */
export function runOrder(ids: string[]): string[] {
  const want = new Set(ids);
  const out: string[] = [];
  const state = new Map<string, "visiting" | "done">();
  const visit = (id: string, chain: string[]) => {
    if (state.get(id) === "done") return;
    if (state.get(id) === "visiting") fail("needs", `cycle: ${[...chain, id].join(" → ")}`);
    state.set(id, "visiting");
    for (const n of [...(getPaper(id).needs ?? [])].sort()) visit(n, [...chain, id]);
    state.set(id, "done");
    if (want.has(id)) out.push(id);
  };
  for (const id of [...ids].sort()) visit(id, []);
  return out;
}

/** "Meng, Wang & Zhang. PiSSA: …. NeurIPS 2024 (arXiv 2404.02948)". */
export function formatCitation(c: PaperInfo["citation"]): string {
  const a = c.authors;
  const who = a.length === 0 ? "" : a.length === 1 ? a[0] : `${a.slice(0, -1).join(", ")} & ${a[a.length - 1]}`;
  const tail = [c.venue, String(c.year)].filter(Boolean).join(" ");
  return `${who ? who + ". " : ""}${c.title}. ${tail}${c.arxiv ? ` (arXiv ${c.arxiv})` : ""}`.trim();
}

/** "Meng et al. 2024". */
export function shortCitation(c: PaperInfo["citation"]): string {
  const last = (s: string) => s.trim().split(/\s+/).pop() ?? s;
  const a = c.authors;
  const who =
    a.length === 0
      ? c.title
      : a.length === 1
        ? last(a[0])
        : a.length === 2
          ? `${last(a[0])} & ${last(a[1])}`
          : `${last(a[0])} et al.`;
  return `${who} ${c.year}`;
}
