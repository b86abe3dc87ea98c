"""Benchmarks, one subcommand each: ``mlptheory bench {ensemble,sweep,ntk,predict} [--help]`` (alias
``python -m mlptheory.dev.bench``).

``sweep``: an optimizer sweep with per-member hyperparameters (tsuchida2019: Adam eps values, or
SGD learning rates, on the bias-free ReLU autoencoder) trained (a) as one batched ensemble with
:class:`~mlptheory.optimizers.PerMemberOptimizer` and (b) as separate runs, one single-network
:class:`~mlptheory.training.Trainer` per setting with torch.optim; same initialization and
minibatches, so the weights agree to rounding. Last line: ``sweep: <ratio>x faster (...)``.

``ntk``: empirical NTK, structured vs jacobian vs ntk_vp (:mod:`mlptheory.dev.ntk_bench`).

``predict``: the lee2019 library (linearize, closed-form GD dynamics) against a materialized
Jacobian and per-time matrix powers (:mod:`mlptheory.dev.predict_bench`).

``ensemble``: E networks 784-512-10 (ReLU, Glorot-uniform weights, zero biases, float32,
softmax cross-entropy, Adam lr 1e-3, batch 32: the sorensen2020 setting) trained for the same
number of minibatch steps (a) as one batched :class:`~mlptheory.models.EnsembleMLP` through
:mod:`mlptheory.training` and (b) as the obvious baseline, a Python loop over E separate
``nn.Module``s, each with its own ``torch.optim.Adam`` (default implementation). Both runs see
the same data order per network; the last line is ``ensemble: <ratio>x faster (...)``.

Both sides do the same matrix products (about 5 GFLOP per step for 100 networks at batch 32),
which at one CPU thread set a floor of roughly 55-80 ms per step; batching removes the Python
and per-tensor optimizer overhead (one fused Adam over the stacked tensors), not these FLOPs, so on
a CPU the ratio is bounded by roughly 3x at batch 32. On a GPU the loop is launch-bound and the
ratio is much larger.

After the ratio, ``ensemble`` prints the roofline of both papers' training shapes
(:func:`bench_roofline`): the step's GFLOP/s against the measured batched-GEMM peak, where the
step's time goes, and the ceiling that the optimizer's memory-bound update leaves.
"""

from __future__ import annotations

import math
import time

import numpy as np
import torch

from ..archives import read_mnist
from ..cost.model import mlp_flops
from ..datasets import DATASETS
from ..models import MLP, EnsembleMLP, torch_dtype
from ..seeding import derive_seeds
from ..spec import NetworkSpec
from ..train_config import TrainConfig
from ..training import Trainer, make_optimizer, resolve_device

MNIST = DATASETS["mnist"]


def mnist_train(data_dir) -> tuple[np.ndarray, np.ndarray]:
    """MNIST training images ``[60000, 784]`` in [0, 1] and labels ``[60000]`` (float32)."""
    train = read_mnist(data_dir)["train"]
    x = train["images"]
    return x.reshape(len(x), -1).astype(np.float32) / 255.0, train["labels"].astype(np.int64)


