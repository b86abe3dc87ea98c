"""Closed-form predictions of linearized and infinitely wide networks under gradient descent on
the MSE (lee2019 Secs. 2-2.3; neural-tangents ``nt.predict``).

Conventions: the project's loss ``L = 1/(2S) sum_i ||f(x_i) - y_i||^2`` over ``S`` training
points (:mod:`mlptheory.training`), full-batch gradient descent with learning rate ``lr`` in
*discrete* steps. A linearized model changes its training outputs by
``f_{t+1}(X) - f_t(X) = -(lr/S) Theta (f_t(X) - Y)``, so with ``Theta = V diag(lam) V^T``

* residual ``f_t(X) - Y = V (1 - lr lam/S)^t V^T (f_0(X) - Y)``   (eq. (9), discrete form);
* ``f_t(x) = f_0(x) - Theta(x, X) V diag(g_t) V^T (f_0(X) - Y)``, ``g_t = (1 - (1 - lr
  lam/S)^t) / lam``  (eqs. (10), (11));
* ``||theta_t - theta_0||^2 = sum_k lam_k g_t,k^2 (V^T (f_0(X) - Y))_k^2``  (eq. (8): ``omega_t
  = -J^T V diag(g_t) V^T (f_0 - Y)`` and ``J J^T = Theta``).

The continuous-time ``exp(-lr Theta t / S)`` of the paper is the limit of small ``lr``. One
eigendecomposition serves every time. ``eta_critical(Theta, S) = 2 S / (lam_min + lam_max)``
is the paper's ``2 / (lam_min + lam_max)`` in this loss convention.

Several outputs: pass ``Theta`` as ``[n, n]`` (the same kernel for every output, as for the
analytic NTK or a trace kernel) or ``[n, n, k, k]`` (``empirical_ntk(..., outputs="full")``).
All arrays are float64 numpy.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


def eta_critical(theta_train, n_train: int) -> float:
    """lee2019 Theorem 2.1's ``2 / (lam_min + lam_max)`` for the loss ``1/(2S) sum``: ``2 S /
    (lam_min + lam_max)`` of ``Theta(X, X)``."""
    lam = np.linalg.eigvalsh(_as_matrix(np.asarray(theta_train, dtype=np.float64)))
    return 2.0 * n_train / (lam[0] + lam[-1])


def _as_matrix(theta):
    if theta.ndim == 4:  # [n, n2, k, k] -> [(n k), (n2 k)]
        n, n2, k, _ = theta.shape
        return theta.transpose(0, 2, 1, 3).reshape(n * k, n2 * k)
    return theta


def _growth(lam, lr, n_train, steps):
    """``g_t = (1 - (1 - lr lam/S)^t) / lam`` (``t lr / S`` at ``lam = 0``), ``[T, n]``."""
    steps = np.asarray(steps, dtype=np.float64)[:, None]
    a = lr * lam / n_train
    with np.errstate(divide="ignore", invalid="ignore"):
        decay = np.where(a < 1, np.exp(steps * np.log1p(-np.minimum(a, 1 - 1e-300))),
                         np.power(1 - a, steps))
        g = np.where(np.abs(lam) > 1e-300, (1 - decay) / lam, steps * lr / n_train)
    return g, decay


@dataclass
class GradientDescentMSE:
    """The training dynamics of a linearized model (eqs. (8)-(11), discrete GD), every time
    from one eigendecomposition of ``Theta(X, X)``.

    ``theta_train [n, n]`` (or ``[n, n, k, k]``), ``y_train [n, k]``, ``f0_train [n, k]``;
    ``theta_test_train [m, n]`` (or ``[m, n, k, k]``) and ``f0_test [m, k]`` for test points.
    """

    theta_train: np.ndarray
    y_train: np.ndarray
    f0_train: np.ndarray
    lr: float
    theta_test_train: np.ndarray | None = None
    f0_test: np.ndarray | None = None

    def __post_init__(self):
        theta = np.asarray(self.theta_train, dtype=np.float64)
        self.full = theta.ndim == 4
        self.y = np.asarray(self.y_train, dtype=np.float64)
        self.f0 = np.asarray(self.f0_train, dtype=np.float64)
        if self.y.ndim == 1:
            self.y, self.f0 = self.y[:, None], self.f0.reshape(-1, 1)
        self.n, self.k = self.y.shape
        if self.f0.shape != self.y.shape:
            raise ValueError(f"f0_train {self.f0.shape} and y_train {self.y.shape} differ")
        mat = _as_matrix(theta)
        if mat.shape[0] != (self.n * self.k if self.full else self.n):
            raise ValueError(f"theta_train {theta.shape} does not match y_train {self.y.shape}")
        self.lam, self.v = np.linalg.eigh(mat)
        resid = self.f0 - self.y
        self.r0 = self.v.T @ (resid.reshape(-1) if self.full else resid)  # [p] or [n, k]
        if self.theta_test_train is not None:
            tt = _as_matrix(np.asarray(self.theta_test_train, dtype=np.float64))
            self.test_proj = tt @ self.v
            self.f0t = np.asarray(self.f0_test, dtype=np.float64).reshape(-1, self.k)

    def _coeffs(self, steps):
        return _growth(self.lam, self.lr, self.n, steps)

    def train_outputs(self, steps: Sequence[int]) -> np.ndarray:
        """``f_t(X)`` at each step, ``[T, n, k]``."""
        _, decay = self._coeffs(steps)  # [T, p]
        if self.full:
            resid = (decay * self.r0) @ self.v.T  # every time at once: [T, n k]
        else:
            resid = np.einsum("ij,tj,jk->tik", self.v, decay, self.r0)
        return self.y + resid.reshape(len(decay), self.n, self.k)

    def test_outputs(self, steps: Sequence[int]) -> np.ndarray:
        """``f_t(x)`` at the test points at each step, ``[T, m, k]``."""
        if self.theta_test_train is None:
            raise ValueError("test outputs need theta_test_train and f0_test")
        g, _ = self._coeffs(steps)  # [T, p]
        if self.full:
            change = (g * self.r0) @ self.test_proj.T  # [T, m k]
        else:
            change = np.einsum("ij,tj,jk->tik", self.test_proj, g, self.r0)
        return self.f0t - change.reshape(len(g), -1, self.k)

    def weight_change(self, steps: Sequence[int], jacobian) -> np.ndarray:
        """``theta_t - theta_0`` of chosen parameters at each step, ``[T, p]``, from
        ``jacobian [n, p]``: ``d f(x_i) / d theta_j`` at ``theta_0`` for those parameters
        (scalar output, trace kernel). Eq. (10) in discrete time: ``omega_t = -J^T V diag(g_t)
        V^T (f_0 - Y)``."""
        if self.full or self.k != 1:
            raise ValueError("weight_change needs a scalar output (k = 1)")
        jac = np.asarray(jacobian, dtype=np.float64)
        if jac.ndim != 2 or jac.shape[0] != self.n:
            raise ValueError(f"jacobian must be [n={self.n}, p], got {jac.shape}")
        g, _ = self._coeffs(steps)  # [T, n]
        return -(g * self.r0[:, 0]) @ (self.v.T @ jac)

    def displacement(self, steps: Sequence[int]) -> np.ndarray:
        """``||theta_t - theta_0||`` at each step, ``[T]``."""
        g, _ = self._coeffs(steps)
        r2 = self.r0**2 if self.full else (self.r0**2).sum(1)
        lam = np.maximum(self.lam, 0.0)
        return np.sqrt(np.sum(lam * g**2 * r2, axis=1))


def gradient_descent_mse(theta_train, y_train, f0_train, lr: float, theta_test_train=None,
                         f0_test=None) -> GradientDescentMSE:
    """neural-tangents ``nt.predict.gradient_descent_mse`` for this project's conventions."""
    return GradientDescentMSE(theta_train, y_train, f0_train, lr, theta_test_train, f0_test)


