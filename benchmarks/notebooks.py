"""Notebook-report benchmark: a year of the Wilson Center through `argo explore` and the analysis.

Builds (once, cached in the git-ignored ``benchmarks/.cache/``, rebuilt when the simulator or
the schema changes) an SQLite database with 53 weeks of the
simulated Wilson Center (``argo_lib.sim.demo.build_demo_database``: 8 channels at 15 min, every
reading field, the weather), then runs each notebook report end to end for the last 365 days,
as the operators' run path does it: ``run_explore`` (``notebooks/explore.ipynb`` with papermill,
then its HTML) and, when ``argo_lib.jobs.analysis`` exists, ``run_analysis``
(``notebooks/wilson_center_analysis.ipynb``), twice: with a weather-normalised comparison of the
year's second half with its first (``change_date`` mid-period) and with the automatic comparison
(none on 53 weeks). Each run is a fresh process that runs only that
job, so the imports, the kernel's start and the HTML are all in its time. Memory is the peak
resident set (RSS) of the command process and of the notebook kernel, its child: sampled every
20 ms with psutil and, after the run, ``getrusage`` (``ru_maxrss`` of the process and of its
waited-for children); the larger of the two is reported.

Usage::

    .venv/bin/python benchmarks/notebooks.py [--repeat 3] [--quick] [--rebuild] [--only CASE]
        [--output FILE] [--update-readme]

``--quick`` is a smoke run: 8 weeks of data, the last 56 days, one repetition. ``--only`` (one
of ``explore``, ``analysis``, ``analysis-auto``; repeatable) runs only those cases. Wall times
on a busy machine include waiting for the CPU; the CPU column does not.

Targets (issue 11): one year of the 8 Wilson channels at 15 min, the analysis notebook end to
end (papermill and HTML) <= 60 s, the exploration notebook <= 30 s, on this 2-core machine;
memory stays under 1 GB (the command and its kernel together).
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import importlib.util
import inspect
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from math import nan
from pathlib import Path
from typing import Any

from readme_section import update_section

ROOT = Path(__file__).resolve().parent.parent
CACHE = Path(__file__).resolve().parent / ".cache"
END_WEEK = "2026-W47"
"""The last simulated week (fixed, so the cached database stays valid)."""
SITE = "23271"
CHANNELS = 8
RESOLUTION_S = 900
TARGET_MB = 1024.0
REPORTS = {
    # job: (notebook, target [s])
    "explore": ("notebooks/explore.ipynb", 30.0),
    "analysis": ("notebooks/wilson_center_analysis.ipynb", 60.0),
}
CASES = {
    # case: (job, comparison of the analysis)
    "explore": ("explore", ""),
    "analysis": ("analysis", "change"),
    "analysis-auto": ("analysis", "auto"),
}
"""``analysis``: the weather-normalised comparison of the period's second half with its first
(``change_date`` mid-period: a baseline model fitted and predicted); ``analysis-auto``: the
automatic comparison, which on 53 weeks finds no baseline (the same dates a year earlier are not
stored, the 6 days before the period are too few), so no comparison is made."""
SAMPLE_S = 0.02


# --------------------------------------------------------------------------------------------
# The cached database


def _source_key(weeks: int) -> str:
    """Cache key: the demo's parameters and the simulator's and schema's source."""
    digest = hashlib.sha256(f"{weeks}|{END_WEEK}|{RESOLUTION_S}".encode())
    for path in sorted((ROOT / "argo_lib" / "sim").rglob("*.py")) + [ROOT / "argo_lib/db.py"]:
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def _database(weeks: int, *, rebuild: bool) -> tuple[Path, dict[str, Any]]:
    """The cached demo database of ``weeks`` weeks, built first when missing or stale."""
    CACHE.mkdir(exist_ok=True)
    key = _source_key(weeks)
    path = CACHE / f"wilson-{weeks}w-{key}.sqlite"
    info_path = path.with_suffix(".json")
    if rebuild or not (path.exists() and info_path.exists()):
        for old in CACHE.glob(f"wilson-{weeks}w-*"):
            old.unlink()
        info = _worker_run(["build", "--weeks", str(weeks), "--db", str(path)], _env(path))
        info["size_mb"] = path.stat().st_size / 2**20
        info_path.write_text(json.dumps(info, indent=2), encoding="utf-8")
        info["cached"] = False
    else:
        info = json.loads(info_path.read_text(encoding="utf-8"))
        info["cached"] = True
    return path, info


