"""One registered figure (mlptheory.registry.Figure): <figure>.pdf and <figure>.csv with exactly
the plotted rows, drawn from its tables alone."""

import pandas as pd

from mlptheory.figures import save_figure, write_csv
from mlptheory.registry import resolve
from mlptheory.scripting import run_rule


def main(smk, log):
    tables = [pd.read_csv(path) for path in smk.input]
    fig, frame = resolve(smk.params.draw)(tables, smk.params.figure)
    save_figure(fig, smk.output.pdf)
    write_csv(frame, smk.output.csv)


run_rule(snakemake, main)
