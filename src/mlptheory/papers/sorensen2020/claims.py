"""The claims of sorensen2020 (Sec. 4 Table 1, Sec. 5) that its targets test (see
:mod:`mlptheory.claims`). Thresholds fixed from the thesis' wording before measuring."""

from __future__ import annotations

from ...claims import Claim, Inconclusive

# sorensen2020 Table 1 (1000 networks 784-512-10, TensorFlow/Keras): (min, max, mean) distance,
# "Unsorted" and "Sorted" (NodeSort with the thesis' power key).
THESIS = {("W1", "unsorted"): (82.12292, 83.69969, 82.89585),
          ("W1", "sorted_power"): (81.64965, 83.78498, 82.65826),
          ("W2", "unsorted"): (15.79031, 16.77915, 16.28864),
          ("W2", "sorted_power"): (14.64832, 15.66162, 15.16187)}
TABLE = ("table1_distances",)
# the thesis' printed sorted-order points (Sec. 5, below Fig. 2)
THESIS_SORTED = {"r": (-3.0, 1.4, 5.6), "g": (-2.4, 1.2, 5.0), "b": (-3.2, 0.9, 6.0)}
THESIS_EPOCHS, THESIS_N = 5, 1000


def _row(table, matrix, basis):
    row = table[(table.matrix == matrix) & (table.basis == basis)]
    if row.empty:
        raise Inconclusive(f"Table 1 has no row {matrix}/{basis}")
    return row.iloc[0]


def _no_zero_distance(frames, config):
    t = frames["table1_distances"]
    sorted_rows = t[t.basis == "sorted_power"]
    return float(sorted_rows.n_zero.sum()), (f"pairs at distance 0 after NodeSort, W1 and W2, "
                                             f"over {int(sorted_rows.n_pairs.max())} pairs")


def _sorted_over_unsorted(matrix):
    def measure(frames, config):
        t = frames["table1_distances"]
        s, u = _row(t, matrix, "sorted_power"), _row(t, matrix, "unsorted")
        return s["mean"] / u["mean"], (f"mean {matrix} distance {s['mean']:.4g} sorted / "
                                       f"{u['mean']:.4g} unsorted")
    return measure


def _decrease_small(frames, config):
    t = frames["table1_distances"]
    s, u = _row(t, "W1", "sorted_power"), _row(t, "W1", "unsorted")
    return 1 - s["mean"] / u["mean"], "relative decrease of the mean W1 distance under NodeSort"


def _thesis_w1(frames, config):
    n, epochs = int(config["n_networks"]), float(config["epochs"])
    if (n, epochs) != (THESIS_N, THESIS_EPOCHS):
        raise Inconclusive(f"{n} networks trained {epochs:g} epochs; the printed distances are "
                           f"compared at the paper configuration ({THESIS_N} networks, "
                           f"{THESIS_EPOCHS} epochs -- our choice, the thesis states no training"
                           " length), as distances grow with training")
    u = _row(frames["table1_distances"], "W1", "unsorted")
    thesis = THESIS[("W1", "unsorted")][2]
    return u["mean"] / thesis, f"ours {u['mean']:.4g} / thesis {thesis} (N = {THESIS_N})"


def _same_octant(frames, config):
    import numpy as np

    p = frames["fig2_sorted_points"]
    signs = {tuple(np.sign(r[["x1", "x2", "x3"]].to_numpy(float)))
             for _, r in p[p.coordinates == "sorted"].iterrows()}
    return float(len(signs)), "distinct sign patterns (octants) among the sorted points"


def _thesis_points(frames, config):
    p = frames["fig2_sorted_points"]
    worst = 0.0
    for name, coords in THESIS_SORTED.items():
        ours = p[(p.point == name) & (p.coordinates == "sorted")][["x1", "x2", "x3"]]
        if ours.empty:
            raise Inconclusive(f"no sorted point {name}")
        worst = max(worst, float(abs(ours.to_numpy(float)[0] - coords).max()))
    return worst, "max |ours - thesis| over the coordinates of r', g', b' as printed"