def _build(weeks: int, db_path: Path) -> dict[str, Any]:
    from argo_lib import db
    from argo_lib.sim import demo

    t0 = time.perf_counter()
    engine = db.get_engine(f"sqlite:///{db_path}")
    result = demo.build_demo_database(
        engine, weeks=weeks, end_week=END_WEEK, resolution_s=RESOLUTION_S
    )
    seconds = time.perf_counter() - t0
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        readings = conn.exec_driver_sql("SELECT count(*) FROM readings").scalar_one()
    engine.dispose()
    return {
        "seconds": seconds,
        "readings": int(readings),
        "channels": len(result.summary),
        "start": str(result.period.start),
        "end": str(result.period.end),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


# --------------------------------------------------------------------------------------------
# One run in a fresh process


class _Sampler:
    """Peak RSS of this process and of its descendants (the kernel), sampled in a thread."""

    def __init__(self) -> None:
        self.self_mb = 0.0
        self.children_mb = 0.0
        self.together_mb = 0.0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __enter__(self) -> _Sampler:
        try:
            import psutil  # type: ignore[import-untyped]
        except ImportError:
            return self
        me = psutil.Process()

        def sample() -> None:
            while not self._stop.is_set():
                try:
                    own = me.memory_info().rss
                    kids = 0
                    for child in me.children(recursive=True):
                        try:
                            rss = child.memory_info().rss
                        except psutil.Error:
                            continue
                        kids += rss
                        self.children_mb = max(self.children_mb, rss / 2**20)
                    self.self_mb = max(self.self_mb, own / 2**20)
                    self.together_mb = max(self.together_mb, (own + kids) / 2**20)
                except psutil.Error:
                    pass
                self._stop.wait(SAMPLE_S)

        self._thread = threading.Thread(target=sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()


def _period(days: int) -> tuple[str, str]:
    """First and last site-local day (inclusive) of the last ``days`` days before END_WEEK ends."""
    from argo_lib import dates

    end = dates.report_week(END_WEEK, tz="America/New_York").end.date()
    return (end - dt.timedelta(days=days)).isoformat(), (end - dt.timedelta(days=1)).isoformat()


def analysis_available() -> bool:
    """Whether the analysis report's run path exists (it is being written)."""
    return importlib.util.find_spec("argo_lib.jobs.analysis") is not None


def _accepted(function: Any, **kwargs: Any) -> dict[str, Any]:
    """The keyword arguments that ``function`` takes (the analysis run path is new)."""
    parameters = inspect.signature(function).parameters
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values()):
        return kwargs
    return {key: value for key, value in kwargs.items() if key in parameters}


def _run_report(
    report: str, db_path: Path, days: int, out: Path, comparison: str = ""
) -> dict[str, Any]:
    from argo_lib import db

    engine = db.get_engine(f"sqlite:///{db_path}", must_exist=True)
    start, end = _period(days)
    change = ""
    if comparison == "change":
        change = (dt.date.fromisoformat(start) + dt.timedelta(days=days // 2)).isoformat()
    url = db.url_for_another_process(engine)
    request: Any
    outputs: Any
    if report == "explore":
        from argo_lib.jobs import explore

        request = explore.ExploreRequest.resolve(site_id=SITE, start=start, end=end, engine=engine)
        outputs = explore.run_explore(request, database_url=url, output_dir=out)
    else:
        from argo_lib.jobs import analysis

        resolve = analysis.AnalysisRequest.resolve
        kwargs = {"site_id": SITE, "start": start, "end": end, "engine": engine}
        request = resolve(**_accepted(resolve, **kwargs, change_date=change))
        run = analysis.run_analysis
        outputs = run(request, **_accepted(run, database_url=url, output_dir=out))
    seconds = {key: float(outputs.seconds.get(key, nan)) for key in ("notebook", "html", "total")}
    html = Path(getattr(outputs, "html", out / "missing.html"))
    channels = outputs.summary.get("channels", []) if report == "explore" else []
    baseline = getattr(request, "baseline", None)
    return {
        "seconds": seconds,
        "comparison": str(getattr(request, "comparison", "")),
        "baseline": "" if baseline is None else str(baseline),
        "readings": sum(int(c.get("readings", 0)) for c in channels),
        "html_mb": html.stat().st_size / 2**20 if html.exists() else float("nan"),
        "start": start,
        "end": end,
    }


def _worker(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("job", choices=["build", *REPORTS])
    parser.add_argument("--db", required=True)
    parser.add_argument("--weeks", type=int, default=53)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--out", default="")
    parser.add_argument("--comparison", default="")
    args = parser.parse_args(argv)
    if args.job == "build":
        result = _build(args.weeks, Path(args.db))
    else:
        wall = time.perf_counter()
        with _Sampler() as sampler:
            result = _run_report(
                args.job, Path(args.db), args.days, Path(args.out), args.comparison
            )
        result["wall_s"] = time.perf_counter() - wall
        own = resource.getrusage(resource.RUSAGE_SELF)
        kids = resource.getrusage(resource.RUSAGE_CHILDREN)
        result["cpu_s"] = own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime
        rusage_self = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        rusage_kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        result["command_mb"] = max(rusage_self, sampler.self_mb)
        result["kernel_mb"] = max(rusage_kids, sampler.children_mb)
        result["together_mb"] = sampler.together_mb
    print("RESULT " + json.dumps(result))
    return 0


def _env(db_path: Path, outputs_dir: Path | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env.update(DATABASE_URL="", ARGO_SQLITE_PATH=str(db_path))
    if outputs_dir is not None:
        env["ARGO_OUTPUTS_DIR"] = str(outputs_dir)
    return env


def _worker_run(argv: list[str], env: dict[str, str]) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--worker", *argv],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise RuntimeError(
            f"{' '.join(argv)} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
        )
    line = next(ln for ln in reversed(done.stdout.splitlines()) if ln.startswith("RESULT "))
    return dict(json.loads(line.removeprefix("RESULT ")))


# --------------------------------------------------------------------------------------------
# Table


def _machine() -> str:
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return f"{platform.machine()} with {cores} cores ({model}), Python {platform.python_version()}"


def _reason(error: str) -> str:
    """The last line of a failed run's error, for the table."""
    lines = [line for line in error.strip().splitlines() if line.strip()]
    last = lines[-1].split(" The published folder ")[0] if lines else "unknown error"
    return f"failed: {last[:160]}"


def _label(case: str, runs: list[dict[str, Any]]) -> str:
    job, comparison = CASES[case]
    notebook = REPORTS[job][0]
    if job == "explore":
        return f"`argo explore` (`{notebook}`)"
    if comparison == "change":
        when = runs[0]["comparison"] if runs else "before and after mid-period"
        how = f"weather-normalised comparison {when}"
    else:
        how = f"automatic comparison: {runs[0]['comparison']}" if runs else "automatic comparison"
    return f"analysis (`{notebook}`), {how}"


def _row(case: str, runs: list[dict[str, Any]], days: int, missing: str = "") -> str:
    target_s = REPORTS[CASES[case][0]][1]
    label = _label(case, runs)
    intervals = days * 24 * 3600 // RESOLUTION_S
    size = f"{CHANNELS} × {intervals:,}"
    if not runs:
        return (
            f"| {label} | {days} days | {size} | {missing or 'not available'} | – | – | "
            f"≤ {target_s:.0f} | – | – | ≤ {TARGET_MB:.0f} |"
        )
    med = {
        key: statistics.median(r["seconds"][key] for r in runs)
        for key in ("notebook", "html", "total")
    }
    cpu = statistics.median(r["cpu_s"] for r in runs)
    kernel = max(r["kernel_mb"] for r in runs)
    command = max(r["command_mb"] for r in runs)
    together = kernel + command
    ok_s = med["total"] <= target_s
    ok_mb = together <= TARGET_MB
    period = f"{runs[0]['start']} to {runs[0]['end']} ({days} days)"
    return (
        f"| {label} | {period} | {size} | {med['notebook']:.1f} | {med['html']:.1f} | "
        f"{med['total']:.1f} | ≤ {target_s:.0f} ({'met' if ok_s else 'missed'}) | {cpu:.1f} | "
        f"{kernel:.0f} + {command:.0f} = {together:.0f} | ≤ {TARGET_MB:.0f} "
        f"({'met' if ok_mb else 'missed'}) |"
    )


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--worker"]:
        return _worker(argv[1:])
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=None, help="runs per report (default 3)")
    parser.add_argument("--quick", action="store_true", help="smoke run: 8 weeks, 56 days, once")
    parser.add_argument("--rebuild", action="store_true", help="rebuild the cached database")
    parser.add_argument(
        "--only", choices=sorted(CASES), action="append", help="run only this case (repeatable)"
    )
    parser.add_argument("--output", help="also write the markdown table to this file")
    parser.add_argument(
        "--update-readme",
        action="store_true",
        help="write the table into README.md between <!-- notebooks-benchmark:begin/end -->",
    )
    args = parser.parse_args(argv)
    weeks, days = (8, 56) if args.quick else (53, 365)
    repeat = args.repeat if args.repeat is not None else (1 if args.quick else 3)

    db_path, built = _database(weeks, rebuild=args.rebuild)
    cases = args.only or list(CASES)
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in cases}
    failed: dict[str, str] = {}
    available = analysis_available()
    for i in range(repeat):
        for case in cases:
            job, comparison = CASES[case]
            if (job == "analysis" and not available) or case in failed:
                continue
            out = Path(tempfile.mkdtemp(prefix=f"argo-bench-{case}-"))
            job_argv = [job, "--db", str(db_path), "--days", str(days), "--out", str(out / "o")]
            try:
                run = _worker_run([*job_argv, "--comparison", comparison], _env(db_path, out))
            except RuntimeError as exc:
                failed[case] = str(exc)
                print(f"{case} FAILED: {exc}", file=sys.stderr, flush=True)
                continue
            finally:
                shutil.rmtree(out, ignore_errors=True)
            runs[case].append(run)
            s = run["seconds"]
            print(
                f"run {i + 1}/{repeat} {case}: notebook {s['notebook']:.1f} s, HTML "
                f"{s['html']:.1f} s, total {s['total']:.1f} s (process {run['wall_s']:.1f} s, "
                f"CPU {run['cpu_s']:.1f} s"
                + (f", {run['readings']:,} readings" if run["readings"] else "")
                + "); "
                f"peak RSS kernel {run['kernel_mb']:.0f} MB, command {run['command_mb']:.0f} MB, "
                f"together {run['together_mb']:.0f} MB; HTML {run['html_mb']:.1f} MB",
                file=sys.stderr,
                flush=True,
            )

    load = os.getloadavg()[0]
    lines = [
        "| report | period | channels × intervals | notebook (s) | HTML (s) | total (s) | "
        "target (s) | CPU (s) | peak RSS (MB): kernel + command | target (MB) |",
        "|---|---|---:|---:|---:|---:|---|---:|---:|---|",
        *(
            _row(name, runs[name], days, _reason(failed[name]) if name in failed else "")
            for name in cases
        ),
        "",
        f"Database: {weeks} weeks of the simulated Wilson Center ({CHANNELS} channels, 15 min, "
        f"every reading field, weather; {built['readings']:,} readings, "
        f"{built['size_mb']:.0f} MB SQLite), built in {built['seconds']:.1f} s (peak RSS "
        f"{built['peak_rss_mb']:.0f} MB)" + (", cached" if built["cached"] else "") + ". "
        f"Times are medians of {repeat} run(s), each a fresh process running only that report "
        "(the run path's own step times: notebook = papermill with the kernel's start, HTML = "
        "nbconvert; CPU = user + system time of the command and its kernel, which waiting for a "
        "busy CPU does not inflate); peak RSS is the largest over the runs, the kernel's and the "
        "command's added (an upper bound of both together).",
        f"Measured {time.strftime('%Y-%m-%d')} on {_machine()}, load average {load:.2f}; "
        f"`python benchmarks/notebooks.py{''.join(' ' + a for a in argv)}`.",
    ]
    if any(CASES[name][0] == "analysis" for name in cases) and not available:
        lines.append(
            "The analysis report is not available yet (no `argo_lib.jobs.analysis`); not run."
        )
    text = "\n".join(lines) + "\n"
    print(text)
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
    if args.update_readme and not update_section("notebooks-benchmark", text):
        print("README.md has no notebooks-benchmark section; not updated", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
