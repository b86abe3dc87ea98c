"""Seconds from work: this machine's per-unit CPU costs (:class:`Calibration`, measured by
``mlptheory cost --calibrate``) and the stated assumptions for one GPU.

Time on this machine's CPU = ``job_s`` (start of a job: Python, torch, pandas, h5py) +
``ops * op_s + steps * step_s + flops / GEMM rate + traffic / stream rate + randoms *
random_s + plots * plot_s``, with per-unit costs written to ``calibration.json`` beside this
module, with the machine, date and load of the measurement. Time on one GPU: the same FLOPs at
:data:`GPU_FRACTION` of the H200's peak, the traffic at :data:`GPU_BANDWIDTH_FRACTION` of its
memory bandwidth, a kernel launch per op (:data:`GPU_OP_S`), numpy draws and plots as on the
CPU -- stated assumptions, until a GPU measurement replaces them.
"""

from __future__ import annotations

import json
import os
import platform
import sys
import time
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from ..spec import NetworkSpec
from .model import UPDATE_PASSES, Work

CALIBRATION_FILE = Path(__file__).with_name("calibration.json")
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

    import numpy as np
    import torch

    from ..models import EnsembleMLP
    from ..train_config import TrainConfig
    from ..training import Trainer

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
                Path(__file__).parents[2])})
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


