"""lee2019 "Wide Neural Networks of Any Depth Evolve as Linear Models Under Gradient Descent".

Built on the library :mod:`mlptheory.linearize`, :mod:`mlptheory.predict` and
:func:`mlptheory.kernels.monte_carlo_kernels`:

* :mod:`.plan` (torch-free): the config -> the training runs (the data, networks and rates
  they share) and the registry of tables and figures;
* :mod:`.predictive`: Fig. 2, predictive distributions (ensemble, NTK-GP, readout-only, NNGP);
* :mod:`.dynamics`: Fig. 3, network vs its linearization over training;
* :mod:`.linearization_error`: Fig. S5, RMSE to the linearization vs width and data size;
* :mod:`.parameterization`: Fig. S7, standard vs ntk parameterization;
* :mod:`.kernel_convergence`: Fig. S9, Monte Carlo kernels vs width.
"""
