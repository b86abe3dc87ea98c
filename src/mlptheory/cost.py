"""What a run costs before paying it: ``mlptheory cost [--configfile ...] [targets]``.

Torch-free (Snakemake's ``onstart`` summary imports it). The model works from the plan that the
workflow runs (:mod:`mlptheory.papers.<paper>.plan`): every job -- a dataset, a training run, a
table, a figure -- gets its :class:`Work`, counted from the run requests and the tables' params:

* ``flops64`` / ``flops32``: floating-point operations of its matrix products and kernels
  (a multiply-add counts 2), by dtype;
* ``ops``: small tensor operations whose cost is a fixed time per call, not per FLOP (one per
  layer of a training step; what dominates narrow networks);
* ``steps``: training steps (one optimizer step, loss and bookkeeping each);
* ``randoms``: random numbers drawn by numpy (network initializations);
* ``plots``: matplotlib figures drawn; ``mem``: peak bytes of its arrays;
* ``traffic``: bytes streamed through memory by element-wise passes too large for the caches
  (the optimizer update: Adam reads weights, gradients and both moments and writes three of
  them back, 7 passes over the parameters per step; memory-bound, not FLOP-bound).

Time on this machine's CPU = ``job_s`` (start of a job: Python, torch, pandas, h5py) +
``ops * op_s + steps * step_s + flops / GEMM rate + traffic / stream rate + randoms *
random_s + plots * plot_s``, with per-unit costs measured by ``mlptheory cost --calibrate``
(written to ``cost_calibration.json`` beside this module, with the machine, date and load of
the measurement). Time on one GPU: the same FLOPs at :data:`GPU_FRACTION` of the H200's peak,
the traffic at :data:`GPU_BANDWIDTH_FRACTION` of its memory bandwidth, a kernel launch per op
(:data:`GPU_OP_S`), numpy draws and plots as on the CPU -- stated assumptions, until a GPU
measurement replaces them.

The cost term of each table is registered with it (``Registry.table(..., cost=...)``, the
functions in ``mlptheory.papers.<paper>.work``), beside its plan.
"""

from __future__ import annotations

import heapq
import json
import math
import os
import platform
import sys
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from .checks import load_config
from .datasets import dataset_info
from .papers import PAPER, PAPERS
from .registry import Plan, dataset_file, resolve, run_file
from .run_request import DataRequest, RunRequest
from .spec import NetworkSpec
from .train_config import checkpoint_schedule

CALIBRATION_FILE = Path(__file__).with_name("cost_calibration.json")
# One GPU, from its data sheet (NVIDIA H200 SXM: FP64 tensor core 67 TFLOP/s, FP32 67 TFLOP/s;
# torch does not use TF32 for float32 matmuls by default). The networks here are small, so a
# stated fraction of peak, not a measurement:
GPU_NAME = "NVIDIA H200"
GPU_PEAK = {"float64": 67e12, "float32": 67e12}
GPU_FRACTION = 0.25
GPU_BANDWIDTH = 4.8e12    # bytes/s of HBM3e (data sheet)
GPU_BANDWIDTH_FRACTION = 0.5
GPU_OP_S = 20e-6          # one small CUDA op: launch plus Python, per op
GPU_START_S = 5.0         # CUDA context on top of a job's start
BYTES = {"float64": 8, "float32": 4}
# passes over the parameters of one optimizer update (reads + writes of weights, gradients and
# the optimizer's slots); SGD with momentum adds two, which the requests' costs leave out
UPDATE_PASSES = {"gd": 3, "sgd": 3, "rmsprop": 5, "adam": 7, "nadam": 7}


