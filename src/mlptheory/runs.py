"""The one HDF5 run-file reader/writer, and :func:`train_to_file` with exact resume.

Run file schema (plain h5py reads it; ``E`` members, ``K`` checkpoints, layers ``l = 0..L``)::

    /                         attrs:
        format                "mlptheory-run"
        format_version        1
        complete              True in a finished run file, False in a partial (resume) file
        config_json           full resolved config: {"spec", "train", "seeds", "order_seeds",
                              "data" (shapes + sha256 of the training data), "extra"}
        config_hash           sha256 of config_json (decides whether a partial file may be resumed)
        spec_json, train_json the NetworkSpec and TrainConfig alone, as JSON
        seeds, order_seeds    int64 [E]: init seed and data-order seed of each member
        device                where it was trained ("cpu", "cuda")
        mlptheory_version, git_commit, torch_version, numpy_version, h5py_version,
        python_version        from mlptheory.provenance.provenance()
    /loss                     float64 [steps, E]: loss of member e at step t (before the update
                              of step t), NaN once the member has stopped
    /members/status           str [E]: "max_steps" | "plateau" | "diverged" ("running" in partials)
    /members/final_step       int64 [E]: step of the member's final weights
    /members/diverged_step    int64 [E]: step at which the loss became NaN/inf, -1 if never
    /checkpoint_steps         int64 [K], increasing; the last one is the end of the run
    /checkpoints/<step>/W<l>  [E, out, in] weights theta_step (a stopped member keeps its final
                              weights), /checkpoints/<step>/b<l> [E, out] biases (if any), plus
                              any extra arrays a checkpoint callback returned (e.g. ntk [E, n, n])

A partial file additionally holds ``/resume`` (attrs ``step``; ``params/<i>``, the optimizer
state ``optimizer/<param>/<key>`` with attr ``dtype``, ``best``, ``best_step``). Every file is
built in memory and written to a temporary name in the same folder, then moved into place with
``os.replace`` (:func:`mlptheory.files.write_h5`), so a reader never sees half a file and a full
disk leaves the previous file intact. Arrays carry fletcher32 checksums, the metadata HDF5's own
(newest file format), and ``complete`` is the last attribute written: a truncated or corrupted
file raises :class:`~mlptheory.errors.DamagedFile` naming it and the command that rebuilds it.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import h5py
import numpy as np
import torch

from .checks import reject_unknown_keys
from .download import set_aside
from .errors import BadInput, DamagedFile, rebuild_command
from .files import checksummed, leftover_temporaries, read_h5, write_h5
from .models import EnsembleMLP, init_params, torch_dtype
from .params import stack
from .provenance import provenance
from .run_request import MEMBER_INIT_KEYS
from .seeding import derive_seed
from .spec import NetworkSpec
from .train_config import TrainConfig
from .training import Trainer, TrainResult, resolve_device

FORMAT = "mlptheory-run"
FORMAT_VERSION = 1


def data_fingerprint(x, y) -> dict:
    """Shapes, dtypes and sha256 of the training data (part of the config hash)."""
    out = {}
    for name, a in (("x", x), ("y", y)):
        a = np.ascontiguousarray(a.detach().cpu().numpy() if torch.is_tensor(a) else a)
        out[name] = {"shape": list(a.shape), "dtype": str(a.dtype),
                     "sha256": hashlib.sha256(a.tobytes()).hexdigest()}
    return out


def resolved_config(spec: NetworkSpec, config: TrainConfig, seeds, order_seeds, x, y,
                    extra: dict | None = None) -> dict:
    return {
        "spec": spec.to_dict(),
        "train": config.to_dict(),
        "seeds": [int(s) for s in seeds],
        "order_seeds": [int(s) for s in order_seeds],
        "data": data_fingerprint(x, y),
        "extra": extra or {},
    }


def config_hash(config: dict) -> str:
    """sha256 of the resolved config, ignoring settings that cannot change the result."""
    config = dict(config)
    if "train" in config:
        train = config["train"]
        # member_lr resolved from lr_cap is a function of what is hashed already (init, data)
        resolved = ("member_lr",) if train.get("lr_cap") is not None else ()
        config["train"] = {k: v for k, v in train.items()
                           if k != "log_every" and k not in resolved}
    # eta_critical of the analytic NTK (lr_unit) is a function of the spec and data, hashed
    # already; its last digits may differ between BLAS builds, which must not block a resume
    config.pop("lr_critical", None)
    return hashlib.sha256(json.dumps(config, sort_keys=True).encode()).hexdigest()


def _dataset(group, name: str, data) -> None:
    group.create_dataset(name, data=data, **checksummed(data))


def write_run(path, state: dict, config: dict, device: str, partial: bool = False) -> None:
    """Write a run file (``partial=True``: with the ``/resume`` group) atomically.

    ``state`` is :meth:`Trainer.state`; ``config`` is :func:`resolved_config`.
    """
    path = Path(path)
    keep = ("the previous snapshot in it is unchanged and a rerun resumes from it" if partial
            else "the last snapshot (if any) is unchanged and a rerun resumes from it")
    with write_h5(path, keep) as f:
        text = json.dumps(config, sort_keys=True)
        f.attrs.update({
            "format": FORMAT, "format_version": FORMAT_VERSION,
            "config_json": text, "config_hash": config_hash(config),
            "spec_json": json.dumps(config["spec"], sort_keys=True),
            "train_json": json.dumps(config["train"], sort_keys=True),
            "seeds": np.asarray(config["seeds"], dtype=np.int64),
            "order_seeds": np.asarray(config["order_seeds"], dtype=np.int64),
            "device": device,
            **{k: str(v) for k, v in provenance(Path(__file__).parent).items()},
        })
        _dataset(f, "loss", np.asarray(state["losses"], dtype=np.float64))
        members = f.create_group("members")
        members.create_dataset("status", data=np.array(state["status"], dtype=object),
                               dtype=h5py.string_dtype())
        _dataset(members, "final_step", state["final_step"])
        _dataset(members, "diverged_step", state["diverged_step"])
        steps = sorted(state["checkpoints"])
        _dataset(f, "checkpoint_steps", np.asarray(steps, dtype=np.int64))
        ckpts = f.create_group("checkpoints")
        for step in steps:
            g = ckpts.create_group(str(step))
            for name, value in state["checkpoints"][step].items():
                _dataset(g, name, value)
        if partial:
            r = f.create_group("resume")
            r.attrs["step"] = state["step"]
            for i, p in enumerate(state["params"]):
                _dataset(r, f"params/{i}", p)
            r.create_group("optimizer")  # empty for plain GD/SGD, which keep no state
            for key, (value, dtype) in state["optimizer"].items():
                _dataset(r, f"optimizer/{key}", value)
                r[f"optimizer/{key}"].attrs["dtype"] = dtype
            _dataset(r, "best", state["best"])
            _dataset(r, "best_step", state["best_step"])
        # last: a file that has it was written to the end (False marks a partial file)
        f.attrs["complete"] = not partial


def read_resume_state(path) -> dict:
    """The :meth:`Trainer.state` stored in a partial file (:class:`DamagedFile` if it is
    truncated, corrupted or not a partial run file)."""
    with read_h5(path, "partial run file") as f:
        if f.attrs.get("format") != FORMAT or f.attrs.get("complete", True) or "resume" not in f:
            raise DamagedFile(f"{path} is not a partial {FORMAT} file (no resume state)")
        r = f["resume"]
        n_params = len(r["params"])
        optimizer = {}
        stored = r.get("optimizer", {})
        for pid in stored:
            for key, d in stored[pid].items():
                optimizer[f"{pid}/{key}"] = (d[()], str(d.attrs["dtype"]))
        return {
            "step": int(r.attrs["step"]),
            "params": [r[f"params/{i}"][()] for i in range(n_params)],
            "optimizer": optimizer,
            "losses": f["loss"][()],
            "status": [s.decode() if isinstance(s, bytes) else s
                       for s in f["members/status"][()]],
            "final_step": f["members/final_step"][()],
            "diverged_step": f["members/diverged_step"][()],
            "best": r["best"][()],
            "best_step": r["best_step"][()],
            "checkpoints": {int(s): {k: v[()] for k, v in f[f"checkpoints/{s}"].items()}
                            for s in f["checkpoint_steps"][()]},
        }


@dataclass
class Run:
    """A run file read back: metadata and per-step arrays (checkpoints via :meth:`checkpoint`)."""

    path: Path
    attrs: dict
    config: dict
    spec: NetworkSpec
    train: TrainConfig
    seeds: np.ndarray
    losses: np.ndarray
    status: list[str]
    final_step: np.ndarray
    diverged_step: np.ndarray
    checkpoint_steps: np.ndarray

    @property
    def data(self) -> dict:
        """The ``data`` block of the run request the run was trained from (dataset, split, n,
        seed, scaling, targets); ``{}`` for a run written without a request."""
        return dict(self.config.get("extra", {}).get("data") or {})

    @property
    def lr_critical(self) -> float | None:
        """``eta_critical`` the rates were given in (``train.lr_unit``), else None."""
        value = self.config.get("lr_critical")
        return None if value is None else float(value)

    def member_lrs(self) -> np.ndarray:
        """The absolute learning rate of each member ``[E]`` (``lr_unit`` resolved)."""
        rates = np.asarray(self.train.member_lr if self.train.member_lr is not None
                           else [self.train.lr] * len(self.seeds), dtype=np.float64)
        return rates * (self.lr_critical if self.train.lr_unit is not None else 1.0)

    def member_specs(self) -> list[NetworkSpec]:
        """The spec each member was initialized from (``spec`` unless ``member_inits``)."""
        inits = self.config.get("member_inits") or [{}] * len(self.seeds)
        return [self.spec.replace(**init) for init in inits]

    def checkpoint(self, step: int) -> dict[str, np.ndarray]:
        """All arrays stored at checkpoint ``step`` (``W<l>``, ``b<l>``, extras)."""
        with read_h5(self.path, "run file") as f:
            if str(step) not in f["checkpoints"]:
                raise KeyError(f"{self.path}: no checkpoint at step {step}; "
                               f"available: {list(self.checkpoint_steps)}")
            return {k: v[()] for k, v in f[f"checkpoints/{step}"].items()}

    def params(self, step: int | None = None) -> list:
        """Stacked ``(W [E, out, in], b [E, out] or None)`` at ``step`` (default: the end)."""
        data = self.checkpoint(int(self.checkpoint_steps[-1]) if step is None else step)
        return [(data[f"W{l}"], data.get(f"b{l}")) for l in range(self.spec.n_layers)]

    def model(self, step: int | None = None, device=None, dtype: str | None = None
              ) -> EnsembleMLP:
        """The ensemble at ``step`` (default: the end), in the run's dtype or ``dtype``."""
        spec = self.spec if dtype is None else self.spec.replace(dtype=dtype)
        kind = torch_dtype(spec.dtype)
        params = [(torch.as_tensor(w, device=device, dtype=kind),
                   None if b is None else torch.as_tensor(b, device=device, dtype=kind))
                  for w, b in self.params(step)]
        return EnsembleMLP(spec, params=params)


