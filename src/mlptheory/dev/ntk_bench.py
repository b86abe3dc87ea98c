"""Benchmark of the empirical NTK methods and the seleznova2021 Fig. 1 sampler.

``python -m mlptheory.dev.bench ntk``: empirical NTK of a 784-1024-1024-1024-1 ReLU MLP on 128
inputs in float64 by ``structured``, ``jacobian`` and ``ntk_vp`` in one run (time, peak
memory, max relative difference to ``structured``), then ``ntk_diagonal_samples`` for one
(M, L) cell of Fig. 1 with the conditional and explicit samplers.
"""

from __future__ import annotations

import gc
import math
import os
import threading
import time
from pathlib import Path

import numpy as np
import torch

from ..datasets import DATASETS
from ..kernels.empirical import empirical_ntk
from ..kernels.samplers import ntk_diagonal_samples, ntk_variance_ratio
from ..models import MLP
from ..spec import NetworkSpec

_PAGE = os.sysconf("SC_PAGE_SIZE")


def _rss() -> int:
    """Resident set size in bytes (Linux ``/proc/self/statm``)."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * _PAGE


class _PeakRSS:
    """Peak resident memory above the starting level while the block runs (sampled 200 Hz)."""

    def __enter__(self):
        gc.collect()
        self.base = _rss()
        self.peak = self.base
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)
        self._thread.start()
        return self

    def _poll(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, _rss())
            time.sleep(0.005)

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, _rss())
        self.mib = (self.peak - self.base) / 2**20


def _timed(fn):
    with _PeakRSS() as mem:
        t0 = time.perf_counter()
        out = fn()
        dt = time.perf_counter() - t0
    return out, dt, mem.mib


def bench_ntk(args) -> None:
    torch.set_num_threads(args.threads)
    d = DATASETS["mnist"].input_dim
    spec = NetworkSpec(d, (1024, 1024, 1024), 1, "relu", 2.0, 0.1, True, args.parameterization)
    model = MLP(spec, seed=0)
    X = torch.as_tensor(np.random.default_rng(0).standard_normal((args.n, d)))
    print(
        f"ntk bench: {spec.widths} relu {args.parameterization}, n={args.n}, float64, "
        f"{spec.n_params} params, torch threads={args.threads}"
    )
    times, ref = {}, None
    for method in ("structured", "jacobian", "ntk_vp"):
        if method in args.skip:
            continue
        theta, dt, mib = _timed(lambda m=method: empirical_ntk(model, X, method=m))
        theta = theta.detach()
        times[method] = dt
        if ref is None:
            ref = theta
        rel = float((theta - ref).abs().max() / ref.abs().max())
        print(f"  {method:<10} {dt:9.3f} s   peak +{mib:8.1f} MiB   max rel diff {rel:.2e}")
        del theta
        gc.collect()
    M, L, n_inits = args.fig1_width, args.fig1_depth, args.fig1_inits
    cell = NetworkSpec(d, (M,) * L, 1, "relu", 2.0, 1.0, True, "standard")
    x = np.random.default_rng(1).standard_normal(d)
    x /= np.linalg.norm(x)
    for method in ("conditional", "explicit"):
        s, dt, mib = _timed(lambda m=method: ntk_diagonal_samples(cell, x, n_inits, 0, m))
        print(
            f"  fig1 cell M={M} L={L} {n_inits} inits {method:<11} {dt:8.3f} s   "
            f"peak +{mib:7.1f} MiB   ratio E[T^2]/E[T]^2 = {ntk_variance_ratio(s):.4f}"
        )
    if args.floor_n:
        ntk_roofline_fresh(args.floor_n, args.threads, args.parameterization)
    if "jacobian" in times:
        print(
            f"ntk: structured {times['jacobian'] / times['structured']:.1f}x faster than "
            f"jacobian ({times['structured']:.3f} s vs {times['jacobian']:.3f} s, n={args.n}, "
            f"{args.threads} thread(s))"
        )


def matmul_floor(spec: NetworkSpec, n: int, repeats: int = 3) -> float:
    """Seconds of the matrix products the structured NTK of one network on ``n`` inputs needs,
    run bare on random operands of the same shapes (forward ``h W^T``, backward ``delta W``,
    per layer the Gram matrices ``h h^T`` and ``delta delta^T``), float64, best of
    ``repeats``."""
    widths, k = spec.widths, spec.output_dim
    g = torch.Generator().manual_seed(0)
    ops = []
    for layer, (a, b) in enumerate(zip(widths[:-1], widths[1:], strict=True)):
        h, w = torch.randn(n, a, generator=g, dtype=torch.float64), torch.randn(
            b, a, generator=g, dtype=torch.float64)
        d = torch.randn(n * k, b, generator=g, dtype=torch.float64)
        ops.append((h, w.T))                      # forward
        if layer > 0:
            ops.append((d, w))                    # delta^{l-1} = delta^l W^l
        ops += [(h, h.T), (d, d.T)]               # Gram matrices of the NTK's term l
    best = math.inf
    for _ in range(repeats):
        t0 = time.perf_counter()
        for a, b in ops:
            a @ b
        best = min(best, time.perf_counter() - t0)
    return best


def ntk_roofline(n: int, threads: int, parameterization: str = "standard") -> tuple[float, float]:
    """Structured empirical NTK of a 784-1024-1024-1024-1 ReLU MLP on ``n`` inputs: time
    against :func:`matmul_floor`, and the peak memory of building the network and its kernel
    (resident memory above the level before the network exists) against the kernel plus the
    parameters (float64). Run it in a fresh interpreter (``bench ntk`` does) so that memory
    freed by earlier work does not hide the peak. Prints one line; returns ``(time ratio,
    memory ratio)``."""
    torch.set_num_threads(threads)
    d = DATASETS["mnist"].input_dim
    spec = NetworkSpec(d, (1024, 1024, 1024), 1, "relu", 2.0, 0.1, True, parameterization)
    X = torch.as_tensor(np.random.default_rng(0).standard_normal((n, d)))
    empirical_ntk(MLP(spec.replace(hidden=(8,)), seed=0), X[:8], method="structured")  # warm-up
    with _PeakRSS() as mem:
        model = MLP(spec, seed=0)
        t0 = time.perf_counter()
        theta = empirical_ntk(model, X, method="structured")
        dt = time.perf_counter() - t0
    del theta, model
    floor = min(matmul_floor(spec, n) for _ in range(2))
    needed = (n * n + spec.n_params) * 8 / 2**20
    print(f"ntk roofline: structured n={n} {dt:.3f} s vs matmul floor {floor:.3f} s: "
          f"ratio {dt / floor:.2f}; peak +{mem.mib:.1f} MiB (network and kernel) vs kernel + "
          f"parameters {needed:.1f} MiB: ratio {mem.mib / needed:.2f} ({threads} thread(s))")
    return dt / floor, mem.mib / needed


def ntk_roofline_fresh(n: int, threads: int, parameterization: str) -> None:
    """:func:`ntk_roofline` in a fresh interpreter (a clean resident-memory baseline)."""
    import subprocess
    import sys

    code = ("from mlptheory.dev.ntk_bench import ntk_roofline; "
            f"ntk_roofline({int(n)}, {int(threads)}, {parameterization!r})")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(Path(__file__).resolve().parents[2]), os.environ.get("PYTHONPATH", "")])}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         check=True)
    print(out.stdout.strip())


def add_ntk_arguments(parser) -> None:
    parser.add_argument("--n", type=int, default=128, help="number of inputs")
    parser.add_argument("--threads", type=int, default=1, help="torch threads")
    parser.add_argument("--parameterization", default="standard", choices=["standard", "ntk"])
    parser.add_argument("--skip", nargs="*", default=[], help="methods to skip")
    parser.add_argument("--fig1-width", type=int, default=500)
    parser.add_argument("--fig1-depth", type=int, default=50)
    parser.add_argument("--fig1-inits", type=int, default=200)
    parser.add_argument("--floor-n", type=int, default=1000,
                        help="inputs of the roofline run (0: skip it)")
