"""results/cost.csv and .rst: wall time and peak memory per target of this run (the jobs'
benchmark files, results/benchmarks/), beside the cost model's estimate (mlptheory.cost). The
jobs and their benchmark files are Snakemake's own: its DAG of this configuration, built again
in dry-run mode."""

import os
from pathlib import Path

import pandas as pd

from mlptheory.cost.dag import workflow_jobs
from mlptheory.cost.report import cost_rst, measured_rows
from mlptheory.figures import write_csv, write_text
from mlptheory.scripting import run_rule


def main(smk, log):
    # this job runs in the workflow's workdir: the same one, wherever the run was launched
    jobs, _ = workflow_jobs(config={**smk.config, "workdir": os.getcwd()},
                            snakefile=Path(smk.scriptdir).parent / "Snakefile")
    rows = measured_rows(jobs)
    for r in rows:
        log.info("%s: %d of %d job(s) measured, %.1f s, peak %.0f MB (estimated %.1f s)",
                 r["target"], r["measured_jobs"], r["jobs"], r["wall_s"], r["peak_mem_mb"],
                 r["estimated_cpu_s"])
    write_csv(pd.DataFrame(rows), smk.output.csv)
    write_text(cost_rst(rows), smk.output.rst)


run_rule(snakemake, main)
