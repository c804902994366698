#!/usr/bin/python3
"""Executes one notebook with nbclient and reports, as one JSON line on stdout, whether it
failed by initlab's rules: an execution error, any `error` output, or any stderr stream
(tslab reports type errors and exceptions as stderr). The executed notebook is always
written, even when a cell fails, the kernel dies, the whole-notebook timeout
(--notebook-timeout) fires or the run is interrupted (SIGINT/SIGTERM: nbclient stops the
kernel), so the failure can be inspected and the JSON line always comes."""
import argparse, asyncio, json, sys, time

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
    ap.add_argument("--notebook-timeout", type=float, default=0, help="seconds for the whole notebook (0: none)")
    ap.add_argument("--kernel", default="tslab")
    ap.add_argument("--cwd", required=True)
    a = ap.parse_args()
    nb = nbformat.read(a.src, as_version=4)
    client = NotebookClient(nb, timeout=a.timeout, kernel_name=a.kernel,
                            resources={"metadata": {"path": a.cwd}}, allow_errors=False)
    current = {"cell": None}

    def on_cell_start(cell, cell_index, **_):
        current["cell"] = cell_index

    client.on_cell_start = on_cell_start
    where = lambda: f" in cell {current['cell']}" if current["cell"] is not None else " before the first cell"

    class NotebookTimeout(Exception):
        pass

    async def run():
        # On timeout, cancel the execution (nbclient's cleanup then stops the kernel) and report
        # the timeout itself, not whatever the cancelled execution raised on its way out.
        task = asyncio.ensure_future(client.async_execute())
        done, _ = await asyncio.wait({task}, timeout=a.notebook_timeout if a.notebook_timeout > 0 else None)
        if not done:
            task.cancel()
            try:
                await task
            except BaseException:
                pass
            raise NotebookTimeout()
        task.result()

    t0 = time.time()
    fatal = None
    try:
        asyncio.run(run())
    except CellTimeoutError as e:
        fatal = f"cell timed out after {a.timeout}s (--timeout){where()}: {str(e).splitlines()[0] if str(e) else ''}"
    except NotebookTimeout:
        fatal = (f"notebook did not finish within the per-notebook timeout of {a.notebook_timeout:g}s "
                 f"(--notebook-timeout); stopped{where()} and its kernel shut down")
    except DeadKernelError as e:
        fatal = f"the kernel died{where()}: {e}"
    except CellExecutionError:
        fatal = "cell failed"
    except KeyboardInterrupt:
        fatal = f"interrupted (SIGINT){where()}"
    except Exception as e:  # kernel could not start, bad notebook, kernel stopped by a signal, ...
        fatal = f"{type(e).__name__}{where()}: {e}"
    wall = time.time() - t0
    nbformat.write(nb, a.out)
    errs = problems(nb)
    if fatal and (not errs or fatal != "cell failed"):
        errs = errs + [fatal]
    print(json.dumps({"ok": not errs and fatal is None, "errors": errs, "wall": round(wall, 2)}))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