def gradient_descent_mse_ensemble(k_train, k_test_train, k_test_test, theta_train,
                                  theta_test_train, y_train, lr: float, steps: Sequence[int]
                                  ) -> tuple[np.ndarray, np.ndarray]:
    """lee2019 eqs. (14), (15): mean ``[T, m]`` and covariance ``[T, m, m]`` of the outputs at
    the test points of the infinite ensemble (``f_0 ~ GP(0, K)``, deterministic ``Theta``)
    after ``steps`` discrete GD steps (scalar outputs; ``y_train [n]``).

    With ``A_t = Theta(x, X) V diag(g_t) V^T`` (module docstring), ``f_t(x) = f_0(x) -
    A_t f_0(X) + A_t Y``: mean ``A_t Y``, covariance ``K(x, x') - A_t K(X, x') - K(x, X) A_t^T +
    A_t K(X, X) A_t^T``.
    """
    theta = np.asarray(theta_train, dtype=np.float64)
    lam, v = np.linalg.eigh(theta)
    g, _ = _growth(lam, lr, theta.shape[0], steps)
    y = np.asarray(y_train, dtype=np.float64).reshape(-1)
    k_train = np.asarray(k_train, dtype=np.float64)
    ktt = np.asarray(k_test_train, dtype=np.float64)
    proj = np.asarray(theta_test_train, dtype=np.float64) @ v
    means, covs = [], []
    for gt in g:
        a = (proj * gt) @ v.T  # [m, n]
        means.append(a @ y)
        cross = a @ ktt.T  # A K(X, x')
        cov = np.asarray(k_test_test, dtype=np.float64) - cross - cross.T + a @ k_train @ a.T
        covs.append(0.5 * (cov + cov.T))
    return np.stack(means), np.stack(covs)


