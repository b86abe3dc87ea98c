"""sorensen2020 Sec. 5 turned into a measurement: test accuracy and loss of k trained networks
combined by prediction averaging and by weight averaging (naive, after NodeSort, after weight
matching), and the linear path between two networks (the barrier)."""

from __future__ import annotations

import logging
import math

import numpy as np
import pandas as pd
import torch

from ...data import load
from ...models import EnsembleMLP, torch_dtype
from ...params import interpolate, mean, member, n_networks, select, stack
from ...spec import NetworkSpec
from ...symmetry import align
from .networks import load_networks

METHODS = ("individual_mean", "ensemble", "naive", "nodesort", "weight_matching")
PATHS = ("naive", "nodesort", "weight_matching")

log_default = logging.getLogger(__name__)


# ----- evaluation ---------------------------------------------------------------------------
def member_logits(params, spec: NetworkSpec, x: torch.Tensor, chunk: int = 10):
    """Yield the logits ``[e, n, classes]`` (float64) of the networks, ``chunk`` at a time."""
    dtype = x.dtype
    for start in range(0, n_networks(params), chunk):
        part = [(torch.as_tensor(w[start:start + chunk], dtype=dtype),
                 None if b is None else torch.as_tensor(b[start:start + chunk], dtype=dtype))
                for w, b in params]
        with torch.no_grad():
            yield EnsembleMLP(spec, params=part)(x).to(torch.float64)


def log_prob_metrics(log_probs: torch.Tensor, labels: torch.Tensor) -> tuple[np.ndarray, ...]:
    """Accuracy and mean cross-entropy ``-1/n sum_i log p(y_i | x_i)`` of ``log_probs``
    ``[E, n, C]``: ``(accuracy [E], loss [E])``."""
    picked = log_probs.gather(-1, labels.expand(log_probs.shape[0], -1).unsqueeze(-1))[..., 0]
    accuracy = (log_probs.argmax(-1) == labels).to(torch.float64).mean(-1)
    return accuracy.numpy(), (-picked.mean(-1)).numpy()


def evaluate(params, spec: NetworkSpec, x, labels) -> tuple[np.ndarray, np.ndarray]:
    """Test accuracy and softmax cross-entropy of every network: ``(accuracy [N], loss [N])``."""
    acc, loss = [], []
    for logits in member_logits(params, spec, x):
        a, l_ = log_prob_metrics(torch.log_softmax(logits, -1), labels)
        acc.append(a)
        loss.append(l_)
    return np.concatenate(acc), np.concatenate(loss)


def averaging_ks(ks, n: int) -> list[int]:
    """The configured k (numbers of averaged networks) that are <= N, plus N itself."""
    return sorted({int(k) for k in ks if 2 <= int(k) <= n} | ({n} if n >= 2 else set()))


