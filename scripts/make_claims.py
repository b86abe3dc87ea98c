"""results/claims.csv, .md and .rst: every claim of the papers with its measured value, the
expected value and the verdict (mlptheory.claims)."""

import pandas as pd

from mlptheory.claims import COLUMNS, evaluate, markdown, rst_table
from mlptheory.figures import write_csv, write_text
from mlptheory.scripting import run_rule


def main(smk, log):
    rows = []
    for paper, sources in smk.params.sources.items():
        frames = {name: pd.read_csv(path) for name, path in sources.items()}
        paper_rows = evaluate(paper, frames, smk.params.configs[paper], smk.params.scale)
        for r in paper_rows:
            log.info("%s %s: measured %s, expected %s -> %s", paper, r["claim_id"],
                     r["measured"], r["expected"], r["verdict"])
        rows += paper_rows
    write_csv(pd.DataFrame(rows, columns=list(COLUMNS)), smk.output.csv)
    write_text(markdown(rows), smk.output.md)
    write_text(rst_table(rows), smk.output.rst)


run_rule(snakemake, main)
