"""Tooling that describes the workflow rather than the science: the fault-injection campaign
(:mod:`.faults`, ``mlptheory faults``) and the benchmarks (:mod:`.bench`, ``mlptheory bench``:
ensemble training, optimizer sweeps, the empirical NTK in :mod:`.ntk_bench`, the lee2019
predictions in :mod:`.predict_bench`). Nothing in the library or the workflow's jobs imports it.
"""
