"""lee2019 planning: the config block -> training runs and the registry of tables and figures.

Imports no torch, scipy, pandas or matplotlib. What each table and figure holds is documented
in the module that computes it (see the package docstring). Every network is trained by the
generic ``train_run`` rule into ``results/runs/lee2019/<run>.h5`` (checkpoints, resume, device,
threads). The learning rates are fractions of ``eta_critical`` of the analytic NTK of the
training set (``TrainConfig.lr_unit``), which the run resolves once its data are loaded, or
absolute rates (a block's ``lr``). The wide ensembles store no weights at their checkpoints,
only what the tables read: outputs on the training, test or interpolated inputs,
``||theta_t - theta_0||`` and a few tracked weights (``measure``,
:data:`mlptheory.run_request.MEASURES`); their initial weights are those of their seeds.
"""

from __future__ import annotations

from ...datasets import dataset_info
from ...registry import Plan, Registry, dataset_file, run_file
from ...run_request import DataRequest, RunRequest
from ...seeding import derive_seed, derive_seeds
from ...spec import NetworkSpec
from ...train_config import TrainConfig, checkpoint_schedule

PAPER = "lee2019"
PKG = "mlptheory.papers.lee2019"
FAMILY = ("activation", "sw2", "sb2", "bias")  # a block may override the paper-level values


def network_params(cfg: dict, block: dict) -> dict:
    """The network family of a block: its depth and width(s), and the activation, sw2, sb2 and
    bias of the block (where it sets them) or of the paper level."""
    out = {"activation": str(block.get("activation", cfg["activation"])),
           "sw2": float(block.get("sw2", cfg["sw2"])),
           "sb2": float(block.get("sb2", cfg["sb2"])),
           "bias": bool(block.get("bias", cfg.get("bias", True))),
           "dtype": str(block.get("dtype", "float64")),
           "depth": int(block["depth"])}
    if "width" in block:
        out["width"] = int(block["width"])
    return out


def data_params(cfg: dict, seed: int) -> dict:
    return {"classes": [str(c) for c in cfg["classes"]], "n_test": int(cfg["n_test"]),
            "seed": seed}


def spec_of(family: dict, dataset: str, width: int | None = None,
            parameterization: str = "ntk") -> NetworkSpec:
    """The network of a block on ``dataset``'s inputs (see :func:`family_spec`)."""
    return family_spec(family, dataset_info(dataset).input_dim, width, parameterization)


def family_spec(family: dict, input_dim: int, width: int | None = None,
                parameterization: str = "ntk") -> NetworkSpec:
    """The network of a block (:func:`network_params`; ntk parameterization unless asked),
    scalar output, in the block's ``dtype`` (float64 unless it says float32)."""
    width = int(family["width"] if width is None else width)
    return NetworkSpec(int(input_dim), (width,) * int(family["depth"]), 1,
                       activation=family["activation"], sw2=family["sw2"],
                       sb2=family["sb2"] if family["bias"] else 0.0, bias=family["bias"],
                       parameterization=parameterization, dtype=family.get("dtype", "float64"))


def train_data(cfg: dict, seed: int, n_train: int, tag: str = "train") -> DataRequest:
    """``n_train`` training points of the two classes, targets +1 / -1, standardized inputs
    (*choice*: the paper does not state its preprocessing; raw pixels in [0, 1] make every pair
    of images strongly correlated and the NTK badly conditioned). A fixed function of the base
    seed, ``tag`` and ``n_train``: experiments with the same ``n_train`` share their data."""
    return DataRequest(cfg["dataset"], split="train", n=int(n_train),
                       seed=derive_seed(seed, PAPER, tag, int(n_train)),
                       classes=tuple(str(c) for c in cfg["classes"]), targets="signed",
                       scaling="standardize")


def test_data(cfg: dict, seed: int) -> DataRequest:
    """The ``n_test`` test points every experiment evaluates on."""
    return DataRequest(cfg["dataset"], split="test", n=int(cfg["n_test"]),
                       seed=derive_seed(seed, PAPER, "test"),
                       classes=tuple(str(c) for c in cfg["classes"]), targets="signed",
                       scaling="standardize")


