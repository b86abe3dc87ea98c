"""sorensen2020 Table 1: pairwise distances of W1, W2 before/after NodeSort and weight matching."""

from mlptheory.figures import write_csv, write_markdown_table
from mlptheory.papers import sorensen2020 as S2020
from mlptheory.scripting import run_rule


def main(smk, log):
    params, _, _ = S2020.load_networks(smk.input.runs)
    table = S2020.distance_table(S2020.bases(params, smk.params.p, log=log))
    log.info("\n%s", table.to_string(index=False))
    write_csv(table, smk.output.csv)
    write_markdown_table(table, smk.output.md)


run_rule(snakemake, main)
