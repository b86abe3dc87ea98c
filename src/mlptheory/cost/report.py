"""What a run costs before paying it, and what it cost: ``mlptheory cost [--configfile ...]
[targets]``, the summary Snakemake prints before its first job, and the report's cost table.

Torch-free (Snakemake's ``onstart`` imports it). The jobs are Snakemake's own
(:mod:`mlptheory.cost.dag`), their work the registered one (:mod:`mlptheory.cost.model`),
their seconds this machine's calibration (:mod:`mlptheory.cost.calibration`). Wall time on
``cores`` cores is the larger of the work spread over the cores and the longest chain of jobs
that wait for each other.
"""

from __future__ import annotations

import json
import math
import os
import sys
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path

from ..papers import PAPERS
from .calibration import (
    CALIBRATION_FILE,
    GPU_BANDWIDTH_FRACTION,
    GPU_FRACTION,
    GPU_NAME,
    GPU_OP_S,
    Calibration,
    calibrate,
)
from .dag import Job, jobs_of, targets_of, workflow_jobs


# ----- estimates --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Estimate:
    """Estimated cost of a set of jobs."""

    jobs: int
    flops: float
    mem: float
    cpu_s: float      # CPU core-seconds (sum over jobs)
    wall_s: float     # on ``cores`` cores: max(cpu_s / cores, the longest chain of jobs)
    gpu_s: float      # one GPU, jobs one after the other
    cores: int


def longest_chain(jobs: Mapping[str, Job], ids: Iterable[str], seconds: Mapping[str, float]
                  ) -> float:
    """Seconds of the longest chain of ``ids`` in which each job waits for the one before."""
    ids = set(ids)
    finish: dict[str, float] = {}
    for start in ids:
        stack = [start]
        while stack:  # depth first, each job once (no recursion limit on deep chains)
            j = stack[-1]
            if j in finish:
                stack.pop()
                continue
            todo = [a for a in jobs[j].after if a in ids and a not in finish]
            if todo:
                stack.extend(todo)
                continue
            stack.pop()
            finish[j] = seconds[j] + max((finish[a] for a in jobs[j].after if a in ids),
                                         default=0.0)
    return max(finish.values(), default=0.0)


def estimate(jobs: Mapping[str, Job], ids: Iterable[str], cal: Calibration, cores: int = 1
             ) -> Estimate:
    ids = list(dict.fromkeys(ids))
    seconds = {j: cal.cpu_seconds(jobs[j].work, jobs[j].threads, start=jobs[j].runs)
               for j in ids}
    cpu_s = sum(seconds[j] * jobs[j].threads for j in ids)
    return Estimate(
        jobs=len(ids), flops=sum(jobs[j].work.flops for j in ids),
        mem=max((jobs[j].work.mem for j in ids), default=0.0), cpu_s=cpu_s,
        wall_s=max(cpu_s / cores, longest_chain(jobs, ids, seconds)),
        gpu_s=sum(cal.gpu_seconds(jobs[j].work) for j in ids if jobs[j].runs), cores=cores)


def select_targets(targets: Mapping[str, list[str]], wanted: Iterable[str]
                   ) -> dict[str, list[str]]:
    """The targets named by ``wanted``: a paper (``lee2019``), ``<paper>/<name>``, a result
    file (``results/<paper>/<name>.pdf``) or ``all``; every target when ``wanted`` is empty."""
    wanted = list(wanted)
    if not wanted or "all" in wanted:
        return dict(targets)
    out = {}
    for w in wanted:
        key = w.removeprefix("results/").rsplit(".", 1)[0] if w.startswith("results/") else w
        hits = {t: ids for t, ids in targets.items() if t == key or t.split("/")[0] == key}
        if not hits:
            raise ValueError(f"unknown target {w!r}: name a paper ({', '.join(PAPERS)}), "
                             f"<paper>/<figure> or results/<paper>/<figure>.pdf; known "
                             f"targets: {', '.join(sorted(targets))}")
        out.update(hits)
    return out


def human_time(s: float) -> str:
    if s < 90:
        return f"{s:.0f} s"
    if s < 5400:
        return f"{s / 60:.0f} min"
    if s < 48 * 3600:
        return f"{s / 3600:.1f} h"
    return f"{s / 86400:.1f} d"


