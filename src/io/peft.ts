// PEFT LoRA adapter folders (adapter_config.json + adapter_model.safetensors) as the
// Hugging Face peft library saves them. The update of a targeted module is
//   ΔW = scaling · B·A,  scaling = lora_alpha / r  (lora_alpha / √r with use_rslora),
// transposed for fan_in_fan_out (GPT-2 Conv1D weights are stored [in, out]) and for
// embedding LoRA (lora_embedding_A/B). Tensor names lose peft's `base_model.model.` prefix
// and map `<module>.lora_A.weight` to the base's `<module>.weight`. Anything that is not
// plain LoRA (AdaLoRA, DoRA, LoHa, prompt tuning, ...) is refused with its type named.
import * as fs from "fs";
import * as path from "path";
import { fail } from "../core/validate";
import { toNumberArray } from "./dtypes";
import { SafeTensor } from "./safetensors";
import { openSafetensors, SafetensorsReader } from "./safetensors-file";

export interface LoraAdapterConfig {
  peftType: "LORA";
  r: number;
  loraAlpha: number;
  useRslora: boolean;
  fanInFanOut: boolean;
  /** A list (exact module name or a `.name` suffix) or a regular expression (full match); null: no filter. */
  targetModules: string[] | string | null;
  excludeModules: string[] | string | null;
  /** Per-module rank and alpha overrides (pattern → value), as peft matches them. */
  rankPattern: Map<string, number>;
  alphaPattern: Map<string, number>;
}

const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);
const own = (o: Record<string, unknown>, k: string) => Object.prototype.hasOwnProperty.call(o, k);

function modulesField(o: Record<string, unknown>, key: string, src: string): string[] | string | null {
  if (!own(o, key) || o[key] === null) return null;
  const v = o[key];
  if (typeof v === "string") {
    try {
      new RegExp(v);
    } catch (e) {
      return fail(`${src} ${key}`, `is not a valid regular expression: ${(e as Error).message}`);
    }
    return v;
  }
  if (Array.isArray(v) && v.every((s) => typeof s === "string")) return [...v];
  return fail(`${src} ${key}`, "must be a list of module names, a regular expression string, or null");
}

function patternField(o: Record<string, unknown>, key: string, src: string, int: boolean): Map<string, number> {
  const m = new Map<string, number>();
  if (!own(o, key) || o[key] === null) return m;
  const v = o[key];
  if (!isObj(v)) fail(`${src} ${key}`, "must be an object mapping module patterns to numbers");
  for (const [k, x] of Object.entries(v)) {
    const ok = typeof x === "number" && Number.isFinite(x) && (int ? Number.isInteger(x) && x > 0 : x !== 0);
    if (!ok)
      fail(`${src} ${key}["${k}"]`, `is ${JSON.stringify(x)}; expected a ${int ? "positive integer" : "number"}`);
    m.set(k, x as number);
  }
  return m;
}

/** Parses adapter_config.json; refuses anything but plain LoRA, naming the type. */
export function parseAdapterConfig(text: string, source = "adapter_config.json"): LoraAdapterConfig {
  if (typeof text !== "string") fail(source, "must be the text of adapter_config.json");
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    return fail(source, `invalid JSON: ${(e as Error).message}`);
  }
  if (!isObj(json)) return fail(source, "must be a JSON object");
  const o = json;
  const type = own(o, "peft_type") ? o.peft_type : undefined;
  if (type === undefined) fail(`${source} peft_type`, "is missing; cannot tell which adapter type this is");
  if (type !== "LORA")
    fail(`${source} peft_type`, `adapter type ${JSON.stringify(type)} is not supported (only LORA is analysed)`);
  if (own(o, "use_dora") && o.use_dora === true)
    fail(
      `${source} use_dora`,
      "adapter type DoRA (LORA with use_dora: true) is not supported: its weight is not W + ΔW",
    );
  if (own(o, "lora_bias") && o.lora_bias === true)
    fail(`${source} lora_bias`, "LoRA with a trainable bias (lora_bias: true) is not supported");
  const r = own(o, "r") ? o.r : undefined;
  if (!(typeof r === "number" && Number.isInteger(r) && r > 0))
    fail(`${source} r`, `is ${JSON.stringify(r)}; expected a positive integer`);
  const alpha = own(o, "lora_alpha") ? o.lora_alpha : undefined;
  if (!(typeof alpha === "number" && Number.isFinite(alpha)))
    fail(`${source} lora_alpha`, `is ${JSON.stringify(alpha)}; expected a finite number`);
  const bool = (k: string): boolean => {
    if (!own(o, k) || o[k] === null) return false;
    if (typeof o[k] !== "boolean") fail(`${source} ${k}`, `is ${JSON.stringify(o[k])}; expected true or false`);
    return o[k] as boolean;
  };
  return {
    peftType: "LORA",
    r: r as number,
    loraAlpha: alpha as number,
    useRslora: bool("use_rslora"),
    fanInFanOut: bool("fan_in_fan_out"),
    targetModules: modulesField(o, "target_modules", source),
    excludeModules: modulesField(o, "exclude_modules", source),
    rankPattern: patternField(o, "rank_pattern", source, true),
    alphaPattern: patternField(o, "alpha_pattern", source, false),
  };
}

