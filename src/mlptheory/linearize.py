"""The first-order Taylor model of a network (lee2019 eq. (4); neural-tangents ``nt.linearize``).

>>> net = MLP(spec, seed=0)
>>> lin = linearize(net)                  # f_lin(x; theta) = f0(x) + J0(x) (theta - theta0)
>>> out = lin(x)                          # equals net(x) at theta = theta0
>>> history = gradient_descent(lin, x, y, lr=0.5, steps=100, record_steps=[0, 10, 100])

The trainable parameters of :class:`Linearized` are the displacement ``omega = theta - theta0``
(zero at construction). The forward pass is one forward-mode product (``torch.func.jvp``) of the
network at ``theta0`` in the direction ``omega``: no Jacobian is ever materialized, so it costs
about two forward passes, and its backward pass about two backward passes.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch.func import functional_call, jvp


class Linearized(torch.nn.Module):
    """``f_lin(x) = f(x; theta0) + J(x; theta0) omega`` with trainable ``omega`` (zero at start).

    Works for any module whose parameters are ``theta0`` (an :class:`~mlptheory.models.MLP`, an
    :class:`~mlptheory.models.EnsembleMLP` -- members stay independent, since each member's
    output depends only on its own slice of the stacked parameters -- or any ``nn.Module``).
    """

    def __init__(self, model: torch.nn.Module, params0: dict[str, torch.Tensor] | None = None):
        super().__init__()
        names = [name for name, _ in model.named_parameters()]
        if params0 is None:
            params0 = {name: p.detach().clone() for name, p in model.named_parameters()}
        missing = sorted(set(names) - set(params0))
        if missing:
            raise ValueError(f"params0 lacks the model's parameters {missing}")
        self._model = [model]  # a list, so the network's parameters are not ours
        self.names = names
        self.params0 = {n: params0[n].detach() for n in names}
        self.omega = torch.nn.ParameterList(
            [torch.nn.Parameter(torch.zeros_like(self.params0[n])) for n in names])

    @property
    def model(self) -> torch.nn.Module:
        return self._model[0]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        def f(params):
            return functional_call(self.model, params, (x,))

        tangent = {n: w for n, w in zip(self.names, self.omega, strict=True)}
        f0, df = jvp(f, (self.params0,), (tangent,))
        return f0 + df

    def params(self) -> dict[str, torch.Tensor]:
        """The current parameters ``theta0 + omega`` (detached)."""
        return {n: (self.params0[n] + w).detach() for n, w in zip(self.names, self.omega,
                                                                  strict=True)}

    def displacement_norm(self, members: bool = False) -> torch.Tensor:
        """``||theta - theta0||``; per member (norm over all but the leading axis) if
        ``members``, for an ensemble."""
        with torch.no_grad():
            if members:
                return torch.sqrt(sum(w.pow(2).flatten(1).sum(1) for w in self.omega))
            return torch.sqrt(sum(w.pow(2).sum() for w in self.omega))


def linearize(model: torch.nn.Module, params0: dict[str, torch.Tensor] | None = None
              ) -> Linearized:
    """The linearization of ``model`` around ``params0`` (default: its current parameters)."""
    return Linearized(model, params0)


def output_jacobian(model: torch.nn.Module, x: torch.Tensor, select) -> torch.Tensor:
    """``d f(x_i) / d theta_j`` ``[n, p]`` of a scalar-output ``model`` for the parameters that
    ``select(named parameters) -> [p]`` picks (a few weights; one backward pass per input, so
    the full Jacobian is never held)."""
    params = dict(model.named_parameters())
    rows = []
    for i in range(len(x)):
        out = model(x[i:i + 1]).reshape(-1)
        if out.numel() != 1:
            raise ValueError(f"output_jacobian needs a scalar output, got {out.numel()}")
        grads = torch.autograd.grad(out[0], list(params.values()), allow_unused=True)
        named = {n: (torch.zeros_like(p) if g is None else g)
                 for (n, p), g in zip(params.items(), grads, strict=True)}
        rows.append(select(named).detach())
    return torch.stack(rows)


def mse_loss(out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """The project's MSE ``1/(2S) sum_i ||f(x_i) - y_i||^2`` over the example axis ``-2``
    (per member for an ensemble output ``[E, S, k]``)."""
    return 0.5 * (out - y).pow(2).sum(dim=(-2, -1)) / out.shape[-2]


def gradient_descent(module: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, lr: float,
                     steps: int, record_steps: Sequence[int] = (), x_eval=None, measure=None
                     ) -> dict[int, dict[str, torch.Tensor]]:
    """Full-batch gradient descent on the MSE of ``module`` (a :class:`Linearized` model, which
    the explicit-backprop training engine :mod:`mlptheory.training` cannot train).

    Step convention as in :mod:`mlptheory.training`: at step ``t`` the outputs of ``theta_t``
    are recorded (if ``t`` is in ``record_steps``), then ``theta_t -> theta_{t+1}``. Returns
    ``{t: {"train": f_t(x), "eval": f_t(x_eval), "displacement": ||theta_t - theta_0||}}``
    (``displacement`` for :class:`Linearized` only; per member for ``[E, ...]`` outputs), plus
    whatever ``measure(module)`` returns (a dict) at each recorded step.
    """
    record = set(int(s) for s in record_steps)
    params = [p for p in module.parameters() if p.requires_grad]
    history = {}
    for step in range(steps + 1):
        out = module(x)
        if step in record:
            entry = {"train": out.detach().clone()}
            if x_eval is not None:
                with torch.no_grad():
                    entry["eval"] = module(x_eval).detach().clone()
            if isinstance(module, Linearized):
                entry["displacement"] = module.displacement_norm(members=out.dim() == 3)
            if measure is not None:
                entry.update(measure(module))
            history[step] = entry
        if step == steps:
            break
        grads = torch.autograd.grad(mse_loss(out, y).sum(), params)
        with torch.no_grad():
            for p, g in zip(params, grads, strict=True):
                p.sub_(lr * g)
    return history