# ----- work ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Work:
    """What one job computes (module docstring); ``a + b`` adds everything but ``mem`` (max)."""

    flops64: float = 0.0
    flops32: float = 0.0
    ops: float = 0.0
    steps: float = 0.0
    randoms: float = 0.0
    plots: float = 0.0
    traffic: float = 0.0
    mem: float = 0.0

    def __add__(self, other: Work) -> Work:
        return Work(*(a + b for a, b in zip(astuple_(self)[:-1], astuple_(other)[:-1],
                                            strict=True)), max(self.mem, other.mem))

    def __mul__(self, k: float) -> Work:
        return Work(*(a * k for a in astuple_(self)[:-1]), self.mem)

    __rmul__ = __mul__

    @property
    def flops(self) -> float:
        return self.flops64 + self.flops32


def astuple_(w: Work) -> tuple:
    return (w.flops64, w.flops32, w.ops, w.steps, w.randoms, w.plots, w.traffic, w.mem)


def flops(dtype: str, n: float) -> Work:
    """``n`` FLOPs in ``dtype``."""
    return Work(flops64=n) if dtype == "float64" else Work(flops32=n)


def layer_pairs(widths) -> list[tuple[int, int]]:
    return list(zip(widths[:-1], widths[1:], strict=True))


def mlp_flops(widths, n: float, backward: bool = True) -> float:
    """Matrix-product FLOPs of one network on ``n`` inputs, as :mod:`mlptheory.training`
    computes them: forward ``2 n a b`` per layer (``a`` inputs, ``b`` outputs), backward the
    weight gradient ``2 n a b`` and the input gradient ``2 n a b`` of every layer but the
    first."""
    pairs = layer_pairs(widths)
    forward = 2.0 * n * sum(a * b for a, b in pairs)
    if not backward:
        return forward
    return 3.0 * forward - 2.0 * n * pairs[0][0] * pairs[0][1]


def structured_ntk_flops(widths, n1: int, n2: int | None = None) -> float:
    """FLOPs of :func:`mlptheory.kernels.empirical_ntk` (``structured``) of one network with
    ``k`` outputs: on each input set the forward pass and ``k`` deltas back through every layer
    but the first (``2 n k a b``), and per layer the Gram matrices ``h h^T`` (``2 n1 n2 a``) and
    ``delta delta^T`` (``2 n1 n2 k b``)."""
    pairs = layer_pairs(widths)
    k = widths[-1]
    sides = (n1,) if n2 is None else (n1, n2)
    n2 = n1 if n2 is None else n2
    total = 0.0
    for s in sides:
        total += 2.0 * s * sum(a * b for a, b in pairs)
        total += 2.0 * s * k * sum(a * b for a, b in pairs[1:])
    for fan_in, fan_out in pairs:
        total += 2.0 * n1 * n2 * (fan_in + k * fan_out)
    return total


def ntk_work(spec: NetworkSpec, members: int, n1: int, n2: int | None = None) -> Work:
    """Structured empirical NTK of ``members`` networks (module docstring of kernels.empirical)."""
    widths = spec.widths
    n2_ = n1 if n2 is None else n2
    mem = members * (n1 * n2_ * BYTES[spec.dtype] + (n1 + n2_) * sum(widths) * widths[-1] * 8)
    return (flops(spec.dtype, members * structured_ntk_flops(widths, n1, n2))
            + Work(ops=4 * spec.n_layers, mem=mem))


def eigh_flops(n: int) -> float:
    """Symmetric eigendecomposition of an ``n x n`` matrix (values and vectors), ~9 n^3."""
    return 9.0 * n**3


def init_work(spec: NetworkSpec, members: int) -> Work:
    """Drawing ``members`` initializations with numpy (one number per parameter)."""
    return Work(randoms=float(members) * spec.n_params, ops=members * spec.n_layers)