def read_run(path) -> Run:
    """Open a run file; :class:`DamagedFile` (naming it and the command that rebuilds it) for a
    truncated or corrupted file, or one that is not a complete run file."""
    path = Path(path)
    with read_h5(path, "run file") as f:
        if f.attrs.get("format") != FORMAT:
            raise DamagedFile(f"{path} is not an {FORMAT} file (attr format="
                              f"{f.attrs.get('format')!r}); rebuild it: {rebuild_command(path)}")
        if not f.attrs.get("complete", False):
            raise DamagedFile(f"{path} is not a complete run file (attr complete is false: a "
                              f"partial resume file, or a write that did not finish); rebuild "
                              f"it: {rebuild_command(path)}")
        attrs = {k: (v.decode() if isinstance(v, bytes) else v) for k, v in f.attrs.items()}
        config = json.loads(attrs["config_json"])
        return Run(
            path=path, attrs=attrs, config=config,
            spec=NetworkSpec.from_dict(config["spec"]),
            train=TrainConfig.from_dict(config["train"]),
            seeds=np.asarray(attrs["seeds"]),
            losses=f["loss"][()],
            status=[s.decode() if isinstance(s, bytes) else s for s in f["members/status"][()]],
            final_step=f["members/final_step"][()],
            diverged_step=f["members/diverged_step"][()],
            checkpoint_steps=f["checkpoint_steps"][()],
        )


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


def partial_path(out_path) -> Path:
    """Where the resume snapshots of ``out_path`` live: next to it."""
    out_path = Path(out_path)
    return out_path.with_name(out_path.name + ".partial")


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
