"""seleznova2021 planning: the config block -> training runs and the registry of tables/figures.

Imports no torch, scipy, pandas or matplotlib (Snakemake parses this on every start and, on a
cluster, in every job). What each table and figure holds is documented in the module that
computes it: :mod:`.ntk_variance` (Figs. 1, 2, 7), :mod:`.ntk_change` (Figs. 3, 4, 8-11),
:mod:`.kappa` (Figs. 5, 6), :mod:`.thm53` (Theorem 5.3).
"""

from __future__ import annotations

from ...datasets import dataset_info
from ...registry import Plan, Registry, dataset_file, run_file
from ...run_request import DataRequest, RunRequest
from ...seeding import derive_seed
from ...spec import NetworkSpec
from ...train_config import TrainConfig

PAPER = "seleznova2021"
PKG = "mlptheory.papers.seleznova2021"
# paper figure numbers of the NTK-change figures: (final change, change per step, by width)
CHANGE_FIGURES = {"tanh": (3, 8, 10), "relu": (4, 9, 11)}


# ----- training runs (Figs. 3, 4, 8-11) ---------------------------------------------------------
def run_name(activation: str, width: int, depth: int) -> str:
    return f"ntk_change_{activation}_M{int(width)}_L{int(depth)}"


def change_widths(cfg: dict) -> list[int]:
    """Every width trained: the Figs. 3, 4, 8, 9 width and the widths of Figs. 10, 11."""
    return sorted({int(cfg["width"]), *map(int, cfg["widths"])})


def training_requests(cfg: dict, base_seed: int) -> dict[str, RunRequest]:
    """Run name -> run request (mlptheory.experiment) of every NTK-change ensemble.

    One ensemble per (activation, width, depth) with one member per (sw2, seed index); member
    ``(sw2, i)`` is initialized from ``(sw2, sb2)`` with seed ``derive_seed(base, paper,
    "ntk_change", activation, width, depth, i)``, so all sw2 of one seed index share the draw
    of the standard normals (a common-random-numbers design across the sw2 axis).
    """
    cap = cfg.get("lr_cap")
    train = TrainConfig(optimizer="gd", lr=float(cfg["lr"]), loss="mse",
                        lr_cap=None if cap is None else float(cap),
                        max_steps=int(cfg["max_steps"]), tol=float(cfg["tol"]),
                        patience=int(cfg["patience"]),
                        checkpoint_steps=tuple(int(s) for s in cfg["ntk_steps"]),
                        log_every=int(cfg["log_every"]))
    data = DataRequest(cfg["dataset"], split="train", n=int(cfg["n_train"]),
                       seed=derive_seed(base_seed, PAPER, "train_subset"),
                       scaling=cfg.get("input_scaling", "pixels"), targets="one_hot")
    info = dataset_info(cfg["dataset"])
    requests = {}
    for activation in cfg["activations"]:
        for width in change_widths(cfg):
            for depth in cfg["depths"]:
                seeds, inits = [], []
                for sw2 in cfg["sw2"]:
                    for i in range(int(cfg["seeds"])):
                        seeds.append(derive_seed(base_seed, PAPER, "ntk_change", activation,
                                                 width, int(depth), i))
                        inits.append({"sw2": float(sw2), "sb2": float(cfg["sb2"])})
                spec = NetworkSpec(info.input_dim, (width,) * int(depth), info.n_classes,
                                   activation=activation, sw2=1.0, sb2=float(cfg["sb2"]))
                requests[run_name(activation, width, depth)] = RunRequest(
                    spec, train, seeds, data, measure={"ntk": True}, init=inits)
    return requests


# ----- NTK-variance cells (Figs. 1, 2, 7) -------------------------------------------------------
def variance_cells(cfg: dict, grid: str, activation: str | None = None) -> list[tuple]:
    """Cells ``(activation, width, depth, sw2, sb2)`` of an NTK-variance grid of the
    ``ntk_variance`` config block: ``"fig1"`` or ``"fig7"`` (of one ``activation``) or
    ``"fig2"`` (ReLU, the ``vs_depth`` settings)."""
    if grid == "fig2":
        vs = cfg["vs_depth"]
        return [("relu", w, d, sw2, sb2) for sw2, sb2 in vs["settings"] for w in vs["widths"]
                for d in vs["depths"]]
    if grid == "fig1":
        return [(activation, w, d, s, cfg["sb2"]) for w in cfg["widths"] for s in cfg["sw2"]
                for d in cfg["depths"]]
    if grid == "fig7":
        return [(activation, cfg["bias_width"], d, s, b) for b in cfg["bias_sb2"]
                for s in cfg["sw2"] for d in cfg["depths"]]
    raise ValueError(f"unknown NTK-variance grid {grid!r}; expected fig1, fig7 or fig2")


