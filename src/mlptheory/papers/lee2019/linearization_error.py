"""lee2019 Fig. S5: RMSE between the outputs of trained networks and of their linearizations
(eqs. (8)-(11) with each network's own empirical ``Theta_0``) at the end of training, against
width and training-set size. One table per width; per training-set size an ensemble of
``members`` networks trained ``steps`` full-batch GD steps at ``lr_fraction * eta_critical``
(analytic NTK of that training set). The RMSE is over members and the test points
(``rmse``) or the training points (``rmse_train``)."""

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
        hist = train_ensemble(spec, seeds, x, y, lr, steps, [steps], x_eval=xt, log=log)
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
        rmse = float(np.sqrt(np.mean((final["eval"] - np.stack(lin_test)) ** 2)))
        rmse_train = float(np.sqrt(np.mean((final["train"] - np.stack(lin_train)) ** 2)))
        rows.append(dict(width=spec.hidden[0], n_train=n_train, rmse=rmse,
                         rmse_train=rmse_train, train_loss=float(np.mean(final["loss"])),
                         depth=spec.depth, members=len(seeds), steps=steps, lr=lr,
                         lr_fraction=params["lr_fraction"], n_test=len(xt),
                         dataset=params["dataset_name"]))
        if log is not None:
            log.info("M=%d S=%d: rmse %.3g (train %.3g)", spec.hidden[0], n_train, rmse,
                     rmse_train)
    return pd.DataFrame(rows)


def draw(tables, params):
    """RMSE against width (one line per training-set size) and against training-set size
    (one line per width), log-log."""
    import matplotlib.pyplot as plt

    frame = pd.concat(tables, ignore_index=True).sort_values(["n_train", "width"])
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
    return fig, frame
