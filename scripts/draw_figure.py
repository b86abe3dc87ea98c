"""One registered figure or table of a paper (mlptheory.registry): <name>.pdf, or <name>.md for
a table of the paper, and <name>.csv with exactly the rows shown, drawn from its tables alone."""

import pandas as pd

from mlptheory.figures import add_footer, footer_text, save_figure, write_csv, write_text
from mlptheory.registry import resolve
from mlptheory.scripting import run_rule


def main(smk, log):
    tables = [pd.read_csv(path) for path in smk.input]
    shown, frame = resolve(smk.params.draw)(tables, smk.params.figure)
    if "md" in smk.output.keys():
        write_text(shown, smk.output.md)
    else:
        # a PDF sent on its own still says the scale, the seed and the settings it was made at
        add_footer(shown, footer_text(frame, smk.config.get("scale", "paper"),
                                      smk.config.get("seed", 0), smk.wildcards.get("figure", "")))
        save_figure(shown, smk.output.pdf)
    write_csv(frame, smk.output.csv)


run_rule(snakemake, main)
