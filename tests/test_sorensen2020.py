"""sorensen2020 paper module: Table 1 vs scipy, averaging vs explicit per-network computation,
the barrier path, the run requests, and the smoke workflow's numeric findings."""

import numpy as np
import pandas as pd
import pytest
import torch
from scipy import stats
from scipy.spatial.distance import pdist, squareform

from mlptheory.data import load
from mlptheory.datasets import DATASETS
from mlptheory.experiment import train_to_file
from mlptheory.models import MLP
from mlptheory.papers.sorensen2020 import averaging, checks, networks, plan, sorted_points, table1
from mlptheory.papers.sorensen2020.claims import jackknife_interval
from mlptheory.params import member, stack
from mlptheory.runs import read_run
from mlptheory.seeding import derive_seeds
from mlptheory.spec import NetworkSpec
from mlptheory.symmetry import nodesort, permute
from mlptheory.train_config import TrainConfig

torch.set_num_threads(1)
SPEC = NetworkSpec(6, (9,), 4, activation="relu", init="glorot_uniform", bias_init="zeros")


def random_stack(n, seed, widths=(6, 9, 4)):
    rng = np.random.default_rng(seed)
    return [(rng.standard_normal((n, o, i)), rng.standard_normal((n, o)))
            for i, o in zip(widths[:-1], widths[1:], strict=True)]


def data(seed=0, n=200):
    rng = np.random.default_rng(seed)
    return torch.as_tensor(rng.standard_normal((n, 6))), torch.as_tensor(rng.integers(0, 4, n))


def explicit_metrics(net, x, labels):
    """Accuracy and cross-entropy of one network, computed on its own (float64)."""
    model = MLP.from_params([(torch.as_tensor(w), torch.as_tensor(b)) for w, b in net],
                            activation="relu")
    with torch.no_grad():
        logits = model(x)
    return ((logits.argmax(1) == labels).double().mean().item(),
            torch.nn.functional.cross_entropy(logits, labels).item())


def permuted_copies(n, seed):
    """n networks that are hidden-unit permutations of one random network."""
    base = member(random_stack(1, seed), 0)
    rng = np.random.default_rng(seed + 1)
    return base, stack([base] + [permute(base, [rng.permutation(9)]) for _ in range(n - 1)])


def test_distance_table_matches_scipy_pdist():
    params = random_stack(7, 0)
    params[0][0][5] = params[0][0][2]  # networks 2 and 5 share W1 (an exact zero distance)
    in_bases = networks.bases(params, p=1.5)
    per_network = table1.distance_table(in_bases)
    assert list(per_network.columns) == ["network", "matrix", "basis", "min", "max", "mean",
                                         "n_zero"]
    assert len(per_network) == 7 * 8
    table = table1.summary(per_network).set_index(["matrix", "basis"])
    assert list(table.columns) == ["min", "max", "mean", "n_pairs", "n_zero"]
    assert len(table) == 8
    for layer, name in enumerate(("W1", "W2")):
        for basis in networks.BASES:
            w = in_bases[basis][layer][0]
            want = pdist(w.reshape(7, -1))
            row = table.loc[(name, basis)]
            np.testing.assert_allclose([row["min"], row["max"], row["mean"]],
                                       [want.min(), want.max(), want.mean()], rtol=1e-10,
                                       atol=1e-7)
            assert row["n_pairs"] == 21
            square = squareform(want)
            mine = per_network[(per_network.matrix == name) & (per_network.basis == basis)]
            np.testing.assert_allclose(mine["mean"], square.sum(1) / 6, rtol=1e-10, atol=1e-7)
    assert table.loc[("W1", "unsorted"), "n_zero"] == 1
    assert table.loc[("W2", "unsorted"), "n_zero"] == 0