/** peft's rule: a list entry matches the module name or its last dotted parts; a string is a full regex match. */
export function moduleMatches(spec: string[] | string, module: string): boolean {
  if (typeof spec === "string") return new RegExp(`^(?:${spec})$`).test(module);
  return spec.some((t) => module === t || module.endsWith("." + t));
}

function fromPattern(pattern: Map<string, number>, module: string, fallback: number): number {
  for (const [k, v] of pattern) {
    let re: RegExp;
    try {
      re = new RegExp(`^(?:.*\\.)?(?:${k})$`);
    } catch {
      continue;
    }
    if (re.test(module)) return v;
  }
  return fallback;
}

export interface LoraModule {
  /** Module name without peft's prefix, e.g. model.layers.0.self_attn.q_proj. */
  module: string;
  /** The base tensor it updates, e.g. model.layers.0.self_attn.q_proj.weight. */
  baseName: string;
  aName: string;
  bName: string;
  r: number;
  alpha: number;
  scaling: number;
  /** ΔW is (B·A)ᵀ: fan_in_fan_out weights and embedding LoRA. */
  transpose: boolean;
}

export interface LoraAdapter {
  dir: string;
  config: LoraAdapterConfig;
  /** Base tensor name → the LoRA pair that updates it. */
  modules: Map<string, LoraModule>;
  /** Base tensor name → adapter tensor replacing it whole (modules_to_save, biases). */
  replacements: Map<string, string>;
  /** Adapter tensors not used, with the reason (e.g. outside target_modules). */
  ignored: Array<{ name: string; reason: string }>;
  /** ΔW of one module in the base tensor's layout ([out, in], or [in, out] when transposed). */
  delta(baseName: string): { shape: [number, number]; data: Float64Array };
  readReplacement(baseName: string): SafeTensor;
  close(): void;
}

const PREFIX = "base_model.model.";
const LORA_KEY = /^(.*)\.(lora_A|lora_B|lora_embedding_A|lora_embedding_B)(?:\.[^.]+)?(?:\.weight)?$/;

/** ΔW = scaling · B·A (or its transpose) in float64, from A [r, in] and B [out, r]. */
export function loraDelta(
  A: { shape: number[]; data: ArrayLike<number> | ArrayLike<bigint> },
  B: { shape: number[]; data: ArrayLike<number> | ArrayLike<bigint> },
  scaling: number,
  transpose = false,
): { shape: [number, number]; data: Float64Array } {
  if (!A || !Array.isArray(A.shape) || A.shape.length !== 2) fail("A", "must be a 2-D tensor [r, in]");
  if (!B || !Array.isArray(B.shape) || B.shape.length !== 2) fail("B", "must be a 2-D tensor [out, r]");
  if (!Number.isFinite(scaling)) fail("scaling", `must be a finite number, got ${scaling}`);
  const [r, nIn] = A.shape;
  const [nOut, rB] = B.shape;
  if (rB !== r) fail("B", `has shape [${B.shape.join(", ")}]; its rank ${rB} must equal A's ${r}`);
  if (!A.data || A.data.length !== r * nIn) fail("A", `has ${A.data?.length} values; shape needs ${r * nIn}`);
  if (!B.data || B.data.length !== nOut * r) fail("B", `has ${B.data?.length} values; shape needs ${nOut * r}`);
  const a = toNumberArray(A.data as never, "A");
  const b = toNumberArray(B.data as never, "B");
  const out = new Float64Array(nOut * nIn);
  for (let i = 0; i < nOut; i++)
    for (let k = 0; k < r; k++) {
      const bik = b[i * r + k] * scaling;
      if (bik === 0) continue;
      for (let j = 0; j < nIn; j++) {
        const v = bik * a[k * nIn + j];
        if (transpose) out[j * nOut + i] += v;
        else out[i * nIn + j] += v;
      }
    }
  for (let i = 0; i < out.length; i++)
    if (!Number.isFinite(out[i])) fail("B", `scaling · B·A overflows float64 at element ${i} (|values| too large)`);
  return { shape: transpose ? [nIn, nOut] : [nOut, nIn], data: out };
}

