"""tsuchida2019 "Exchangeability and Kernel Invariance in Trained MLPs".

* :mod:`.plan` (torch-free): the autoencoder ensembles (one per optimizer family, generic
  ``train_run`` rule) and the registry of tables and figures;
* :mod:`.random_kernels`: Fig. 2, normalized kernel of one random layer for non-Gaussian weights;
* :mod:`.trained_kernels`: Figs. 3, 4, layer-wise normalized kernels of the trained autoencoders
  on Procedure 1 pairs, with and without zero coordinate sums, and test reconstructions;
* :mod:`.optimizer_sweep`: Fig. 5, ``Delta k`` and ``Delta W = (E^n)^2`` over the optimizer sweeps.
"""