def gd(block: dict, steps: int, checkpoints, member_fractions=None) -> TrainConfig:
    """Full-batch GD on the MSE ``1/(2S) sum``: at ``block["lr"]`` (absolute) if given, else at
    ``lr_fraction`` (or one fraction per member) of ``eta_critical``."""
    common = dict(optimizer="gd", loss="mse", max_steps=int(steps),
                  checkpoint_steps=tuple(int(s) for s in checkpoints),
                  log_every=max(int(steps) // 4, 1))
    if member_fractions is not None:
        return TrainConfig(lr=float(member_fractions[0]), lr_unit="eta_critical",
                           member_lr=tuple(float(f) for f in member_fractions), **common)
    if block.get("lr") is not None:
        return TrainConfig(lr=float(block["lr"]), **common)
    return TrainConfig(lr=float(block["lr_fraction"]), lr_unit="eta_critical", **common)


def log_steps(max_steps: int, per_decade: int) -> list[int]:
    """0 and ``per_decade`` log-spaced steps per decade up to ``max_steps`` (included): the
    training engine's own schedule (:func:`mlptheory.train_config.checkpoint_schedule`)."""
    return checkpoint_schedule(TrainConfig(max_steps=int(max_steps),
                                           checkpoints_per_decade=int(per_decade)))


def alpha_range(block: dict) -> list[float]:
    """Fig. 2's range of ``alpha`` (default [0, 1]: between the two training points)."""
    return [float(a) for a in block.get("alpha_range", (0.0, 1.0))]


def chunks(n: int, per_run: int):
    """``(name suffix, start, stop)`` of the runs an ensemble of ``n`` is split into."""
    width = len(str(max(n - 1, 0)))
    return [(f"{a:0{width}d}-{min(a + per_run, n) - 1:0{width}d}", a, min(a + per_run, n))
            for a in range(0, n, per_run)]


def run_requests(cfg: dict, seed: int) -> dict[str, RunRequest]:
    """Run name -> run request of every lee2019 training run (module docstring)."""
    ds, runs = cfg["dataset"], {}
    test = test_data(cfg, seed).to_dict()

    pred = cfg["predictive"]
    fam = network_params(cfg, pred)
    seeds = derive_seeds(seed, int(pred["ensemble"]), PAPER, "predictive")
    steps = sorted({int(s) for s in pred["steps"]})
    for suffix, a, b in chunks(len(seeds), int(pred.get("networks_per_run", len(seeds)))):
        runs[f"predictive_{suffix}"] = RunRequest(
            spec_of(fam, ds), gd(pred, max(steps), steps), seeds[a:b],
            train_data(cfg, seed, pred["n_train"]),
            measure={"outputs": True, "interpolation": int(pred["n_alpha"]),
                     "interpolation_range": alpha_range(pred),
                     "weights": False})

    dyn = cfg["dynamics"]
    steps = log_steps(int(dyn["max_steps"]), int(dyn["points_per_decade"]))
    runs["dynamics"] = RunRequest(
        spec_of(network_params(cfg, dyn), ds), gd(dyn, max(steps), steps),
        [derive_seed(seed, PAPER, "dynamics")], train_data(cfg, seed, dyn["n_train"]),
        measure={"outputs": True, "eval": test, "displacement": True,
                 "tracked_weights": int(dyn.get("tracked_weights", 3)),
                 "weights": False})

    err = cfg["linearization_error"]
    fam = network_params(cfg, err)
    for w in err["widths"]:
        for n in err["n_train"]:
            seeds = derive_seeds(seed, int(err["members"]), PAPER, "linearization_error",
                                 int(w), int(n))
            runs[f"linearization_error_M{int(w)}_S{int(n)}"] = RunRequest(
                spec_of(fam, ds, width=w), gd(err, err["steps"], [0, err["steps"]]), seeds,
                train_data(cfg, seed, n), measure={"outputs": True, "eval": test,
                                                   "weights": False})

    par = cfg["parameterization"]
    fam = network_params(cfg, par)
    seeds = derive_seeds(seed, int(par["members"]), PAPER, "parameterization")
    fractions = [float(f) for f in par["lr_fractions"]]
    steps = int(par["steps"])
    for param in ("ntk", "standard"):  # fraction-major: member f * members + e
        runs[f"parameterization_{param}"] = RunRequest(
            spec_of(fam, ds, parameterization=param),
            gd(par, steps, [steps // 2, steps],
               member_fractions=[f for f in fractions for _ in seeds]),
            seeds * len(fractions), train_data(cfg, seed, par["n_train"]),
            measure={"eval": test, "weights": False})
    return runs


def check_classes(cfg: dict) -> None:
    """``lee2019.classes``: two different classes of ``lee2019.dataset`` (names or labels)."""
    names = dataset_info(cfg["dataset"]).class_names
    labels = []
    for c in cfg["classes"]:
        c = str(c)
        if c in names:
            labels.append(names.index(c))
        elif c.isdigit() and int(c) < len(names):
            labels.append(int(c))
        else:
            raise ValueError(f"lee2019.classes: {c!r} is not a class of {cfg['dataset']}; "
                             f"its classes are {list(names)} (or labels 0..{len(names) - 1})")
    if len(labels) != 2 or labels[0] == labels[1]:
        raise ValueError(f"lee2019.classes must name two different classes, got "
                         f"{cfg['classes']}")


def plan(config: dict) -> Plan:
    """Runs and registry of lee2019 from the whole (validated) config."""
    cfg, seed = config[PAPER], int(config["seed"])
    check_classes(cfg)
    runs = run_requests(cfg, seed)
    dataset = {"dataset": dataset_file(cfg["dataset"])}
    data = {**data_params(cfg, seed), "dataset_name": cfg["dataset"]}
    reg = Registry(PAPER)

    def run_inputs(prefix: str) -> dict:
        return {**dataset, "runs": [run_file(PAPER, r) for r in runs if r.startswith(prefix)]}

    pred = cfg["predictive"]
    reg.table("predictive", f"{PKG}.predictive:table",
              cost=f"{PKG}.work:predictive", inputs=run_inputs("predictive_"),
              settings={**network_params(cfg, pred), **data, "n_train": int(pred["n_train"]),
                      "ensemble": int(pred["ensemble"]),
                      "steps": sorted({int(s) for s in pred["steps"]}),
                      "n_alpha": int(pred["n_alpha"]),
                      "alpha_range": alpha_range(pred)})
    reg.figure("fig2_predictive_distribution", f"{PKG}.predictive:draw", ["predictive"])

    reg.table("dynamics", f"{PKG}.dynamics:table",
              cost=f"{PKG}.work:dynamics", inputs=run_inputs("dynamics"), settings=data)
    reg.figure("fig3_linearized_dynamics", f"{PKG}.dynamics:draw", ["dynamics"])

    err = cfg["linearization_error"]
    err_tables = [
        reg.table(f"linearization_error_M{int(w)}", f"{PKG}.linearization_error:table",
                  cost=f"{PKG}.work:linearization_error",
                  inputs=run_inputs(f"linearization_error_M{int(w)}_"), settings=data)
        for w in err["widths"]]
    reg.figure("figS5_linearization_error", f"{PKG}.linearization_error:draw", err_tables)

    reg.table("parameterization", f"{PKG}.parameterization:table",
              cost=f"{PKG}.work:parameterization",
              inputs=run_inputs("parameterization_"),
              settings={**data, "lr_fractions": [float(f) for f in
                                               cfg["parameterization"]["lr_fractions"]]})
    reg.figure("figS7_parameterization", f"{PKG}.parameterization:draw", ["parameterization"])

    kc = cfg["kernel_convergence"]
    kc_tables = [
        reg.table(f"kernel_convergence_M{int(w)}", f"{PKG}.kernel_convergence:table",
                  cost=f"{PKG}.work:kernel_convergence",
                  settings={**network_params(cfg, kc), "width": int(w),
                          "n_samples": [int(n) for n in kc["n_samples"]],
                          "repeats": int(kc["repeats"]), "n_inputs": int(kc["n_inputs"]),
                          "input_dim": int(kc["input_dim"]), "seed": seed})
        for w in kc["widths"]]
    reg.figure("figS9_kernel_convergence", f"{PKG}.kernel_convergence:draw", kc_tables)
    return Plan(runs, reg)