def human_bytes(b: float) -> str:
    for unit, size in (("GB", 1e9), ("MB", 1e6)):
        if b >= size:
            return f"{b / size:.1f} {unit}"
    return f"{b / 1e3:.0f} kB"


def report_lines(jobs: Mapping[str, Job], wanted: Iterable[str] = (), cores: int = 2,
                 cal: Calibration | None = None, per_target: bool = True) -> list[str]:
    """The table ``mlptheory cost`` prints: per target, per paper and in total (``jobs``: every
    job of the workflow, :func:`mlptheory.cost.dag.workflow_jobs`)."""
    cal = cal or Calibration.load()
    targets = targets_of(jobs)
    chosen = select_targets(targets, wanted)
    head = (f"{'target':<46} {'jobs':>4} {'GFLOP':>9} {'peak mem':>9} {'CPU 1 core':>10} "
            f"{'GPU':>8}")
    lines = [head, "-" * len(head)]

    def row(name, est):
        return (f"{name:<46} {est.jobs:>4} {est.flops / 1e9:>9.0f} {human_bytes(est.mem):>9} "
                f"{human_time(est.cpu_s):>10} {human_time(est.gpu_s):>8}")

    by_paper: dict[str, list[str]] = {}
    for name, ids in chosen.items():
        by_paper.setdefault(name.split("/")[0], []).extend(ids)
        if per_target:
            lines.append(row(name, estimate(jobs, ids, cal)))
    if per_target:
        lines.append("-" * len(head))
    for paper, ids in by_paper.items():
        lines.append(row(f"{paper} (shared jobs once)", estimate(jobs, ids, cal)))
    # everything asked for: every job of the workflow, or what the chosen targets need
    every = list(jobs) if chosen == targets else [j for ids in chosen.values() for j in ids]
    total = estimate(jobs, every, cal, cores)
    lines += ["-" * len(head), row("total", total), "",
              f"CPU: {total.cpu_s / 3600:.2f} core-hours; on {cores} core(s) of this machine "
              f"about {human_time(total.wall_s)} wall time (jobs of 1 thread side by side).",
              f"GPU: about {human_time(total.gpu_s)} on one {GPU_NAME} (FLOPs at "
              f"{GPU_FRACTION:.0%} of its peak, memory traffic at {GPU_BANDWIDTH_FRACTION:.0%} "
              f"of its bandwidth, {GPU_OP_S * 1e6:.0f} us per op: an assumption until a GPU "
              "measurement replaces it).",
              f"Per-unit CPU costs: {CALIBRATION_FILE.name}, measured "
              f"{cal.measured.get('date', '?')} on {cal.measured.get('host', '?')} "
              f"(1-min load {float(cal.measured.get('loadavg_1min', math.nan)):.2f}); "
              "remeasure with "
              "`mlptheory cost --calibrate --write`."]
    return lines


def job_lines(jobs: Mapping[str, Job], wanted: Iterable[str] = (),
              cal: Calibration | None = None) -> list[str]:
    """``mlptheory cost --jobs``: every job the wanted targets need, each with its own estimate
    (a training run of ``train_run`` is a job of its own, with its GPU estimate)."""
    cal = cal or Calibration.load()
    chosen = select_targets(targets_of(jobs), wanted)
    ids = list(dict.fromkeys(j for sel in chosen.values() for j in sel))
    head = (f"{'job (rule/wildcards)':<58} {'GFLOP':>9} {'peak mem':>9} {'CPU 1 core':>10} "
            f"{'GPU':>8}")
    lines = [head, "-" * len(head)]
    for job_id in sorted(ids):
        est = estimate(jobs, [job_id], cal)
        lines.append(f"{job_id:<58} {est.flops / 1e9:>9.0f} {human_bytes(est.mem):>9} "
                     f"{human_time(est.cpu_s):>10} {human_time(est.gpu_s):>8}")
    return lines


# ----- what a run cost (Snakemake's benchmark files) --------------------------------------------
def read_benchmark(path: Path | str | None, time_column: str = "s"
                   ) -> tuple[float, float] | None:
    """``(seconds, peak resident MB)`` of a job's ``benchmark:`` file, or None if absent;
    ``time_column``: ``s`` (wall time) or ``cpu_time`` (CPU seconds of the job's processes)."""
    import csv

    if path is None or not Path(path).is_file():
        return None
    with Path(path).open() as f:
        row = next(csv.DictReader(f, delimiter="\t"))
    rss = row.get("max_rss", "-")
    return float(row[time_column]), (float(rss) if rss not in ("-", "NA", "") else math.nan)


