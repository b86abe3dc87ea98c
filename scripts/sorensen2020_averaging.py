"""sorensen2020 Sec. 5: test accuracy of k combined networks (ensemble and weight averages)."""

from mlptheory.data import load
from mlptheory.figures import save_figure, write_csv
from mlptheory.models import torch_dtype
from mlptheory.papers import sorensen2020 as S2020
from mlptheory.scripting import run_rule


def main(smk, log):
    params, spec, _ = S2020.load_networks(smk.input.runs)
    x, labels = load(smk.input.dataset, "test", dtype=torch_dtype(spec.dtype))
    table = S2020.averaging_table(params, spec, x, labels, smk.params.ks,
                                  sort_key=smk.params.sort_key, p=smk.params.p, log=log)
    log.info("\n%s", table.to_string(index=False))
    write_csv(table, smk.output.csv)
    save_figure(S2020.plot_averaging(table, smk.params.sort_key), smk.output.pdf)


run_rule(snakemake, main)
