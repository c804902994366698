#!/usr/bin/python3
"""Executes one notebook with nbclient and reports, as one JSON line on stdout, whether it
failed by initlab's rules: an execution error, any `error` output, or any stderr stream
(tslab reports type errors and exceptions as stderr). The executed notebook is always
written, even when a cell fails, so the failure can be inspected."""
import argparse, json, sys, time

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError


def problems(nb):
    found = []
    for i, cell in enumerate(nb.cells):
        if cell.get("cell_type") != "code":
            continue
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                found.append(f"cell {i}: {out.get('ename')}: {out.get('evalue')}")
            elif out.get("output_type") == "stream" and out.get("name") == "stderr":
                text = out.get("text", "")
                found.append(f"cell {i}: stderr: {text.strip()[:2000]}")
    return found


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--in", dest="src", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--timeout", type=int, default=600, help="seconds per cell")
    ap.add_argument("--kernel", default="tslab")
    ap.add_argument("--cwd", required=True)
    a = ap.parse_args()
    nb = nbformat.read(a.src, as_version=4)
    client = NotebookClient(nb, timeout=a.timeout, kernel_name=a.kernel,
                            resources={"metadata": {"path": a.cwd}}, allow_errors=False)
    t0 = time.time()
    fatal = None
    try:
        client.execute()
    except CellTimeoutError as e:
        fatal = f"cell timed out after {a.timeout}s: {str(e).splitlines()[0] if str(e) else ''}"
    except DeadKernelError as e:
        fatal = f"kernel died: {e}"
    except CellExecutionError as e:
        fatal = "cell failed"
    except Exception as e:  # kernel could not start, bad notebook, ...
        fatal = f"{type(e).__name__}: {e}"
    wall = time.time() - t0
    nbformat.write(nb, a.out)
    errs = problems(nb)
    if fatal and not errs:
        errs = [fatal]
    print(json.dumps({"ok": not errs and fatal is None, "errors": errs, "wall": round(wall, 2)}))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
