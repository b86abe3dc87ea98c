"""seleznova2021 "Analyzing Finite Neural Networks: Can We Trust Neural Tangent Kernel Theory?".

* :mod:`.plan` (torch-free): the config -> training runs and the registry of tables and figures;
* :mod:`.ntk_variance`: NTK variance at initialization (Figs. 1, 2, 7);
* :mod:`.ntk_change`: NTK change under gradient descent (Figs. 3, 4, 8-11);
* :mod:`.kappa`: Lemma 5.2 (Figs. 5, 6);
* :mod:`.thm53`: Theorem 5.3;
* :mod:`.work`: the cost terms of its tables (``mlptheory cost``, :mod:`mlptheory.cost`).
"""
