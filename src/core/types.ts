// Size presets and progress events shared by every layer.

export type Size = "smoke" | "default" | "full";
export const SIZES: readonly Size[] = ["smoke", "default", "full"];

export interface RunOptions {
  /** Called with progress updates; notebooks pass a live display, scripts a terminal line. */
  onProgress?: (p: ProgressEvent) => void;
}

export interface ProgressEvent {
  label: string;
  step: number;
  total: number;
  /** Extra values shown beside the bar (loss, accuracy, ...). */
  values?: Record<string, number>;
}

/** Reads INITLAB_SIZE (default "default"), rejecting unknown names. */
export function sizeFromEnv(env: NodeJS.ProcessEnv = process.env): Size {
  const v = env.INITLAB_SIZE;
  if (v === undefined || v === "") return "default";
  if (!(SIZES as readonly string[]).includes(v)) {
    throw new Error(`INITLAB_SIZE: unknown size "${v}" (known: ${SIZES.join(", ")})`);
  }
  return v as Size;
}

/** Merges a preset with overrides, rejecting keys the config does not have. */
export function withOverrides<C extends object>(base: C, overrides: Partial<C> = {}): C {
  for (const k of Object.keys(overrides)) {
    if (!(k in base)) throw new Error(`config: unknown key "${k}" (known: ${Object.keys(base).join(", ")})`);
  }
  return { ...base, ...overrides };
}
