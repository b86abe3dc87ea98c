"""sorensen2020 "Understanding and Collapsing Symmetries in Neural Network Parameter Spaces".

* :mod:`.plan` (torch-free): N networks 784-512-10 trained in chunks (generic ``train_run``
  rule), and the registry of tables and figures;
* :mod:`.networks`: the trained networks gathered from their run files, in the four bases;
* :mod:`.table1`: Table 1, NodeSort distances (per network, so intervals are over networks);
* :mod:`.checks`: Secs. 3.1-3.2 and the Sec. 5 octant statement on the trained networks;
* :mod:`.averaging`: Sec. 5 as a measurement (weight averaging, ensemble) and the barrier,
  over disjoint groups / pairs of networks;
* :mod:`.claims`: the claims, their validity conditions and diagnoses;
* :mod:`.sorted_points`: Fig. 2.
"""
