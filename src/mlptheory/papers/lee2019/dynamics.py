"""lee2019 Fig. 3: one network trained by full-batch GD (the run ``dynamics``) next to

* ``linearized_closed_form``: its linearization with the **empirical** ``Theta_0`` and ``f_0``,
  eqs. (8)-(11) in discrete time (:class:`mlptheory.predict.GradientDescentMSE`);
* ``linearized_analytic``: the same closed form with the **analytic** (infinite-width) NTK
  ``Theta`` in place of ``Theta_0`` (and the network's own ``f_0``): the paper's second curve
  of the last panel;

The linearization's weights are eq. (10) in discrete time for the run's tracked weights
(:meth:`mlptheory.predict.GradientDescentMSE.weight_change`, from their rows of the Jacobian at
``theta_0``), so no table trains a linearized model step by step (at paper scale that is the
network's cost again, on one CPU thread); ``tests/test_predict.py`` checks the closed form
against stepping :func:`mlptheory.linearize.linearize`.

Rows: ``quantity`` is ``output`` (one row per point of ``split`` train/test), ``loss`` (MSE
``1/(2S) sum`` on ``split``), ``displacement`` (``||theta_t - theta_0||``) or ``weight`` (the
run's tracked weights, ``split`` = ``layer<l>``, ``point`` = the weight's flat index in that
layer's matrix; network and ``linearized_closed_form``). ``time`` is ``lr * step``, the
paper's continuous time ``t``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from ...data import training_data
from ...experiment import tracked_indices
from ...kernels import empirical_ntk, nngp_ntk
from ...linearize import output_jacobian
from ...models import EnsembleMLP
from ...predict import eta_critical, gradient_descent_mse
from ...runs import read_run


def _rows(model, step, f_train, f_test, y, yt, disp):
    rows = [dict(model=model, step=step, quantity="displacement", split="", point=-1,
                 value=float(disp))]
    for split, f, target in (("train", f_train, y), ("test", f_test, yt)):
        rows.append(dict(model=model, step=step, quantity="loss", split=split, point=-1,
                         value=float(0.5 * np.sum((f - target) ** 2) / len(f))))
        rows += [dict(model=model, step=step, quantity="output", split=split, point=i,
                      value=float(v)) for i, v in enumerate(f[:, 0])]
    return rows


def _weight_rows(model, step, values, indices):
    """``values [L+1, k]`` of the tracked weights ``indices`` (per layer)."""
    return [dict(model=model, step=step, quantity="weight", split=f"layer{layer}",
                 point=int(i), value=float(v))
            for layer, (vals, idx) in enumerate(zip(values, indices, strict=True))
            for i, v in zip(idx, vals, strict=True)]


def table(settings: dict, inputs, log=None) -> pd.DataFrame:
    run = read_run(inputs["runs"][0])
    x, y = training_data(inputs["dataset"], run.data)
    xt, yt = training_data(inputs["dataset"], run.config["extra"]["measure"]["eval"])
    spec, lr = run.spec, float(run.member_lrs()[0])
    steps = [int(s) for s in run.checkpoint_steps]
    k = int(run.config["extra"]["measure"]["tracked_weights"])
    indices = tracked_indices(spec, k)

    net = EnsembleMLP(spec, seeds=run.seeds)  # theta_0 of the run (its seed)
    with torch.no_grad():
        f0, f0t = net(x)[0].numpy(), net(xt)[0].numpy()
    y_np, yt_np = y.numpy(), yt.numpy()
    closed = gradient_descent_mse(empirical_ntk(net, x)[0].numpy(), y_np, f0, lr,
                                  empirical_ntk(net, xt, x)[0].numpy(), f0t)
    _, th_all = nngp_ntk(spec, torch.cat([x, xt]).numpy())
    n = len(x)
    analytic = gradient_descent_mse(th_all[:n, :n], y_np, f0, lr, th_all[n:, :n], f0t)

    def select(settings):
        return torch.cat([settings[f"weights.{layer}"][0].flatten()[torch.as_tensor(idx)]
                          for layer, idx in enumerate(indices)])

    jac = output_jacobian(net, x, select).numpy()  # [n, (L+1) k]
    w0 = select(dict(net.named_parameters())).detach().numpy()
    w_lin = w0 + closed.weight_change(steps, jac)  # [T, (L+1) k]

    rows = []
    for model, pred in (("linearized_closed_form", closed), ("linearized_analytic", analytic)):
        c_train, c_test, c_disp = (pred.train_outputs(steps), pred.test_outputs(steps),
                                   pred.displacement(steps))
        for i, s in enumerate(steps):
            rows += _rows(model, s, c_train[i], c_test[i], y_np, yt_np, c_disp[i])
    for i, s in enumerate(steps):
        h = run.checkpoint(s)
        rows += _rows("network", s, h["outputs"][0], h["eval_outputs"][0], y_np, yt_np,
                      h["displacement"][0])
        rows += _weight_rows("network", s, h["tracked_weights"][0], indices)
        rows += _weight_rows("linearized_closed_form", s, w_lin[i].reshape(len(indices), k),
                             indices)
    frame = pd.DataFrame(rows)
    frame["time"] = lr * frame.step
    for key, value in dict(width=spec.hidden[0], depth=spec.depth, activation=spec.activation,
                           sw2=spec.sw2, sb2=spec.sb2 if spec.bias else 0.0,
                           n_train=len(x), n_test=len(xt), lr=lr,
                           lr_fraction=lr / eta_critical(th_all[:n, :n], n),
                           dataset=settings["dataset_name"]).items():
        frame[key] = value
    if log is not None:
        last = frame[(frame.step == max(steps)) & (frame.quantity == "output")
                     & (frame.split == "test")]
        net_out = last[last.model == "network"].value.to_numpy()
        for model in ("linearized_closed_form", "linearized_analytic"):
            other = last[last.model == model].value.to_numpy()
            log.info("final RMSE(network, %s) on test points: %.3g", model,
                     float(np.sqrt(np.mean((net_out - other) ** 2))))
    return frame


STYLES = {"network": ("k", "-", "network"),
          "linearized_closed_form": ("C0", "--", r"linearization, empirical $\hat\Theta_0$ "
                                                  "(eqs. 8-11)"),
          "linearized_analytic": ("C3", "--", r"linearization, analytic $\Theta$")}


def rmse_rows(frame: pd.DataFrame, split: str = "test") -> pd.DataFrame:
    """RMSE over the ``split`` points between the network and each linearization, per step."""
    out = frame[(frame.quantity == "output") & (frame.split == split)]
    net = out[out.model == "network"].set_index(["step", "point"]).value
    rows = []
    for model in ("linearized_closed_form", "linearized_analytic"):
        lin = out[out.model == model].set_index(["step", "point"]).value
        diff = (net - lin.reindex(net.index)) ** 2
        for step, value in diff.groupby(level="step").mean().items():
            rows.append(dict(model=model, step=int(step), rmse=float(np.sqrt(value))))
    return pd.DataFrame(rows)


def draw(tables, settings):
    """The paper's four panels against the time ``t = lr * step``: outputs on 3 test points,
    3 tracked weights (their change from init), train and test loss, and the RMSE between the
    network and each linearization on the test points."""
    import matplotlib.pyplot as plt

    frame = tables[0]
    r = frame.iloc[0]
    lr = float(r.lr)
    fig, axes = plt.subplots(1, 4, figsize=(15, 3.5), constrained_layout=True)
    t_of = lambda cur: np.maximum(cur.step, 0.5) * lr  # noqa: E731  (step 0 drawn at 0.5)
    out = frame[(frame.quantity == "output") & (frame.split == "test")]
    weights = frame[frame.quantity == "weight"]
    # the three tracked weights that move most in the linearization (the others, drawn on the
    # same axis, would be flat lines)
    lin_w = weights[weights.model == "linearized_closed_form"].sort_values("step")
    moved = (lin_w.groupby(["split", "point"]).value.agg(lambda v: abs(v.iloc[-1] - v.iloc[0]))
             .sort_values(ascending=False))
    shown_w = moved.head(3).reset_index()[["split", "point"]]
    for model in ("network", "linearized_closed_form", "linearized_analytic"):
        color, ls, label = STYLES[model]
        sub = out[out.model == model]
        for k, point in enumerate(sorted(sub.point.unique())[:3]):
            cur = sub[sub.point == point].sort_values("step")
            axes[0].plot(t_of(cur), cur.value, color=f"C{k + 4}" if model == "network"
                         else color, ls=ls, lw=1.2, label=label if k == 0 else None)
        for split, width in (("train", 1.8), ("test", 0.9)):
            cur = frame[(frame.model == model) & (frame.quantity == "loss")
                        & (frame.split == split)].sort_values("step")
            axes[2].plot(t_of(cur), cur.value, color=color, ls=ls, lw=width,
                         label=f"{label}, {split}")
    for model in ("network", "linearized_closed_form"):  # one colour per weight
        _, ls, label = STYLES[model]
        for k, (_, w) in enumerate(shown_w.iterrows()):
            cur = weights[(weights.model == model) & (weights.split == w.split)
                          & (weights.point == w.point)].sort_values("step")
            axes[1].plot(t_of(cur), cur.value - cur.value.iloc[0], color=f"C{k + 4}", ls=ls,
                         lw=1.2, label=(label if k == 0 else None))
    rm = rmse_rows(frame)
    for model in ("linearized_closed_form", "linearized_analytic"):
        color, ls, label = STYLES[model]
        cur = rm[rm.model == model].sort_values("step")
        axes[3].plot(t_of(cur), cur.rmse, color=color, lw=1.4, label=label)
    titles = ("test outputs, 3 points (network solid)",
              "weight change from init, the 3 tracked weights that move most\n" + ", ".join(
                  f"{w.split} #{w.point}" for _, w in shown_w.iterrows()),
              "loss (thick: train, thin: test)",
              "RMSE(network, linearization), test points")
    for ax, title in zip(axes, titles, strict=True):
        ax.set_xscale("log")
        ax.set_xlabel(r"time $t = \eta \times$ step (step 0 at 0.5 $\eta$)")
        ax.set_title(title, fontsize=9)
    axes[2].set_yscale("log")
    axes[3].set_yscale("log")
    for ax in axes:
        ax.legend(fontsize=6)
    bias = f"sb2={r.sb2:g}" if r.sb2 else "no bias"
    rate = f"lr={lr:.3g} = {r.lr_fraction:.2g} eta_critical"
    fig.suptitle(f"{r.dataset}, |D|={r.n_train}, {r.depth}x{r.width} {r.activation} "
                 f"(ntk param.), sw2={r.sw2:g}, {bias}, {rate}", fontsize=9)
    return fig, frame