def block_cells(settings: dict) -> list[tuple]:
    """The cells of one ``ntk_variance`` table: one activation, width and sb2, every sw2 and
    depth (the same cells whether Fig. 1 or Fig. 7 asks for them)."""
    return [(settings["activation"], settings["width"], d, s, settings["sb2"])
            for s in settings["sw2"] for d in settings["depths"]]


def _variance_table(reg: Registry, cfg: dict, seed: int, dataset: str, activation: str,
                    width: int, sb2: float) -> str:
    return reg.table(
        f"ntk_variance_{activation}_M{int(width)}_sb2-{float(sb2):g}",
        f"{PKG}.ntk_variance:block_table", cost=f"{PKG}.work:block_table",
        settings={"activation": activation, "width": int(width), "sb2": float(sb2),
                "sw2": [float(s) for s in cfg["sw2"]], "depths": [int(d) for d in cfg["depths"]],
                "n_inits": int(cfg["n_inits"]), "seed": seed},
        inputs={"dataset": dataset})


# ----- the registry ------------------------------------------------------------------------------
def plan(config: dict) -> Plan:
    """Runs and registry of seleznova2021 from the whole (validated) config."""
    cfg, seed = config[PAPER], int(config["seed"])
    dataset = dataset_file(cfg["dataset"])
    change = cfg["ntk_change"]
    runs = training_requests({**change, "dataset": cfg["dataset"]}, seed)
    reg = Registry(PAPER)

    var = cfg["ntk_variance"]
    for act in var["activations"]:
        reg.figure(f"fig1_ntk_variance_{act}", f"{PKG}.ntk_variance:draw_fig1",
                   [_variance_table(reg, var, seed, dataset, act, w, var["sb2"])
                    for w in var["widths"]])
    vs = var["vs_depth"]
    reg.table("ntk_variance_vs_depth", f"{PKG}.ntk_variance:vs_depth_table",
              cost=f"{PKG}.work:vs_depth_table",
              settings={"settings": [[float(a), float(b)] for a, b in vs["settings"]],
                      "widths": [int(w) for w in vs["widths"]],
                      "depths": [int(d) for d in vs["depths"]],
                      "n_inits": int(var["n_inits"]), "seed": seed},
              inputs={"dataset": dataset})
    reg.figure("fig2_ntk_variance_vs_depth", f"{PKG}.ntk_variance:draw_fig2",
               ["ntk_variance_vs_depth"])
    reg.figure("fig7_ntk_variance_bias", f"{PKG}.ntk_variance:draw_fig7",
               [_variance_table(reg, var, seed, dataset, act, var["bias_width"], b)
                for act in var["activations"] for b in var["bias_sb2"]])

    for act in change["activations"]:
        tables = {}
        for width in change_widths(change):
            tables[width] = reg.table(
                f"ntk_change_{act}_M{width}", f"{PKG}.ntk_change:table",
                cost=f"{PKG}.work:ntk_change_table",
                inputs={"runs": [run_file(PAPER, run_name(act, width, d))
                                 for d in change["depths"]], "dataset": dataset})
        final, steps, by_width = CHANGE_FIGURES[act]
        main = [tables[int(change["width"])]]
        reg.figure(f"fig{final}_ntk_change_{act}", f"{PKG}.ntk_change:draw_final", main)
        reg.figure(f"fig{steps}_ntk_change_steps_{act}", f"{PKG}.ntk_change:draw_steps", main)
        reg.figure(f"fig{by_width}_ntk_change_width_{act}", f"{PKG}.ntk_change:draw_width",
                   [tables[w] for w in sorted(set(map(int, change["widths"])))])

    kappa = cfg["kappa"]
    reg.table("kappa", f"{PKG}.kappa:table", cost=f"{PKG}.work:kappa_table",
              settings={"settings": kappa["settings"],
                      "covariances": [float(c) for c in kappa["covariances"]],
                      "max_depth": int(kappa["max_depth"])})
    reg.figure("fig5_kappa2_vs_depth", f"{PKG}.kappa:draw_kappa2", ["kappa"])
    reg.figure("fig6_kappa_ratio_vs_depth", f"{PKG}.kappa:draw_ratio", ["kappa"])

    thm = cfg["thm53"]
    reg.table("thm53", f"{PKG}.thm53:table", cost=f"{PKG}.work:thm53_table",
              settings={"settings": thm["settings"], "depths": [int(d) for d in thm["depths"]],
                      "width": int(thm["width"]), "n_train": int(thm["n_train"]),
                      "n_inits": int(thm["n_inits"]), "seed": seed})
    reg.figure("thm53_output_variance", f"{PKG}.thm53:draw", ["thm53"])
    return Plan(runs, reg)
