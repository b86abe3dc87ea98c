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


def disjoint_groups(n: int, k: int, groups: int) -> list[range]:
    """The first ``min(groups, N // k)`` disjoint blocks of ``k`` consecutive networks: networks
    ``g k .. g k + k - 1`` form group ``g``, so no network is in two groups of one k and the
    groups are independent replicates."""
    return [range(g * k, (g + 1) * k) for g in range(min(int(groups), n // k))]


def averaging_table(params, spec: NetworkSpec, x, labels, ks, groups: int = 1,
                    sort_key: str = "power", p: float | None = None,
                    log=log_default) -> pd.DataFrame:
    """Test accuracy and loss of groups of k combined networks, for every k and group.

    For each k the groups are disjoint blocks of k networks (:func:`disjoint_groups`, at most
    ``groups`` of them). ``individual_mean``: mean over the group of the networks' own accuracy
    and loss; ``ensemble``: prediction averaging (mean of the k softmax outputs); ``naive``: the
    elementwise weight average (sorensen2020 Sec. 5, the SWA-style mean); ``nodesort``:
    NodeSort every network (``sort_key``), then average (the thesis' proposal);
    ``weight_matching``: permute every network of the group onto its first network by weight
    matching (Git Re-Basin), then average.
    """
    n = n_networks(params)
    ks = averaging_ks(ks, n)
    plan = {k: disjoint_groups(n, k, groups) for k in ks}
    used = max(g.stop for gs in plan.values() for g in gs)
    params = select(params, slice(0, used))
    probs, acc, loss = [], [], []
    for logits in member_logits(params, spec, x):
        log_probs = torch.log_softmax(logits, -1)
        a, l_ = log_prob_metrics(log_probs, labels)
        acc.append(a)
        loss.append(l_)
        probs.append(log_probs.exp())
    probs, acc, loss = torch.cat(probs), np.concatenate(acc), np.concatenate(loss)
    sorted_ = align(member(params, 0), params, "nodesort", key=sort_key, p=p)
    rows, averages, labels_of = [], {m: [] for m in ("naive", "nodesort", "weight_matching")}, []
    for k, gs in plan.items():
        for g, members in enumerate(gs):
            idx = slice(members.start, members.stop)
            rows.append({"method": "individual_mean", "k": k, "group": g,
                         "test_accuracy": acc[idx].mean(), "test_loss": loss[idx].mean()})
            a, l_ = log_prob_metrics(torch.log(probs[idx].mean(0))[None], labels)
            rows.append({"method": "ensemble", "k": k, "group": g, "test_accuracy": a[0],
                         "test_loss": l_[0]})
            group = select(params, idx)
            averages["naive"].append(mean(group))
            averages["nodesort"].append(mean(select(sorted_, idx)))
            averages["weight_matching"].append(
                mean(align(member(group, 0), group, "weight_matching")))
            labels_of.append((k, g))
    for method, nets in averages.items():
        a, l_ = evaluate(stack(nets), spec, x, labels)
        rows += [{"method": method, "k": k, "group": g, "test_accuracy": a[j],
                  "test_loss": l_[j]} for j, (k, g) in enumerate(labels_of)]
        log.info("%s averages: accuracy %s at (k, group) = %s", method,
                 np.round(a, 4).tolist(), labels_of)
    frame = pd.DataFrame(rows, columns=["method", "k", "group", "test_accuracy", "test_loss"])
    frame["method"] = pd.Categorical(frame["method"], METHODS, ordered=True)
    return (frame.sort_values(["method", "k", "group"]).reset_index(drop=True)
            .astype({"method": str}))


# ----- the linear path between two networks ------------------------------------------------
def barrier_table(params, spec: NetworkSpec, x, labels, n_points: int = 21, pairs: int = 1,
                  sort_key: str = "power", p: float | None = None) -> pd.DataFrame:
    """Test loss and accuracy along ``(1 - t) theta_a + t theta_b`` for disjoint pairs of
    networks (``2 i``, ``2 i + 1``; at most ``pairs`` of them).

    ``naive``: the networks as trained; ``nodesort``: both NodeSorted (``sort_key``) first;
    ``weight_matching``: network ``b`` permuted onto network ``a`` first. The end points are the
    same two functions on every path; only the path between them differs.
    """
    ts = np.linspace(0.0, 1.0, n_points)
    rows = []
    for i, members in enumerate(disjoint_groups(n_networks(params), 2, pairs)):
        pair = select(params, slice(members.start, members.stop))
        a = member(pair, 0)
        ends = {method: (member(aligned, 0), member(aligned, 1)) for method, aligned in (
            ("naive", pair),
            ("nodesort", align(a, pair, "nodesort", key=sort_key, p=p)),
            ("weight_matching", align(a, pair, "weight_matching")))}
        for method in PATHS:
            acc, loss = evaluate(interpolate(*ends[method], ts), spec, x, labels)
            rows += [{"pair": i, "method": method, "t": t, "test_loss": l_, "test_accuracy": a_}
                     for t, l_, a_ in zip(ts, loss, acc, strict=True)]
    return pd.DataFrame(rows, columns=["pair", "method", "t", "test_loss", "test_accuracy"])


def barriers(frame: pd.DataFrame) -> pd.DataFrame:
    """The loss barrier of every pair and path: max loss along the path minus the mean of the
    end points' losses (columns ``pair``, ``method``, ``barrier``)."""
    rows = []
    for (pair, method), g in frame.groupby(["pair", "method"], sort=True):
        loss = g.sort_values("t")["test_loss"].to_numpy()
        rows.append({"pair": pair, "method": method,
                     "barrier": float(loss.max() - (loss[0] + loss[-1]) / 2)})
    return pd.DataFrame(rows, columns=["pair", "method", "barrier"])



# ----- registered tables --------------------------------------------------------------------
def _test_data(inputs):
    networks, spec, _ = load_networks(inputs["runs"])
    x, labels = load(inputs["dataset"], "test", dtype=torch_dtype(spec.dtype))
    return networks, spec, x, labels


def averaging(settings: dict, inputs, log=None) -> pd.DataFrame:
    networks, spec, x, labels = _test_data(inputs)
    frame = averaging_table(networks, spec, x, labels, settings["ks"], groups=settings["groups"],
                            sort_key=settings["sort_key"], p=settings["p"], log=log or log_default)
    (log or log_default).info("\n%s", frame.to_string(index=False))
    return frame


def barrier(settings: dict, inputs, log=None) -> pd.DataFrame:
    networks, spec, x, labels = _test_data(inputs)
    frame = barrier_table(networks, spec, x, labels, settings["n_points"], pairs=settings["groups"],
                          sort_key=settings["sort_key"], p=settings["p"])
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


def mean_band(frame: pd.DataFrame, by: str, value: str) -> pd.DataFrame:
    """Per value of ``by``: the mean of ``value`` over the groups (pairs) and its 95% Student-t
    interval (``low``/``high``; the mean itself where there is a single group)."""
    from ...claims import mean_interval

    rows = []
    for x, g in frame.groupby(by, sort=True):
        m, low, high = mean_interval(g[value].to_numpy(float))
        finite = np.isfinite(low) and np.isfinite(high)
        rows.append({by: x, "mean": m, "low": low if finite else m,
                     "high": high if finite else m, "n": len(g)})
    return pd.DataFrame(rows)


def plot_averaging(frame: pd.DataFrame, sort_key: str):
    """Test error and loss against the number k of combined networks, one line per method:
    the mean over the disjoint groups of k networks with its 95% interval (bars; none where a k
    has one group)."""
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter, NullFormatter

    frame = frame.assign(test_error=100 * (1 - frame["test_accuracy"]))
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    for method in METHODS:
        part = frame[frame["method"] == method]
        style = dict(STYLE[method])
        if method == "nodesort":
            style["label"] = f"NodeSort ({sort_key} key), then average"
        for ax, value in zip(axes, ("test_error", "test_loss"), strict=True):
            band = mean_band(part, "k", value)
            ax.errorbar(band["k"], band["mean"], yerr=[band["mean"] - band["low"],
                                                         band["high"] - band["mean"]],
                        ms=4, capsize=2, **style)
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
    groups = frame[frame["method"] == "naive"].groupby("k")["group"].nunique()
    for ax in axes:
        ax.set_xscale("log")
        ax.set_xticks(ks, [f"{k}\n({groups.get(k, 0)})" for k in ks])
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.set_xlabel("k networks combined (disjoint groups of k); mean and 95% interval")
        ax.grid(alpha=0.3, which="both")
    handles, labels = axes[0].get_legend_handles_labels()
    fig.suptitle("sorensen2020 Sec. 5: averaging k trained networks (MNIST test set)")
    fig.tight_layout(rect=(0, 0.1, 1, 1))
    fig.legend(handles, labels, loc="lower center", ncol=3, fontsize=8, frameon=False)
    return fig


def plot_barrier(frame: pd.DataFrame, sort_key: str):
    """Test loss and accuracy along the linear path between two networks: the mean over the
    disjoint pairs with its 95% interval (band)."""
    import matplotlib.pyplot as plt

    n_pairs = frame["pair"].nunique()
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    for method in PATHS:
        part = frame[frame["method"] == method]
        style = dict(STYLE[method])
        style["label"] = {"naive": "as trained",
                          "nodesort": f"both NodeSorted ({sort_key} key)",
                          "weight_matching": "second network weight-matched to the first"}[method]
        for ax, value, scale in zip(axes, ("test_loss", "test_accuracy"), (1, 100), strict=True):
            band = mean_band(part, "t", value)
            ax.plot(band["t"], scale * band["mean"], ms=3, **style)
            ax.fill_between(band["t"], scale * band["low"], scale * band["high"],
                            color=style["color"], alpha=0.2, lw=0)
    axes[0].set_ylabel("test loss (cross-entropy)")
    axes[1].set_ylabel("test accuracy (%)")
    for ax in axes:
        ax.set_xlabel(r"t in $(1-t)\,\theta_a + t\,\theta_b$")
        ax.grid(alpha=0.3)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.suptitle(f"sorensen2020: linear path between two trained networks (MNIST test set)\n"
                 f"mean and 95% interval over {n_pairs} disjoint pairs", fontsize=11)
    fig.tight_layout(rect=(0, 0.07, 1, 1))
    fig.legend(handles, labels, loc="lower center", ncol=3, fontsize=8, frameon=False)
    return fig


def draw_averaging(tables, settings):
    return plot_averaging(tables[0], settings["sort_key"]), tables[0]


def draw_barrier(tables, settings):
    return plot_barrier(tables[0], settings["sort_key"]), tables[0]