class _LoopBaseline:
    """E separate nn.Modules, each with its own torch.optim.Adam (default implementation)."""

    def __init__(self, spec, seeds, order_seeds, x, y, config, device):
        d, hidden, k = spec.widths
        self.nets = [torch.nn.Sequential(torch.nn.Linear(d, hidden), torch.nn.ReLU(),
                                         torch.nn.Linear(hidden, k)).to(device) for _ in seeds]
        with torch.no_grad():
            for net, seed in zip(self.nets, seeds, strict=True):
                (w0, b0), (w1, b1) = MLP(spec, seed=seed).to_params()
                net[0].weight.copy_(w0), net[0].bias.copy_(b0)
                net[2].weight.copy_(w1), net[2].bias.copy_(b1)
        self.opts = [torch.optim.Adam(net.parameters(), lr=config.lr) for net in self.nets]
        self.order_seeds, self.x, self.y, self.b = order_seeds, x, y, config.batch_size
        self.step = 0

    def advance(self, steps: int):
        """``steps`` more steps for every network, one network after the other."""
        n, b = len(self.x), self.b
        spe = math.ceil(n / b)
        for net, opt, order_seed in zip(self.nets, self.opts, self.order_seeds, strict=True):
            perm, perm_epoch = None, None
            for step in range(self.step, self.step + steps):
                epoch, pos = divmod(step, spe)
                if epoch != perm_epoch:
                    perm = torch.as_tensor(np.random.default_rng([order_seed, epoch])
                                           .permutation(n), device=self.x.device)
                    perm_epoch = epoch
                idx = perm[pos * b:(pos + 1) * b]
                loss = torch.nn.functional.cross_entropy(net(self.x[idx]), self.y[idx])
                opt.zero_grad()
                loss.backward()
                opt.step()
        self.step += steps


def _timed(fn, device):
    start = time.perf_counter()
    fn()
    if device.type == "cuda":
        torch.cuda.synchronize()
    return time.perf_counter() - start


def bench_ensemble(n_networks: int = 100, steps: int = 100, batch_size: int = 32,
                   data: str | None = None, threads: int = 1, device: str = "cpu",
                   chunk: int = 10) -> float:
    """Batched ensemble vs a loop of separate modules; prints lines, returns the speed ratio.

    The two are timed in alternating chunks of ``chunk`` steps (so load from other processes
    on a shared machine hits both alike); the ratio is of the summed times.
    """
    torch.set_num_threads(threads)
    dev = resolve_device(device)
    if data:
        x_np, y_np = mnist_train(data)
        source = f"MNIST from {data}"
    else:
        rng = np.random.default_rng(0)
        x_np = rng.random((MNIST.train_size, MNIST.input_dim), dtype=np.float32)
        y_np = rng.integers(0, MNIST.n_classes, size=MNIST.train_size)
        source = "random data of MNIST shape (pass --data for MNIST)"
    spec = NetworkSpec(MNIST.input_dim, (512,), MNIST.n_classes, activation="relu",
                       init="glorot_uniform", bias_init="zeros", dtype="float32")
    config = TrainConfig(optimizer="adam", lr=1e-3, loss="cross_entropy", batch_size=batch_size,
                         max_steps=steps, log_every=0)
    seeds = derive_seeds(0, n_networks, "bench_ensemble")
    order_seeds = derive_seeds(1, n_networks, "bench_ensemble")
    print(f"data: {source}; {n_networks} networks {spec.widths}, Adam lr 1e-3, batch "
          f"{batch_size}, {steps} steps in chunks of {chunk}, float32, {threads} thread(s), "
          f"device {dev}")
    x = torch.as_tensor(x_np, device=dev)
    y = torch.as_tensor(y_np, device=dev)

    model = EnsembleMLP(spec, seeds=seeds).to(dev)
    trainer = Trainer(model, x, y, config, order_seeds=order_seeds)
    loop = _LoopBaseline(spec, seeds, order_seeds, x, y, config, dev)
    t_ensemble = t_loop = 0.0
    for start in range(0, steps, chunk):
        stop = min(start + chunk, steps)
        if stop < steps:
            t_ensemble += _timed(lambda s=stop: trainer.run(pause_at=s), dev)
        else:  # the last chunk includes writing the final checkpoint, as in real use
            t_ensemble += _timed(trainer.run, dev)
        t_loop += _timed(lambda s=stop - start: loop.advance(s), dev)
    print(f"batched ensemble (mlptheory.training): {t_ensemble:.2f} s "
          f"({steps * n_networks / t_ensemble:.0f} network-steps/s)")
    print(f"loop over {n_networks} nn.Modules with torch.optim.Adam: {t_loop:.2f} s "
          f"({steps * n_networks / t_loop:.0f} network-steps/s)")
    diff = np.concatenate([
        (torch.cat([net[0].weight.flatten(), net[2].weight.flatten()])
         - torch.cat([model.weights[0][e].flatten(), model.weights[1][e].flatten()]))
        .abs().detach().cpu().numpy() for e, net in enumerate(loop.nets)])
    print(f"|weight difference| ensemble vs loop after {steps} steps: median {np.median(diff):.1e}"
          f", max {diff.max():.1e} (float32 rounding)")
    ratio = t_loop / t_ensemble
    print(f"ensemble: {ratio:.1f}x faster ({n_networks} nets "
          f"{'-'.join(map(str, spec.widths))}, batch {batch_size}, "
          f"{steps} steps, {dev}, {threads} thread(s): {t_ensemble:.2f} s vs {t_loop:.2f} s)")
    return ratio


