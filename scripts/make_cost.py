"""results/cost.csv and .rst: wall time and peak memory per target of this run (the jobs'
benchmark files, results/benchmarks/), beside the cost model's estimate (mlptheory.cost)."""

import pandas as pd

from mlptheory.cost import cost_rst, measured_rows
from mlptheory.figures import write_csv, write_text
from mlptheory.scripting import run_rule


def main(smk, log):
    rows = measured_rows(smk.config, root=".")
    for r in rows:
        log.info("%s: %d of %d job(s) measured, %.1f s, peak %.0f MB (estimated %.1f s)",
                 r["target"], r["measured_jobs"], r["jobs"], r["wall_s"], r["peak_mem_mb"],
                 r["estimated_cpu_s"])
    write_csv(pd.DataFrame(rows), smk.output.csv)
    write_text(cost_rst(rows), smk.output.rst)


run_rule(snakemake, main)
