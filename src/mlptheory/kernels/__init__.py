"""Kernel library: analytic NNGP/NTK, mean field and edge of chaos, empirical NTK,
tsuchida2019 layer-wise kernels and the seleznova2021 NTK-diagonal sampler."""

from .analytic import arccos_kernel, gaussian_expectations, nngp_ntk
from .empirical import empirical_nngp, empirical_ntk, gd_critical_lr
from .meanfield import (
    MeanField,
    chi1,
    edge_of_chaos,
    fixed_point_q,
    kappa1,
    kappa2,
    lemma52_alpha,
    mean_field,
    output_variance,
    phase,
    q_map,
    single_moments,
    thm53_output_variance,
)
from .monte_carlo import monte_carlo_kernels
from .samplers import ntk_diagonal_samples, ntk_variance_ratio
from .tsuchida import (
    Procedure1Result,
    en_squared,
    normalized_kernel,
    procedure1,
    vector_angle,
)

__all__ = [
    "MeanField",
    "Procedure1Result",
    "arccos_kernel",
    "chi1",
    "edge_of_chaos",
    "empirical_nngp",
    "empirical_ntk",
    "gd_critical_lr",
    "en_squared",
    "fixed_point_q",
    "gaussian_expectations",
    "kappa1",
    "kappa2",
    "lemma52_alpha",
    "mean_field",
    "monte_carlo_kernels",
    "nngp_ntk",
    "normalized_kernel",
    "ntk_diagonal_samples",
    "ntk_variance_ratio",
    "output_variance",
    "phase",
    "procedure1",
    "q_map",
    "single_moments",
    "thm53_output_variance",
    "vector_angle",
]
