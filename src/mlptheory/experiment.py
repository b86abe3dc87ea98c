"""Execute one training run: a :class:`~mlptheory.run_request.RunRequest` (parsed once from
the plain dict the generic ``train_run`` rule passes, in scripts/train_run.py) becomes a run
file (:mod:`mlptheory.runs`, the format), resuming an interrupted run. The execution policy lives
here: seeds and data-order seeds, per-member inits, learning rates in units of the critical rate
and the lr cap, resume from a matching snapshot, periodic snapshots (:func:`train_to_file`). The
request format is documented in :mod:`mlptheory.run_request`.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch

from .checks import reject_unknown_keys
from .data import class_of_targets, training_data
from .errors import BadInput, DamagedFile
from .files import leftover_temporaries, read_h5, set_aside
from .models import EnsembleMLP, init_params, torch_dtype
from .params import stack
from .run_request import MEASURES, MEMBER_INIT_KEYS, DataRequest, RunRequest
from .runs import config_hash, partial_path, read_resume_state, resolved_config, write_run
from .seeding import derive_seed
from .spec import NetworkSpec
from .train_config import TrainConfig
from .training import Trainer, TrainResult, resolve_device


def interpolation_inputs(x: torch.Tensor, classes: torch.Tensor, n: int,
                         alpha_range=(0.0, 1.0)):
    """``alpha [n]`` evenly in ``alpha_range`` and ``x(alpha) = alpha x1 + (1 - alpha) x2 [n, d]``,
    ``x1``/``x2`` the first inputs of class 0 / class 1 (lee2019 Fig. 2; alpha outside [0, 1]
    extrapolates along the line)."""
    first = [torch.nonzero(classes == c) for c in (0, 1)]
    if any(len(f) == 0 for f in first):
        raise BadInput("measure.interpolation needs training inputs of two classes (0 and 1)")
    x1, x2 = x[int(first[0][0, 0])], x[int(first[1][0, 0])]
    alpha = torch.linspace(float(alpha_range[0]), float(alpha_range[1]), int(n), dtype=x.dtype,
                           device=x.device)
    return alpha, alpha[:, None] * x1 + (1 - alpha[:, None]) * x2


def tracked_indices(spec, n: int) -> list[np.ndarray]:
    """Per layer, ``n`` flat indices into its weight matrix ``[out, in]`` (fixed, drawn without
    replacement with a seed derived from the layer number only)."""
    out = []
    for layer, (fan_in, fan_out) in enumerate(zip(spec.widths[:-1], spec.widths[1:],
                                                               strict=True)):
        size = fan_in * fan_out
        if n > size:
            raise BadInput(f"measure.tracked_weights={n} exceeds the {size} weights of layer "
                           f"{layer}")
        rng = np.random.default_rng(derive_seed(0, "tracked_weights", layer))
        out.append(np.sort(rng.choice(size, size=int(n), replace=False)))
    return out


def checkpoint_measures(measure: dict | None, x: torch.Tensor, y: torch.Tensor | None = None,
                        data: DataRequest | None = None, dataset_path=None, spec=None):
    """A factory ``make(initial_model) -> callback`` storing the requested quantities at each
    checkpoint (:data:`~mlptheory.run_request.MEASURES`), or None when nothing is measured."""
    measure = {k: v for k, v in (measure or {}).items() if k != "weights"}
    reject_unknown_keys(measure, MEASURES, "measure")
    measure = {k: v for k, v in measure.items() if v is not None and v is not False}
    if not measure:
        return None
    inputs = {}
    if measure.get("outputs"):
        inputs["outputs"] = x
    if "eval" in measure:
        inputs["eval_outputs"], _ = training_data(dataset_path, measure["eval"], dtype=x.dtype)
    if "interpolation" in measure:
        classes = class_of_targets(y, data.value("targets"))
        inputs["interpolation_outputs"] = interpolation_inputs(
            x, classes, measure["interpolation"],
            measure.get("interpolation_range", (0.0, 1.0)))[1]
    tracked = (tracked_indices(spec, int(measure["tracked_weights"]))
               if "tracked_weights" in measure else None)

    def make(initial):
        theta0 = ([p.detach().clone() for p in initial.parameters()]
                  if measure.get("displacement") else None)

        def callback(step, model, active):
            device = model.weights[0].device
            out = {}
            with torch.no_grad():
                for name, points in inputs.items():
                    out[name] = model(points.to(device)).detach().cpu().numpy()
                if theta0 is not None:
                    sq = sum((p - p0).pow(2).flatten(1).sum(1)
                             for p, p0 in zip(model.parameters(), theta0, strict=True))
                    out["displacement"] = torch.sqrt(sq).cpu().numpy()
                if tracked is not None:
                    out["tracked_weights"] = np.stack(
                        [w.detach().flatten(1)[:, torch.as_tensor(idx, device=device)]
                         .cpu().numpy() for w, idx in zip(model.weights, tracked, strict=True)],
                        axis=1)
            if measure.get("ntk"):
                from .kernels import empirical_ntk

                ntk = empirical_ntk(model, x.to(device), method="structured")
                out["ntk"] = ntk.detach().cpu().numpy()
            return out

        return callback

    return make


def run_training(request: RunRequest, dataset_path, out_path, threads: int = 1,
                 device: str = "auto", log: logging.Logger | None = None,
                 snapshot_seconds: float = 300.0) -> TrainResult:
    """Train the ensemble a request describes and write its run file (resuming if possible)."""
    if not isinstance(request, RunRequest):
        raise TypeError(f"run_training takes a RunRequest, not {type(request).__name__}: parse "
                        "a plain request once with RunRequest.from_dict")
    x, y = training_data(dataset_path, request.data, dtype=torch_dtype(request.spec.dtype))
    make_callback = checkpoint_measures(request.measure, x, y, request.data, dataset_path,
                                        request.spec)
    member_inits = None if request.init is None else [dict(m) for m in request.init]
    keep_weights = bool((request.measure or {}).get("weights", True))
    return train_to_file(request.spec, request.seeds, x, y, request.train, out_path,
                         threads=threads, device=device, log=log, make_callback=make_callback,
                         keep_weights=keep_weights,
                         extra_config={"data": request.data.to_dict(),
                                       "measure": request.measure or {}},
                         snapshot_seconds=snapshot_seconds, member_inits=member_inits)


def member_init_params(spec: NetworkSpec, seeds: Sequence[int], member_inits: Sequence[dict]):
    """Stacked initial parameters; member ``e`` as ``MLP(spec.replace(**inits[e]), seeds[e])``.

    In the standard parameterization with Gaussian weights ``sw2`` and ``sb2`` only scale the
    initial draw, not the forward pass, so networks that differ only in ``(sw2, sb2)`` (e.g. one
    depth of seleznova2021 Figs. 3-4) train exactly as separate runs when batched this way.
    """
    if len(member_inits) != len(seeds):
        raise ValueError(f"{len(member_inits)} member inits for {len(seeds)} seeds")
    if spec.parameterization != "standard" or spec.init != "gaussian":
        raise ValueError("per-member (sw2, sb2) needs the standard parameterization with "
                         f"gaussian init (their forward pass does not depend on sw2, sb2); got "
                         f"parameterization={spec.parameterization!r}, init={spec.init!r}")
    members = []
    for seed, init in zip(seeds, member_inits, strict=True):
        reject_unknown_keys(init, MEMBER_INIT_KEYS, "member init")
        members.append(init_params(spec.replace(**init), int(seed)))
    return stack(members)


def _move_aside(path: Path, reason: str, log: logging.Logger) -> Path:
    target = set_aside(path, f"stale-{time.strftime('%Y%m%dT%H%M%S')}")
    if target is None:
        raise OSError(f"cannot move the unusable {path} aside; delete it to start from step 0")
    log.warning("not resuming from %s: %s; moved it to %s and starting from step 0",
                path, reason, target)
    return target


def _resume_state(partial: Path, digest: str, log: logging.Logger) -> dict | None:
    """The state in ``partial`` if it belongs to the run with config hash ``digest``; a damaged
    or mismatched snapshot (the only reasons to start again) is moved aside and None returned."""
    try:
        with read_h5(partial, "partial run file") as f:
            found = f.attrs.get("config_hash")
        found = found.decode() if isinstance(found, bytes) else found
        if found != digest:
            _move_aside(partial, f"its config hash {str(found)[:12]} differs from this run's "
                        f"{digest[:12]} (different spec, training config, seeds or data)", log)
            return None
        return read_resume_state(partial)
    except DamagedFile as err:
        _move_aside(partial, f"it is damaged ({err})", log)
        return None


def capped_config(config: TrainConfig, model, x) -> TrainConfig:
    """``config`` with ``member_lr = min(lr, lr_cap * 2S/lambda_max(Theta_0))`` per member of the
    (initial) ``model`` on the training inputs ``x`` (see ``TrainConfig.lr_cap``)."""
    from .kernels import gd_critical_lr

    param = next(model.parameters())
    crit = gd_critical_lr(model, torch.as_tensor(x).to(device=param.device, dtype=param.dtype))
    crit = crit.reshape(-1).double().cpu().tolist()
    return dataclasses.replace(config, member_lr=tuple(min(config.lr, config.lr_cap * c)
                                                       for c in crit))


def analytic_eta_critical(spec: NetworkSpec, x) -> float:
    """lee2019's ``eta_critical = 2S / (lambda_min + lambda_max)`` of the analytic NTK of ``spec``
    in the ntk parameterization on the inputs ``x`` (:func:`mlptheory.predict.eta_critical`); for
    a standard-parameterized ``spec`` divided by its hidden width (lee2019 App. F), the unit of
    ``TrainConfig.lr_unit = "eta_critical"``."""
    from .kernels import nngp_ntk
    from .predict import eta_critical

    x = np.asarray(torch.as_tensor(x).detach().cpu().to(torch.float64).numpy())
    _, theta = nngp_ntk(spec.replace(parameterization="ntk"), x)
    rate = eta_critical(theta, len(x))
    if spec.parameterization == "standard":
        if len(set(spec.hidden)) != 1:
            raise BadInput(f"lr_unit='eta_critical' with the standard parameterization needs "
                           f"equal hidden widths (eta_std = eta_ntk / M), got {spec.hidden}")
        rate /= spec.hidden[0]
    return float(rate)


def rates_resolved(config: TrainConfig, lr_critical: float) -> TrainConfig:
    """``config`` with ``lr`` and ``member_lr`` (given in units of ``lr_critical``) absolute."""
    member = (None if config.member_lr is None
              else tuple(v * lr_critical for v in config.member_lr))
    return dataclasses.replace(config, lr=config.lr * lr_critical, member_lr=member,
                               lr_unit=None)


def train_to_file(
    spec: NetworkSpec,
    seeds: Sequence[int],
    x,
    y,
    config: TrainConfig,
    out_path,
    threads: int = 1,
    device: str = "auto",
    log: logging.Logger | None = None,
    order_seeds: Sequence[int] | None = None,
    callback=None,
    extra_config: dict | None = None,
    snapshot_every: int = 0,
    snapshot_seconds: float | None = 300.0,
    overwrite: bool = False,
    member_inits: Sequence[dict] | None = None,
    make_callback=None,
    keep_weights: bool = True,
) -> TrainResult:
    """Train an ensemble (one member per seed) and write the run file ``out_path``.

    Everything a Snakemake rule needs: sets ``torch.set_num_threads(threads)``, resolves the
    device, resumes from ``<out_path>.partial`` when its config hash matches (and logs
    ``resuming from step k``), moves a mismatching partial aside, snapshots every
    ``snapshot_every`` steps and/or ``snapshot_seconds`` seconds, writes ``out_path`` atomically
    at the end and then deletes the partial file. ``order_seeds`` default to
    ``derive_seed(seed, "data_order")`` per member, so an ensemble equals separate runs.
    ``extra_config`` (e.g. the rule's wildcards) is stored in ``config_json`` and hashed.
    ``member_inits`` (optional, one ``{"sw2": .., "sb2": ..}`` per seed) initializes member
    ``e`` from ``spec.replace(**member_inits[e])`` (see :func:`member_init_params`); stored in
    ``config_json`` as ``member_inits``. ``make_callback(initial_model)`` (instead of
    ``callback``) builds the checkpoint callback from the freshly initialized ensemble, before a
    resume loads its state (so a callback may keep ``theta_0``). ``keep_weights=False`` stores
    no weights at the checkpoints (only the callback's arrays; resume snapshots keep theirs).
    """
    log = log or logging.getLogger("mlptheory.training")
    out_path = Path(out_path)
    if out_path.exists() and not overwrite:
        raise FileExistsError(f"{out_path} exists; delete it or pass overwrite=True")
    torch.set_num_threads(int(threads))
    dev = resolve_device(device)
    seeds = [int(s) for s in seeds]
    if order_seeds is None:
        order_seeds = [derive_seed(s, "data_order") for s in seeds]
    if member_inits is not None:
        member_inits = [dict(m) for m in member_inits]

    def fresh_model():
        if member_inits is None:
            return EnsembleMLP(spec, seeds=seeds).to(dev)
        return EnsembleMLP(spec, params=member_init_params(spec, seeds, member_inits)).to(dev)

    model = fresh_model()
    if make_callback is not None:
        callback = make_callback(model)
    given = config
    lr_critical = None
    if config.lr_unit is not None:
        lr_critical = analytic_eta_critical(spec, x)
        config = rates_resolved(config, lr_critical)
        log.info("lr = %s x eta_critical (analytic NTK) = %s (eta_critical = %.6g)",
                 ", ".join(f"{v:g}" for v in (given.member_lr or (given.lr,))),
                 ", ".join(f"{v:.4g}" for v in (config.member_lr or (config.lr,))), lr_critical)
    if config.lr_cap is not None:
        config = capped_config(config, model, x)
        log.info("lr capped at %g x the critical rate: member lr %s", config.lr_cap,
                 ", ".join(f"{v:.3g}" for v in config.member_lr))
    # the rates as given (in units of eta_critical with lr_unit), hashed; the resolved ones
    # are the Trainer's
    config_dict = resolved_config(spec, config if lr_critical is None else given, seeds,
                                  order_seeds, x, y, extra_config)
    if member_inits is not None:
        config_dict["member_inits"] = member_inits
    if lr_critical is not None:
        config_dict["lr_critical"] = lr_critical
    digest = config_hash(config_dict)
    trainer = Trainer(model, x, y, config, order_seeds=order_seeds, callback=callback, log=log,
                      keep_weights=keep_weights)

    partial = partial_path(out_path)
    # temporary files of writes that a kill interrupted (this job is their only writer)
    # (the out file's pattern also matches the partial's temporaries: each one once)
    for tmp in sorted({*leftover_temporaries(out_path), *leftover_temporaries(partial)}):
        log.info("removing %s, left by an interrupted write", tmp)
        tmp.unlink()
    if partial.exists():
        resume = _resume_state(partial, digest, log)
        if resume is not None:
            # outside any except: a bug in loading the state stops the job with its traceback
            # instead of silently training again from step 0
            trainer.load_state(resume)
            log.info("resuming from step %d (%s)", trainer.step, partial)
    log.info("training %d network(s) %s on %s with %d thread(s), %s lr=%g, %d steps",
             len(seeds), spec.widths, dev, threads, config.optimizer,
             config.member_lr[0] if config.member_lr else config.lr,
             config.max_steps)

    def snapshot(t: Trainer):
        write_run(partial, t.state(), config_dict, dev.type, partial=True)
        log.info("snapshot at step %d -> %s", t.step, partial)

    result = trainer.run(snapshot=snapshot, snapshot_every=snapshot_every,
                         snapshot_seconds=snapshot_seconds)
    write_run(out_path, trainer.state(), config_dict, dev.type, partial=False)
    if partial.exists():
        partial.unlink()
    log.info("wrote %s", out_path)
    return result