def _at_smallest_k(frame, method):
    g = frame[frame.method == method]
    if g.empty:
        raise Inconclusive(f"no method {method}")
    return g[g.k == g.k.min()].iloc[0]


def _sorted_average_beats_naive(frames, config):
    a = frames["averaging"]
    s, n = _at_smallest_k(a, "nodesort"), _at_smallest_k(a, "naive")
    return s.test_accuracy - n.test_accuracy, (
        f"test accuracy at k = {int(s.k)}: NodeSort-then-average {s.test_accuracy:.4g}, naive "
        f"average {n.test_accuracy:.4g}")


def _ensemble_beats_individual(frames, config):
    a = frames["averaging"]
    e = a[a.method == "ensemble"]
    k = e.k.max()
    i = a[(a.method == "individual_mean") & (a.k == k)]
    ens = float(e[e.k == k].test_accuracy.iloc[0])
    return ens - float(i.test_accuracy.iloc[0]), (
        f"test accuracy at k = {int(k)}: prediction ensemble {ens:.4g}, mean individual "
        f"{float(i.test_accuracy.iloc[0]):.4g}")


def _barrier(frame, method):
    g = frame[frame.method == method].sort_values("t")
    ends = g.test_loss.iloc[[0, -1]].mean()
    return float(g.test_loss.max() - ends)


def _sorted_barrier(frames, config):
    b = frames["barrier"]
    sorted_, naive = _barrier(b, "nodesort"), _barrier(b, "naive")
    return sorted_ / naive, (f"loss barrier (max along the path minus the mean of the ends): "
                             f"NodeSort {sorted_:.4g} / naive {naive:.4g}")


CLAIMS = [
    Claim("T1-no-zero", "Among the trained networks none has distance 0 to another after "
          "sorting nodes", "Sec. 4, Table 1 text", "pairs at distance 0 after NodeSort",
          "<= 0", TABLE, _no_zero_distance),
    Claim("T1-W1-decrease", "Sorting nodes decreases the distances between networks (W1)",
          "Sec. 4, Table 1", "mean W1 distance, sorted / unsorted", "< 1", TABLE,
          _sorted_over_unsorted("W1")),
    Claim("T1-W2-decrease", "Sorting nodes decreases the distances between networks (W2)",
          "Sec. 4, Table 1", "mean W2 distance, sorted / unsorted", "< 1", TABLE,
          _sorted_over_unsorted("W2")),
    Claim("T1-not-substantial", "The decrease is not particularly substantial",
          "Sec. 4, Table 1 text", "relative decrease of the mean W1 distance", "< 0.05", TABLE,
          _decrease_small),
    Claim("T1-thesis-W1", "Table 1 prints a mean unsorted W1 distance of 82.90 (for comparison)",
          "Sec. 4, Table 1", "our mean unsorted W1 distance / the thesis'", "in [0.9, 1.1]",
          TABLE, _thesis_w1),
    Claim("F2-octant", "The sorted-order points all lie in the same octant",
          "Sec. 5, Fig. 2", "distinct sign patterns among the sorted r, g, b", "<= 1",
          ("fig2_sorted_points",), _same_octant),
    Claim("F2-printed", "Sorting r, g, b gives the printed points r', g', b'",
          "Sec. 5, Fig. 2", "max coordinate difference to the printed points", "<= 1e-12",
          ("fig2_sorted_points",), _thesis_points),
    Claim("S5-sorted-average", "Averaging in the sorted basis gives a more meaningful average "
          "than the elementwise mean", "Sec. 5 (the proposal)", "test accuracy, NodeSort-then-"
          "average minus naive average, k = 2", "> 0", ("averaging",),
          _sorted_average_beats_naive),
    Claim("S5-sorted-barrier", "Sorted-order points lie in one symmetry region, so the path "
          "between them is more meaningful", "Sec. 5", "loss barrier on the linear path, "
          "NodeSort / naive", "< 1", ("barrier",), _sorted_barrier),
    Claim("S5-ensemble", "Ensembling independently trained networks improves performance",
          "Sec. 5 (well-established fact)", "test accuracy, prediction ensemble minus mean "
          "individual, largest k", "> 0", ("averaging",), _ensemble_beats_individual),
]
