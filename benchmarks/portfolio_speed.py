"""Portfolio benchmark: many sites' weekly briefs, sequentially and on a Dask LocalCluster.

Simulates a portfolio (``--sites`` sites × ``--channels`` channels, 4 baseline weeks and the
report week 2026-W47, hourly) into an SQLite file in a temporary folder
(:func:`argo_lib.sim.portfolio.simulate_portfolio`), then measures wall time of:

- the kernel-less path (``argo brief --no-notebook``) for every site, one after the other in
  this process, and on a LocalCluster of ``--workers`` worker processes (cluster start-up
  counted separately);
- the notebook path (``argo brief``) for ``--notebook-sites`` sites on the same cluster;

and projects sites per hour per worker for both paths and the workers a 1,000-site portfolio
needs to finish its Monday briefs within 15 minutes. ``--kernels N`` also runs the kernel
stress test: ``N`` notebook briefs as separate ``argo brief`` processes, ``--at-once`` at a
time, counting failures (target 0) and kernel start retries.

Usage::

    .venv/bin/python benchmarks/portfolio_speed.py [--sites 200] [--channels 8] \
        [--notebook-sites 20] [--workers 2] [--kernels 50 --at-once 4] [--skip-speed]
"""

from __future__ import annotations

import argparse
import importlib
import math
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WEEK = "2026-W47"
PORTFOLIO = 1000
WINDOW_S = 15 * 60
WARM = (
    "argo_lib.jobs.weekly_brief",
    "argo_lib.analytics",
    "argo_lib.render.plots",
    "argo_lib.brief",
)
"""Modules imported before the clock starts, in this process and on every worker."""


def _machine() -> str:
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return (
        f"{platform.node()} ({model}, {len(os.sched_getaffinity(0))} cores, "
        f"{platform.system()} {platform.machine()}, Python {platform.python_version()}, "
        f"load average {load} at the end)"
    )


def _workers_needed(rate_per_worker_h: float) -> int:
    per_worker = rate_per_worker_h * WINDOW_S / 3600
    return math.ceil(PORTFOLIO / per_worker) if per_worker > 0 else 0


def _speed(args: argparse.Namespace, folder: Path, url: str, ids: list[str]) -> list[str]:
    from distributed import Client

    from argo_lib.jobs import many_sites

    options = many_sites.PortfolioOptions(
        week=WEEK,
        database_url=url,
        notebook=False,
        params_dir=str(folder / "params"),
        outputs_dir=str(folder / "sequential"),
    )
    failed = 0
    for module in WARM:  # imports are not the briefs' time, here or on the workers
        importlib.import_module(module)
    t0 = time.perf_counter()
    sequential = many_sites.run_sequentially(ids, options)
    t_seq = time.perf_counter() - t0
    failed += sum(not o.ok for o in sequential)
    print(f"kernel-less, sequential: {len(ids)} sites in {t_seq:.1f} s", file=sys.stderr)

    t0 = time.perf_counter()
    with many_sites.local_cluster(args.workers) as cluster, Client(cluster) as client:
        client.wait_for_workers(args.workers)
        for module in WARM:
            client.run(importlib.import_module, module)
        t_start = time.perf_counter() - t0
        t0 = time.perf_counter()
        parallel = many_sites.run_sites(
            ids, _with(options, outputs_dir=str(folder / "cluster")), client=client
        )
        t_par = time.perf_counter() - t0
        print(f"kernel-less, cluster: {len(ids)} sites in {t_par:.1f} s", file=sys.stderr)
        nb_ids = ids[: args.notebook_sites]
        t0 = time.perf_counter()
        notebook = many_sites.run_sites(
            nb_ids,
            _with(options, notebook=True, outputs_dir=str(folder / "notebook")),
            client=client,
        )
        t_nb = time.perf_counter() - t0
        print(f"notebook, cluster: {len(nb_ids)} sites in {t_nb:.1f} s", file=sys.stderr)
    failed += sum(not o.ok for o in parallel) + sum(not o.ok for o in notebook)
    w = args.workers
    rate_seq = len(ids) / t_seq * 3600
    rate_par = len(ids) / t_par * 3600 / w
    rate_nb = len(nb_ids) / t_nb * 3600 / w
    return [
        f"Measured {time.strftime('%Y-%m-%d')} on {_machine()}; {len(ids)} simulated sites × "
        f"{args.channels} channels, hourly, 4 baseline weeks and the report week {WEEK}, "
        f"SQLite; a LocalCluster of {w} single-threaded worker processes "
        f"(started and imports warmed in {t_start:.1f} s, not counted below). Failed sites: {failed}.",
        "",
        "| path | sites | where | wall [s] | s/site | sites/hour/worker | "
        f"workers for {PORTFOLIO:,} sites in 15 min |",
        "|---|---:|---|---:|---:|---:|---:|",
        f"| kernel-less | {len(ids)} | sequential, 1 process | {t_seq:.1f} | "
        f"{t_seq / len(ids):.2f} | {rate_seq:.0f} | {_workers_needed(rate_seq)} |",
        f"| kernel-less | {len(ids)} | LocalCluster, {w} workers | {t_par:.1f} | "
        f"{t_par / len(ids):.2f} | {rate_par:.0f} | {_workers_needed(rate_par)} |",
        f"| notebook | {len(nb_ids)} | LocalCluster, {w} workers | {t_nb:.1f} | "
        f"{t_nb / len(nb_ids):.2f} | {rate_nb:.0f} | {_workers_needed(rate_nb)} |",
        "",
        f"Speed-up of the kernel-less path on {w} workers: {t_seq / t_par:.2f}×; "
        f"kernel-less vs notebook per worker: {rate_par / rate_nb:.1f}×.",
    ]