# ----- roofline: a batched-ensemble step against the batched-GEMM peak -------------------------
# The training shapes of the two papers that train large ensembles (name -> settings):
ROOFLINE_SHAPES = {
    # 100 of the N networks 784-512-10, Adam, minibatch 32, float32 (networks_per_run: 100)
    "sorensen2020": dict(widths=(784, 512, 10), members=100, batch=32, dtype="float32",
                         optimizer="adam", loss="cross_entropy", activation="relu"),
    # one NTK-change run: the 10 sw2 of one depth, 784-256x3-10, full batch of 128, GD, float64
    "seleznova2021": dict(widths=(784, 256, 256, 256, 10), members=10, batch=128,
                          dtype="float64", optimizer="gd", loss="mse", activation="tanh"),
}


# the large square batched GEMM of the peak measurement (next to the ensemble's own size)
PEAK_BATCH, PEAK_SIZE = 4, 2048


def step_gemm_flops(widths, members: int, batch: int) -> float:
    """Matrix-product FLOPs of one training step of an ensemble (:func:`mlptheory.cost.
    mlp_flops`: forward, weight gradients, input gradients of all layers but the first)."""
    return members * mlp_flops(widths, batch)


def gemm_peak(members: int, size: int, dtype, device, repeats: int = 5) -> float:
    """Measured GFLOP/s of ``torch.bmm`` on ``[members, size, size]`` operands on this device and
    thread count, best of ``repeats``."""
    a = torch.randn(members, size, size, dtype=dtype, device=device)
    b = torch.randn(members, size, size, dtype=dtype, device=device)
    out = torch.empty_like(a)
    torch.bmm(a, b, out=out)
    best = min(_timed(lambda: torch.bmm(a, b, out=out), device) for _ in range(repeats))
    return 2.0 * members * size**3 / best / 1e9


def step_gemm_seconds(widths, members: int, batch: int, dtype, device, repeats: int = 3
                      ) -> float:
    """Seconds of the matrix products of one ensemble training step run bare on random
    operands of the same shapes and layouts (forward ``h W^T``, weight gradient ``g^T h``,
    input gradient ``g W`` of every layer but the first), best of ``repeats``."""
    ops = []
    for layer, (a, b) in enumerate(zip(widths[:-1], widths[1:], strict=True)):
        h = torch.randn(members, batch, a, dtype=dtype, device=device)
        w = torch.randn(members, b, a, dtype=dtype, device=device)
        g = torch.randn(members, batch, b, dtype=dtype, device=device)
        ops.append((h, w.transpose(1, 2), torch.empty(members, batch, b, dtype=dtype,
                                                      device=device)))
        ops.append((g.transpose(1, 2), h, torch.empty_like(w)))
        if layer > 0:
            ops.append((g, w, torch.empty_like(h)))

    def run():
        for x, y, out in ops:
            torch.bmm(x, y, out=out)

    run()
    return min(_timed(run, device) for _ in range(repeats))


