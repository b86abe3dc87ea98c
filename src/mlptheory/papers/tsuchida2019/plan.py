"""tsuchida2019 planning: the config block -> training runs and the registry of tables/figures.

Imports no torch, scipy, pandas or matplotlib (Snakemake parses this on every start and, on a
cluster, in every job). What each table and figure holds is documented in the module that
computes it: :mod:`.random_kernels` (Fig. 2), :mod:`.trained_kernels` (Figs. 3, 4: the
autoencoder runs, their layer-wise kernels and reconstructions), :mod:`.optimizer_sweep`
(Fig. 5).

Training: one ensemble per optimizer family (``adam``, ``sgd``, ``rmsprop``, ``nadam``), one
member per value of its sweep (eps, or the SGD learning rate) and replicate via the per-member
hyperparameters of :class:`~mlptheory.train_config.TrainConfig`. ``training.seeds`` replicates
(the paper trains one network per setting) are independent networks: replicate ``r`` has its own
initialization and its own minibatch order (``data_order="per_member"``, the order seed derived
from the init seed). Within a replicate every member of every family starts from the same
initialization and sees the same minibatches (common random numbers), so the members of one
replicate differ only in the optimizer. Members are laid out setting-major: member
``i * seeds + r`` is setting ``i``, replicate ``r``.
"""

from __future__ import annotations

from ...datasets import dataset_info
from ...registry import Plan, Registry, dataset_file, run_file
from ...run_request import DataRequest, RunRequest
from ...seeding import derive_seed
from ...spec import NetworkSpec
from ...train_config import TrainConfig

PAPER = "tsuchida2019"
PKG = "mlptheory.papers.tsuchida2019"
FAMILIES = ("adam", "sgd", "rmsprop", "nadam")
# the hyperparameter each family sweeps: SGD its learning rate, the adaptive ones eps
SWEPT = {"adam": "eps", "sgd": "lr", "rmsprop": "eps", "nadam": "eps"}
INPUTS = ("zero_sum", "nonzero_sum")
SHOWN = ("adam", "sgd")  # the families in the rows of Figs. 3, 4


def run_name(family: str) -> str:
    return f"autoencoder_{family}"


def network_spec(cfg: dict, dataset: str) -> NetworkSpec:
    """The bias-free ReLU autoencoder: ``depth`` weight layers of width = input size (so a data
    point can be fed to any layer), He initialization ``N(0, 2/n_in)``; the last layer is the
    linear reconstruction."""
    d = dataset_info(dataset).input_dim
    depth = int(cfg["depth"])
    return NetworkSpec(d, (d,) * (depth - 1), d, activation="relu", bias=False, init="he",
                       dtype=cfg["dtype"])


def replicate_seeds(base_seed: int, seeds: int) -> list[int]:
    """The init seed of each replicate (replicate 0 keeps the single-network seed)."""
    first = derive_seed(base_seed, PAPER, "autoencoder_init")
    return [first] + [derive_seed(base_seed, PAPER, "autoencoder_init", r)
                      for r in range(1, int(seeds))]


def members(family: str, sweep: dict) -> list[dict]:
    """One ``{"optimizer", "lr", "eps"}`` per setting of a family's sweep (in config order)."""
    if family == "sgd":
        return [{"optimizer": "sgd", "lr": float(lr), "eps": 0.0} for lr in sweep["lr"]]
    return [{"optimizer": family, "lr": float(sweep["lr"]), "eps": float(eps)}
            for eps in sweep["eps"]]


def training_requests(cfg: dict, dataset: str, base_seed: int) -> dict[str, RunRequest]:
    """Run name -> run request of each optimizer family's ensemble (module docstring); the loss
    is ``mse_per_output``, ``1/(2Sk) sum ||f(x) - x||^2`` over ``k`` pixels (the paper's l2
    objective per pixel: with a sum over pixels SGD at the paper's step sizes diverges)."""
    train = cfg["training"]
    spec = network_spec(train, dataset)
    data = DataRequest(dataset, split="train", n=train["n_train"],
                       seed=derive_seed(base_seed, PAPER, "train_subset"),
                       targets="reconstruction")
    init_seeds = replicate_seeds(base_seed, train.get("seeds", 1))
    n_rep = len(init_seeds)
    requests = {}
    for family in FAMILIES:
        sweep = members(family, cfg["optimizers"][family])
        if not sweep:
            continue  # an empty sweep (an optional row of Fig. 5) trains nothing
        common = dict(optimizer=family, loss="mse_per_output", max_steps=int(train["max_steps"]),
                      batch_size=int(train["batch_size"]), drop_last=True,
                      data_order="per_member",
                      checkpoint_steps=tuple(int(s) for s in train["checkpoints"]),
                      log_every=int(train["log_every"]), betas=(0.9, 0.999))
        expanded = [m for m in sweep for _ in range(n_rep)]  # setting-major (module docstring)
        if family == "sgd":
            config = TrainConfig(lr=sweep[0]["lr"], member_lr=[m["lr"] for m in expanded],
                                 **common)
        else:
            config = TrainConfig(lr=sweep[0]["lr"], eps=sweep[0]["eps"],
                                 member_eps=[m["eps"] for m in expanded], **common)
        requests[run_name(family)] = RunRequest(spec, config, init_seeds * len(sweep),
                                                data)
    return requests