/** Opens a PEFT LoRA adapter folder; validates the config and pairs every lora_A with its lora_B. */
export function openLoraAdapter(dir: string): LoraAdapter {
  if (typeof dir !== "string" || dir === "") fail("dir", "must be an adapter folder path");
  const cfgPath = path.join(dir, "adapter_config.json");
  let text: string;
  try {
    text = fs.readFileSync(cfgPath, "utf8");
  } catch (e) {
    return fail(
      cfgPath,
      `cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message} (not a PEFT adapter folder?)`,
    );
  }
  const config = parseAdapterConfig(text, cfgPath);
  const file = path.join(dir, "adapter_model.safetensors");
  if (!fs.existsSync(file)) {
    if (fs.existsSync(path.join(dir, "adapter_model.bin")))
      fail(dir, "holds adapter_model.bin (a pickle); only adapter_model.safetensors is read");
    fail(dir, "has no adapter_model.safetensors");
  }
  const st: SafetensorsReader = openSafetensors(file);
  try {
    const pairs = new Map<string, { a?: string; b?: string; embedding: boolean }>();
    const replacements = new Map<string, string>();
    const ignored: Array<{ name: string; reason: string }> = [];
    for (const name of st.entries.keys()) {
      const bare = name.startsWith(PREFIX) ? name.slice(PREFIX.length) : name;
      if (/\.lora_magnitude_vector(\.|$)/.test(bare))
        fail(`${file} tensor "${name}"`, "adapter type DoRA (lora_magnitude_vector) is not supported");
      const m = LORA_KEY.exec(bare);
      if (!m) {
        replacements.set(bare.replace(/\.modules_to_save\.[^.]+\./, "."), name);
        continue;
      }
      const p = pairs.get(m[1]) ?? { embedding: m[2].startsWith("lora_embedding") };
      const slot = m[2].endsWith("A") ? "a" : "b";
      if (p[slot] !== undefined) fail(`${file} tensor "${name}"`, `module "${m[1]}" has two ${m[2]} tensors`);
      p[slot] = name;
      pairs.set(m[1], p);
    }
    const modules = new Map<string, LoraModule>();
    for (const [module, p] of pairs) {
      if (!p.a || !p.b)
        fail(`${file} module "${module}"`, `has ${p.a ? "lora_A" : "lora_B"} but no ${p.a ? "lora_B" : "lora_A"}`);
      if (config.targetModules !== null && !moduleMatches(config.targetModules, module)) {
        ignored.push({ name: module, reason: "not in target_modules" });
        continue;
      }
      if (config.excludeModules !== null && moduleMatches(config.excludeModules, module)) {
        ignored.push({ name: module, reason: "in exclude_modules" });
        continue;
      }
      const ea = st.entries.get(p.a)!;
      const eb = st.entries.get(p.b)!;
      if (ea.shape.length !== 2 || eb.shape.length !== 2)
        fail(`${file} module "${module}"`, `lora_A [${ea.shape}] and lora_B [${eb.shape}] must both be 2-D`);
      const rA = ea.shape[0];
      if (eb.shape[1] !== rA)
        fail(
          `${file} module "${module}"`,
          `lora_B [${eb.shape.join(", ")}] does not match lora_A [${ea.shape.join(", ")}]`,
        );
      const r = fromPattern(config.rankPattern, module, config.r);
      if (r !== rA) fail(`${file} module "${module}"`, `has rank ${rA} in its tensors but ${r} in adapter_config.json`);
      const alpha = fromPattern(config.alphaPattern, module, config.loraAlpha);
      const scaling = config.useRslora ? alpha / Math.sqrt(r) : alpha / r;
      const baseName = `${module}.weight`;
      modules.set(baseName, {
        module,
        baseName,
        aName: p.a,
        bName: p.b,
        r,
        alpha,
        scaling,
        // peft's Embedding always transposes B·A; Linear only with fan_in_fan_out.
        transpose: p.embedding ? true : config.fanInFanOut,
      });
    }
    let open = true;
    return {
      dir,
      config,
      modules,
      replacements,
      ignored,
      delta(baseName) {
        if (!open) fail(dir, "adapter is closed");
        const m = modules.get(baseName);
        if (!m) return fail("baseName", `no LoRA module updates "${baseName}"`);
        return loraDelta(st.read(m.aName), st.read(m.bName), m.scaling, m.transpose);
      },
      readReplacement(baseName) {
        const n = replacements.get(baseName);
        if (n === undefined) return fail("baseName", `the adapter does not replace "${baseName}"`);
        return st.read(n);
      },
      close() {
        if (open) st.close();
        open = false;
      },
    };
  } catch (e) {
    st.close();
    throw e;
  }
}
