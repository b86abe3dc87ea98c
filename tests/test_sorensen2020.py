"""sorensen2020 paper module: Table 1 vs scipy, averaging vs explicit per-network computation,
the barrier path, the run requests, and the smoke workflow's numeric findings."""

import numpy as np
import pandas as pd
import pytest
import torch
from scipy.spatial.distance import pdist

from mlptheory.data import load
from mlptheory.datasets import DATASETS
from mlptheory.models import MLP
from mlptheory.papers.sorensen2020 import averaging, networks, plan, sorted_points, table1
from mlptheory.params import member, stack
from mlptheory.runs import read_run, train_to_file
from mlptheory.seeding import derive_seeds
from mlptheory.spec import NetworkSpec
from mlptheory.symmetry import permute
from mlptheory.training import TrainConfig

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
    table = table1.distance_table(in_bases).set_index(["matrix", "basis"])
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
    assert table.loc[("W1", "unsorted"), "n_zero"] == 1
    assert table.loc[("W2", "unsorted"), "n_zero"] == 0


def test_bases_represent_the_same_functions():
    params = random_stack(5, 1)
    x, labels = data()
    want = averaging.evaluate(params, SPEC, x, labels)
    for basis, stacked in networks.bases(params, p=1.5).items():
        got = averaging.evaluate(stacked, SPEC, x, labels)
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12, err_msg=basis)


def test_sorting_permuted_copies_gives_one_point():
    _, params = permuted_copies(4, 2)
    table = table1.distance_table(networks.bases(params, p=1.5)).set_index(["matrix", "basis"])
    for basis in ("sorted_power", "sorted_lexicographic", "weight_matched"):
        assert table.loc[("W1", basis), "max"] == 0.0
        assert table.loc[("W1", basis), "n_zero"] == 6
    assert table.loc[("W1", "unsorted"), "min"] > 0


def test_averaging_table_matches_explicit_computation():
    params = random_stack(6, 3)
    x, labels = data(1)
    ks = [2, 3, 5, 50]
    table = averaging.averaging_table(params, SPEC, x, labels, ks, sort_key="power", p=1.5)
    table = table.set_index(["method", "k"])
    assert sorted(table.index.get_level_values("k").unique()) == [2, 3, 5, 6]
    members = [member(params, i) for i in range(6)]
    single = np.array([explicit_metrics(m, x, labels) for m in members])
    for k in (2, 3, 5, 6):
        np.testing.assert_allclose(table.loc[("individual_mean", k)], single[:k].mean(0),
                                   rtol=1e-12)
        probs = []
        for m in members[:k]:
            model = MLP.from_params([(torch.as_tensor(w), torch.as_tensor(b)) for w, b in m],
                                    activation="relu")
            with torch.no_grad():
                probs.append(torch.softmax(model(x), 1))
        mean = torch.stack(probs).mean(0)
        want = [(mean.argmax(1) == labels).double().mean().item(),
                -torch.log(mean[torch.arange(len(labels)), labels]).mean().item()]
        np.testing.assert_allclose(table.loc[("ensemble", k)], want, rtol=1e-12)
        naive = [(np.mean([m[l][0] for m in members[:k]], 0),
                  np.mean([m[l][1] for m in members[:k]], 0)) for l in range(2)]
        np.testing.assert_allclose(table.loc[("naive", k)], explicit_metrics(naive, x, labels),
                                   rtol=1e-12)


def test_permuted_copies_average_back_to_the_network_after_sorting_or_matching():
    base, params = permuted_copies(5, 4)
    x, labels = data(2)
    table = averaging.averaging_table(params, SPEC, x, labels, [2, 5], sort_key="lexicographic")
    table = table.set_index(["method", "k"])
    want = explicit_metrics(base, x, labels)
    for method in ("individual_mean", "ensemble", "nodesort", "weight_matching"):
        np.testing.assert_allclose(table.loc[(method, 5)], want, rtol=1e-12, err_msg=method)
    # the naive average of permuted copies is a different function
    assert abs(table.loc[("naive", 5), "test_loss"] - want[1]) > 1e-3


