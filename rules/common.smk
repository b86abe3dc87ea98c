# Configuration validation, wildcard constraints and input functions shared by all rules.
import os

from snakemake.utils import min_version, validate

min_version("9.0")


validate(config, "../schemas/config.schema.yaml")

# Jobs import the mlptheory library from this checkout, also inside --use-conda environments
# and on cluster nodes (sbatch exports the environment).
os.environ.update(
    PYTHONPATH=os.pathsep.join(
        p for p in (f"{workflow.basedir}/src", os.environ.get("PYTHONPATH")) if p
    )
)

RAW_DIR = config["data"]["raw_dir"].rstrip("/")
DATASETS = ("mnist", "cifar10")
PAPERS = ("tsuchida2019", "seleznova2021", "sorensen2020", "lee2019")


wildcard_constraints:
    dataset="|".join(DATASETS),


def dataset_file(paper):
    """The prepared HDF5 dataset a paper's experiments read."""
    return f"results/data/{config[paper]['dataset']}.h5"


def paper_targets(paper):
    """Every file target of one paper (the paper rules extend this as they arrive)."""
    return [dataset_file(paper)]


def all_targets():
    """Every target of every paper, once."""
    return sorted({target for paper in PAPERS for target in paper_targets(paper)})


def gpu_count():
    """GPUs a training or measurement job requests: `resources: gpu=gpu_count()`.

    0 for `device: cpu` (the job runs anywhere, and on Slurm asks for no GPU), else 1: with
    profiles/slurm the plugin submits it with `--gpus=1`, so it lands on a GPU node. Locally the
    `gpu` resource limits nothing unless `--resources gpu=N` is given.
    """
    return 0 if config["device"] == "cpu" else 1
