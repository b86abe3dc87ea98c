"""The one training loop: an :class:`~mlptheory.models.EnsembleMLP` of ``E`` independent networks
(a single network is an ensemble of one) trained together, each exactly as if it were alone.

Losses, per network ``e`` and per step on a batch of ``S`` examples:

* ``mse``: ``L_e = 1/(2S) sum_i ||f_e(x_i) - y_i||^2`` (the 1/2 convention of
  ``EXPERIMENTS.md``, seleznova2021 fig3: the gradient w.r.t. the output is ``(f - y)/S``);
* ``mse_per_output``: ``L_e = 1/(2Sk) sum_i ||f_e(x_i) - y_i||^2``, the same averaged over the
  ``k`` outputs too (an autoencoder's loss per pixel, so step sizes do not scale with the image
  size; tsuchida2019);
* ``cross_entropy``: ``L_e = 1/S sum_i [logsumexp f_e(x_i) - f_e(x_i)_{y_i}]`` (softmax
  cross-entropy, integer labels ``y``).

Gradients are computed by explicit back-propagation through the batched layers (one batched
matrix product per layer, gradients written into persistent buffers; checked against autograd
in the tests), so member ``e``'s gradient depends only on member ``e``. The update is the
``torch.optim`` optimizer applied to the stacked ``[E, ...]`` tensors; every supported optimizer
(SGD with or without momentum, Adam, RMSProp, NAdam) is elementwise, so this equals ``E``
separate optimizers. With per-member learning rates or eps (``TrainConfig.member_lr``,
``member_eps``) the update is :class:`~mlptheory.optimizers.PerMemberOptimizer`, the same
update with ``[E]`` hyperparameter tensors. Optimizer step counters are shared, which is exact
because all members that are still training have taken the same number of steps. On a CPU, Adam
updates the large weight matrices member by member while each member's gradient is still in
cache (:class:`MaskedOptimizer`; the same kernel, bitwise the same result).

Step convention: at step ``t`` (0-based) the loss ``L(theta_t)`` of the current batch is
recorded, then ``theta_t -> theta_{t+1}``. A checkpoint at step ``s`` holds ``theta_s``.

Per-network stop rules, checked at every step on the recorded loss:

* ``max_steps``: the member ends with ``theta_{max_steps}``;
* ``plateau``: the loss has not decreased by at least ``tol`` below its best value within
  ``patience`` steps; the member ends with ``theta_t`` (no update at step ``t``);
* ``diverged``: the loss is NaN or inf; the member ends with ``theta_t`` and ``diverged_step = t``.

A stopped member is frozen: its weights and optimizer state are restored after every later
update, and its loss is recorded as NaN from then on.

Minibatches: with ``batch_size`` set, every member walks through the data in its own order
(``data_order="per_member"``, seeded from the member's order seed, by default derived from its
init seed) or all members share one order (``"shared"``, seeded from ``data_seed``). The order of
epoch ``k`` is ``numpy.random.default_rng([order_seed, k]).permutation(n)``, a pure function of
the seed and the epoch, so resuming needs only the step counter and no RNG state.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch

from .models import EnsembleMLP, backprop_deltas, torch_dtype
from .optimizers import PerMemberOptimizer
from .seeding import derive_seed
from .train_config import STATUS, TrainConfig, checkpoint_schedule

log_default = logging.getLogger("mlptheory.training")


def resolve_device(device: str = "auto") -> torch.device:
    """``auto`` picks CUDA when present; ``cuda`` without a GPU is an error."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("device='cuda' requested but torch.cuda.is_available() is False")
    if device not in ("cpu", "cuda"):
        raise ValueError(f"device={device!r}, expected auto, cpu or cuda")
    return torch.device(device)


def member_losses(out: torch.Tensor, y: torch.Tensor, loss: str):
    """Per-member losses ``[E]`` and ``dL_e/df_e`` (the module docstring's two losses).

    ``out [E, S, k]``; ``y [E or 1, S, k]`` (mse, mse_per_output) or integer labels ``[E or 1, S]``.
    """
    s = out.shape[1]
    if loss in ("mse", "mse_per_output"):
        diff = out - y
        n = s if loss == "mse" else s * out.shape[2]
        return 0.5 * diff.pow(2).sum(dim=(1, 2)) / n, diff / n
    logp = torch.log_softmax(out, dim=-1)
    labels = y.expand(out.shape[0], s).unsqueeze(-1)
    losses = -logp.gather(-1, labels).squeeze(-1).sum(1) / s
    grad = torch.exp(logp)
    grad.scatter_add_(-1, labels, torch.full_like(logp[..., :1], -1.0).expand_as(labels))
    return losses, grad / s


