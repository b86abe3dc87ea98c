"""One registered table (mlptheory.registry.Table): compute it from its inputs and its own
parameters, write results/<paper>/tables/<table>.csv."""

from mlptheory.figures import write_csv
from mlptheory.registry import resolve
from mlptheory.scripting import run_rule


def main(smk, log):
    compute = resolve(smk.params.compute)
    write_csv(compute(smk.params.table, dict(smk.input.items()), log=log), smk.output[0])


run_rule(snakemake, main)