def test_jackknife_over_networks_matches_explicit_leave_one_out():
    """The jackknife from per-network means equals the one that recomputes the pairwise mean
    without each network from the full distance matrix."""
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((12, 30)), rng.standard_normal((12, 30)) * 2
    da, db = squareform(pdist(a)), squareform(pdist(b))
    ratio = lambda s, u: s / u  # noqa: E731
    got = jackknife_interval({"s": da.sum(1) / 11, "u": db.sum(1) / 11}, ratio)
    loo = []
    for i in range(12):
        keep = np.delete(np.arange(12), i)
        loo.append(pdist(a[keep]).mean() / pdist(b[keep]).mean())
    value = pdist(a).mean() / pdist(b).mean()
    pseudo = 12 * value - 11 * np.array(loo)
    half = stats.t.ppf(0.975, 11) * pseudo.std(ddof=1) / np.sqrt(12)
    np.testing.assert_allclose(got, [value, pseudo.mean() - half, pseudo.mean() + half],
                               rtol=1e-10)
    assert jackknife_interval({"s": [1.0, 2.0]}, lambda s: s)[1] == -np.inf


def test_bases_represent_the_same_functions():
    params = random_stack(5, 1)
    x, labels = data()
    want = averaging.evaluate(params, SPEC, x, labels)
    for basis, stacked in networks.bases(params, p=1.5).items():
        got = averaging.evaluate(stacked, SPEC, x, labels)
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12, err_msg=basis)


def test_sorting_permuted_copies_gives_one_point():
    _, params = permuted_copies(4, 2)
    table = table1.summary(table1.distance_table(networks.bases(params, p=1.5))).set_index(
        ["matrix", "basis"])
    for basis in ("sorted_power", "sorted_lexicographic", "weight_matched"):
        assert table.loc[("W1", basis), "max"] == 0.0
        assert table.loc[("W1", basis), "n_zero"] == 6
    assert table.loc[("W1", "unsorted"), "min"] > 0


def test_nodesort_checks_on_random_and_permuted_networks():
    params = random_stack(6, 7)
    x, labels = data(4)
    frame = checks.checks_table(params, SPEC, x, labels, p=1.5, permutations=3)
    assert list(frame.columns) == checks.COLUMNS and len(frame) == 6
    assert (frame.invariance_thesis_key == 0).all() and (frame.invariance_nodesort == 0).all()
    assert (frame.power_key_ties == 0).all()
    assert frame.function_change.max() < 1e-12
    # at p = 1e30 the key is the order of the last outgoing weight: reverse lexicographic
    assert (frame.order_agreement_reverse_lexicographic_p_large == 1).all()
    assert frame.order_agreement_lexicographic.mean() < 1
    acc, _ = averaging.evaluate(params, SPEC, x, labels)
    np.testing.assert_allclose(frame.test_accuracy, acc)
    assert np.isnan(frame.sign_agreement_sorted[0])
    assert 0.2 < frame.sign_agreement_sorted[1:].mean() < 0.8
    # permuted copies of one network: NodeSort makes them identical, so all signs agree
    _, copies = permuted_copies(3, 8)
    same = checks.checks_table(copies, SPEC, x, labels, p=1.5, permutations=1)
    assert (same.sign_agreement_sorted[1:] == 1).all()
    assert (same.sign_agreement_unsorted[1:] < 1).all()


def test_thesis_nodesort_with_tied_keys_is_not_permutation_invariant():
    net = member(random_stack(1, 9), 0)
    w2 = net[1][0].copy()
    w2[:, 4] = w2[:, 2]  # units 2 and 4 have the same outgoing weights (a tied key) ...
    net = [net[0], (w2, net[1][1])]
    net[0][0][4] += 1.0  # ... but different incoming weights
    swapped = permute(net, [np.array([0, 1, 4, 3, 2, 5, 6, 7, 8])])
    assert checks.max_difference(checks.thesis_nodesort(swapped, 1.5),
                                 checks.thesis_nodesort(net, 1.5)) > 0
    assert checks.max_difference(nodesort(swapped, key="power", p=1.5)[0],
                                 nodesort(net, key="power", p=1.5)[0]) == 0