class EnsembleBackprop:
    """Losses and gradients of all members of an ensemble, written into persistent ``.grad``s.

    Explicit back-propagation: ``dL/dW^l = w_mult * g_z^T h^{l-1}``, ``dL/db^l = b_mult *
    sum_i g_z``, with ``g_z = dL/dz^l`` from :func:`~mlptheory.models.backprop_deltas`.
    """

    def __init__(self, model: EnsembleMLP):
        self.model = model
        self.spec = model.spec
        # parameters keep requires_grad, so checkpoint callbacks may use autograd (e.g. an
        # empirical NTK); every step overwrites these .grad buffers completely
        for p in model.parameters():
            p.grad = torch.zeros_like(p)

    @torch.no_grad()
    def __call__(self, x: torch.Tensor, y: torch.Tensor, loss: str) -> torch.Tensor:
        model, spec = self.model, self.spec
        zs, hs = model.forward_pass(x)
        losses, dloss_dout = member_losses(zs[-1], y, loss)
        e = model.n_members
        for layer, g in backprop_deltas(model, zs, dloss_dout, hs):
            b_mult = model.multipliers[layer][1]
            h = x if layer == 0 else hs[layer - 1]
            if h.dim() == 2:
                h = h.expand(e, *h.shape)
            self.weight_grad(layer, g, h)
            if spec.bias:
                gb = model.biases[layer].grad
                torch.sum(g, dim=1, out=gb)
                if b_mult != 1.0:
                    gb.mul_(b_mult)
        return losses

    def weight_grad(self, layer: int, g: torch.Tensor, h: torch.Tensor) -> None:
        """``dL/dW^l`` of every member into ``weights[l].grad`` (one batched product)."""
        gw = self.model.weights[layer].grad
        torch.bmm(g.transpose(1, 2), h, out=gw)
        w_mult = self.model.multipliers[layer][0]
        if w_mult != 1.0:
            gw.mul_(w_mult)



def make_optimizer(params, config: TrainConfig, device: torch.device,
                   n_members: int | None = None) -> torch.optim.Optimizer:
    """A torch.optim optimizer over the stacked ensemble tensors (elementwise, so per member);
    with ``member_lr`` / ``member_eps`` a :class:`~mlptheory.optimizers.PerMemberOptimizer`."""
    o = config.optimizer
    if config.per_member:
        for name in ("member_lr", "member_eps"):
            values = getattr(config, name)
            if values is not None and n_members is not None and len(values) != n_members:
                raise ValueError(f"TrainConfig.{name} has {len(values)} values for an "
                                 f"ensemble of {n_members} members")
        e = len(config.member_lr if config.member_lr is not None else config.member_eps)
        return PerMemberOptimizer(
            params, o, lr=config.member_lr or (config.lr,) * e,
            eps=config.member_eps or (config.eps,) * e, betas=config.betas, alpha=config.alpha,
            momentum=config.momentum, nesterov=config.nesterov,
            momentum_decay=config.momentum_decay)
    if o in ("gd", "sgd"):
        return torch.optim.SGD(params, lr=config.lr, momentum=config.momentum,
                               nesterov=config.nesterov, fused=bool(config.fused))
    if o == "adam":
        return torch.optim.Adam(params, lr=config.lr, betas=config.betas, eps=config.eps,
                                fused=bool(config.fused))
    if o == "rmsprop":
        return torch.optim.RMSprop(params, lr=config.lr, alpha=config.alpha, eps=config.eps,
                                   momentum=config.momentum)
    return torch.optim.NAdam(params, lr=config.lr, betas=config.betas, eps=config.eps,
                             momentum_decay=config.momentum_decay)


@dataclass
class TrainResult:
    """What a run produced; ``losses [steps, E]`` is NaN where a member was not training."""

    losses: np.ndarray
    status: list[str]
    final_step: np.ndarray
    diverged_step: np.ndarray
    checkpoint_steps: list[int]
    checkpoints: dict[int, dict[str, np.ndarray]]
    params: list  # final stacked (W, b) as numpy arrays


