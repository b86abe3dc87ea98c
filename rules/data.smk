# Raw archives -> results/data/<dataset>.h5. The archives in <data.raw_dir>/<dataset>/ are
# deliberately not Snakemake outputs: `snakemake -F` or a failed job must never delete them.
# The fetch rule verifies them (and downloads missing ones) and records what it found.


rule fetch_archives:
    output:
        "results/data/{dataset}.sources.json",
    log:
        "results/logs/data/fetch_{dataset}.log",
    benchmark:
        "results/benchmarks/fetch_archives/{dataset}.tsv"
    localrule: True
    conda:
        "../envs/mlptheory.yaml"
    threads: 1
    resources:
        mem_mb=500,
        runtime=120,
    params:
        raw_dir=lambda wc: f"{RAW_DIR}/{wc.dataset}",
        md5=lambda wc: config["data"][wc.dataset]["md5"],
        mirrors=lambda wc: config["data"][wc.dataset]["mirrors"],
        download=config["data"]["download"],
        timeout_s=config["data"]["timeout_s"],
    script:
        "../scripts/fetch_archives.py"


rule prepare_dataset:
    input:
        "results/data/{dataset}.sources.json",
    output:
        DATASET,
    log:
        "results/logs/data/prepare_{dataset}.log",
    benchmark:
        "results/benchmarks/prepare_dataset/{dataset}.tsv"
    conda:
        "../envs/mlptheory.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=30,
    params:
        raw_dir=lambda wc: f"{RAW_DIR}/{wc.dataset}",
        md5=lambda wc: config["data"][wc.dataset]["md5"],
    script:
        "../scripts/prepare_dataset.py"