def _with(options, **changes):
    import dataclasses

    return dataclasses.replace(options, **changes)


def _kernels(args: argparse.Namespace, folder: Path, url: str, ids: list[str]) -> list[str]:
    """``--kernels`` notebook briefs as separate processes, ``--at-once`` at a time."""
    argo = Path(sys.executable).parent / "argo"
    env = dict(
        os.environ,
        DATABASE_URL=url,
        ARGO_PARAMS_DIR=str(folder / "params"),
        ARGO_OUTPUTS_DIR=str(folder / "stress"),
    )

    def one(i: int) -> tuple[int, str]:
        site = ids[i % len(ids)]
        out = folder / "stress" / f"run{i:03d}"
        argv = [str(argo), "brief", "--site", site, "--week", WEEK, "--output-dir", str(out)]
        done = subprocess.run(argv, env=env, capture_output=True, text=True)
        return done.returncode, done.stderr

    t0 = time.perf_counter()
    with ThreadPoolExecutor(max_workers=args.at_once) as pool:
        results = list(pool.map(one, range(args.kernels)))
    wall = time.perf_counter() - t0
    failures = [err.strip().splitlines()[-1] for code, err in results if code != 0]
    retries = sum(err.count("died before it was ready") for _, err in results)
    lines = [
        f"Kernel stress: {args.kernels} notebook briefs (`argo brief`, separate processes), "
        f"{args.at_once} at once on {len(os.sched_getaffinity(0))} cores: "
        f"**{len(failures)} failed**, {retries} kernel start(s) retried after a port race, "
        f"{wall:.0f} s wall ({wall / args.kernels:.1f} s per brief).",
    ]
    lines += [f"- failure: {line}" for line in failures[:10]]
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sites", type=int, default=200)
    parser.add_argument("--channels", type=int, default=8)
    parser.add_argument("--notebook-sites", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--kernels", type=int, default=0, help="notebook briefs of the stress")
    parser.add_argument("--at-once", type=int, default=4, help="stress briefs at a time")
    parser.add_argument("--skip-speed", action="store_true", help="only the kernel stress")
    args = parser.parse_args()

    from argo_lib import db
    from argo_lib.sim.portfolio import simulate_portfolio

    folder = Path(tempfile.mkdtemp(prefix="argo-portfolio-"))
    try:
        url = f"sqlite:///{folder / 'portfolio.sqlite'}"
        engine = db.get_engine(url)
        t0 = time.perf_counter()
        n = max(args.sites, 1 if args.skip_speed else args.notebook_sites)
        ids = simulate_portfolio(
            engine, folder / "params", sites=n, channels=args.channels, week=WEEK
        )
        print(f"simulated {len(ids)} sites in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
        lines: list[str] = []
        if not args.skip_speed:
            lines += _speed(args, folder, url, ids)
        if args.kernels:
            lines += ["", *_kernels(args, folder, url, ids)]
        print("\n".join(lines))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