Callback = Callable[[int, EnsembleMLP, np.ndarray], "dict[str, np.ndarray] | None"]


def _to_numpy(t: torch.Tensor) -> np.ndarray:
    return t.detach().cpu().numpy().copy()


class BatchOrder:
    """Which examples each member sees at each step (module docstring, "Minibatches").

    ``order_seeds`` has one seed per member, or a single seed shared by all. Epoch ``k`` uses
    ``numpy.random.default_rng([seed, k]).permutation(n)``; the permutations of the current
    epoch are cached.
    """

    def __init__(self, x: torch.Tensor, y: torch.Tensor, batch_size: int | None,
                 drop_last: bool, order_seeds: Sequence[int]):
        self.x, self.y = x, y
        self.batch_size, self.drop_last = batch_size, drop_last
        self.order_seeds = [int(s) for s in order_seeds]
        self._perm_cache: dict[int, torch.Tensor] = {}

    @property
    def steps_per_epoch(self) -> int:
        n, b = self.x.shape[0], self.batch_size
        return n // b if self.drop_last else -(-n // b)

    def indices(self, step: int) -> torch.Tensor:
        """Indices ``[E or 1, b]`` of the examples used at ``step``."""
        spe, b, n = self.steps_per_epoch, self.batch_size, self.x.shape[0]
        epoch, pos = divmod(step, spe)
        if epoch not in self._perm_cache:
            perms = np.stack([np.random.default_rng([s, epoch]).permutation(n)
                              for s in self.order_seeds])
            self._perm_cache = {epoch: torch.as_tensor(perms, device=self.x.device)}
        return self._perm_cache[epoch][:, pos * b: min((pos + 1) * b, n)]

    def batch(self, step: int) -> tuple[torch.Tensor, torch.Tensor]:
        """``(x [S, d] or [E, S, d], y [1 or E, S, ...])`` of ``step``."""
        if self.batch_size is None:
            return self.x, self.y.unsqueeze(0)
        idx = self.indices(step)
        if idx.shape[0] == 1:
            return self.x[idx[0]], self.y[idx[0]].unsqueeze(0)
        return self.x[idx], self.y[idx]


class MemberStatus:
    """Whether each member still trains, and the stop rules of the module docstring.

    ``status[e]`` is one of :data:`STATUS`; ``final_step[e]`` the step of its final weights,
    ``diverged_step[e]`` the step its loss became NaN/inf (-1: never); ``best`` and
    ``best_step`` track the plateau rule (``tol``, ``patience``).
    """

    FIELDS = ("status", "final_step", "diverged_step", "best", "best_step")

    def __init__(self, n_members: int, tol: float | None = None, patience: int | None = None,
                 log: logging.Logger = log_default):
        self.tol, self.patience, self.log = tol, patience, log
        self.status = ["running"] * n_members
        self.final_step = np.full(n_members, -1, dtype=np.int64)
        self.diverged_step = np.full(n_members, -1, dtype=np.int64)
        self.best = np.full(n_members, np.inf)
        self.best_step = np.zeros(n_members, dtype=np.int64)

    @property
    def active(self) -> np.ndarray:
        return np.array([s == "running" for s in self.status])

    def observe(self, step: int, losses: np.ndarray) -> None:
        """Apply the stop rules to the losses recorded at ``step`` (active members only)."""
        for e in np.flatnonzero(self.active):
            loss = losses[e]
            if not np.isfinite(loss):
                self.status[e], self.final_step[e], self.diverged_step[e] = "diverged", step, step
                self.log.info("member %d diverged at step %d (loss %s)", e, step, loss)
                continue
            if self.tol is not None:
                if loss < self.best[e] - self.tol:
                    self.best[e], self.best_step[e] = loss, step
                elif step - self.best_step[e] >= self.patience:
                    self.status[e], self.final_step[e] = "plateau", step

    def finish(self, step: int) -> None:
        """Members still running at the end stopped by ``max_steps`` at ``step``."""
        for e, s in enumerate(self.status):
            if s == "running":
                self.status[e], self.final_step[e] = "max_steps", step

    def counts(self) -> dict[str, int]:
        return {s: self.status.count(s) for s in STATUS if s in self.status}

    def state(self) -> dict:
        return {"status": list(self.status), "final_step": self.final_step.copy(),
                "diverged_step": self.diverged_step.copy(), "best": self.best.copy(),
                "best_step": self.best_step.copy()}

    def load_state(self, state: dict) -> None:
        self.status = [str(s) for s in state["status"]]
        self.final_step = np.asarray(state["final_step"], dtype=np.int64).copy()
        self.diverged_step = np.asarray(state["diverged_step"], dtype=np.int64).copy()
        self.best = np.asarray(state["best"], dtype=np.float64).copy()
        self.best_step = np.asarray(state["best_step"], dtype=np.int64).copy()


