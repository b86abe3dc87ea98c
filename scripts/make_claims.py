"""results/claims.csv, .md, .rst and claims_at_a_glance.pdf: every claim of the papers with its
measured value, 95% interval, validity conditions, verdict, reason and diagnosis
(mlptheory.claims), and the forest plot of all of them (mlptheory.claims_figure)."""

import pandas as pd

from mlptheory.claims import COLUMNS, evaluate, markdown, rst_table
from mlptheory.claims_figure import at_a_glance, embedded_png
from mlptheory.figures import save_figure, write_csv, write_text
from mlptheory.papers import paper_claims
from mlptheory.reference import claims_hash, comparison_md, comparison_rst, load
from mlptheory.scripting import run_rule


def main(smk, log):
    rows = []
    for paper, sources in smk.params.sources.items():
        frames = {name: pd.read_csv(path) for name, path in sources.items()}
        paper_rows = evaluate(paper, paper_claims(paper), frames, smk.params.configs[paper],
                              smk.params.scale)
        for r in paper_rows:
            log.info("%s %s: measured %s [%s, %s], expected %s -> %s (%s)", paper,
                     r["claim_id"], r["measured"], r["low"], r["high"], r["expected"],
                     r["verdict"], r["reason"])
        rows += paper_rows
    write_csv(pd.DataFrame(rows, columns=list(COLUMNS)), smk.output.csv)
    current = claims_hash()
    refs = [load(path, current) for path in smk.params.references.values()]
    for ref in refs:
        log.info("%s", ref.summary())
    write_text(markdown(rows) + comparison_md(rows, refs), smk.output.md)
    title = f"Claims at a glance (scale={smk.params.scale}): 95% interval vs expected region"
    fig = at_a_glance(rows, title)
    figure_rst = embedded_png(fig)
    save_figure(fig, smk.output.glance, png=True)
    write_text(figure_rst + rst_table(rows) + comparison_rst(rows, refs), smk.output.rst)


run_rule(snakemake, main)