def measured_rows(jobs: Mapping[str, Job], cal: Calibration | None = None) -> list[dict]:
    """Per target (and ``claims``), and for every job that computes once: the wall time summed
    over the jobs it needs and the largest peak memory among them, from their benchmark files,
    beside the estimate (CPU, one core). Jobs without a benchmark file (built by an earlier
    run) are counted in ``jobs`` but not in ``measured_jobs``; jobs that declare no benchmark
    file (``all`` and the aggregate rules, which run nothing, and the cost table itself) are
    left out."""
    cal = cal or Calibration.load()

    def row(name: str, ids: list[str]) -> dict:
        ids = [j for j in ids if jobs[j].benchmark]
        got = [v for v in (read_benchmark(jobs[j].benchmark) for j in ids) if v]
        return {"target": name, "jobs": len(ids), "measured_jobs": len(got),
                "wall_s": round(sum(v[0] for v in got), 2),
                "peak_mem_mb": round(max((v[1] for v in got), default=math.nan), 1),
                "estimated_cpu_s": round(estimate(jobs, ids, cal).cpu_s, 1)}

    return ([row(name, ids) for name, ids in targets_of(jobs).items()]
            + [row("total (every job once)", list(jobs))])


def cost_rst(rows: list[dict]) -> str:
    """The report's ``results/cost.rst``: :func:`measured_rows` as a list table."""
    from ..rst import list_table

    return list_table(
        ("target", "jobs (measured)", "wall time", "peak memory", "estimated (CPU)"),
        [(r["target"], f"{r['jobs']} ({r['measured_jobs']})", human_time(r["wall_s"]),
          "n/a" if math.isnan(r["peak_mem_mb"]) else f"{r['peak_mem_mb']:.0f} MB",
          human_time(r["estimated_cpu_s"])) for r in rows])


# ----- Snakemake's onstart summary ---------------------------------------------------------------
def gpu_visible(device: str) -> bool:
    """Whether jobs will run on a GPU: ``device: cpu`` never; otherwise torch must see one
    (torch is imported only where an NVIDIA driver is present)."""
    if device == "cpu":
        return False
    if not (Path("/proc/driver/nvidia").exists() or Path("/dev/nvidia0").exists()):
        return False
    import torch

    return torch.cuda.is_available()


class RunRefused(Exception):
    """A local CPU run estimated above ``cpu_max_hours`` without consent (the message is
    the one line that says the estimate and the three ways on)."""


def recorded_quick() -> str:
    """How long the quick configuration took where it was recorded (``reference/quick/``), or
    an empty string where no record is at hand."""
    path = Path(__file__).resolve().parents[3] / "reference" / "quick" / "provenance.json"
    try:
        record = json.loads(path.read_text())
        return (f"{human_time(float(record['dag_wall_s']))} on "
                f"{int(record['machine']['cores'])} CPU cores as recorded in reference/quick/")
    except (OSError, KeyError, TypeError, ValueError):
        return ""