class MaskedOptimizer:
    """A torch optimizer over stacked ``[E, ...]`` tensors whose step can skip members.

    :meth:`step` restores the weights and the per-parameter optimizer slots of frozen members
    after the update; :meth:`state` / :meth:`load_state` give the optimizer state as numpy
    arrays with their dtypes, for an exact resume.
    """

    def __init__(self, optimizer: torch.optim.Optimizer, params: list[torch.Tensor]):
        self.optimizer, self.params = optimizer, params

    def step(self, frozen: np.ndarray) -> None:
        """One ``optimizer.step()``; frozen members' weights and optimizer slots restored."""
        if not frozen.any():
            self.optimizer.step()
            return
        idx = torch.as_tensor(np.flatnonzero(frozen), device=self.params[0].device)
        saved = []
        for p in self.params:
            if p.grad is None:
                continue
            p.grad[idx] = 0.0
            st = self.optimizer.state.get(p, {})
            slots = {k: v[idx].clone() for k, v in st.items()
                     if torch.is_tensor(v) and v.shape == p.shape}
            saved.append((p, p.data[idx].clone(), slots))
        self.optimizer.step()
        with torch.no_grad():
            for p, values, slots in saved:
                p[idx] = values
                st = self.optimizer.state[p]
                for k, v in slots.items():
                    st[k][idx] = v

    def state(self) -> dict:
        """``{"<param index>/<slot>": (numpy value, dtype name or "python")}``."""
        out = {}
        for pid, st in self.optimizer.state_dict()["state"].items():
            for key, value in st.items():
                if torch.is_tensor(value):
                    out[f"{pid}/{key}"] = (_to_numpy(value), str(value.dtype))
                else:
                    out[f"{pid}/{key}"] = (np.asarray(value), "python")
        return out

    def load_state(self, saved: dict) -> None:
        opt = self.optimizer.state_dict()
        new_state: dict = {}
        for key, (value, dtype) in saved.items():
            pid, name = key.split("/", 1)
            if dtype == "python":
                v = value.item()
            else:
                # load_state_dict moves each tensor to where the optimizer keeps it
                v = torch.as_tensor(value).to(dtype=getattr(torch, dtype.split(".")[-1]))
            new_state.setdefault(int(pid), {})[name] = v
        opt["state"] = new_state
        self.optimizer.load_state_dict(opt)
        # load_state_dict casts scalar slots such as NAdam's mu_product to the parameter dtype;
        # put back the dtypes they had when saved, or the resumed run would round differently
        for pid, slots in new_state.items():
            st = self.optimizer.state[self.params[pid]]
            for name, v in slots.items():
                if torch.is_tensor(v) and st[name].dtype != v.dtype:
                    st[name] = st[name].to(v.dtype)


