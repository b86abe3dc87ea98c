"""Paper-scale cost of seleznova2021 from measured per-cell times (CPU, or whatever torch uses):
``mlptheory cost [--config config.yaml] [--steps 20]``.

* NTK variance (Figs. 1, 2, 7): times one cell (all initializations) per distinct (M, L) of the
  paper grids, one sw2 each (the sampler's cost does not depend on sw2, sb2 or the activation),
  and multiplies by the number of cells computed with that (M, L) (the Fig. 7 panel at the
  Fig. 1 width and sb2 reuses the Fig. 1 cells; Fig. 2 has a table of its own).
* NTK change (Figs. 3, 4, 8-11): times ``--steps`` full-batch GD steps of one ensemble (all sw2
  of one depth) per (M, L) plus one 128 x 128 empirical-NTK checkpoint, and extrapolates to
  ``max_steps`` (an upper bound: the plateau rule stops many networks earlier).
"""

from __future__ import annotations

import time
from collections import Counter

import numpy as np
import torch
import yaml

from ...datasets import dataset_info
from ...kernels import empirical_ntk, ntk_diagonal_samples
from ...models import EnsembleMLP
from ...spec import NetworkSpec
from ...training import TrainConfig, Trainer
from .plan import variance_cells


def variance_cost(cfg: dict, input_dim: int) -> float:
    shared = set()  # Figs. 1 and 7 share their tables of one (activation, width, sb2)
    for activation in cfg["activations"]:
        shared |= set(variance_cells(cfg, "fig1", activation))
        shared |= set(variance_cells(cfg, "fig7", activation))
    cells = [*shared, *variance_cells(cfg, "fig2")]
    counts = Counter((w, d) for _, w, d, _, _ in cells)
    x = np.random.default_rng(0).standard_normal(input_dim)
    x /= np.linalg.norm(x)
    total = 0.0
    for (w, d), n in sorted(counts.items()):
        spec = NetworkSpec(input_dim, (w,) * d, 1, activation="relu", sw2=2.0, sb2=1.0)
        t0 = time.perf_counter()
        ntk_diagonal_samples(spec, x, int(cfg["n_inits"]), 0)
        total += n * (time.perf_counter() - t0)
    print(f"NTK variance: {sum(counts.values())} cells, estimated {total:.0f} s")
    return total


def training_cost(cfg: dict, steps: int, input_dim: int, n_classes: int) -> float:
    total = 0.0
    members = len(cfg["sw2"]) * int(cfg["seeds"])
    n_ckpt = len(cfg["ntk_steps"]) + 2
    x = torch.randn(int(cfg["n_train"]), input_dim, dtype=torch.float64)
    x /= x.norm(dim=1, keepdim=True)
    y = torch.randn(int(cfg["n_train"]), n_classes, dtype=torch.float64)
    for width in sorted({int(cfg["width"]), *map(int, cfg["widths"])}):
        for depth in cfg["depths"]:
            spec = NetworkSpec(input_dim, (width,) * int(depth), n_classes, activation="tanh",
                               sb2=1.0)
            model = EnsembleMLP(spec, seeds=range(members))
            trainer = Trainer(model, x, y, TrainConfig(optimizer="gd", lr=1e-5,
                                                       max_steps=steps, log_every=10**9))
            t0 = time.perf_counter()
            trainer.run()
            per_step = (time.perf_counter() - t0) / steps
            t0 = time.perf_counter()
            with torch.no_grad():
                empirical_ntk(model, x, method="structured")
            ntk = time.perf_counter() - t0
            run = per_step * int(cfg["max_steps"]) + n_ckpt * ntk
            print(f"M={width:4d} L={depth:3d}: {members} members {per_step * 1e3:8.1f} ms/step "
                  f"({per_step / members * 1e3:6.2f} ms per member-step), NTK {ntk:5.2f} s, "
                  f"run of {cfg['max_steps']} steps {run / 3600:6.2f} h")
            total += run * len(cfg["activations"])
    print(f"NTK change: estimated {total / 3600:.1f} h for {len(cfg['activations'])} "
          f"activation(s) at {cfg['max_steps']} steps (upper bound)")
    return total


def add_arguments(parser) -> None:
    parser.add_argument("--config", default="config.yaml")
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--skip-training", action="store_true")


def run(args) -> None:
    torch.set_num_threads(args.threads)
    with open(args.config) as f:
        cfg = yaml.safe_load(f)["seleznova2021"]
    info = dataset_info(cfg.get("dataset", "mnist"))
    variance_cost(cfg["ntk_variance"], info.input_dim)
    if not args.skip_training:
        training_cost(cfg["ntk_change"], args.steps, info.input_dim, info.n_classes)

