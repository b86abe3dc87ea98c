"""The run-file format: the one HDF5 reader/writer of training runs (training them, with exact
resume, is :func:`mlptheory.experiment.train_to_file`).

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

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import h5py
import numpy as np
import torch

from .errors import DamagedFile, rebuild_command
from .files import checksummed, read_h5, write_h5
from .provenance import provenance
from .spec import NetworkSpec
from .train_config import TrainConfig

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


def partial_path(out_path) -> Path:
    """Where the resume snapshots of ``out_path`` live: next to it."""
    out_path = Path(out_path)
    return out_path.with_name(out_path.name + ".partial")
