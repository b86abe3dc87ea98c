"""Monte Carlo estimates of the NNGP kernel and the NTK (lee2019 App. I, Fig. S9; neural-tangents
``nt.monte_carlo_kernel_fn``): the empirical kernels of ``n_samples`` independently initialized
networks of one spec, averaged."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from ..models import EnsembleMLP
from ..spec import NetworkSpec
from .empirical import empirical_nngp, empirical_ntk


def monte_carlo_kernels(spec: NetworkSpec, X, seeds: Sequence[int], X2=None,
                        chunk: int = 10, per_sample: bool = False):
    """``(K_hat, Theta_hat)``: the empirical NNGP (:func:`empirical_nngp`) and NTK (structured
    :func:`empirical_ntk`, scalar readout or trace over outputs) between ``X [n, d]`` and ``X2``
    averaged over one network per seed (``len(seeds)`` Monte Carlo samples), float64 numpy.

    ``per_sample=True`` returns the ``[len(seeds), n, n2]`` kernels of every sample instead, so
    a caller can form the averages of nested subsets of samples without redrawing them.
    Networks are built ``chunk`` at a time as one :class:`EnsembleMLP`.
    """
    if len(seeds) < 1:
        raise ValueError("monte_carlo_kernels needs at least one seed (one sample)")
    dtype = torch.float64 if spec.dtype == "float64" else torch.float32
    x1 = torch.as_tensor(np.asarray(X), dtype=dtype)
    x2 = None if X2 is None else torch.as_tensor(np.asarray(X2), dtype=dtype)
    nngp, ntk = [], []
    for start in range(0, len(seeds), chunk):
        model = EnsembleMLP(spec, seeds=[int(s) for s in seeds[start:start + chunk]])
        nngp.append(empirical_nngp(model, x1, x2).to(torch.float64).numpy())
        ntk.append(empirical_ntk(model, x1, x2, method="structured").to(torch.float64).numpy())
    nngp, ntk = np.concatenate(nngp), np.concatenate(ntk)
    if per_sample:
        return nngp, ntk
    return nngp.mean(0), ntk.mean(0)
