"""One registered figure or table of a paper (mlptheory.registry): <name>.pdf, or <name>.md for
a table of the paper, and <name>.csv with exactly the rows shown, drawn from its tables alone."""

import pandas as pd

from mlptheory.figures import save_figure, write_csv, write_text
from mlptheory.registry import resolve
from mlptheory.scripting import run_rule


def main(smk, log):
    tables = [pd.read_csv(path) for path in smk.input]
    shown, frame = resolve(smk.params.draw)(tables, smk.params.figure)
    if "md" in smk.output.keys():
        write_text(shown, smk.output.md)
    else:
        save_figure(shown, smk.output.pdf)
    write_csv(frame, smk.output.csv)


run_rule(snakemake, main)