def optimizer_update_seconds(model: EnsembleMLP, config: TrainConfig, device,
                             repeats: int = 3) -> float:
    """Seconds of the optimizer update alone: ``torch.optim`` (as :func:`~mlptheory.training.
    make_optimizer` builds it) over copies of the stacked parameters with random gradients,
    after one warm-up step that creates its state; best of ``repeats``. An element-wise pass
    over the parameters, their gradients and the optimizer's slots: memory-bound."""
    params = [torch.nn.Parameter(p.detach().clone()) for p in model.parameters()]
    for p in params:
        p.grad = torch.randn_like(p) * 1e-3
    opt = make_optimizer(params, config, device, model.n_members)
    opt.step()
    return min(_timed(opt.step, device) for _ in range(repeats))


def bench_roofline(shape: str, steps: int = 20, threads: int = 1, device: str = "cpu",
                   settings: dict | None = None, chunk: int = 5) -> float:
    """Achieved GFLOP/s of a batched-ensemble training step (:mod:`mlptheory.training`) against
    :func:`gemm_peak` on the same device and threads; prints where the step's time goes and
    returns the fraction.

    The peak is the best of :func:`gemm_peak` at the ensemble's own matrix size and at
    ``PEAK_BATCH x PEAK_SIZE^3``. Printed: the fraction; the step's matrix products run bare
    (:func:`step_gemm_seconds`) and the optimizer update alone
    (:func:`optimizer_update_seconds`); the ceiling of the fraction if every matrix product
    ran at the peak with only that update besides (on one thread they do not overlap). The
    steps are timed in chunks of ``chunk`` steps.
    """
    torch.set_num_threads(threads)
    dev = resolve_device(device)
    s = {**ROOFLINE_SHAPES.get(shape, {}), **(settings or {})}
    widths, members, batch = tuple(s["widths"]), int(s["members"]), int(s["batch"])
    spec = NetworkSpec(widths[0], widths[1:-1], widths[-1], activation=s["activation"],
                       dtype=s["dtype"], init="glorot_uniform", bias_init="zeros")
    dtype = torch_dtype(s["dtype"])
    n = batch * 8 if s["optimizer"] != "gd" else batch
    rng = np.random.default_rng(0)
    x = torch.as_tensor(rng.random((n, widths[0])), dtype=dtype, device=dev)
    if s["loss"] == "cross_entropy":
        y = torch.as_tensor(rng.integers(0, widths[-1], size=n), device=dev)
    else:
        y = torch.as_tensor(rng.standard_normal((n, widths[-1])), dtype=dtype, device=dev)
    config = TrainConfig(optimizer=s["optimizer"], lr=1e-3 if s["optimizer"] != "gd" else 1e-4,
                         loss=s["loss"], batch_size=None if s["optimizer"] == "gd" else batch,
                         max_steps=steps + 10, log_every=0)
    order_seeds = derive_seeds(1, members, "bench_roofline")

    main = Trainer(EnsembleMLP(spec, seeds=range(members)).to(dev), x, y, config,
                   order_seeds=order_seeds)
    main.run(pause_at=3)  # warm-up: first touches of the buffers and optimizer state
    # timed steps 3..steps+3, paused before the end: training steps only, no final checkpoint
    t = 0.0
    for stop in sorted({*range(3 + chunk, steps + 3, chunk), steps + 3}):
        t += _timed(lambda s=stop: main.run(pause_at=s), dev)
    timed = main.step - 3
    step_s = t / timed
    achieved = step_gemm_flops(widths, members, batch) / step_s / 1e9
    size = max(widths[1:-1])
    # the peak: the best of bmm at the ensemble's own matrix size and of a large square bmm
    # (GEMM rates grow with size; 2048^3 is near this thread's top rate)
    big = int(s.get("peak_size", PEAK_SIZE))
    peaks = {f"{members}x{size}^3": gemm_peak(members, size, dtype, dev),
             f"{PEAK_BATCH}x{big}^3": gemm_peak(PEAK_BATCH, big, dtype, dev)}
    peak = max(peaks.values())
    bare = step_gemm_seconds(widths, members, batch, dtype, dev)
    update = optimizer_update_seconds(main.model, config, dev)
    at_peak = step_gemm_flops(widths, members, batch) / peak / 1e9
    ceiling = at_peak / (at_peak + update)
    fraction = achieved / peak
    ms = 1e3
    print(f"roofline {shape}: {members} x {'-'.join(map(str, widths))} {s['dtype']} "
          f"{s['optimizer']} batch {batch}: step {step_s * ms:.2f} ms, {achieved:.1f} GFLOP/s "
          f"of {peak:.1f} GFLOP/s batched-GEMM peak (best of bmm "
          + ", ".join(f"{k}: {v:.1f}" for k, v in peaks.items())
          + f"; {dev}, {threads} thread(s)): fraction {fraction:.2f}")
    print(f"  where the step's time goes: its matrix products run bare {bare * ms:.2f} ms "
          f"({bare / step_s:.2f} of the step; at the peak they would take {at_peak * ms:.2f} "
          f"ms), the {s['optimizer']} update alone (torch.optim over the stacked parameters, "
          f"memory-bound) {update * ms:.2f} ms ({update / step_s:.2f}); ceiling with every "
          f"matrix product at the peak and only this update besides (they do not overlap on "
          f"one thread): {ceiling:.2f}")
    return fraction