def start_summary(config: Mapping, jobs: Mapping[str, Job], cores: int,
                  cal: Calibration | None = None, gpu: bool | None = None,
                  cluster: bool = False) -> list[str]:
    """What the workflow prints before its first job: the estimate of the ``jobs`` it is about
    to run and, without a GPU and above an hour, the quick configuration and Slurm. Raises
    :class:`RunRefused` for a local run without a GPU estimated above ``cpu_max_hours``
    unless ``cpu_consent`` is true (never on a cluster: ``cluster=True``)."""
    cal = cal or Calibration.load()
    ids = [j for j, job in jobs.items() if job.runs]
    if not ids:
        return []
    est = estimate(jobs, ids, cal, cores)
    max_hours = float(config.get("cpu_max_hours", 2.0))
    gpu = gpu_visible(config.get("device", "auto")) if gpu is None else gpu
    quick = recorded_quick()
    quick = f", about {quick}" if quick else ""
    if (not gpu and not cluster and not config.get("cpu_consent", False)
            and est.wall_s > 3600 * max_hours):
        raise RunRefused(
            f"Not started: the {len(ids)} job(s) would take about {human_time(est.wall_s)} on "
            f"{cores} CPU core(s) with no GPU visible (more than cpu_max_hours = "
            f"{max_hours:g} h). Ways on: a smaller scale (--configfile "
            f"configs/quick.yaml{quick}), a cluster (--profile profiles/slurm), or consent: "
            "--config cpu_consent=True.")
    lines = [f"mlptheory cost estimate for the {len(ids)} job(s) about to run: "
             f"{est.flops / 1e12:.1f} TFLOP, about {human_time(est.wall_s)} on {cores} CPU "
             f"core(s) ({est.cpu_s / 3600:.1f} core-hours), about {human_time(est.gpu_s)} on "
             f"one {GPU_NAME} (`mlptheory cost` for the table)."]
    if not gpu and est.wall_s > 3600:
        lines += [
            "No GPU visible to torch and more than an hour on this machine. It runs as asked; "
            "alternatives:",
            f"  CPU-sized version of every target{quick}: "
            "snakemake --cores all --configfile configs/quick.yaml",
            "  on a cluster: snakemake --profile profiles/slurm   (README: Running on a "
            "cluster)"]
    return lines


def print_start_summary(config: Mapping, dag, cores: int | None, cluster: bool = False
                        ) -> None:
    """Snakemake's ``onstart`` (rules/cost.smk, ``dag``: Snakemake's DAG of this run): print
    :func:`start_summary` of the jobs about to run. It informs, and stops only a run the guard
    refuses (:class:`RunRefused`: printed, then ``SystemExit(1)``): without a calibration
    file, or on any error of the estimate, it says so and the run goes on."""
    try:
        cal = Calibration.load()
    except FileNotFoundError as missing:
        print(f"mlptheory cost estimate skipped: {missing}")
        return
    try:
        jobs = jobs_of(dag.needrun_jobs(), dag.dependencies, config)
        lines = start_summary(config, jobs, max(1, int(cores or 1)), cal, cluster=cluster)
    except RunRefused as refused:
        print(refused, file=sys.stderr)
        raise SystemExit(1) from None
    except Exception as err:  # noqa: BLE001 -- informing must never stop the run asked for
        print(f"mlptheory cost estimate skipped ({type(err).__name__}: {err}); the run goes on. "
              "`mlptheory cost` prints the table.")
        return
    for line in lines:
        print(line)


# ----- the command ------------------------------------------------------------------------------
def add_arguments(parser) -> None:
    parser.add_argument("targets", nargs="*", help="papers, <paper>/<figure> or result files "
                                                   "(default: every target)")
    parser.add_argument("--configfile", nargs="+", default=[],
                        help="overlays of config.yaml, as for snakemake")
    parser.add_argument("--cores", type=int, default=os.cpu_count() or 1,
                        help="cores for the wall-time estimate (default: this machine's)")
    parser.add_argument("--papers-only", action="store_true", help="no per-target rows")
    parser.add_argument("--jobs", action="store_true",
                        help="one row per job (each training run, table, figure) instead")
    parser.add_argument("--calibrate", action="store_true",
                        help="measure this machine's per-unit CPU costs (prints them)")
    parser.add_argument("--write", action="store_true",
                        help=f"with --calibrate: store them in {CALIBRATION_FILE.name}")


def run(args) -> None:
    if args.calibrate:
        cal = calibrate()
        for key, value in asdict(cal).items():
            print(f"{key}: {value}")
        if args.write:
            cal.save()
            print(f"wrote {CALIBRATION_FILE}")
        return
    missing = [f for f in args.configfile if not Path(f).is_file()]
    if missing:  # one line, not Snakemake's traceback
        raise SystemExit(f"mlptheory cost: no configuration file {', '.join(missing)}")
    try:
        jobs, _ = workflow_jobs(args.configfile, cores=args.cores)
        lines = (job_lines(jobs, args.targets) if args.jobs else
                 report_lines(jobs, args.targets, args.cores, per_target=not args.papers_only))
    except (FileNotFoundError, ValueError, RuntimeError) as err:
        raise SystemExit(f"mlptheory cost: {err}") from None
    for line in lines:
        print(line)
