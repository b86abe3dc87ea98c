"""sorensen2020 "Understanding and Collapsing Symmetries in Neural Network Parameter Spaces".

* :mod:`.plan` (torch-free): N networks 784-512-10 trained in chunks (generic ``train_run``
  rule), and the registry of tables and figures;
* :mod:`.networks`: the trained networks gathered from their run files, in the four bases;
* :mod:`.table1`: Table 1, NodeSort distances;
* :mod:`.averaging`: Sec. 5 as a measurement (weight averaging, ensemble) and the barrier;
* :mod:`.sorted_points`: Fig. 2.
"""