def training_work(spec: NetworkSpec, members: int, n_data: int, batch: int, steps: int,
                  optimizer: str = "gd", n_eval: int = 0, evals: int = 0) -> Work:
    """``steps`` steps of an ensemble of ``members`` networks (one batched EnsembleMLP): the
    matrix products of forward and backward at batch ``batch``, the optimizer's element-wise
    update as memory traffic (:data:`UPDATE_PASSES` over the parameters), one op per layer per
    step; ``evals`` forward passes on ``n_eval`` points."""
    per_step = members * mlp_flops(spec.widths, batch)
    size = BYTES[spec.dtype]
    traffic = steps * members * spec.n_params * size * UPDATE_PASSES[optimizer]
    state = 2 if optimizer in ("gd", "sgd") else 4  # weights + grads (+ two moments)
    mem = (members * spec.n_params * size * state + n_data * spec.input_dim * size
           + 3 * members * batch * sum(spec.widths) * size)
    return (flops(spec.dtype, steps * per_step
                  + evals * members * mlp_flops(spec.widths, n_eval, backward=False))
            + Work(ops=(steps + evals) * spec.n_layers, steps=steps, traffic=traffic, mem=mem)
            + init_work(spec, members))


def run_work(req: RunRequest) -> Work:
    """Work of one training run (rules/training.smk: ``train_run``)."""
    spec, train = req.spec, req.train
    members = len(req.seeds)
    info = dataset_info(req.data.dataset)
    n = req.data.value("n") or info.split_size(req.data.value("split"))
    if req.data.value("classes"):
        n = min(n, info.split_size(req.data.value("split")) * len(req.data.classes)
                // info.n_classes)
    batch = train.batch_size or n
    work = training_work(spec, members, n, batch, train.max_steps, train.optimizer)
    checkpoints = len(checkpoint_schedule(train))
    measure = req.measure or {}
    if measure.get("ntk"):
        work = work + ntk_work(spec, members, n) * checkpoints
    evaluated = ((n if measure.get("outputs") else 0) + int(measure.get("interpolation") or 0)
                 + (int(DataRequest.from_dict(measure["eval"]).value("n") or 0)
                    if measure.get("eval") else 0))
    if evaluated:  # forward passes on the measured inputs at every checkpoint
        work = work + flops(spec.dtype, checkpoints * members
                            * mlp_flops(spec.widths, evaluated, backward=False))
    if train.lr_unit is not None:  # the analytic NTK on the training set and its spectrum
        work = work + flops("float64", eigh_flops(n) + 30.0 * n * n * spec.depth)
    if train.lr_cap is not None:  # lambda_max of each member's initial NTK
        nk = n * spec.output_dim
        work = work + ntk_work(spec, members, n) + flops("float64", members * eigh_flops(nk))
    if not measure.get("weights", True):
        return work
    return work + Work(mem=checkpoints * members * spec.n_params * BYTES[spec.dtype])


# ----- jobs of a plan ----------------------------------------------------------------------------
@dataclass
class Job:
    """One Snakemake job: its rule, the wildcard part of its benchmark file
    (``results/benchmarks/<rule>/<key>.tsv``), its work and the jobs it waits for."""

    rule: str
    key: str
    work: Work
    after: tuple[str, ...] = ()
    threads: int = 1

    @property
    def id(self) -> str:
        return f"{self.rule}/{self.key}"

    @property
    def benchmark(self) -> str:
        return f"results/benchmarks/{self.rule}/{self.key}.tsv"


def table_work(paper: str, table, runs: dict[str, RunRequest], config: dict) -> Work:
    """Work of one registered table: its registered cost term (``table.cost``; ``runs``: run
    file -> request)."""
    return resolve(table.cost)(table.params, table.inputs, runs, config[paper])


def plan_of(paper: str, config: dict) -> Plan:
    return PAPER[paper].plan(config)


def plan_jobs(config: dict, papers: Iterable[str] = PAPERS, threads: int | None = None
              ) -> tuple[dict[str, Job], dict[str, list[str]]]:
    """Every job of the workflow for ``config`` and, per target (``<paper>/<name>``), the ids
    of the jobs it needs (itself included). Mirrors rules/*.smk."""
    threads = int(threads or config.get("training", {}).get("threads", 1))
    jobs: dict[str, Job] = {}
    targets: dict[str, list[str]] = {}

    def add(job: Job) -> str:
        jobs.setdefault(job.id, job)
        return job.id

    def data_jobs(dataset: str) -> str:
        fetch = add(Job("fetch_archives", dataset, Work()))
        return add(Job("prepare_dataset", dataset, Work(mem=dataset_bytes(dataset)), (fetch,)))

    def needs(job_id: str) -> list[str]:
        out, todo = [], [job_id]
        while todo:
            j = todo.pop()
            if j not in out:
                out.append(j)
                todo.extend(jobs[j].after)
        return out

    for paper in papers:
        plan = plan_of(paper, config)
        runs = {run_file(paper, name): req for name, req in plan.runs.items()}
        run_ids = {}
        for name, req in plan.runs.items():
            ds = data_jobs(req.data.dataset)
            run_ids[run_file(paper, name)] = add(Job("train_run", f"{paper}/{name}",
                                                     run_work(req), (ds,), threads))
        reg = plan.registry
        table_ids = {}
        for name, table in reg.tables.items():
            after = []
            for paths in table.inputs.values():
                for path in [paths] if isinstance(paths, str) else paths:
                    if path in run_ids:
                        after.append(run_ids[path])
                    elif path == dataset_file(Path(path).stem):
                        after.append(data_jobs(Path(path).stem))
            table_ids[name] = add(Job(f"{paper}_table", name,
                                      table_work(paper, table, runs, config), tuple(after)))
        for rule, items in ((f"{paper}_figure", reg.figures),
                            (f"{paper}_paper_table", reg.paper_tables)):
            for name, fig in items.items():
                job = add(Job(rule, name, Work(plots=1.0),
                              tuple(table_ids[t] for t in fig.tables)))
                targets[f"{paper}/{name}"] = needs(job)
    # rules/claims.smk: every claim from the figures' CSVs, after them
    figures = tuple(j.id for j in jobs.values() if j.rule.endswith(("_figure", "_paper_table")))
    claims = add(Job("claims", "claims", Work(ops=1e3), figures))
    targets["claims"] = [claims]
    return jobs, targets


def dataset_bytes(dataset: str) -> float:
    info = dataset_info(dataset)
    return (info.train_size + info.test_size) * info.input_dim * 4.0


# ----- calibration ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Calibration:
    """Per-unit CPU costs of this machine (one thread), measured by ``mlptheory cost
    --calibrate``; ``measured``: where, when, and the load average at the time."""

    job_s: float
    op_s: float
    step_s: float
    gflops64: float
    gflops32: float
    random_s: float
    plot_s: float
    stream_gbs: float
    measured: dict = field(default_factory=dict)

    def cpu_seconds(self, work: Work, threads: int = 1, start: bool = True) -> float:
        """Estimated seconds of ``work`` on this CPU (GEMM FLOPs scale with ``threads``)."""
        return ((self.job_s if start else 0.0) + work.ops * self.op_s + work.steps * self.step_s
                + (work.flops64 / self.gflops64 + work.flops32 / self.gflops32) / 1e9 / threads
                + work.traffic / (self.stream_gbs * 1e9)
                + work.randoms * self.random_s + work.plots * self.plot_s)

    def gpu_seconds(self, work: Work) -> float:
        """Estimated seconds on one GPU (module docstring: stated, not measured)."""
        if work.flops == 0 and work.ops == 0 and work.steps == 0:  # nothing for the GPU
            return self.cpu_seconds(work)
        return (self.job_s + GPU_START_S + (work.ops + work.steps) * GPU_OP_S
                + work.flops64 / (GPU_FRACTION * GPU_PEAK["float64"])
                + work.flops32 / (GPU_FRACTION * GPU_PEAK["float32"])
                + work.traffic / (GPU_BANDWIDTH_FRACTION * GPU_BANDWIDTH)
                + work.randoms * self.random_s + work.plots * self.plot_s)

    def save(self, path: Path = CALIBRATION_FILE) -> None:
        path.write_text(json.dumps(asdict(self), indent=2) + "\n")

    @classmethod
    def load(cls, path: Path | str | None = None) -> Calibration:
        path = Path(path or os.environ.get("MLPTHEORY_COST_CALIBRATION") or CALIBRATION_FILE)
        if not path.is_file():
            raise FileNotFoundError(f"no cost calibration at {path}; measure this machine's "
                                    "per-unit costs with: mlptheory cost --calibrate --write")
        values = json.loads(path.read_text())
        missing = [f.name for f in fields(cls) if f.name not in values and f.name != "measured"]
        if missing:
            raise ValueError(f"{path}: the cost calibration lacks {', '.join(missing)} (written "
                             "by an older version); re-measure with: mlptheory cost --calibrate "
                             "--write")
        return cls(**values)


def calibrate(repeats: int = 3) -> Calibration:
    """Measure the per-unit costs on this machine, one torch thread (imports torch). Times are
    CPU seconds of this process (and of the child interpreters), so the load of other
    processes on a shared machine does not inflate them; the 1-minute load is recorded."""
    import resource
    import subprocess
    import sys

    import numpy as np
    import torch

    from .models import EnsembleMLP
    from .train_config import TrainConfig
    from .training import Trainer

    torch.set_num_threads(1)
    load = os.getloadavg()

    # CPU time, not wall time: on a shared machine other processes' load does not enter
    def best(fn, n=repeats):
        times = []
        for _ in range(n):
            t0 = time.process_time()
            fn()
            times.append(time.process_time() - t0)
        return min(times)

    def child_cpu() -> float:
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        return usage.ru_utime + usage.ru_stime

    def best_child(args, n=repeats):
        times = []
        for _ in range(n):
            c0 = child_cpu()
            subprocess.run(args, check=True, env={**os.environ, "PYTHONPATH": str(
                Path(__file__).parents[1])})
            times.append(child_cpu() - c0)
        return min(times)

    # a job's start: a fresh interpreter importing what a rule's script imports (Snakemake's
    # script preamble, torch, pandas, h5py, the library)
    code = ("import snakemake.script, torch, h5py, pandas, numpy, yaml; "
            "import mlptheory.training, mlptheory.runs, mlptheory.scripting")
    job_s = best_child([sys.executable, "-c", code])
    # GEMM rate: a batched product of the size class the training runs use
    rates = {}
    for dtype in (torch.float64, torch.float32):
        a = torch.randn(10, 128, 512, dtype=dtype)
        b = torch.randn(10, 512, 512, dtype=dtype)
        t = best(lambda a=a, b=b: [torch.bmm(a, b) for _ in range(10)])
        rates[dtype] = 10 * 2 * 10 * 128 * 512 * 512 / t / 1e9

    # memory traffic: a fused Adam step over 8M float32 parameters (weights, gradients and
    # moments: 128 MB, beyond the caches), UPDATE_PASSES["adam"] passes of 4 bytes each
    n_stream = 8 * 2**20
    param = torch.nn.Parameter(torch.zeros(n_stream))
    param.grad = torch.full_like(param, 1e-3)
    adam = torch.optim.Adam([param], lr=1e-3, fused=True)
    adam.step()
    stream_gbs = UPDATE_PASSES["adam"] * 4 * n_stream / best(adam.step) / 1e9

    # per step and per layer: full-batch GD of tiny networks (no FLOPs to speak of), 2 depths
    def step_time(depth, steps=300):
        spec = NetworkSpec(4, (4,) * depth, 2, dtype="float64")
        x = torch.randn(4, 4, dtype=torch.float64)
        trainer = Trainer(EnsembleMLP(spec, seeds=range(2)), x, torch.randn(4, 2,
                          dtype=torch.float64), TrainConfig(lr=1e-3, max_steps=steps,
                                                             log_every=0))
        return best(trainer.run, 1) / steps

    t1, t9 = step_time(1), step_time(9)
    op_s = (t9 - t1) / 8
    step_s = max(t1 - 2 * op_s, 0.0)
    rng = np.random.default_rng(0)
    random_s = best(lambda: rng.standard_normal(2_000_000)) / 2_000_000
    plot_code = ("import matplotlib; matplotlib.use('Agg'); import matplotlib.pyplot as plt, "
                 "pandas, tempfile, os; f, ax = plt.subplots(1, 3, figsize=(9, 3)); "
                 "[a.plot(range(50), range(50)) for a in ax]; "
                 "f.savefig(os.path.join(tempfile.mkdtemp(), 'x.pdf'))")
    plot_s = (best_child([sys.executable, "-c", plot_code])
              - best_child([sys.executable, "-c", "import pandas"]))
    return Calibration(
        job_s=round(job_s, 3), op_s=op_s, step_s=step_s, gflops64=round(rates[torch.float64], 2),
        gflops32=round(rates[torch.float32], 2), random_s=random_s, plot_s=round(plot_s, 3),
        stream_gbs=round(stream_gbs, 2),
        measured={"host": platform.node(), "cpu": _cpu_name(), "torch": torch.__version__,
                  "threads": 1, "date": time.strftime("%Y-%m-%d %H:%M"),
                  "loadavg_1min": load[0], "command": "mlptheory cost --calibrate --write"})


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


# ----- estimates --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Estimate:
    """Estimated cost of a set of jobs."""

    jobs: int
    flops: float
    mem: float
    cpu_s: float      # CPU core-seconds (sum over jobs)
    wall_s: float     # on ``cores`` cores, jobs scheduled as Snakemake does (list scheduling)
    gpu_s: float      # one GPU, jobs one after the other
    cores: int


def schedule(jobs: dict[str, Job], ids: Iterable[str], seconds: dict[str, float],
             cores: int) -> float:
    """Makespan of ``ids`` on ``cores`` cores: a job starts when its inputs are done and a core
    is free, longest jobs first (a job of ``threads`` threads takes that many cores)."""
    ids = set(ids)
    waiting = {j: {a for a in jobs[j].after if a in ids} for j in ids}
    users: dict[str, list[str]] = {j: [] for j in ids}
    for j, deps in waiting.items():
        for d in deps:
            users[d].append(j)
    ready = [(-seconds[j], j) for j, deps in waiting.items() if not deps]
    heapq.heapify(ready)
    running: list[tuple[float, str]] = []
    now, free = 0.0, cores
    while ready or running:
        while ready and free > 0:
            _, j = heapq.heappop(ready)
            need = min(jobs[j].threads, cores)
            free -= need
            heapq.heappush(running, (now + seconds[j], j))
        now, j = heapq.heappop(running)
        free += min(jobs[j].threads, cores)
        for u in users[j]:
            waiting[u].discard(j)
            if not waiting[u]:
                heapq.heappush(ready, (-seconds[u], u))
    return now


def estimate(jobs: dict[str, Job], ids: Iterable[str], cal: Calibration, cores: int = 1
             ) -> Estimate:
    ids = list(dict.fromkeys(ids))
    seconds = {j: cal.cpu_seconds(jobs[j].work, jobs[j].threads) for j in ids}
    return Estimate(
        jobs=len(ids), flops=sum(jobs[j].work.flops for j in ids),
        mem=max((jobs[j].work.mem for j in ids), default=0.0),
        cpu_s=sum(seconds[j] * jobs[j].threads for j in ids),
        wall_s=schedule(jobs, ids, seconds, cores) if ids else 0.0,
        gpu_s=sum(cal.gpu_seconds(jobs[j].work) for j in ids), cores=cores)


def select_targets(targets: dict[str, list[str]], wanted: Iterable[str]) -> dict[str, list[str]]:
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


def report_lines(config: dict, wanted: Iterable[str] = (), cores: int = 2,
                 cal: Calibration | None = None, per_target: bool = True) -> list[str]:
    """The table ``mlptheory cost`` prints: per target, per paper and in total."""
    cal = cal or Calibration.load()
    jobs, targets = plan_jobs(config)
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
    every = [j for ids in chosen.values() for j in ids]
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


def job_lines(config: dict, wanted: Iterable[str] = (), cal: Calibration | None = None
              ) -> list[str]:
    """``mlptheory cost --jobs``: every job the wanted targets need, each with its own estimate
    (a training run of ``train_run`` is a job of its own, with its GPU estimate)."""
    cal = cal or Calibration.load()
    jobs, targets = plan_jobs(config)
    chosen = select_targets(targets, wanted)
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
def read_benchmark(path: Path | str, time_column: str = "s") -> tuple[float, float] | None:
    """``(seconds, peak resident MB)`` of a job's ``benchmark:`` file, or None if absent;
    ``time_column``: ``s`` (wall time) or ``cpu_time`` (CPU seconds of the job's processes)."""
    import csv

    path = Path(path)
    if not path.is_file():
        return None
    with path.open() as f:
        row = next(csv.DictReader(f, delimiter="\t"))
    rss = row.get("max_rss", "-")
    return float(row[time_column]), (float(rss) if rss not in ("-", "NA", "") else math.nan)


def measured_rows(config: dict, root: Path | str = ".", cal: Calibration | None = None
                  ) -> list[dict]:
    """Per target of ``config`` (and ``claims``), and for every job once: the wall time summed
    over the jobs it needs and the largest peak memory among them, from
    ``results/benchmarks/`` under ``root``, beside the estimate (CPU, one core). Jobs without a
    benchmark file (built by an earlier run) are counted in ``jobs`` but not in
    ``measured_jobs``."""
    cal = cal or Calibration.load()
    jobs, targets = plan_jobs(config)

    def row(name: str, ids: list[str]) -> dict:
        got = [v for v in (read_benchmark(Path(root) / jobs[j].benchmark) for j in ids) if v]
        return {"target": name, "jobs": len(ids), "measured_jobs": len(got),
                "wall_s": round(sum(v[0] for v in got), 2),
                "peak_mem_mb": round(max((v[1] for v in got), default=math.nan), 1),
                "estimated_cpu_s": round(estimate(jobs, ids, cal).cpu_s, 1)}

    return ([row(name, ids) for name, ids in targets.items()]
            + [row("total (every job once)", list(jobs))])


def cost_rst(rows: list[dict]) -> str:
    """The report's ``results/cost.rst``: :func:`measured_rows` as a list table."""
    from .rst import list_table

    return list_table(
        ("target", "jobs (measured)", "wall time", "peak memory", "estimated (CPU)"),
        [(r["target"], f"{r['jobs']} ({r['measured_jobs']})", human_time(r["wall_s"]),
          "n/a" if math.isnan(r["peak_mem_mb"]) else f"{r['peak_mem_mb']:.0f} MB",
          human_time(r["estimated_cpu_s"])) for r in rows])


# ----- Snakemake's onstart summary ---------------------------------------------------------------
def needrun_ids(dag_jobs) -> list[str]:
    """Ids (:attr:`Job.id`) of Snakemake jobs: ``<rule>/<wildcards joined by />``."""
    out = []
    for job in dag_jobs:
        values = [str(v) for v in job.wildcards]
        out.append(f"{job.rule.name}/{'/'.join(values) if values else job.rule.name}")
    return out


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


def start_summary(config: dict, ids: Iterable[str], cores: int, cal: Calibration | None = None,
                  gpu: bool | None = None, cluster: bool = False) -> list[str]:
    """What the workflow prints before its first job: the estimate of the jobs it is about to
    run and, without a GPU and above an hour, the quick configuration and Slurm. Raises
    :class:`RunRefused` for a local run without a GPU estimated above ``cpu_max_hours``
    unless ``cpu_consent`` is true (never on a cluster: ``cluster=True``)."""
    cal = cal or Calibration.load()
    jobs, _ = plan_jobs(config)
    ids = [j for j in ids if j in jobs]
    if not ids:
        return []
    est = estimate(jobs, ids, cal, cores)
    max_hours = float(config.get("cpu_max_hours", 2.0))
    gpu = gpu_visible(config.get("device", "auto")) if gpu is None else gpu
    if (not gpu and not cluster and not config.get("cpu_consent", False)
            and est.wall_s > 3600 * max_hours):
        raise RunRefused(
            f"Not started: the {len(ids)} job(s) would take about {human_time(est.wall_s)} on "
            f"{cores} CPU core(s) with no GPU visible (more than cpu_max_hours = "
            f"{max_hours:g} h). Ways on: a smaller scale (--configfile "
            "configs/quick.yaml, about "
            f"{human_time(_quick_wall(cal, cores))} here), a cluster (--profile "
            "profiles/slurm), or consent: --config cpu_consent=True.")
    lines = [f"mlptheory cost estimate for the {len(ids)} job(s) about to run: "
             f"{est.flops / 1e12:.1f} TFLOP, about {human_time(est.wall_s)} on {cores} CPU "
             f"core(s) ({est.cpu_s / 3600:.1f} core-hours), about {human_time(est.gpu_s)} on "
             f"one {GPU_NAME} (`mlptheory cost` for the table)."]
    if not gpu and est.wall_s > 3600:
        lines += [
            "No GPU visible to torch and more than an hour on this machine. It runs as asked; "
            "alternatives:",
            "  CPU-sized version of every target (about "
            f"{human_time(_quick_wall(cal, cores))} here): "
            "snakemake --cores all --configfile configs/quick.yaml",
            "  on a cluster: snakemake --profile profiles/slurm   (README: Running on a "
            "cluster)"]
    return lines


def print_start_summary(config: dict, dag_jobs, cores: int, cluster: bool = False) -> None:
    """Snakemake's ``onstart`` (rules/cost.smk): print :func:`start_summary` of the jobs about
    to run. It informs, and stops only a run the guard refuses (:class:`RunRefused`: printed,
    then ``SystemExit(1)``): without a calibration file, or on any error of the estimate, it
    says so and the run goes on."""
    try:
        cal = Calibration.load()
    except FileNotFoundError as missing:
        print(f"mlptheory cost estimate skipped: {missing}")
        return
    try:
        lines = start_summary(config, needrun_ids(dag_jobs), max(1, int(cores or 1)), cal,
                              cluster=cluster)
    except RunRefused as refused:
        print(refused, file=sys.stderr)
        raise SystemExit(1) from None
    except Exception as err:  # noqa: BLE001 -- informing must never stop the run asked for
        print(f"mlptheory cost estimate skipped ({type(err).__name__}: {err}); the run goes on. "
              "`mlptheory cost` prints the table.")
        return
    for line in lines:
        print(line)


def _quick_wall(cal: Calibration, cores: int) -> float:
    root = Path(__file__).resolve().parents[2]
    config = load_config([str(root / "configs" / "quick.yaml")], root)
    jobs, targets = plan_jobs(config)
    return estimate(jobs, [j for ids in targets.values() for j in ids], cal, cores).wall_s


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
    config = load_config(args.configfile)
    lines = (job_lines(config, args.targets) if args.jobs else
             report_lines(config, args.targets, args.cores, per_target=not args.papers_only))
    for line in lines:
        print(line)

