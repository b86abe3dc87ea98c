"""Verify, parse and store one dataset as results/data/<dataset>.h5."""

from mlptheory.archives import prepare_dataset
from mlptheory.scripting import run_rule


def main(smk, log):
    counts = prepare_dataset(smk.wildcards.dataset, smk.params.raw_dir, smk.params.md5,
                             smk.output[0])
    log.info("wrote %s: %s", smk.output[0], counts)


run_rule(snakemake, main)