def gp_inference(k_train, k_test_train, k_test_test, y_train, diag_reg: float = 0.0
                 ) -> tuple[np.ndarray, np.ndarray]:
    """lee2019 eq. (13): the NNGP posterior mean ``K(x, X) K^{-1} Y`` and covariance ``K(x, x')
    - K(x, X) K^{-1} K(X, x')`` (exact Bayesian inference, noise ``diag_reg`` on ``K(X, X)``)."""
    k = np.asarray(k_train, dtype=np.float64)
    k = k + diag_reg * np.eye(len(k))
    ktt = np.asarray(k_test_train, dtype=np.float64)
    chol = np.linalg.cholesky(k)
    sol_y = np.linalg.solve(chol.T, np.linalg.solve(chol, np.asarray(y_train, dtype=np.float64)))
    half = np.linalg.solve(chol, ktt.T)  # L^{-1} K(X, x)
    cov = np.asarray(k_test_test, dtype=np.float64) - half.T @ half
    return ktt @ sol_y, 0.5 * (cov + cov.T)


def readout_gd_ensemble(k_train, k_test_train, k_test_test, y_train, lr: float,
                        steps: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
    """lee2019 eq. (16) and its supplement: mean ``[T, m]`` and covariance ``[T, m, m]`` at the
    test points of an infinite ensemble in which **only the readout layer** is trained by
    discrete full-batch GD on the MSE, after each of ``steps``.

    With the hidden layers frozen, the network is linear in the readout weights and bias, and
    its tangent kernel is the gradient of the outputs with respect to them alone, which is the
    NNGP kernel ``K`` of the outputs (at infinite width; ``sw2 h.h'/n + sb2``). So the dynamics
    are eqs. (14)-(15) with ``Theta`` replaced by ``K``; as ``t -> inf`` they reach the NNGP
    posterior, eq. (13) (:func:`gp_inference`). This is neural-tangents'
    ``predict.gradient_descent_mse_ensemble(..., get='nngp')`` at finite time, in this
    project's loss convention ``1/(2S) sum`` and discrete steps.
    """
    return gradient_descent_mse_ensemble(k_train, k_test_train, k_test_test, k_train,
                                         k_test_train, y_train, lr, steps)