def test_disjoint_groups():
    assert averaging.disjoint_groups(20, 2, 10) == [range(2 * g, 2 * g + 2) for g in range(10)]
    assert averaging.disjoint_groups(20, 5, 10) == [range(5 * g, 5 * g + 5) for g in range(4)]
    assert averaging.disjoint_groups(20, 20, 10) == [range(20)]


def test_averaging_table_matches_explicit_computation():
    params = random_stack(6, 3)
    x, labels = data(1)
    ks = [2, 3, 5, 50]
    table = averaging.averaging_table(params, SPEC, x, labels, ks, groups=2, sort_key="power",
                                      p=1.5)
    assert list(table.columns) == ["method", "k", "group", "test_accuracy", "test_loss"]
    table = table.set_index(["method", "k", "group"])
    assert sorted(table.index.get_level_values("k").unique()) == [2, 3, 5, 6]
    members = [member(params, i) for i in range(6)]
    single = np.array([explicit_metrics(m, x, labels) for m in members])
    for k, groups in ((2, 2), (3, 2), (5, 1), (6, 1)):
        assert (table.loc["naive"].index.get_level_values("k") == k).sum() == groups
        for g in range(groups):
            group = members[g * k:(g + 1) * k]
            np.testing.assert_allclose(table.loc[("individual_mean", k, g)],
                                       single[g * k:(g + 1) * k].mean(0), rtol=1e-12)
            probs = []
            for m in group:
                model = MLP.from_params([(torch.as_tensor(w), torch.as_tensor(b)) for w, b in m],
                                        activation="relu")
                with torch.no_grad():
                    probs.append(torch.softmax(model(x), 1))
            mean = torch.stack(probs).mean(0)
            want = [(mean.argmax(1) == labels).double().mean().item(),
                    -torch.log(mean[torch.arange(len(labels)), labels]).mean().item()]
            np.testing.assert_allclose(table.loc[("ensemble", k, g)], want, rtol=1e-12)
            naive = [(np.mean([m[l][0] for m in group], 0),
                      np.mean([m[l][1] for m in group], 0)) for l in range(2)]
            np.testing.assert_allclose(table.loc[("naive", k, g)],
                                       explicit_metrics(naive, x, labels), rtol=1e-12)


def test_permuted_copies_average_back_to_the_network_after_sorting_or_matching():
    base, params = permuted_copies(5, 4)
    x, labels = data(2)
    table = averaging.averaging_table(params, SPEC, x, labels, [2, 5], groups=3,
                                      sort_key="lexicographic")
    table = table.set_index(["method", "k", "group"])
    want = explicit_metrics(base, x, labels)
    for method in ("individual_mean", "ensemble", "nodesort", "weight_matching"):
        np.testing.assert_allclose(table.loc[(method, 5, 0)], want, rtol=1e-12, err_msg=method)
        np.testing.assert_allclose(table.loc[(method, 2, 1)], want, rtol=1e-12, err_msg=method)
    # the naive average of permuted copies is a different function
    assert abs(table.loc[("naive", 5, 0), "test_loss"] - want[1]) > 1e-3


def test_barrier_paths_share_end_points_and_matching_is_flat_for_permuted_copies():
    _, params = permuted_copies(4, 5)
    x, labels = data(3)
    frame = averaging.barrier_table(params, SPEC, x, labels, n_points=5, pairs=5,
                                    sort_key="power", p=1.5)
    assert list(frame.columns) == ["pair", "method", "t", "test_loss", "test_accuracy"]
    assert sorted(frame["pair"].unique()) == [0, 1]  # 4 networks: two disjoint pairs
    for _, pair in frame.groupby("pair"):
        ends = pair[pair["t"].isin([0.0, 1.0])].pivot(index="t", columns="method",
                                                      values="test_loss")
        for method in averaging.PATHS:
            np.testing.assert_allclose(ends[method], ends["naive"], rtol=1e-12)
        for method in ("nodesort", "weight_matching"):  # both undo the permutation exactly
            loss = pair[pair["method"] == method]["test_loss"].to_numpy()
            np.testing.assert_allclose(loss, loss[0], rtol=1e-12)
        naive = pair[pair["method"] == "naive"]["test_loss"].to_numpy()
        assert np.abs(naive - naive[0]).max() > 1e-3  # the naive path leaves the network
    b = averaging.barriers(frame).set_index(["pair", "method"])["barrier"]
    assert b[(0, "weight_matching")] == pytest.approx(0, abs=1e-12)
    naive = frame[(frame.pair == 1) & (frame.method == "naive")].sort_values("t")["test_loss"]
    assert b[(1, "naive")] == pytest.approx(naive.max() - (naive.iloc[0] + naive.iloc[-1]) / 2)


