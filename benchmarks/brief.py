"""Weekly-brief benchmark: `argo brief` of the demo site, this code against an older commit.

Builds the demo database (simulated Wilson Center, fixed seed, report week 2026-W47) in a
temporary folder, checks out the older code (``--against``, default the last commit before the
one-computation run path) with ``git archive`` beside it, and runs the complete brief
(``argo brief --site 23271 --week 2026-W47``: notebook, HTML, e-mail file) with each, alternating
old and new, as separate processes on the same database. Wall time is measured around each run;
CPU time is the user + system time of the command and everything it started (the kernel
included), from ``getrusage(RUSAGE_CHILDREN)``. Then it breaks the new run's CPU time down into
its steps (imports, kernel start, reading and analysis, charts, HTML, e-mail).

Usage::

    .venv/bin/python benchmarks/brief.py [--repeat 3] [--against REF] [--update-readme]

Target (issue 8): the brief's CPU time at most half of the older code's, side by side.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from readme_section import update_section

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_AGAINST = "9b12ba9"
"""The last commit before the one-computation run path (issue 8)."""
WEEK = "2026-W47"


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _timed(argv: list[str], env: dict[str, str], cwd: Path) -> tuple[float, float]:
    """Wall and CPU seconds of a command and all it started (the notebook kernel included)."""
    cpu, wall = _children_cpu(), time.perf_counter()
    done = subprocess.run(argv, env=env, cwd=cwd, capture_output=True, text=True)
    wall, cpu = time.perf_counter() - wall, _children_cpu() - cpu
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed:\n{done.stdout}\n{done.stderr}")
    return wall, cpu


def _brief_command(tree: Path) -> list[str]:
    code = (
        f"import sys; sys.path.insert(0, {str(tree)!r}); from argo_lib.cli import main; "
        f"sys.exit(main(['brief', '--site', '23271', '--week', {WEEK!r}]))"
    )
    return [sys.executable, "-c", code]


def _environment(tree: Path, folder: Path, name: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DATABASE_URL="",
        ARGO_SQLITE_PATH=str(folder / "demo.sqlite"),
        ARGO_OUTPUTS_DIR=str(folder / f"out-{name}"),
        PYTHONPATH=str(tree),  # the kernel imports the same code as the command
    )
    return env


def _checkout(ref: str, target: Path) -> None:
    target.mkdir(parents=True)
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", ref], capture_output=True, check=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)


def _cpu_of(code: str, env: dict[str, str]) -> float:
    """CPU seconds of a fresh interpreter running ``code`` (its imports included)."""
    before = _children_cpu()
    subprocess.run([sys.executable, "-c", code], env=env, check=True, capture_output=True)
    return _children_cpu() - before


def breakdown(folder: Path) -> list[tuple[str, float]]:
    """CPU seconds of each step of the new run path, each measured on its own."""
    env = _environment(ROOT, folder, "steps")
    steps = []
    steps.append(
        (
            "command: Python, argo_lib, papermill, nbconvert imported",
            _cpu_of(
                "import argo_lib.cli, argo_lib.jobs.weekly_brief, argo_lib.report.notebook, "
                "argo_lib.report.email, papermill, nbconvert",
                env,
            ),
        )
    )
    steps.append(
        (
            "kernel: libraries imported (pandas, matplotlib, analytics, views)",
            _cpu_of(
                "import pandas; from argo_lib.jobs import weekly_brief; "
                "from argo_lib.render import views, plots; import argo_lib.analytics, "
                "argo_lib.brief",
                env,
            ),
        )
    )
    os.environ.update(env)
    from argo_lib.jobs import weekly_brief
    from argo_lib.report import email as mail
    from argo_lib.report import notebook

    empty = folder / "empty.ipynb"
    _write_empty_notebook(empty)
    before = _children_cpu()
    t0 = time.process_time()
    notebook.run_notebook(empty, folder / "empty-run.ipynb")
    steps.append(
        (
            "kernel: start and stop (an empty notebook through papermill)",
            _children_cpu() - before + time.process_time() - t0,
        )
    )
    request = weekly_brief.BriefRequest.resolve(site_id="23271", week=WEEK)
    weekly_brief.compute_brief(request)  # warm: imports are counted above
    t0 = time.process_time()
    brief = weekly_brief.compute_brief(request)
    steps.append(("kernel: read, analyse, brief JSON, charts built", time.process_time() - t0))
    t0 = time.process_time()
    charts = {name: fig.to_png() for name, fig in brief.charts.items()}
    steps.append(("kernel: charts drawn as PNG (once each)", time.process_time() - t0))
    executed = next((folder / "out-new").rglob("weekly_brief.ipynb"))
    notebook.render_html(executed, folder / "warm.html")
    t0 = time.process_time()
    html = notebook.render_html(executed, folder / "brief.html")
    steps.append(("command: HTML with nbconvert", time.process_time() - t0))
    t0 = time.process_time()
    mail.build_email(
        brief.doc,
        sender="brief@localhost",
        recipients=(),
        charts={k: charts[k] for k in weekly_brief.EMAIL_CHARTS},
        attachments={"weekly_brief.html": html.read_bytes()},
    )
    steps.append(("command: e-mail message", time.process_time() - t0))
    return steps


def _write_empty_notebook(path: Path) -> None:
    import nbformat

    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("x: int = 1  # nothing")
    cell.metadata["tags"] = ["parameters"]
    nb.cells = [cell]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--against", default=DEFAULT_AGAINST, help="git ref of the older code")
    parser.add_argument("--update-readme", action="store_true")
    args = parser.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="argo-bench-brief-"))
    try:
        old_tree = folder / "old"
        _checkout(args.against, old_tree)
        env = _environment(ROOT, folder, "new")
        build = (
            "from argo_lib import db; from argo_lib.sim import demo"
            if (ROOT / "argo_lib" / "sim").is_dir()
            else "from argo_lib import db, demo"
        )
        subprocess.run(
            [sys.executable, "-c", f"{build}; demo.build_demo_database(db.get_engine(), "
             f"weeks=10, end_week={WEEK!r})"],
            env=env, check=True, capture_output=True,
        )  # fmt: skip
        runs: dict[str, list[tuple[float, float]]] = {"old": [], "new": []}
        for _ in range(args.repeat):  # alternate, so both see the same machine load
            for name, tree in (("old", old_tree), ("new", ROOT)):
                runs[name].append(
                    _timed(_brief_command(tree), _environment(tree, folder, name), tree)
                )
        steps = breakdown(folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    med = {
        name: (statistics.median(w for w, _ in r), statistics.median(c for _, c in r))
        for name, r in runs.items()
    }
    ratio_cpu = med["new"][1] / med["old"][1]
    ratio_wall = med["new"][0] / med["old"][0]
    load = os.getloadavg()[0]
    lines = [
        f"| `argo brief`, demo site, {WEEK} | wall, median of {args.repeat} (s) | CPU, median (s) |",
        "|---|---:|---:|",
        f"| before (commit `{args.against}`: two processes compute, charts rebuild grids) | "
        f"{med['old'][0]:.1f} | {med['old'][1]:.1f} |",
        f"| now (one computation in the kernel, charts drawn once) | {med['new'][0]:.1f} | "
        f"{med['new'][1]:.1f} |",
        f"| now / before | {ratio_wall:.2f} | **{ratio_cpu:.2f}** |",
        "",
        "Where the CPU time of a run goes now (each step measured on its own, so they add up to "
        "about the whole):",
        "",
        "| step | CPU (s) |",
        "|---|---:|",
        *(f"| {name} | {cpu:.2f} |" for name, cpu in steps),
        "",
        f"Measured {time.strftime('%Y-%m-%d')} on {platform.machine()} with "
        f"{len(os.sched_getaffinity(0))} cores, Python {platform.python_version()}, load average "
        f"{load:.2f}; old and new runs alternate on the same demo database (10 weeks, 15-min "
        f"data, 4-week baseline). `python benchmarks/brief.py --update-readme`. Target: CPU "
        "now / before ≤ 0.5.",
    ]
    table = "\n".join(lines)
    print(table)
    if args.update_readme and not update_section("brief-benchmark", table):
        print("README.md has no brief-benchmark section; not updated", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
