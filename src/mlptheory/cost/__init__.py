"""What a run costs, before paying it (``mlptheory cost``, the summary before the first job)
and after (the report's cost table). Torch-free.

* :mod:`.model`: the work of a job (FLOPs, ops, steps, traffic, memory), counted from its run
  request or the cost term its table registered;
* :mod:`.dag`: Snakemake's own jobs (its DAG, from ``onstart`` or built through its API in
  dry-run mode), each given its registered work;
* :mod:`.calibration`: seconds from work, this machine's measured per-unit costs and the
  stated GPU assumptions;
* :mod:`.report`: estimates, the tables, the guard against a multi-day CPU run, the command.
"""
