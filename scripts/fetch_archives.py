"""Obtain the raw archives of one dataset (verify present ones, download missing ones)."""

import json

from mlptheory.download import obtain_archives
from mlptheory.scripting import run_rule


def main(smk, log):
    sources = obtain_archives(smk.params.raw_dir, smk.params.md5, smk.params.mirrors,
                              download=smk.params.download, timeout=smk.params.timeout_s)
    with open(smk.output[0], "w") as fh:
        json.dump(sources, fh, indent=2)
    log.info("all %d archive(s) present and verified in %s", len(sources), smk.params.raw_dir)


run_rule(snakemake, main)
