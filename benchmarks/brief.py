"""Weekly-brief benchmark: the complete brief of the demo site (notebook, HTML, e-mail file).

Builds the demo database (simulated Wilson Center, fixed seed, report week 2026-W47) in a
temporary folder, then times ``run_weekly_brief`` end to end, and separately the kernel start-up
(papermill running a notebook with one empty cell through the same run path).

Usage::

    .venv/bin/python benchmarks/brief.py [--repeat 3] [--update-readme]

Target (issue 5): the complete brief <= 20 s on a 2-core machine.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from readme_section import update_section


def kernel_startup_s(folder: Path) -> float:
    from argo_lib import report

    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("x: int = 1  # nothing")
    cell.metadata["tags"] = ["parameters"]
    nb.cells = [cell]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    path = folder / "empty.ipynb"
    nbformat.write(nb, path)
    start = time.perf_counter()
    report.run_notebook(path, folder / "empty-run.ipynb")
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--update-readme", action="store_true")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="argo-bench-") as tmp:
        folder = Path(tmp)
        os.environ.update(
            {
                "DATABASE_URL": "",
                "ARGO_SQLITE_PATH": str(folder / "demo.sqlite"),
                "ARGO_OUTPUTS_DIR": str(folder / "out"),
            }
        )
        from argo_lib import db
        from argo_lib.sim import demo
        from argo_lib.weekly_brief import run_weekly_brief

        demo.build_demo_database(db.get_engine(), weeks=10, end_week="2026-W47")
        runs = [
            run_weekly_brief(site_id="23271", week="2026-W47").seconds for _ in range(args.repeat)
        ]
        kernels = [kernel_startup_s(folder) for _ in range(args.repeat)]
    med = {k: statistics.median(r[k] for r in runs) for k in ("total", "notebook", "html", "email")}
    kernel = statistics.median(kernels)
    table = "\n".join(
        [
            f"| step | median of {args.repeat} runs (s) |",
            "|---|---:|",
            f"| complete brief (notebook + HTML + e-mail file) | {med['total']:.1f} |",
            f"| … notebook run with papermill | {med['notebook']:.1f} |",
            f"| … of which kernel start-up and shutdown (empty notebook) | {kernel:.1f} |",
            f"| … HTML with nbconvert | {med['html']:.1f} |",
            f"| … e-mail file | {med['email']:.2f} |",
            "",
            f"Measured {time.strftime('%Y-%m-%d')} on {platform.machine()} with {len(os.sched_getaffinity(0))} cores, "
            "demo site, 15-min data, week 2026-W47 with a 4-week baseline. Target: ≤ 20 s.",
        ]
    )
    print(table)
    if args.update_readme and not update_section("brief-benchmark", table):
        print("README.md has no brief-benchmark section; not updated", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
