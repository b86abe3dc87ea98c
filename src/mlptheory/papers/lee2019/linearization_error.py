"""lee2019 Fig. S5: RMSE between the outputs of trained networks and of their linearizations
(eqs. (8)-(11) with each network's own empirical ``Theta_0``) at the end of training, against
width and training-set size. One table per width; per training-set size an ensemble of
``members`` networks trained ``steps`` full-batch GD steps at ``lr_fraction * eta_critical``
(analytic NTK of that training set). One row per member: the RMSE over the test points
(``rmse``) or the training points (``rmse_train``) and the member's training loss at the start
(``train_loss0``) and the end (``train_loss``); the figure draws the RMSE over members and
points (the root mean square of the members' ``rmse``), the claims bootstrap over members."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...kernels import empirical_ntk
from ...models import EnsembleMLP
from ...predict import gradient_descent_mse
from ...seeding import derive_seeds
from .common import critical_lr, network_spec, train_ensemble, two_class_data
from .plan import PAPER


def table(params: dict, inputs, log=None) -> pd.DataFrame:
    rows = []
    for n_train in params["n_train"]:
        x, y, xt, yt = two_class_data(inputs["dataset"], params, n_train)
        spec = network_spec(params, x.shape[1])
        lr = params["lr_fraction"] * critical_lr(spec, x)
        seeds = derive_seeds(params["seed"], params["members"], PAPER, "linearization_error",
                             spec.hidden[0], n_train)
        steps = params["steps"]
        hist = train_ensemble(spec, seeds, x, y, lr, steps, [0, steps], x_eval=xt, log=log)
        net = EnsembleMLP(spec, seeds=seeds)
        theta = empirical_ntk(net, x).numpy()
        theta_tx = empirical_ntk(net, xt, x).numpy()
        f0, f0t = net(x).detach().numpy(), net(xt).detach().numpy()
        lin_train, lin_test = [], []
        for e in range(len(seeds)):
            pred = gradient_descent_mse(theta[e], y.numpy(), f0[e], lr, theta_tx[e], f0t[e])
            lin_train.append(pred.train_outputs([steps])[0])
            lin_test.append(pred.test_outputs([steps])[0])
        final = hist[steps]
        rmse = np.sqrt(np.mean((final["eval"] - np.stack(lin_test)) ** 2, axis=(1, 2)))
        rmse_train = np.sqrt(np.mean((final["train"] - np.stack(lin_train)) ** 2, axis=(1, 2)))
        loss0, loss = np.asarray(hist[0]["loss"], float), np.asarray(final["loss"], float)
        rows += [dict(width=spec.hidden[0], n_train=n_train, member=e, rmse=float(rmse[e]),
                      rmse_train=float(rmse_train[e]), train_loss=float(loss[e]),
                      train_loss0=float(loss0[e]), depth=spec.depth, members=len(seeds),
                      steps=steps, lr=lr, lr_fraction=params["lr_fraction"], n_test=len(xt),
                      dataset=params["dataset_name"]) for e in range(len(seeds))]
        if log is not None:
            log.info("M=%d S=%d: rmse %.3g (train %.3g)", spec.hidden[0], n_train,
                     float(np.sqrt(np.mean(rmse ** 2))), float(np.sqrt(np.mean(rmse_train ** 2))))
    return pd.DataFrame(rows)


def draw(tables, params):
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