def averaging_table(params, spec: NetworkSpec, x, labels, ks, sort_key: str = "power",
                    p: float | None = None, log=log_default) -> pd.DataFrame:
    """Test accuracy and loss against the number k of combined networks (the first k).

    ``individual_mean``: mean over the k networks of their own accuracy and loss;
    ``ensemble``: prediction averaging (mean of the k softmax outputs);
    ``naive``: the elementwise weight average (sorensen2020 Sec. 5, the SWA-style mean);
    ``nodesort``: NodeSort every network (``sort_key``), then average (the thesis' proposal);
    ``weight_matching``: permute every network onto network 0 by weight matching (Git
    Re-Basin), then average.
    """
    n = n_networks(params)
    ks = averaging_ks(ks, n)
    # one pass over the networks: their own metrics, and the running sum of their softmax
    # outputs (the prediction ensemble) read off at every k
    rows, acc, loss = [], [], []
    prob_sum, seen, i = None, 0, 0
    for logits in member_logits(params, spec, x):
        log_probs = torch.log_softmax(logits, -1)
        a, l_ = log_prob_metrics(log_probs, labels)
        acc.append(a)
        loss.append(l_)
        probs = log_probs.exp()
        for e in range(probs.shape[0]):
            prob_sum = probs[e] if prob_sum is None else prob_sum + probs[e]
            seen += 1
            while i < len(ks) and ks[i] == seen:
                a, l_ = log_prob_metrics(torch.log(prob_sum / seen)[None], labels)
                rows.append({"method": "ensemble", "k": seen, "test_accuracy": a[0],
                             "test_loss": l_[0]})
                i += 1
    acc, loss = np.concatenate(acc), np.concatenate(loss)
    rows += [{"method": "individual_mean", "k": k, "test_accuracy": acc[:k].mean(),
              "test_loss": loss[:k].mean()} for k in ks]
    first = select(params, slice(0, max(ks)))
    reference = member(first, 0)
    in_bases = {"naive": params,
                "nodesort": align(reference, first, "nodesort", key=sort_key, p=p),
                "weight_matching": align(reference, first, "weight_matching")}
    for method in ("naive", "nodesort", "weight_matching"):
        averages = stack([mean(select(in_bases[method], slice(0, k))) for k in ks])
        a, l_ = evaluate(averages, spec, x, labels)
        rows += [{"method": method, "k": k, "test_accuracy": a[j], "test_loss": l_[j]}
                 for j, k in enumerate(ks)]
        log.info("%s averages: accuracy %s at k = %s", method, np.round(a, 4).tolist(), ks)
    frame = pd.DataFrame(rows, columns=["method", "k", "test_accuracy", "test_loss"])
    frame["method"] = pd.Categorical(frame["method"], METHODS, ordered=True)
    return frame.sort_values(["method", "k"]).reset_index(drop=True).astype({"method": str})



# ----- the linear path between two networks ------------------------------------------------
def barrier_table(params, spec: NetworkSpec, x, labels, n_points: int = 21,
                  sort_key: str = "power", p: float | None = None) -> pd.DataFrame:
    """Test loss and accuracy along ``(1 - t) theta_a + t theta_b`` between networks 0 and 1.

    ``naive``: the networks as trained; ``nodesort``: both NodeSorted (``sort_key``) first;
    ``weight_matching``: network 1 permuted onto network 0 first. The end points are the same
    two functions on every path; only the path between them differs.
    """
    pair = select(params, slice(0, 2))
    a = member(pair, 0)
    ends = {method: (member(aligned, 0), member(aligned, 1)) for method, aligned in (
        ("naive", pair),
        ("nodesort", align(a, pair, "nodesort", key=sort_key, p=p)),
        ("weight_matching", align(a, pair, "weight_matching")))}
    ts = np.linspace(0.0, 1.0, n_points)
    rows = []
    for method in PATHS:
        acc, loss = evaluate(interpolate(*ends[method], ts), spec, x, labels)
        rows += [{"method": method, "t": t, "test_loss": l_, "test_accuracy": a_}
                 for t, l_, a_ in zip(ts, loss, acc, strict=True)]
    return pd.DataFrame(rows, columns=["method", "t", "test_loss", "test_accuracy"])



# ----- registered tables --------------------------------------------------------------------
def _test_data(inputs):
    networks, spec, _ = load_networks(inputs["runs"])
    x, labels = load(inputs["dataset"], "test", dtype=torch_dtype(spec.dtype))
    return networks, spec, x, labels


def averaging(params: dict, inputs, log=None) -> pd.DataFrame:
    networks, spec, x, labels = _test_data(inputs)
    frame = averaging_table(networks, spec, x, labels, params["ks"], sort_key=params["sort_key"],
                            p=params["p"], log=log or log_default)
    (log or log_default).info("\n%s", frame.to_string(index=False))
    return frame


def barrier(params: dict, inputs, log=None) -> pd.DataFrame:
    networks, spec, x, labels = _test_data(inputs)
    frame = barrier_table(networks, spec, x, labels, params["n_points"],
                          sort_key=params["sort_key"], p=params["p"])
    (log or log_default).info("\n%s", frame.to_string(index=False))
    return frame