def test_barrier_paths_share_end_points_and_matching_is_flat_for_permuted_copies():
    _, params = permuted_copies(2, 5)
    x, labels = data(3)
    frame = averaging.barrier_table(params, SPEC, x, labels, n_points=5, sort_key="power", p=1.5)
    assert list(frame.columns) == ["method", "t", "test_loss", "test_accuracy"]
    ends = frame[frame["t"].isin([0.0, 1.0])].pivot(index="t", columns="method",
                                                      values="test_loss")
    for method in averaging.PATHS:
        np.testing.assert_allclose(ends[method], ends["naive"], rtol=1e-12)
    for method in ("nodesort", "weight_matching"):  # both undo the permutation exactly
        loss = frame[frame["method"] == method]["test_loss"].to_numpy()
        np.testing.assert_allclose(loss, loss[0], rtol=1e-12)
    naive = frame[frame["method"] == "naive"]["test_loss"].to_numpy()
    assert np.abs(naive - naive[0]).max() > 1e-3  # the naive path leaves the network


def test_run_requests_chunk_the_same_networks():
    cfg = {"dataset": "mnist", "n_networks": 25, "networks_per_run": 10, "hidden": 512,
           "epochs": 5, "batch_size": 32, "lr": 1e-3, "dtype": "float32"}
    requests = plan.run_requests(cfg, seed=7)
    assert list(requests) == ["networks_00-09", "networks_10-19", "networks_20-24"]
    seeds = [s for r in requests.values() for s in r["seeds"]]
    assert seeds == derive_seeds(7, 25, "sorensen2020", "network")
    one_job = plan.run_requests({**cfg, "networks_per_run": 100}, seed=7)
    assert list(one_job.values())[0]["seeds"] == seeds
    request = requests["networks_00-09"]
    train = TrainConfig.from_dict(request["train"])
    assert train.max_steps == 5 * 1875  # 60000 / 32 rounded up, times 5 epochs
    assert (train.optimizer, train.lr, train.batch_size, train.loss) == (
        "adam", 1e-3, 32, "cross_entropy")
    spec = NetworkSpec.from_dict(request["spec"])
    assert spec.widths == (784, 512, 10) and spec.init == "glorot_uniform"
    assert spec.bias_init == "zeros" and spec.activation == "relu"
    assert request["data"]["targets"] == "labels"


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
    avg = pd.read_csv(out / "averaging.csv").set_index(["method", "k"])
    n = avg.index.get_level_values("k").max()
    individual = avg.loc[("individual_mean", n), "test_accuracy"]
    assert avg.loc[("naive", n), "test_accuracy"] < individual - 0.05
    assert avg.loc[("nodesort", n), "test_accuracy"] < individual - 0.05
    assert avg.loc[("weight_matching", n), "test_accuracy"] > individual - 0.02
    barrier = pd.read_csv(out / "barrier.csv")
    mid = barrier[barrier["t"] == 0.5].set_index("method")["test_loss"]
    assert mid["weight_matching"] < mid["naive"] and mid["weight_matching"] < mid["nodesort"]
    for name in ("fig2_sorted_points", "averaging", "barrier"):
        assert (out / f"{name}.pdf").read_bytes().startswith(b"%PDF")


def test_table1_markdown_lists_settings_and_the_thesis_values_beside_ours():
    params = random_stack(3, 0)
    frame = table1.distance_table(networks.bases(params, 2.0)).assign(
        n_networks=3, epochs=5.0, batch_size=32, optimizer="adam", lr=1e-3, p=2.0)
    text, rows = table1.render([frame], {})
    assert rows is frame
    assert "3 networks 784-512-10 (ReLU), adam lr 0.001, batch 32, 5 epochs" in text
    assert "base p = 2" in text
    line = next(x for x in text.splitlines() if "| W1" in x and "sorted_power" in x)
    assert line.rstrip(" |").endswith("81.64965 |     83.78498 |      82.65826")
    lexi = next(x for x in text.splitlines() if "| W2" in x and "sorted_lexicographic" in x)
    assert "nan" not in lexi
