"""Optimizers whose learning rate and eps differ per ensemble member.

``torch.optim`` (fused, foreach or single-tensor) takes one scalar ``lr`` and ``eps`` per
parameter group, so an ensemble whose members differ only in these (tsuchida2019 Figs. 4, 5:
an Adam eps sweep, an SGD learning-rate sweep) would need one group per member and a slice
per member. :class:`PerMemberOptimizer` instead broadcasts ``lr [E]`` and ``eps [E]`` over the
stacked ``[E, ...]`` tensors and otherwise follows, operation by operation, PyTorch's
single-tensor implementations (``torch/optim/{sgd,adam,rmsprop,nadam}.py``, no weight decay,
no amsgrad, not centered, not maximize), including the state names and the dtype of the scalar
``step`` / ``mu_product`` slots, so a member equals the same network under ``torch.optim`` (to
rounding: a per-member tensor multiplies where torch passes a Python scalar) and the
state round-trips through :class:`~mlptheory.training.MaskedOptimizer` for exact resume.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

KINDS = ("gd", "sgd", "adam", "rmsprop", "nadam")


def _scalar_dtype() -> torch.dtype:
    """The dtype torch.optim gives its scalar ``step`` slots (``_get_scalar_dtype``)."""
    return torch.float64 if torch.get_default_dtype() == torch.float64 else torch.float32


class PerMemberOptimizer(torch.optim.Optimizer):
    """``kind`` (one of :data:`KINDS`) over stacked ensemble tensors with ``lr[e]``, ``eps[e]``.

    Every parameter's first axis is the member axis ``E = len(lr)``. ``eps`` is ignored by
    SGD/GD. The other hyperparameters (``betas``, ``alpha``, ``momentum``, ``nesterov``,
    ``momentum_decay``) are shared, with torch's meanings.
    """

    def __init__(self, params, kind: str, lr: Sequence[float], eps: Sequence[float],
                 betas=(0.9, 0.999), alpha: float = 0.99, momentum: float = 0.0,
                 nesterov: bool = False, momentum_decay: float = 4e-3):
        if kind not in KINDS:
            raise ValueError(f"optimizer={kind!r}, expected one of {KINDS}")
        if len(lr) != len(eps):
            raise ValueError(f"{len(lr)} learning rates but {len(eps)} eps values")
        if kind == "rmsprop" and momentum:
            raise ValueError("per-member RMSProp supports momentum=0 only")
        defaults = {"betas": tuple(betas), "alpha": alpha, "momentum": momentum,
                    "nesterov": nesterov, "momentum_decay": momentum_decay}
        super().__init__(params, defaults)
        self.kind = kind
        self.member_lr = [float(v) for v in lr]
        self.member_eps = [float(v) for v in eps]
        self._per_param: dict[int, tuple[torch.Tensor, torch.Tensor]] = {}
        # scratch tensors shaped like each parameter, reused every step (not optimizer state:
        # nothing in them survives a step, so they stay out of state_dict and resume files)
        self._scratch: dict[tuple[int, int], torch.Tensor] = {}

    def _buffer(self, p: torch.Tensor, slot: int = 0) -> torch.Tensor:
        key = (id(p), slot)
        if key not in self._scratch:
            self._scratch[key] = torch.empty_like(p)
        return self._scratch[key]

    def _member(self, p: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``lr``, ``eps`` as ``[E, 1, ...]`` tensors broadcasting over ``p``."""
        key = id(p)
        if key not in self._per_param:
            if p.shape[0] != len(self.member_lr):
                raise ValueError(f"parameter with {p.shape[0]} members, but "
                                 f"{len(self.member_lr)} per-member learning rates")
            shape = (-1,) + (1,) * (p.dim() - 1)
            self._per_param[key] = tuple(
                torch.tensor(v, dtype=p.dtype, device=p.device).reshape(shape)
                for v in (self.member_lr, self.member_eps))
        return self._per_param[key]

    @torch.no_grad()
    def step(self, closure=None):
        if closure is not None:
            raise ValueError("PerMemberOptimizer takes no closure")
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    getattr(self, f"_{'sgd' if self.kind == 'gd' else self.kind}")(p, group)

    def _sgd(self, p, group):
        lr, _ = self._member(p)
        grad = p.grad
        momentum = group["momentum"]
        if momentum != 0:
            state = self.state[p]
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = state["momentum_buffer"] = torch.clone(grad).detach()
            else:
                buf.mul_(momentum).add_(grad)
            grad = grad.add(buf, alpha=momentum) if group["nesterov"] else buf
        p.sub_(torch.mul(grad, lr, out=self._buffer(p)))

    def _adam(self, p, group):
        lr, eps = self._member(p)
        beta1, beta2 = group["betas"]
        state = self.state[p]
        if len(state) == 0:
            state["step"] = torch.tensor(0.0, dtype=_scalar_dtype())
            state["exp_avg"] = torch.zeros_like(p)
            state["exp_avg_sq"] = torch.zeros_like(p)
        grad, exp_avg, exp_avg_sq = p.grad, state["exp_avg"], state["exp_avg_sq"]
        state["step"] += 1
        step = state["step"].item()
        exp_avg.lerp_(grad, 1 - beta1)
        exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
        bias_correction1 = 1 - beta1**step
        bias_correction2_sqrt = (1 - beta2**step) ** 0.5
        update = self._buffer(p)
        torch.sqrt(exp_avg_sq, out=update).div_(bias_correction2_sqrt).add_(eps)  # denom
        torch.div(exp_avg, update, out=update).mul_(lr / bias_correction1)
        p.sub_(update)

    def _rmsprop(self, p, group):
        lr, eps = self._member(p)
        alpha = group["alpha"]
        state = self.state[p]
        if len(state) == 0:
            state["step"] = torch.tensor(0.0, dtype=_scalar_dtype())
            state["square_avg"] = torch.zeros_like(p)
        grad, square_avg = p.grad, state["square_avg"]
        state["step"] += 1
        square_avg.mul_(alpha).addcmul_(grad, grad, value=1 - alpha)
        update = self._buffer(p)
        torch.sqrt(square_avg, out=update).add_(eps)  # avg
        torch.div(grad, update, out=update).mul_(lr)
        p.sub_(update)

    def _nadam(self, p, group):
        lr, eps = self._member(p)
        beta1, beta2 = group["betas"]
        momentum_decay = group["momentum_decay"]
        state = self.state[p]
        if len(state) == 0:
            state["step"] = torch.tensor(0.0, dtype=_scalar_dtype())
            state["mu_product"] = torch.tensor(1.0, dtype=_scalar_dtype())
            state["exp_avg"] = torch.zeros_like(p)
            state["exp_avg_sq"] = torch.zeros_like(p)
        grad, exp_avg, exp_avg_sq = p.grad, state["exp_avg"], state["exp_avg_sq"]
        mu_product = state["mu_product"]
        state["step"] += 1
        step = state["step"].item()
        bias_correction2 = 1 - beta2**step
        mu = beta1 * (1.0 - 0.5 * (0.96 ** (step * momentum_decay)))
        mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((step + 1) * momentum_decay)))
        mu_product *= mu
        exp_avg.lerp_(grad, 1 - beta1)
        exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
        denom, update = self._buffer(p), self._buffer(p, 1)
        torch.div(exp_avg_sq, bias_correction2, out=denom).sqrt_()
        mu_product_next = mu_product.item() * mu_next
        denom.add_(eps)
        torch.div(grad, denom, out=update).mul_(lr * ((1.0 - mu) / (1.0 - mu_product.item())))
        p.sub_(update)
        torch.div(exp_avg, denom, out=update).mul_(lr * (mu_next / (1.0 - mu_product_next)))
        p.sub_(update)