# ----- figures -------------------------------------------------------------------------------
STYLE = {
    "individual_mean": dict(color="0.35", marker="o", label="individual networks (mean)"),
    "ensemble": dict(color="tab:green", marker="s", label="prediction ensemble"),
    "naive": dict(color="tab:red", marker="v", label="naive weight average"),
    "nodesort": dict(color="tab:orange", marker="^", label="NodeSort, then average"),
    "weight_matching": dict(color="tab:blue", marker="D", label="weight matching, then average"),
}


def plot_averaging(frame: pd.DataFrame, sort_key: str):
    """Test accuracy and loss against the number k of combined networks, one line per method."""
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter, NullFormatter

    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    for method in METHODS:
        part = frame[frame["method"] == method].sort_values("k")
        style = dict(STYLE[method])
        if method == "nodesort":
            style["label"] = f"NodeSort ({sort_key} key), then average"
        axes[0].plot(part["k"], 100 * (1 - part["test_accuracy"]), ms=4, **style)
        axes[1].plot(part["k"], part["test_loss"], ms=4, **style)
    axes[0].axhline(90, color="0.6", lw=0.8, ls=":")
    axes[0].text(frame["k"].max(), 75, "chance (90 %)", color="0.4", fontsize=8, ha="right")
    axes[0].set_ylabel("test error (%, log scale; accuracy = 100 - error)")
    axes[1].set_ylabel("test loss (cross-entropy, log scale)")
    plain = FuncFormatter(lambda v, _: f"{v:g}")
    two_five = FuncFormatter(
        lambda v, _: f"{v:g}" if round(v / 10 ** math.floor(math.log10(v))) in (2, 5) else "")
    for ax in axes:
        ax.set_yscale("log")
        ax.yaxis.set_major_formatter(plain)
        ax.yaxis.set_minor_formatter(two_five)
    ks = sorted(frame["k"].unique())
    for ax in axes:
        ax.set_xscale("log")
        ax.set_xticks(ks, [str(k) for k in ks])
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.set_xlabel("k (networks combined: the first k)")
        ax.grid(alpha=0.3, which="both")
    handles, labels = axes[0].get_legend_handles_labels()
    fig.suptitle("sorensen2020 Sec. 5: averaging k trained networks (MNIST test set)")
    fig.tight_layout(rect=(0, 0.1, 1, 1))
    fig.legend(handles, labels, loc="lower center", ncol=3, fontsize=8, frameon=False)
    return fig


def plot_barrier(frame: pd.DataFrame, sort_key: str):
    """Test loss and accuracy along the linear path between networks 0 and 1."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    for method in PATHS:
        part = frame[frame["method"] == method].sort_values("t")
        style = dict(STYLE[method])
        style["label"] = {"naive": "as trained",
                          "nodesort": f"both NodeSorted ({sort_key} key)",
                          "weight_matching": "network 1 weight-matched to network 0"}[method]
        axes[0].plot(part["t"], part["test_loss"], ms=3, **style)
        axes[1].plot(part["t"], 100 * part["test_accuracy"], ms=3, **style)
    axes[0].set_ylabel("test loss (cross-entropy)")
    axes[1].set_ylabel("test accuracy (%)")
    for ax in axes:
        ax.set_xlabel(r"t in $(1-t)\,\theta_0 + t\,\theta_1$")
        ax.grid(alpha=0.3)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.suptitle("sorensen2020: linear path between two trained networks (MNIST test set)")
    fig.tight_layout(rect=(0, 0.07, 1, 1))
    fig.legend(handles, labels, loc="lower center", ncol=3, fontsize=8, frameon=False)
    return fig




def draw_averaging(tables, params):
    return plot_averaging(tables[0], params["sort_key"]), tables[0]


def draw_barrier(tables, params):
    return plot_barrier(tables[0], params["sort_key"]), tables[0]
