"""lee2019 planning: the config block -> the registry of tables and figures.

Imports no torch, scipy, pandas or matplotlib. What each table and figure holds is documented
in the module that computes it (see the package docstring). The networks are trained inside
the table jobs (one batched :class:`~mlptheory.models.EnsembleMLP` per cell through
:mod:`mlptheory.training`), because their learning rates are fractions of ``eta_critical`` of
the analytic NTK of the training set, known only once the data are loaded.
"""

from __future__ import annotations

from ...datasets import dataset_info
from ...registry import Plan, Registry, dataset_file

PAPER = "lee2019"
PKG = "mlptheory.papers.lee2019"


def network_params(cfg: dict, block: dict) -> dict:
    """The network family of a block: its depth and width(s), the paper's activation, sw2, sb2."""
    out = {"activation": str(cfg["activation"]), "sw2": float(cfg["sw2"]),
           "sb2": float(cfg["sb2"]), "depth": int(block["depth"])}
    if "width" in block:
        out["width"] = int(block["width"])
    return out


def data_params(cfg: dict, seed: int) -> dict:
    return {"classes": [str(c) for c in cfg["classes"]], "n_test": int(cfg["n_test"]),
            "seed": seed}


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
    """The registry of lee2019 from the whole (validated) config."""
    cfg, seed = config[PAPER], int(config["seed"])
    check_classes(cfg)
    inputs = {"dataset": dataset_file(cfg["dataset"])}
    data = data_params(cfg, seed)
    reg = Registry(PAPER)

    pred = cfg["predictive"]
    reg.table("predictive", f"{PKG}.predictive:table", inputs=inputs,
              params={**network_params(cfg, pred), **data,
                      "n_train": int(pred["n_train"]), "ensemble": int(pred["ensemble"]),
                      "lr_fraction": float(pred["lr_fraction"]),
                      "steps": [int(s) for s in pred["steps"]], "n_alpha": int(pred["n_alpha"]),
                      "dataset_name": cfg["dataset"]})
    reg.figure("fig2_predictive_distribution", f"{PKG}.predictive:draw", ["predictive"])

    dyn = cfg["dynamics"]
    reg.table("dynamics", f"{PKG}.dynamics:table", inputs=inputs,
              params={**network_params(cfg, dyn), **data, "n_train": int(dyn["n_train"]),
                      "lr_fraction": float(dyn["lr_fraction"]),
                      "max_steps": int(dyn["max_steps"]),
                      "points_per_decade": int(dyn["points_per_decade"]),
                      "dataset_name": cfg["dataset"]})
    reg.figure("fig3_linearized_dynamics", f"{PKG}.dynamics:draw", ["dynamics"])

    err = cfg["linearization_error"]
    err_tables = [
        reg.table(f"linearization_error_M{int(w)}", f"{PKG}.linearization_error:table",
                  inputs=inputs,
                  params={**network_params(cfg, err), **data, "width": int(w),
                          "n_train": [int(n) for n in err["n_train"]],
                          "members": int(err["members"]),
                          "lr_fraction": float(err["lr_fraction"]),
                          "steps": int(err["steps"]), "dataset_name": cfg["dataset"]})
        for w in err["widths"]]
    reg.figure("figS5_linearization_error", f"{PKG}.linearization_error:draw", err_tables)

    par = cfg["parameterization"]
    reg.table("parameterization", f"{PKG}.parameterization:table", inputs=inputs,
              params={**network_params(cfg, par), **data, "n_train": int(par["n_train"]),
                      "members": int(par["members"]),
                      "lr_fractions": [float(f) for f in par["lr_fractions"]],
                      "steps": int(par["steps"]), "dataset_name": cfg["dataset"]})
    reg.figure("figS7_parameterization", f"{PKG}.parameterization:draw", ["parameterization"])

    kc = cfg["kernel_convergence"]
    kc_tables = [
        reg.table(f"kernel_convergence_M{int(w)}", f"{PKG}.kernel_convergence:table",
                  params={**network_params(cfg, kc), "width": int(w),
                          "n_samples": [int(n) for n in kc["n_samples"]],
                          "repeats": int(kc["repeats"]), "n_inputs": int(kc["n_inputs"]),
                          "input_dim": int(kc["input_dim"]), "seed": seed})
        for w in kc["widths"]]
    reg.figure("figS9_kernel_convergence", f"{PKG}.kernel_convergence:draw", kc_tables)
    return Plan({}, reg)
