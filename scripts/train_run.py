"""Train one registered run (an ensemble) into results/runs/<paper>/<run>.h5, resuming."""

from mlptheory.experiment import run_training
from mlptheory.run_request import RunRequest
from mlptheory.scripting import run_rule


def main(smk, log):
    # the one parse of the request: Snakemake's params hold plain values only
    request = RunRequest.from_dict(smk.params.request)
    run_training(request, smk.input.dataset, smk.output[0], threads=smk.threads,
                 device=smk.params.device, log=log,
                 snapshot_seconds=smk.params.snapshot_seconds)


run_rule(snakemake, main)
