"""sorensen2020 Fig. 2: the points r, g, b before and after sorting their coordinates."""

from mlptheory.figures import save_figure, write_csv
from mlptheory.papers import sorensen2020 as S2020
from mlptheory.scripting import run_rule


def main(smk, log):
    points = S2020.fig2_points()
    write_csv(points, smk.output.csv)
    save_figure(S2020.plot_fig2(points), smk.output.pdf)


run_rule(snakemake, main)