def bench_sweep(width: int = 784, depth: int = 4, optimizer: str = "adam",
                values=(1e-16, 1e-12, 1e-8, 1e-4, 1.0), steps: int = 20,
                batch_size: int = 256, threads: int = 1, device: str = "cpu",
                chunk: int = 5) -> float:
    """Per-member-hyperparameter ensemble vs separate runs (module docstring); returns the
    speed ratio. ``values``: eps values (adaptive optimizers) or learning rates (``sgd``)."""
    torch.set_num_threads(threads)
    dev = resolve_device(device)
    values = [float(v) for v in values]
    n = len(values)
    spec = NetworkSpec(width, (width,) * (depth - 1), width, bias=False, init="he",
                       dtype="float32")
    x = torch.as_tensor(np.random.default_rng(0).random((8 * batch_size, width),
                                                        dtype=np.float32), device=dev)
    swept = "lr" if optimizer == "sgd" else "eps"
    common = dict(optimizer=optimizer, loss="mse_per_output", batch_size=batch_size,
                  max_steps=steps, data_order="shared", log_every=0)
    base_lr = 0.1 if optimizer == "sgd" else 1e-3
    sweep_config = TrainConfig(lr=base_lr, **common, **{f"member_{swept}": values})
    flops = 6 * batch_size * depth * width**2  # forward + backward matrix products per network
    print(f"{n} autoencoders {spec.widths} (no bias, ReLU), {optimizer} {swept} in {values}, "
          f"batch {batch_size}, {steps} steps in chunks of {chunk}, float32, {threads} "
          f"thread(s), device {dev}; {flops / 1e9:.2f} GFLOP per network-step")
    ensemble = Trainer(EnsembleMLP.from_members([MLP(spec, seed=0) for _ in values]).to(dev),
                       x, x, sweep_config)
    separate = [Trainer(EnsembleMLP.from_members([MLP(spec, seed=0)]).to(dev), x, x,
                        TrainConfig(lr=v if swept == "lr" else base_lr,
                                    **({"eps": v} if swept == "eps" else {}), **common))
                for v in values]
    t_ensemble = t_separate = 0.0
    for start in range(0, steps, chunk):
        stop = min(start + chunk, steps)
        t_ensemble += _timed(lambda s=stop: ensemble.run(pause_at=s if s < steps else None),
                             dev)
        t_separate += _timed(lambda s=stop: [t.run(pause_at=s if s < steps else None)
                                             for t in separate], dev)
    with torch.no_grad():
        diff = max(float((ensemble.model.weights[k][e] - t.model.weights[k][0]).abs().max())
                   for e, t in enumerate(separate) for k in range(depth))
    for name, t in (("batched sweep (PerMemberOptimizer)", t_ensemble),
                    (f"{n} separate runs (torch.optim)", t_separate)):
        print(f"{name}: {t:.2f} s, {t / (steps * n) * 1e3:.1f} ms per network-step, "
              f"{flops * steps * n / t / 1e9:.1f} GFLOP/s")
    print(f"max |weight difference| sweep vs separate after {steps} steps: {diff:.1e} "
          "(float32 rounding)")
    ratio = t_separate / t_ensemble
    print(f"sweep: {ratio:.2f}x faster ({n} settings, width {width}, depth {depth}, batch "
          f"{batch_size}, {steps} steps, {dev}, {threads} thread(s): {t_ensemble:.2f} s vs "
          f"{t_separate:.2f} s)")
    return ratio