def figure_rows(cfg: dict) -> list[dict]:
    """The rows of Figs. 3 and 4: ``{"optimizer", "lr", "eps"}`` of each chosen member; a value
    missing from its sweep is an error naming the key."""
    rows = []
    for key, family in (("adam_eps", "adam"), ("sgd_lr", "sgd")):
        if not cfg["figure_rows"][key]:
            continue
        swept = SWEPT[family]
        available = {m[swept]: m for m in members(family, cfg["optimizers"][family])}
        for value in cfg["figure_rows"][key]:
            if float(value) not in available:
                raise ValueError(
                    f"tsuchida2019.figure_rows.{key}: {value} is not in the sweep "
                    f"tsuchida2019.optimizers.{family}.{swept} = {sorted(available)}; add it "
                    "there or pick one of those")
            rows.append(available[float(value)])
    return rows


def plan(config: dict) -> Plan:
    """Runs and registry of tsuchida2019 from the whole (validated) config."""
    cfg, seed = config[PAPER], int(config["seed"])
    dataset = cfg["dataset"]
    info = dataset_info(dataset)
    runs = training_requests(cfg, dataset, seed)
    reg = Registry(PAPER)

    rk = cfg["random_kernels"]
    reg.table("random_kernels", f"{PKG}.random_kernels:table",
              cost=f"{PKG}.work:random_kernels_table",
              settings={"n_inputs": int(rk["n_inputs"]), "n_hidden": int(rk["n_hidden"]),
                      "betas": [float(b) for b in rk["betas"]], "draws": int(rk["draws"]),
                      "n_angles": int(rk["n_angles"]), "seed": seed})
    reg.figure("fig2_random_kernels", f"{PKG}.random_kernels:draw", ["random_kernels"])

    kernels, weights, recon = {}, [], []
    measure = cfg["kernels"]
    for family in FAMILIES:
        if run_name(family) not in runs:
            continue
        inputs = {"run": run_file(PAPER, run_name(family)), "dataset": dataset_file(dataset)}
        kernels[family] = (reg.table(
            f"kernels_{family}", f"{PKG}.trained_kernels:kernel_table",
            cost=f"{PKG}.work:kernel_table", inputs=inputs,
            settings={"pairs": int(measure["pairs"]), "seed": seed, "inputs": list(INPUTS)}))
        weights.append(reg.table(f"weights_{family}", f"{PKG}.trained_kernels:weight_table",
                                 cost=f"{PKG}.work:weight_table", inputs=inputs))
        if family in SHOWN:
            recon.append(reg.table(
                f"reconstructions_{family}", f"{PKG}.trained_kernels:reconstruction_table",
                cost=f"{PKG}.work:reconstruction_table",
                inputs=inputs, settings={"images": int(measure["reconstructions"]),
                                       "seed": seed}))

    rows = figure_rows(cfg)
    shown = [kernels[f] for f in SHOWN if f in kernels]
    for number, name, inputs in ((3, "fig3_trained_kernels_zero_sum", "zero_sum"),
                                 (4, "fig4_trained_kernels_nonzero_sum", "nonzero_sum")):
        reg.figure(name, f"{PKG}.trained_kernels:draw", shown + recon,
                   settings={"figure": number, "inputs": inputs, "rows": rows,
                           "image_shape": list(info.image_shape)})
    reg.figure("fig5_optimizer_sweep", f"{PKG}.optimizer_sweep:draw",
               list(kernels.values()) + weights,
               settings={"inputs": "nonzero_sum", "swept": dict(SWEPT)})
    return Plan(runs, reg)