def test_figures_draw_mean_and_interval_over_groups(tmp_path):
    params = random_stack(8, 6)
    x, labels = data(5)
    frame = averaging.averaging_table(params, SPEC, x, labels, [2, 4], groups=4, p=1.5)
    band = averaging.mean_band(frame[frame.method == "naive"], "k", "test_accuracy")
    pairs = frame[(frame.method == "naive") & (frame.k == 2)].test_accuracy
    assert band.set_index("k").loc[2, "mean"] == pytest.approx(pairs.mean())
    assert band.set_index("k").loc[2, "low"] < pairs.mean() < band.set_index("k").loc[2, "high"]
    assert band.set_index("k").loc[8, "low"] == band.set_index("k").loc[8, "mean"]  # one group
    averaging.plot_averaging(frame, "power").savefig(tmp_path / "a.png")
    path = averaging.barrier_table(params, SPEC, x, labels, n_points=3, pairs=4, p=1.5)
    averaging.plot_barrier(path, "power").savefig(tmp_path / "b.png")


def test_run_requests_chunk_the_same_networks():
    cfg = {"dataset": "mnist", "n_networks": 25, "networks_per_run": 10, "hidden": 512,
           "epochs": 5, "batch_size": 32, "lr": 1e-3, "dtype": "float32"}
    requests = plan.run_requests(cfg, seed=7)
    assert list(requests) == ["networks_00-09", "networks_10-19", "networks_20-24"]
    seeds = [s for r in requests.values() for s in r.seeds]
    assert seeds == derive_seeds(7, 25, "sorensen2020", "network")
    one_job = plan.run_requests({**cfg, "networks_per_run": 100}, seed=7)
    assert list(list(one_job.values())[0].seeds) == seeds
    request = requests["networks_00-09"]
    train = request.train
    assert train.max_steps == 5 * 1875  # 60000 / 32 rounded up, times 5 epochs
    assert (train.optimizer, train.lr, train.batch_size, train.loss) == (
        "adam", 1e-3, 32, "cross_entropy")
    spec = request.spec
    assert spec.widths == (784, 512, 10) and spec.init == "glorot_uniform"
    assert spec.bias_init == "zeros" and spec.activation == "relu"
    assert request.data.targets == "labels"


def test_averaging_ks():
    assert averaging.averaging_ks([2, 5, 10, 20, 50, 100, 200, 500, 1000], 20) == [2, 5, 10, 20]
    assert averaging.averaging_ks([2, 5, 10], 1000) == [2, 5, 10, 1000]


def test_load_networks_concatenates_run_files_in_order(tmp_path):
    spec = NetworkSpec(6, (5,), 3, activation="relu", init="glorot_uniform", bias_init="zeros")
    x, y = torch.randn(20, 6, dtype=torch.float64), torch.randint(0, 3, (20,))
    config = TrainConfig(optimizer="adam", loss="cross_entropy", batch_size=4, max_steps=3)
    paths = []
    for name, seeds in (("a", [1, 2]), ("b", [3])):
        paths.append(tmp_path / f"{name}.h5")
        train_to_file(spec, seeds, x, y, config, paths[-1], snapshot_seconds=None)
    params, got_spec, seeds = networks.load_networks(paths)
    assert got_spec == spec and seeds.tolist() == [1, 2, 3]
    w_b = read_run(paths[1]).params()[0][0]
    np.testing.assert_array_equal(params[0][0][2], w_b[0])
    with pytest.raises(ValueError, match="repeated seeds"):
        networks.load_networks([paths[0], paths[0]])


