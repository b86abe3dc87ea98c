"""One table of a paper (mlptheory.registry.Registry.paper_table): <name>.csv and <name>.md."""

import pandas as pd

from mlptheory.figures import write_csv, write_text
from mlptheory.registry import resolve
from mlptheory.scripting import run_rule


def main(smk, log):
    tables = [pd.read_csv(path) for path in smk.input]
    frame, markdown = resolve(smk.params.render)(tables, smk.params.table)
    write_csv(frame, smk.output.csv)
    write_text(markdown, smk.output.md)


run_rule(snakemake, main)
