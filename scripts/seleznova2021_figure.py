"""One seleznova2021 figure: <target>.pdf and <target>.csv with exactly the plotted rows."""

import pandas as pd

from mlptheory.figures import save_figure, write_csv
from mlptheory.papers.seleznova2021 import make_figure
from mlptheory.scripting import run_rule


def main(smk, log):
    tables = [pd.read_csv(path) for path in smk.input]
    fig, frame = make_figure(smk.params.target, tables, smk.params.config)
    save_figure(fig, smk.output.pdf)
    write_csv(frame, smk.output.csv)


run_rule(snakemake, main)