class Trainer:
    """Trains an ensemble in place; :meth:`state` / :meth:`load_state` give exact resume.

    The parts: :class:`BatchOrder` (``self.order``), :class:`EnsembleBackprop`,
    :class:`MemberStatus` (``self.members``) and :class:`MaskedOptimizer` (``self.optimizer``).
    ``callback(step, model, active)`` runs at every checkpoint (after the weights are recorded)
    and may return extra arrays (e.g. an empirical NTK ``[E, n, n]``) stored with the checkpoint.
    It may use autograd on ``model`` but must not change its weights. ``keep_weights=False``
    stores only the callback's arrays at checkpoints (for callers that record outputs of wide
    ensembles and need no copy of every member's weights per checkpoint); the final weights are
    in :meth:`result` either way.
    """

    def __init__(
        self,
        model: EnsembleMLP,
        x,
        y,
        config: TrainConfig,
        order_seeds: Sequence[int] | None = None,
        callback: Callback | None = None,
        log: logging.Logger | None = None,
        keep_weights: bool = True,
    ):
        self.model = model
        self.config = config
        self.log = log or log_default
        self.callback = callback
        self.keep_weights = keep_weights
        self.n_members = model.n_members
        x, y = _training_tensors(model, x, y, config)
        if config.data_order == "shared" or config.batch_size is None:
            order_seeds = [derive_seed(config.data_seed, "data_order")]
        elif order_seeds is None:
            raise ValueError("data_order='per_member' needs one order seed per member "
                             "(train_to_file derives them from the init seeds)")
        elif len(order_seeds) != self.n_members:
            raise ValueError(f"{len(order_seeds)} order seeds for {self.n_members} members")
        self.order = BatchOrder(x, y, config.batch_size, config.drop_last, order_seeds)
        self.backprop = EnsembleBackprop(model)
        self.params = list(model.parameters())
        self.optimizer = MaskedOptimizer(
            make_optimizer(self.params, config, x.device, self.n_members), self.params)
        self.members = MemberStatus(self.n_members, config.tol, config.patience, self.log)
        self.schedule = checkpoint_schedule(config)
        self.step = 0
        self.losses: list[np.ndarray] = []
        self.checkpoints: dict[int, dict[str, np.ndarray]] = {}

    def batch_indices(self, step: int) -> torch.Tensor:
        """Indices ``[E or 1, b]`` of the examples used at ``step`` (see :class:`BatchOrder`)."""
        return self.order.indices(step)

    @property
    def active(self) -> np.ndarray:
        return self.members.active

    def _record_checkpoint(self, step: int):
        self.checkpoints[step] = checkpoint_arrays(self.model, step, self.active, self.callback,
                                                   weights=self.keep_weights)

    def state(self) -> dict:
        """Everything needed to continue bitwise-identically (numpy arrays and plain values)."""
        return {
            "step": self.step,
            "params": [_to_numpy(p) for p in self.params],
            "optimizer": self.optimizer.state(),
            "losses": self._losses_array(),
            **self.members.state(),
            "checkpoints": {s: dict(d) for s, d in self.checkpoints.items()},
        }

    def load_state(self, state: dict):
        with torch.no_grad():
            for p, value in zip(self.params, state["params"], strict=True):
                p.copy_(torch.as_tensor(value))
        self.optimizer.load_state(state["optimizer"])
        self.members.load_state(state)
        self.step = int(state["step"])
        self.losses = list(np.asarray(state["losses"], dtype=np.float64))
        self.checkpoints = {int(s): dict(d) for s, d in state["checkpoints"].items()}

    def run(self, snapshot: Callable[[Trainer], None] | None = None,
            snapshot_every: int = 0, snapshot_seconds: float | None = None,
            pause_at: int | None = None) -> TrainResult | None:
        """Train until every member has stopped or ``max_steps``; resumable via :meth:`state`.

        ``snapshot(self)`` is called every ``snapshot_every`` steps and/or every
        ``snapshot_seconds`` seconds (at step boundaries, so it captures a consistent state).
        ``pause_at``: return ``None`` on reaching that step; a later ``run()`` continues.
        """
        cfg = self.config
        t_start, step_start = time.perf_counter(), self.step
        t_snap = t_start
        t_log = t_start
        while True:
            step = self.step
            if step in self.schedule and step not in self.checkpoints:
                self._record_checkpoint(step)
            if step >= cfg.max_steps or not self.active.any():
                break
            if pause_at is not None and step >= pause_at:
                return None
            xb, yb = self.order.batch(step)
            losses_t = self.backprop(xb, yb, cfg.loss).detach().cpu().numpy().astype(np.float64)
            losses_t = np.where(self.active, losses_t, np.nan)
            self.members.observe(step, losses_t)
            self.losses.append(losses_t)
            still = self.active
            if still.any():
                self.optimizer.step(~still)
            self.step = step + 1
            now = time.perf_counter()
            if cfg.log_every and (self.step % cfg.log_every == 0 or now - t_log > 60):
                t_log = now
                _log_progress(self.log, self.step, cfg.max_steps, losses_t, self.active,
                              now - t_start, self.step - step_start)
            if snapshot is not None and (
                (snapshot_every and self.step % snapshot_every == 0)
                or (snapshot_seconds is not None and now - t_snap >= snapshot_seconds)
            ):
                snapshot(self)
                t_snap = time.perf_counter()
        end = self.step
        self.members.finish(end)
        if end not in self.checkpoints:
            self._record_checkpoint(end)
        self.log.info("finished at step %d: %s", end, self.members.counts())
        return self.result()

    def _losses_array(self) -> np.ndarray:
        return np.stack(self.losses) if self.losses else np.zeros((0, self.n_members))

    def result(self) -> TrainResult:
        m = self.members
        return TrainResult(
            losses=self._losses_array(),
            status=list(m.status),
            final_step=m.final_step.copy(),
            diverged_step=m.diverged_step.copy(),
            checkpoint_steps=sorted(self.checkpoints),
            checkpoints=self.checkpoints,
            params=[(_to_numpy(w), None if b is None else _to_numpy(b))
                    for w, b in self.model.to_params()],
        )


