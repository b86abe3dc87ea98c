"""lee2019 Fig. 3: one network of the Fig. 2 family, trained by full-batch GD, next to

* ``linearized_closed_form``: its linearization from the empirical ``Theta_0`` and ``f_0``,
  eqs. (8)-(11) in discrete time (:class:`mlptheory.predict.GradientDescentMSE`);
* ``linearized_trained``: the linearized model (:func:`mlptheory.linearize.linearize`)
  trained step by step with the same learning rate.

Rows: ``quantity`` is ``output`` (one row per point of ``split`` train/test), ``loss`` (MSE
``1/(2S) sum`` on ``split``) or ``displacement`` (``||theta_t - theta_0||``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from ...kernels import empirical_ntk
from ...linearize import gradient_descent, linearize
from ...models import MLP
from ...predict import gradient_descent_mse
from ...seeding import derive_seed
from .common import critical_lr, log_steps, network_spec, train_ensemble, two_class_data
from .plan import PAPER


def _rows(model, step, f_train, f_test, y, yt, disp):
    rows = [dict(model=model, step=step, quantity="displacement", split="", point=-1,
                 value=float(disp))]
    for split, f, target in (("train", f_train, y), ("test", f_test, yt)):
        rows.append(dict(model=model, step=step, quantity="loss", split=split, point=-1,
                         value=float(0.5 * np.sum((f - target) ** 2) / len(f))))
        rows += [dict(model=model, step=step, quantity="output", split=split, point=i,
                      value=float(v)) for i, v in enumerate(f[:, 0])]
    return rows


def table(params: dict, inputs, log=None) -> pd.DataFrame:
    x, y, xt, yt = two_class_data(inputs["dataset"], params, params["n_train"])
    spec = network_spec(params, x.shape[1])
    lr = params["lr_fraction"] * critical_lr(spec, x)
    steps = log_steps(params["max_steps"], params["points_per_decade"])
    seed = derive_seed(params["seed"], PAPER, "dynamics")
    hist = train_ensemble(spec, [seed], x, y, lr, max(steps), steps, x_eval=xt, log=log)

    net = MLP(spec, seed=seed)
    with torch.no_grad():
        f0, f0t = net(x).numpy(), net(xt).numpy()
    closed = gradient_descent_mse(empirical_ntk(net, x).numpy(), y.numpy(), f0, lr,
                                  empirical_ntk(net, xt, x).numpy(), f0t)
    c_train, c_test = closed.train_outputs(steps), closed.test_outputs(steps)
    c_disp = closed.displacement(steps)
    trained = gradient_descent(linearize(net), x, y, lr, max(steps), steps, x_eval=xt)

    y_np, yt_np = y.numpy(), yt.numpy()
    rows = []
    for i, s in enumerate(steps):
        h = hist[s]
        rows += _rows("network", s, h["train"][0], h["eval"][0], y_np, yt_np,
                      h["displacement"][0])
        rows += _rows("linearized_closed_form", s, c_train[i], c_test[i], y_np, yt_np,
                      c_disp[i])
        t = trained[s]
        rows += _rows("linearized_trained", s, t["train"].numpy(), t["eval"].numpy(), y_np,
                      yt_np, t["displacement"])
    frame = pd.DataFrame(rows)
    for key, value in dict(width=spec.hidden[0], depth=spec.depth, n_train=len(x),
                           n_test=len(xt), lr=lr, lr_fraction=params["lr_fraction"],
                           dataset=params["dataset_name"]).items():
        frame[key] = value
    return frame


STYLES = {"network": ("C0", "-", "network"),
          "linearized_closed_form": ("C1", "--", "linearization, closed form (eqs. 8-11)"),
          "linearized_trained": ("k", ":", "linearized model, trained")}


def draw(tables, params):
    """Outputs on 3 train and 3 test points, train/test loss and ||theta_t - theta_0||."""
    import matplotlib.pyplot as plt

    frame = tables[0]
    fig, axes = plt.subplots(1, 4, figsize=(15, 3.4), constrained_layout=True)
    x_of = lambda cur: np.maximum(cur.step, 0.5)  # noqa: E731  (step 0 on a log axis)
    for model, (color, ls, label) in STYLES.items():
        sub = frame[frame.model == model]
        for ax, split in zip(axes[:2], ("train", "test"), strict=True):
            out = sub[(sub.quantity == "output") & (sub.split == split)]
            for k, point in enumerate(sorted(out.point.unique())[:3]):
                cur = out[out.point == point].sort_values("step")
                ax.plot(x_of(cur), cur.value, color=f"C{k}" if model == "network" else color,
                        ls=ls, lw=1.2, label=label if k == 0 else None)
        for split, width in (("train", 1.8), ("test", 0.8)):
            cur = sub[(sub.quantity == "loss") & (sub.split == split)].sort_values("step")
            axes[2].plot(x_of(cur), cur.value, color=color, ls=ls, lw=width,
                         label=f"{label}, {split}")
        cur = sub[sub.quantity == "displacement"].sort_values("step")
        axes[3].plot(x_of(cur), cur.value, color=color, ls=ls, lw=1.2, label=label)
    titles = ("outputs, 3 train points", "outputs, 3 test points",
              "loss (thick: train, thin: test)", r"$\|\theta_t - \theta_0\|$")
    for ax, title in zip(axes, titles, strict=True):
        ax.set_xscale("log")
        ax.set_xlabel("step (0 drawn at 0.5)")
        ax.set_title(title, fontsize=9)
    axes[2].set_yscale("log")
    axes[0].legend(fontsize=6)
    axes[2].legend(fontsize=6)
    r = frame.iloc[0]
    fig.suptitle(f"{r.dataset}, S={r.n_train}, {r.depth}x{r.width} ReLU (ntk param.), "
                 f"lr={r.lr:.3g} = {r.lr_fraction:g} eta_critical", fontsize=9)
    return fig, frame
