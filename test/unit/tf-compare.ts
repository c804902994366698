// Shared by the kernel tests: element-wise closeness of flattened tensor outputs (one backend's
// against a reference's), relative to each output's largest magnitude (at least 1).
import assert from "node:assert/strict";

/** Asserts |a − b| ≤ tol · max(1, max|b|) element-wise, per output; `what` names the case in failures. */
export function assertClose(a: number[][], b: number[][], tol: number, what: string): void {
  assert.equal(a.length, b.length, `${what}: output count`);
  a.forEach((xs, k) => {
    assert.equal(xs.length, b[k].length, `${what}[${k}]: length`);
    const scale = Math.max(1, ...b[k].map(Math.abs));
    xs.forEach((x, i) =>
      assert.ok(Math.abs(x - b[k][i]) <= tol * scale, `${what}[${k}][${i}]: ${x} vs reference ${b[k][i]}`),
    );
  });
}
