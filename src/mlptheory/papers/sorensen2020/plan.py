"""sorensen2020 planning: the config block -> training runs and the registry of tables/figures.

Imports no torch, scipy, pandas or matplotlib. What each table holds: :mod:`.table1`
(Table 1, NodeSort distances per network), :mod:`.checks` (Secs. 3.1-3.2 and the octant
statement on the trained networks), :mod:`.averaging` (Sec. 5 weight averaging and the linear-path
barrier), :mod:`.sorted_points` (Fig. 2).
"""

from __future__ import annotations

import math

from ...datasets import dataset_info
from ...registry import Plan, Registry, dataset_file, run_file
from ...run_request import DataRequest, RunRequest
from ...seeding import derive_seeds
from ...spec import NetworkSpec
from ...train_config import TrainConfig

PAPER = "sorensen2020"
PKG = "mlptheory.papers.sorensen2020"
PERMUTATIONS = 2  # random hidden-unit permutations per network in the NodeSort invariance check


def network_spec(cfg: dict) -> NetworkSpec:
    """784-hidden-10 ReLU network with Keras' default initialization (Glorot-uniform, zero bias)."""
    info = dataset_info(cfg["dataset"])
    return NetworkSpec(info.input_dim, (int(cfg["hidden"]),), info.n_classes, activation="relu",
                       init="glorot_uniform", bias_init="zeros", dtype=cfg["dtype"])


def train_steps(cfg: dict) -> int:
    """Optimizer steps of ``cfg['epochs']`` epochs (Keras keeps the last, smaller batch)."""
    steps_per_epoch = math.ceil(dataset_info(cfg["dataset"]).train_size / cfg["batch_size"])
    return max(1, round(cfg["epochs"] * steps_per_epoch))


def run_requests(cfg: dict, seed: int) -> dict[str, RunRequest]:
    """The training runs of the N networks: ``{run name: request}`` (mlptheory.experiment).

    Network ``i`` has init seed ``derive_seed(seed, "sorensen2020", "network", i)`` whatever
    the chunk size, so the chunking only decides how many jobs train the same N networks.
    """
    n, per_run = int(cfg["n_networks"]), int(cfg["networks_per_run"])
    seeds = derive_seeds(seed, n, PAPER, "network")
    train = TrainConfig(optimizer="adam", lr=cfg["lr"], eps=1e-7, loss="cross_entropy",
                        batch_size=cfg["batch_size"], max_steps=train_steps(cfg), log_every=500)
    data = DataRequest(cfg["dataset"], split="train", targets="labels")
    spec = network_spec(cfg)
    width = len(str(max(n - 1, 0)))
    return {
        f"networks_{start:0{width}d}-{min(start + per_run, n) - 1:0{width}d}": RunRequest(
            spec, train, seeds[start:start + per_run], data)
        for start in range(0, n, per_run)
    }


def plan(config: dict) -> Plan:
    """Runs and registry of sorensen2020 from the whole (validated) config."""
    cfg = config[PAPER]
    runs = run_requests(cfg, int(config["seed"]))
    run_files = [run_file(PAPER, name) for name in runs]
    dataset = dataset_file(cfg["dataset"])
    big = {"mem_mb": int(cfg["mem_mb"]), "runtime_min": int(cfg["runtime_min"])}
    sort = {"sort_key": cfg["sort_key"], "p": float(cfg["power_base"])}
    reg = Registry(PAPER)
    reg.table("distances", f"{PKG}.table1:table",
              cost=f"{PKG}.work:distances", settings={"p": float(cfg["power_base"])},
              inputs={"runs": run_files}, **big)
    reg.paper_table("table1_distances", f"{PKG}.table1:render", ["distances"])
    reg.figure("table1_networks", f"{PKG}.table1:draw_networks", ["distances"])
    reg.table("nodesort_checks", f"{PKG}.checks:table", cost=f"{PKG}.work:nodesort_checks",
              settings={"p": float(cfg["power_base"]), "permutations": PERMUTATIONS},
              inputs={"runs": run_files, "dataset": dataset}, **big)
    reg.figure("nodesort_checks", f"{PKG}.checks:draw", ["nodesort_checks"])
    reg.table("sorted_points", f"{PKG}.sorted_points:table",
              cost=f"{PKG}.work:sorted_points", mem_mb=1000, runtime_min=10)
    reg.figure("fig2_sorted_points", f"{PKG}.sorted_points:draw", ["sorted_points"])
    reg.table("averaging", f"{PKG}.averaging:averaging", cost=f"{PKG}.work:averaging",
              settings={"ks": [int(k) for k in cfg["averaging_k"]], "groups": int(cfg["groups"]),
                      **sort},
              inputs={"runs": run_files, "dataset": dataset}, **big)
    reg.figure("averaging", f"{PKG}.averaging:draw_averaging", ["averaging"],
               settings={"sort_key": cfg["sort_key"]})
    reg.table("barrier", f"{PKG}.averaging:barrier", cost=f"{PKG}.work:barrier",
              settings={"n_points": int(cfg["barrier_points"]), "groups": int(cfg["groups"]),
                      **sort},
              inputs={"runs": run_files, "dataset": dataset}, mem_mb=4000, runtime_min=30)
    reg.figure("barrier", f"{PKG}.averaging:draw_barrier", ["barrier"],
               settings={"sort_key": cfg["sort_key"]})
    return Plan(runs, reg)
