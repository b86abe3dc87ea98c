"""sorensen2020: NodeSort distances (Table 1), the sorted points of Fig. 2, weight averaging.

The pipeline: N networks 784-512-10 (ReLU, softmax cross-entropy, Keras-like defaults) are
trained as batched ensembles in chunks of ``networks_per_run`` (:func:`run_requests`, executed
by the generic ``train_run`` rule) and gathered in memory (:func:`load_networks`). Every
network is then written in four bases (:func:`bases`): as trained, NodeSorted with the thesis'
power key (eq. (8)), NodeSorted lexicographically, and permuted onto network 0 by weight
matching (Git Re-Basin). :func:`distance_table` is Table 1; :func:`averaging_table` turns Sec. 5
into a measurement (test accuracy of averaged networks against the individual networks and
their prediction ensemble); :func:`barrier_table` follows the linear path between two networks.

Networks are stacked numpy parameters: a list of ``(W [N, out, in], b [N, out])`` per layer
(PyTorch layout; the thesis writes ``x @ W`` with ``W_1`` 784x512, which is our ``W`` transposed:
distances are the same).
"""

from __future__ import annotations

import logging
import math

import numpy as np
import pandas as pd
import torch

from ..models import EnsembleMLP
from ..runs import read_run
from ..seeding import derive_seeds
from ..spec import NetworkSpec
from ..symmetry import (
    count_identical_pairs,
    nodesort,
    pairwise_distances,
    permute,
    weight_match,
)
from ..training import TrainConfig

PAPER = "sorensen2020"
BASES = ("unsorted", "sorted_power", "sorted_lexicographic", "weight_matched")
METHODS = ("individual_mean", "ensemble", "naive", "nodesort", "weight_matching")
PATHS = ("naive", "nodesort", "weight_matching")
# training-set sizes, to turn epochs into optimizer steps when the rules are parsed
TRAIN_SIZES = {"mnist": 60000, "cifar10": 50000}
INPUT_DIMS = {"mnist": 784, "cifar10": 3072}
# sorensen2020 Sec. 5, Fig. 2
FIG2_POINTS = {"r": (1.4, -3.0, 5.6), "g": (5.0, 1.2, -2.4), "b": (-3.2, 0.9, 6.0)}

log_default = logging.getLogger(__name__)

Stacked = list[tuple[np.ndarray, np.ndarray | None]]


# ----- training requests ----------------------------------------------------------------------
def network_spec(cfg: dict) -> NetworkSpec:
    """784-hidden-10 ReLU network with Keras' default initialization (Glorot-uniform, zero bias)."""
    return NetworkSpec(INPUT_DIMS[cfg["dataset"]], (int(cfg["hidden"]),), 10, activation="relu",
                       init="glorot_uniform", bias_init="zeros", dtype=cfg["dtype"])


def train_steps(cfg: dict) -> int:
    """Optimizer steps of ``cfg['epochs']`` epochs (Keras keeps the last, smaller batch)."""
    steps_per_epoch = math.ceil(TRAIN_SIZES[cfg["dataset"]] / cfg["batch_size"])
    return max(1, round(cfg["epochs"] * steps_per_epoch))


def run_requests(cfg: dict, seed: int) -> dict[str, dict]:
    """The training runs of the N networks: ``{run name: request}`` (mlptheory.experiment).

    Network ``i`` has init seed ``derive_seed(seed, "sorensen2020", "network", i)`` whatever
    the chunk size, so the chunking only decides how many jobs train the same N networks.
    """
    n, per_run = int(cfg["n_networks"]), int(cfg["networks_per_run"])
    seeds = derive_seeds(seed, n, PAPER, "network")
    train = TrainConfig(optimizer="adam", lr=cfg["lr"], eps=1e-7, loss="cross_entropy",
                        batch_size=cfg["batch_size"], max_steps=train_steps(cfg),
                        log_every=500).to_dict()
    data = {"dataset": cfg["dataset"], "split": "train", "targets": "labels"}
    spec = network_spec(cfg).to_dict()
    width = len(str(max(n - 1, 0)))
    return {
        f"networks_{start:0{width}d}-{min(start + per_run, n) - 1:0{width}d}": {
            "spec": spec, "train": train, "seeds": seeds[start:start + per_run], "data": data}
        for start in range(0, n, per_run)
    }


