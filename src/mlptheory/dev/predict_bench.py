"""``mlptheory bench predict``: the lee2019 library against the obvious baselines, in one run.

* **linearized training** (:func:`mlptheory.linearize.linearize`): ``steps`` full-batch GD steps
  of the linearized model of a 784-M-M-1 ReLU network (ntk parameterization, float64, ``n``
  inputs) by forward-mode products (``torch.func.jvp``, no Jacobian), against materializing the
  Jacobian ``J [n, P]`` once (``torch.func.jacrev``) and training ``f0 + J omega``.
* **closed-form dynamics** (:class:`mlptheory.predict.GradientDescentMSE`): train and test
  outputs at ``times`` steps from one eigendecomposition, against a matrix power
  ``(I - lr Theta/S)^t`` per time (the discrete-time form of the per-time matrix exponential
  ``exp(-lr Theta t/S)`` of eqs. (9)-(11)) followed by a solve for the test outputs.

Each part prints both times, the largest difference between the two results and the ratio.
"""

from __future__ import annotations

import time

import numpy as np
import torch
from torch.func import functional_call, jacrev

from ..kernels import empirical_ntk
from ..linearize import gradient_descent, linearize, mse_loss
from ..models import MLP
from ..predict import eta_critical, gradient_descent_mse
from ..spec import NetworkSpec


def _materialized_training(net, x, y, lr, steps):
    params = {k: v.detach() for k, v in net.named_parameters()}
    t0 = time.perf_counter()
    jac = jacrev(lambda p: functional_call(net, p, (x,)))(params)
    j = torch.cat([jac[k].reshape(len(x), -1) for k in params], dim=1)  # [n, P]
    t_jacobian = time.perf_counter() - t0
    with torch.no_grad():
        f0 = net(x)[:, 0]
    omega = torch.zeros(j.shape[1], dtype=j.dtype)
    for _ in range(steps):
        resid = f0 + j @ omega - y[:, 0]
        omega -= lr * (j.T @ resid) / len(x)
    return f0 + j @ omega, j.numel() * j.element_size(), t_jacobian


def bench_linearized(width: int = 256, n: int = 128, steps: int = 50, seed: int = 0) -> float:
    rng = np.random.default_rng(seed)
    x = torch.as_tensor(rng.standard_normal((n, 784)))
    y = torch.as_tensor(np.sign(rng.standard_normal((n, 1))))
    spec = NetworkSpec(784, (width, width), 1, activation="relu", sw2=2.0, sb2=0.1,
                       parameterization="ntk")
    net = MLP(spec, seed=seed)
    lr = 0.5 * eta_critical(empirical_ntk(net, x).numpy(), n)
    # warm-up: the first torch.func call of a process pays one-off import and setup costs
    gradient_descent(linearize(net), x[:2], y[:2], lr, 1)
    _materialized_training(net, x[:2], y[:2], lr, 1)
    t0 = time.perf_counter()
    lin = linearize(net)
    gradient_descent(lin, x, y, lr, steps)
    with torch.no_grad():
        ours = lin(x)[:, 0]
    t_ours = time.perf_counter() - t0
    t0 = time.perf_counter()
    base, j_bytes, t_jacobian = _materialized_training(net, x, y, lr, steps)
    t_base = time.perf_counter() - t0
    per_step_base = (t_base - t_jacobian) / steps
    per_step_ours = t_ours / steps
    diff = float((ours - base).abs().max())
    loss = float(mse_loss(ours[:, None], y))
    ratio = t_base / t_ours
    print(f"linearized training, {spec.n_params} parameters, {n} inputs, {steps} GD steps: "
          f"jvp {t_ours:.2f} s, materialized Jacobian {t_base:.2f} s "
          f"(J holds {j_bytes / 2**20:.0f} MiB); max |difference| {diff:.1e}, loss {loss:.3g}")
    print(f"linearize: {ratio:.2f}x the speed of the materialized-Jacobian baseline "
          f"(jvp needs no [n, P] memory)")
    if per_step_ours > per_step_base:
        print(f"  building J takes {t_jacobian:.2f} s, then a step costs {per_step_base * 1e3:.1f} "
              f"ms against {per_step_ours * 1e3:.1f} ms by jvp: jvp is faster below about "
              f"{t_jacobian / (per_step_ours - per_step_base):.0f} steps, and whenever J does "
              f"not fit in memory")
    return ratio


def bench_closed_form(n: int = 512, m: int = 256, times: int = 100, seed: int = 0) -> float:
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((n + m, 2 * (n + m)))
    kernel = a @ a.T / a.shape[1] + 0.1 * np.eye(n + m)
    theta, theta_tx = kernel[:n, :n], kernel[n:, :n]
    y, f0, f0t = rng.standard_normal((n, 1)), rng.standard_normal((n, 1)), rng.standard_normal(
        (m, 1))
    lr = 0.9 * eta_critical(theta, n)
    steps = np.unique(np.round(np.logspace(0, 4, times)).astype(int))
    t0 = time.perf_counter()
    pred = gradient_descent_mse(theta, y, f0, lr, theta_tx, f0t)
    ours_train, ours_test = pred.train_outputs(steps), pred.test_outputs(steps)
    t_ours = time.perf_counter() - t0
    t0 = time.perf_counter()
    step_matrix = np.eye(n) - lr * theta / n
    base_train, base_test = [], []
    for s in steps:
        decay = np.linalg.matrix_power(step_matrix, int(s))
        base_train.append(y + decay @ (f0 - y))
        base_test.append(f0t - theta_tx @ np.linalg.solve(theta, (np.eye(n) - decay) @ (f0 - y)))
    t_base = time.perf_counter() - t0
    diff = max(np.abs(ours_train - np.stack(base_train)).max(),
               np.abs(ours_test - np.stack(base_test)).max())
    ratio = t_base / t_ours
    print(f"closed-form GD dynamics, {n} train / {m} test points, {len(steps)} times up to step "
          f"{steps[-1]}: one eigendecomposition {t_ours:.3f} s, per-time matrix power + solve "
          f"{t_base:.3f} s; max |difference| {diff:.1e}")
    print(f"predict: {ratio:.1f}x faster than per-time matrix powers")
    return ratio


def bench_predict(args) -> None:
    torch.set_num_threads(args.threads)
    print(f"float64, {args.threads} thread(s)")
    bench_linearized(args.width, args.n, args.steps)
    bench_closed_form(args.n_kernel, args.n_kernel // 2, args.times)


def add_predict_arguments(p) -> None:
    p.add_argument("--width", type=int, default=256, help="hidden width of the linearized net")
    p.add_argument("--n", type=int, default=128, help="training inputs of the linearized net")
    p.add_argument("--steps", type=int, default=50, help="GD steps of the linearized net")
    p.add_argument("--n-kernel", type=int, default=512, help="training points, closed form")
    p.add_argument("--times", type=int, default=100, help="log-spaced times, closed form")
    p.add_argument("--threads", type=int, default=1)