def _training_tensors(model: EnsembleMLP, x, y, config: TrainConfig):
    """``x [n, d]`` in the model's dtype and device; targets ``[n, k]`` or labels ``[n]``."""
    device = model.weights[0].device
    dtype = torch_dtype(model.spec.dtype)
    x = torch.as_tensor(np.asarray(x) if not torch.is_tensor(x) else x).to(device, dtype)
    if config.loss == "cross_entropy":
        y = torch.as_tensor(y).to(device=device, dtype=torch.long)
        if y.dim() != 1:
            raise ValueError(f"cross_entropy needs integer labels [n], got {tuple(y.shape)}")
    else:
        y = torch.as_tensor(y).to(device, dtype)
        if y.dim() == 1:
            y = y.unsqueeze(-1)
    n = x.shape[0]
    if x.dim() != 2 or x.shape[1] != model.spec.input_dim:
        raise ValueError(f"x must be [n, {model.spec.input_dim}], got {tuple(x.shape)}")
    if y.shape[0] != n:
        raise ValueError(f"x has {n} rows but y has {y.shape[0]}")
    if config.batch_size is not None and config.batch_size > n:
        raise ValueError(f"batch_size={config.batch_size} exceeds the {n} training examples")
    return x, y


def checkpoint_arrays(model: EnsembleMLP, step: int, active: np.ndarray,
                      callback: Callback | None = None, weights: bool = True
                      ) -> dict[str, np.ndarray]:
    """The arrays stored at a checkpoint: ``W<l>``, ``b<l>`` (unless ``weights=False``) and
    whatever ``callback`` returns."""
    data = {}
    for layer, (w, b) in enumerate(model.to_params() if weights else []):
        data[f"W{layer}"] = _to_numpy(w)
        if b is not None:
            data[f"b{layer}"] = _to_numpy(b)
    if callback is not None:
        extra = callback(step, model, active) or {}
        for name, value in extra.items():
            if name in data:
                raise ValueError(f"callback array name {name!r} clashes with a weight name")
            data[name] = np.asarray(value.detach().cpu() if torch.is_tensor(value) else value)
    return data


def _log_progress(log: logging.Logger, step: int, max_steps: int, losses_t: np.ndarray,
                  active: np.ndarray, elapsed: float, steps_done: int):
    rate = steps_done / elapsed if elapsed > 0 else float("nan")
    remaining = (max_steps - step) / rate if rate > 0 else float("nan")
    finite = losses_t[np.isfinite(losses_t)]
    loss_text = (f"loss median {np.median(finite):.6g} min {finite.min():.6g} "
                 f"max {finite.max():.6g}" if finite.size else "loss n/a")
    log.info("step %d/%d %s active %d/%d %.2f steps/s ETA %s", step, max_steps, loss_text,
             int(active.sum()), len(active), rate, _fmt_seconds(remaining))


def _fmt_seconds(s: float) -> str:
    if not math.isfinite(s):
        return "?"
    s = int(s)
    return f"{s // 3600}h{s % 3600 // 60:02d}m{s % 60:02d}s"


def train(model: EnsembleMLP, x, y, config: TrainConfig, order_seeds=None, callback=None,
          log=None) -> TrainResult:
    """Train ``model`` in place (no resume); see :class:`Trainer`."""
    return Trainer(model, x, y, config, order_seeds=order_seeds, callback=callback,
                   log=log).run()
