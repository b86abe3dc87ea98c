"""One seleznova2021 table (NTK variance cells, NTK change per member, kappa, Theorem 5.3)."""

from mlptheory.figures import write_csv
from mlptheory.papers.seleznova2021 import make_table
from mlptheory.scripting import run_rule


def main(smk, log):
    frame = make_table(smk.wildcards.table, smk.params.config, smk.params.seed,
                       dataset_path=smk.input.get("dataset"), run_paths=smk.input.get("runs", []),
                       log=log)
    write_csv(frame, smk.output[0])


run_rule(snakemake, main)
