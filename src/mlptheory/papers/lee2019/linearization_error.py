"""lee2019 Fig. S5: RMSE between the outputs of trained networks and of their linearizations
(eqs. (8)-(11) with each network's own empirical ``Theta_0``) at the end of training, against
width and training-set size. One table per width; per training-set size an ensemble of
``members`` networks trained ``steps`` full-batch GD steps at ``lr_fraction * eta_critical``
(analytic NTK of that training set), one run ``linearization_error_M<width>_S<size>`` each.
One row per member: the RMSE over the test points (``rmse``) or the training points
(``rmse_train``) and the member's training loss at the start (``train_loss0``) and the end
(``train_loss``); the figure draws the RMSE over members and points (the root mean square of
the members' ``rmse``), the claims bootstrap over members."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...data import training_data
from ...kernels import empirical_ntk
from ...models import EnsembleMLP
from ...predict import gradient_descent_mse
from ...runs import read_run


def _mse(f, y) -> np.ndarray:
    return 0.5 * ((f - y) ** 2).sum(axis=(1, 2)) / f.shape[1]


def table(settings: dict, inputs, log=None) -> pd.DataFrame:
    rows = []
    for path in inputs["runs"]:
        run = read_run(path)
        x, y = training_data(inputs["dataset"], run.data)
        xt, _ = training_data(inputs["dataset"], run.config["extra"]["measure"]["eval"])
        spec, lr, steps = run.spec, float(run.member_lrs()[0]), int(run.train.max_steps)
        net = EnsembleMLP(spec, seeds=run.seeds)  # theta_0 of the run's members
        theta = empirical_ntk(net, x).numpy()
        theta_tx = empirical_ntk(net, xt, x).numpy()
        f0, f0t = net(x).detach().numpy(), net(xt).detach().numpy()
        lin_train, lin_test = [], []
        for e in range(len(run.seeds)):
            pred = gradient_descent_mse(theta[e], y.numpy(), f0[e], lr, theta_tx[e], f0t[e])
            lin_train.append(pred.train_outputs([steps])[0])
            lin_test.append(pred.test_outputs([steps])[0])
        final, start = run.checkpoint(steps), run.checkpoint(0)
        rmse = np.sqrt(np.mean((final["eval_outputs"] - np.stack(lin_test)) ** 2, axis=(1, 2)))
        rmse_train = np.sqrt(np.mean((final["outputs"] - np.stack(lin_train)) ** 2,
                                     axis=(1, 2)))
        loss0, loss = _mse(start["outputs"], y.numpy()), _mse(final["outputs"], y.numpy())
        rows += [dict(width=spec.hidden[0], n_train=len(x), member=e, rmse=float(rmse[e]),
                      rmse_train=float(rmse_train[e]), train_loss=float(loss[e]),
                      train_loss0=float(loss0[e]), depth=spec.depth, members=len(run.seeds),
                      steps=steps, lr=lr, lr_fraction=lr / run.lr_critical, n_test=len(xt),
                      dataset=settings["dataset_name"]) for e in range(len(run.seeds))]
        if log is not None:
            log.info("M=%d S=%d: rmse %.3g (train %.3g)", spec.hidden[0], len(x),
                     float(np.sqrt(np.mean(rmse ** 2))), float(np.sqrt(np.mean(rmse_train ** 2))))
    return pd.DataFrame(rows).sort_values(["n_train", "member"], ignore_index=True)


def draw(tables, settings):
    """RMSE against width (one line per training-set size) and against training-set size
    (one line per width), log-log."""
    import matplotlib.pyplot as plt

    members = pd.concat(tables, ignore_index=True)
    frame = (members.assign(rmse=members.rmse ** 2)
             .groupby(["n_train", "width"], as_index=False)
             .agg(rmse=("rmse", "mean"), depth=("depth", "first"), members=("members", "first"),
                  steps=("steps", "first"), lr_fraction=("lr_fraction", "first"),
                  dataset=("dataset", "first")))
    frame["rmse"] = np.sqrt(frame.rmse)
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.6), constrained_layout=True)
    for k, (n, cur) in enumerate(frame.groupby("n_train")):
        axes[0].plot(cur.width, cur.rmse, "o-", color=f"C{k}", label=f"S={n}")
    for k, (w, cur) in enumerate(frame.groupby("width")):
        cur = cur.sort_values("n_train")
        axes[1].plot(cur.n_train, cur.rmse, "o-", color=plt.cm.viridis(k / max(
            frame.width.nunique() - 1, 1)), label=f"M={w}")
    for ax, xl in zip(axes, ("width M", "training-set size S"), strict=True):
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xlabel(xl)
        ax.legend(fontsize=7)
    axes[0].set_ylabel("RMSE(network, linearization), test points")
    r = frame.iloc[0]
    fig.suptitle(f"{r.dataset}, depth {r.depth}, {r.members} networks per point, "
                 f"{r.steps} GD steps at {r.lr_fraction:g} eta_critical", fontsize=9)
    return fig, members.sort_values(["n_train", "width", "member"])