def add_subcommands(sub) -> None:
    """The ``ensemble``, ``sweep`` and ``ntk`` benchmarks as subcommands of ``mlptheory bench``."""
    p = sub.add_parser("ensemble", help="batched ensemble vs a loop over separate modules")
    p.add_argument("--networks", type=int, default=100)
    p.add_argument("--steps", type=int, default=100)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--data", default=None, help="folder with MNIST train-*-idx*-ubyte.gz")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--device", default="cpu", choices=["auto", "cpu", "cuda"])
    p.add_argument("--roofline-steps", type=int, default=20,
                   help="steps per roofline measurement (0: skip the roofline ratios)")

    def ensemble(a):
        bench_ensemble(a.networks, a.steps, a.batch_size, a.data, a.threads, a.device)
        if a.roofline_steps:
            for shape in ROOFLINE_SHAPES:
                bench_roofline(shape, a.roofline_steps, a.threads, a.device)

    p.set_defaults(func=ensemble)

    sw = sub.add_parser("sweep", help="per-member optimizer sweep vs separate runs "
                        "(tsuchida2019 autoencoder)")
    sw.add_argument("--width", type=int, default=784)
    sw.add_argument("--depth", type=int, default=4)
    sw.add_argument("--optimizer", default="adam", choices=["adam", "rmsprop", "nadam", "sgd"])
    sw.add_argument("--values", type=float, nargs="+", default=[1e-16, 1e-12, 1e-8, 1e-4, 1.0],
                    help="eps values (adam, rmsprop, nadam) or learning rates (sgd)")
    sw.add_argument("--steps", type=int, default=20)
    sw.add_argument("--batch-size", type=int, default=256)
    sw.add_argument("--threads", type=int, default=1)
    sw.add_argument("--device", default="cpu", choices=["auto", "cpu", "cuda"])
    sw.set_defaults(func=lambda a: bench_sweep(a.width, a.depth, a.optimizer, a.values, a.steps,
                                               a.batch_size, a.threads, a.device))

    from .ntk_bench import add_ntk_arguments, bench_ntk

    ntk = sub.add_parser("ntk", help="empirical NTK: structured vs jacobian vs ntk_vp")
    add_ntk_arguments(ntk)
    ntk.set_defaults(func=bench_ntk)

    from .predict_bench import __doc__ as predict_doc
    from .predict_bench import add_predict_arguments, bench_predict

    pred = sub.add_parser("predict", help="lee2019 library: linearize and closed-form GD vs "
                                          "materialized Jacobian and per-time matrix powers",
                          description=predict_doc)
    add_predict_arguments(pred)
    pred.set_defaults(func=bench_predict)


def main(argv=None):
    """``python -m mlptheory.dev.bench ...``: the subcommands of ``mlptheory bench ...`` (built
    here, so that this module and :mod:`mlptheory.cli` do not import each other)."""
    import argparse
    import logging

    parser = argparse.ArgumentParser(prog="mlptheory bench",
                                     description="Benchmarks; each prints its ratio in one run.")
    add_subcommands(parser.add_subparsers(dest="benchmark", required=True))
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    args.func(args)


if __name__ == "__main__":
    main()
