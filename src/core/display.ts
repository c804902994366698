// Rich output inside the tslab kernel. tslab's public display sends one MIME type per
// call; its internal writer takes a full bundle, which lets JupyterLab render the
// vega-lite JSON while classic Notebook falls back to the SVG.

type Writer = (msg: { data: Record<string, unknown>; metadata: object; transient: object }, update: boolean) => void;

function jupyterModule(): { lastWriteDisplayData: Writer | null } | null {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require("tslab/dist/jupyter");
  } catch {
    return null;
  }
}

/** True when running inside a tslab kernel that is executing a cell. */
export function inNotebook(): boolean {
  return jupyterModule()?.lastWriteDisplayData != null;
}

let counter = 0;

/** Sends one display bundle; returns false outside a notebook. With `id`, later calls update it in place. */
export function displayBundle(data: Record<string, unknown>, id?: string, update = false): boolean {
  const w = jupyterModule()?.lastWriteDisplayData;
  if (!w) return false;
  w({ data, metadata: {}, transient: id ? { display_id: id } : {} }, update);
  return true;
}

/** A display that can be overwritten (progress bars, live tables). */
export function newDisplayId(): string {
  counter += 1;
  return `initlab-${process.pid}-${counter}-${Date.now().toString(36)}`;
}

export function escapeHtml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}
