"""Train one registered run (an ensemble) into results/runs/<paper>/<run>.h5, resuming."""

from mlptheory.experiment import run_training
from mlptheory.scripting import run_rule


def main(smk, log):
    run_training(smk.params.request, smk.input.dataset, smk.output[0], threads=smk.threads,
                 device=smk.params.device, log=log,
                 snapshot_seconds=smk.params.snapshot_seconds)


run_rule(snakemake, main)