def test_fig2_points_are_the_sorted_coordinates():
    frame = sorted_points.fig2_points().set_index(["point", "coordinates"])
    assert frame.loc[("r", "sorted")].tolist() == [-3.0, 1.4, 5.6]
    assert frame.loc[("g", "sorted")].tolist() == [-2.4, 1.2, 5.0]
    assert frame.loc[("b", "sorted")].tolist() == [-3.2, 0.9, 6.0]
    signs = np.sign(frame.xs("sorted", level="coordinates").to_numpy())
    assert (signs == signs[0]).all()  # one octant after sorting
    assert len({tuple(s) for s in np.sign(frame.xs("original", level="coordinates").to_numpy())}
               ) == 3


def test_smoke_workflow_reproduces_the_thesis_findings(smoke_workflow):
    """Table 1's findings and the averaging contrast hold already on the smoke configuration."""
    workflow_dir = smoke_workflow
    out = workflow_dir / "results" / "sorensen2020"
    x, _ = load(workflow_dir / "results" / "data" / "mnist.h5", "train")
    assert len(x) == DATASETS["mnist"].train_size
    table = pd.read_csv(out / "table1_distances.csv").set_index(["matrix", "basis"])
    for matrix in ("W1", "W2"):
        for basis in networks.BASES[1:]:
            assert table.loc[(matrix, basis), "mean"] <= table.loc[(matrix, "unsorted"), "mean"]
    assert (table["n_zero"] == 0).all() and (table["min"] > 0).all()
    per_network = pd.read_csv(out / "table1_networks.csv")
    assert len(per_network) == 4 * 8 and set(per_network["network"]) == {0, 1, 2, 3}
    checked = pd.read_csv(out / "nodesort_checks.csv")
    assert (checked["invariance_nodesort"] == 0).all() and len(checked) == 4
    avg = pd.read_csv(out / "averaging.csv").set_index(["method", "k", "group"])
    n = avg.index.get_level_values("k").max()
    individual = avg.loc[("individual_mean", n, 0), "test_accuracy"]
    assert avg.loc[("naive", n, 0), "test_accuracy"] < individual - 0.05
    assert avg.loc[("nodesort", n, 0), "test_accuracy"] < individual - 0.05
    assert avg.loc[("weight_matching", n, 0), "test_accuracy"] > individual - 0.02
    assert len(avg.loc[("naive", 2)]) == 2  # two disjoint pairs
    barrier = pd.read_csv(out / "barrier.csv")
    mid = barrier[barrier["t"] == 0.5].groupby("method")["test_loss"].mean()
    assert mid["weight_matching"] < mid["naive"] and mid["weight_matching"] < mid["nodesort"]
    for name in ("fig2_sorted_points", "averaging", "barrier"):
        assert (out / f"{name}.pdf").read_bytes().startswith(b"%PDF")


def test_table1_markdown_lists_settings_and_the_thesis_values_beside_ours():
    params = random_stack(3, 0)
    frame = table1.distance_table(networks.bases(params, 2.0)).assign(
        n_networks=3, epochs=5.0, batch_size=32, optimizer="adam", lr=1e-3, p=2.0)
    text, rows = table1.render([frame], {})
    assert list(rows.columns) == table1.SUMMARY + table1.SETTINGS and len(rows) == 8
    assert "3 networks 784-512-10 (ReLU), adam lr 0.001, batch 32, 5 epochs" in text
    assert "base p = 2" in text
    line = next(x for x in text.splitlines() if "| W1" in x and "sorted_power" in x)
    assert line.rstrip(" |").endswith("81.64965 |     83.78498 |      82.65826")
    lexi = next(x for x in text.splitlines() if "| W2" in x and "sorted_lexicographic" in x)
    assert "nan" not in lexi