def load_networks(paths) -> tuple[Stacked, NetworkSpec, np.ndarray]:
    """The final weights of every network in the run files, in order: ``(params, spec, seeds)``."""
    chunks, spec, seeds = [], None, []
    for path in paths:
        run = read_run(path)
        if spec is not None and run.spec != spec:
            raise ValueError(f"{path}: network spec {run.spec} differs from the first run's {spec}")
        bad = [s for s in run.status if s != "max_steps"]
        if bad:
            raise ValueError(f"{path}: {len(bad)} network(s) did not finish training "
                             f"(status {sorted(set(bad))}); rerun the run with other seeds")
        spec = run.spec
        chunks.append(run.params())
        seeds.extend(int(s) for s in run.seeds)
    if not chunks:
        raise ValueError("no run files given")
    if len(set(seeds)) != len(seeds):
        raise ValueError("the run files share networks (repeated seeds)")
    params = [(np.concatenate([c[layer][0] for c in chunks]),
               None if chunks[0][layer][1] is None
               else np.concatenate([c[layer][1] for c in chunks]))
              for layer in range(len(chunks[0]))]
    return params, spec, np.asarray(seeds)


# ----- stacked networks ---------------------------------------------------------------------
def n_networks(params: Stacked) -> int:
    return params[0][0].shape[0]


def member(params: Stacked, i: int) -> list:
    return [(w[i], None if b is None else b[i]) for w, b in params]


def select(params: Stacked, idx) -> Stacked:
    return [(w[idx], None if b is None else b[idx]) for w, b in params]


def stack(members) -> Stacked:
    return [(np.stack([m[layer][0] for m in members]),
             None if members[0][layer][1] is None
             else np.stack([m[layer][1] for m in members]))
            for layer in range(len(members[0]))]


def bases(params: Stacked, p: float, log=log_default) -> dict[str, Stacked]:
    """Every network in the four bases of Table 1.

    ``sorted_power``: NodeSort with the thesis key of base ``p`` (sorensen2020 eq. (8),
    Algorithm 1); ``sorted_lexicographic``: NodeSort with the exact lexicographic order;
    ``weight_matched``: each network permuted onto network 0 by weight matching (network 0 is
    its own reference). All four represent the same N functions.
    """
    n = n_networks(params)
    members = [member(params, i) for i in range(n)]
    out = {"unsorted": params}
    for key, name in (("power", "sorted_power"), ("lexicographic", "sorted_lexicographic")):
        out[name] = stack([nodesort(m, key=key, p=p if key == "power" else None)[0]
                           for m in members])
        log.info("NodeSort (%s key) of %d networks done", key, n)
    out["weight_matched"] = stack([members[0]] + [
        permute(m, weight_match(members[0], m)) for m in members[1:]])
    log.info("weight matching of %d networks onto network 0 done", n - 1)
    return out


# ----- Table 1 ------------------------------------------------------------------------------
def distance_stats(vectors: np.ndarray) -> dict:
    """min / max / mean Euclidean distance over all pairs of rows (Gram matrix, no pair loop),
    the number of pairs and the number of bitwise identical pairs (distance exactly 0)."""
    d = pairwise_distances(vectors)
    return {"min": float(d.min()), "max": float(d.max()), "mean": float(d.mean()),
            "n_pairs": int(d.size), "n_zero": count_identical_pairs(vectors)}


def distance_table(in_bases: dict[str, Stacked]) -> pd.DataFrame:
    """sorensen2020 Table 1: distances between the weight matrices ``W_1``, ``W_2`` of all pairs
    of networks (each matrix flattened to a point in R^n), in every basis."""
    rows = []
    for layer in range(len(in_bases["unsorted"])):
        for basis in BASES:
            w = in_bases[basis][layer][0]
            rows.append({"matrix": f"W{layer + 1}", "basis": basis,
                         **distance_stats(w.reshape(w.shape[0], -1))})
    return pd.DataFrame(rows, columns=["matrix", "basis", "min", "max", "mean", "n_pairs",
                                       "n_zero"])


# ----- evaluation ---------------------------------------------------------------------------
def member_logits(params: Stacked, spec: NetworkSpec, x: torch.Tensor, chunk: int = 10):
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


def evaluate(params: Stacked, spec: NetworkSpec, x, labels) -> tuple[np.ndarray, np.ndarray]:
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


def averaging_table(params: Stacked, spec: NetworkSpec, x, labels, ks, sort_key: str = "power",
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
    in_bases = {"naive": params}
    members = [member(params, j) for j in range(max(ks))]
    in_bases["nodesort"] = stack([nodesort(m, key=sort_key, p=p)[0] for m in members])
    in_bases["weight_matching"] = stack([members[0]] + [
        permute(m, weight_match(members[0], m)) for m in members[1:]])
    for method in ("naive", "nodesort", "weight_matching"):
        averages = stack([mean_network(select(in_bases[method], slice(0, k))) for k in ks])
        a, l_ = evaluate(averages, spec, x, labels)
        rows += [{"method": method, "k": k, "test_accuracy": a[j], "test_loss": l_[j]}
                 for j, k in enumerate(ks)]
        log.info("%s averages: accuracy %s at k = %s", method, np.round(a, 4).tolist(), ks)
    frame = pd.DataFrame(rows, columns=["method", "k", "test_accuracy", "test_loss"])
    frame["method"] = pd.Categorical(frame["method"], METHODS, ordered=True)
    return frame.sort_values(["method", "k"]).reset_index(drop=True).astype({"method": str})


def mean_network(params: Stacked) -> list:
    """The elementwise mean of stacked networks (sorensen2020 Sec. 5), in float64."""
    return [(w.mean(0, dtype=np.float64), None if b is None else b.mean(0, dtype=np.float64))
            for w, b in params]


# ----- the linear path between two networks ------------------------------------------------
def interpolate(a: list, b: list, ts) -> Stacked:
    """Networks ``(1 - t) a + t b`` for every ``t`` in ``ts``, stacked."""
    ts = np.asarray(ts, dtype=np.float64)
    out = []
    for (wa, ba), (wb, bb) in zip(a, b, strict=True):
        w = (1 - ts)[:, None, None] * wa[None] + ts[:, None, None] * wb[None]
        bias = None if ba is None else (1 - ts)[:, None] * ba[None] + ts[:, None] * bb[None]
        out.append((w, bias))
    return out


def barrier_table(params: Stacked, spec: NetworkSpec, x, labels, n_points: int = 21,
                  sort_key: str = "power", p: float | None = None) -> pd.DataFrame:
    """Test loss and accuracy along ``(1 - t) theta_a + t theta_b`` between networks 0 and 1.

    ``naive``: the networks as trained; ``nodesort``: both NodeSorted (``sort_key``) first;
    ``weight_matching``: network 1 permuted onto network 0 first. The end points are the same
    two functions on every path; only the path between them differs.
    """
    a, b = member(params, 0), member(params, 1)
    ends = {
        "naive": (a, b),
        "nodesort": (nodesort(a, key=sort_key, p=p)[0], nodesort(b, key=sort_key, p=p)[0]),
        "weight_matching": (a, permute(b, weight_match(a, b))),
    }
    ts = np.linspace(0.0, 1.0, n_points)
    rows = []
    for method in PATHS:
        acc, loss = evaluate(interpolate(*ends[method], ts), spec, x, labels)
        rows += [{"method": method, "t": t, "test_loss": l_, "test_accuracy": a_}
                 for t, l_, a_ in zip(ts, loss, acc, strict=True)]
    return pd.DataFrame(rows, columns=["method", "t", "test_loss", "test_accuracy"])


def fig2_points() -> pd.DataFrame:
    """sorensen2020 Fig. 2: the points r, g, b and the same points with sorted coordinates."""
    rows = []
    for name, point in FIG2_POINTS.items():
        for coordinates, values in (("original", point), ("sorted", sorted(point))):
            rows.append({"point": name, "coordinates": coordinates,
                         "x1": values[0], "x2": values[1], "x3": values[2]})
    return pd.DataFrame(rows)


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


def plot_fig2(frame: pd.DataFrame):
    """sorensen2020 Fig. 2: r, g, b before (left) and after (right) sorting their coordinates."""
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=(10, 4.8))
    lim = 1.1 * max(abs(frame[["x1", "x2", "x3"]].to_numpy()).max(), 1)
    titles = {"original": "original coordinates", "sorted": "coordinates sorted increasingly"}
    for i, coordinates in enumerate(("original", "sorted")):
        ax = fig.add_subplot(1, 2, i + 1, projection="3d")
        for axis in np.eye(3):
            ax.plot(*np.stack([-lim * axis, lim * axis]).T, color="0.6", lw=0.8)
        part = frame[frame["coordinates"] == coordinates]
        for _, row in part.iterrows():
            xyz = row[["x1", "x2", "x3"]].to_numpy(dtype=float)
            label = row["point"] + ("'" if coordinates == "sorted" else "")
            ax.plot(*np.stack([np.zeros(3), xyz]).T, color=row["point"], lw=1, alpha=0.6)
            ax.scatter(*xyz, color=row["point"], s=40, depthshade=False,
                       label=f"{label} = ({xyz[0]:g}, {xyz[1]:g}, {xyz[2]:g})")
            ax.text(*xyz, f" {label}", fontsize=9)
        ax.legend(fontsize=8, loc="upper left")
        ax.view_init(elev=20, azim=-60)
        ax.set(xlim=(-lim, lim), ylim=(-lim, lim), zlim=(-lim, lim), xlabel="x1", ylabel="x2",
               zlabel="x3", title=titles[coordinates])
    fig.suptitle("sorensen2020 Fig. 2: sorting coordinates moves r, g, b into one region")
    fig.tight_layout()
    return fig
