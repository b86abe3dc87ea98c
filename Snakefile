# mlptheory: four deep-learning-theory papers as file targets.
#   snakemake --cores all                                   everything, paper scale
#   snakemake --cores 2 --configfile configs/quick.yaml     CPU-sized version
#   snakemake --cores 4 results/<paper>/<target>.pdf        one figure
#   snakemake --cores 2 results/claims.csv                  does it reproduce? (every claim)
#   mlptheory cost [--configfile configs/quick.yaml]       what it costs, before running it


configfile: "config.yaml"


# Each scale works in its own directory (config key `workdir`: "." for the paper settings,
# scales/quick for configs/quick.yaml), so its results/ and Snakemake's metadata never touch
# another scale's; targets are named relative to it.
LAUNCH_DIR = os.getcwd()
# config files are read again after the directory changes (the report, jobs): keep their paths
workflow.configfiles[:] = [os.path.abspath(path) for path in workflow.configfiles]


WORKDIR = str(config.get("workdir") or ".")
# created here, quietly (Snakemake's workdir would announce it)
os.makedirs(WORKDIR, exist_ok=True)


workdir: WORKDIR


report: "report/workflow.rst"


include: "rules/common.smk"
include: "rules/data.smk"
include: "rules/training.smk"
include: "rules/papers.smk"
include: "rules/claims.smk"
include: "rules/cost.smk"


rule all:
    default_target: True
    input:
        built_only([*all_targets(), "results/claims.csv", "results/cost.csv"]),


onerror:
    print_resume_hint()


# (only as the main Snakefile: a wrapper that includes this file defines its rules after it)
MAIN = os.path.join(workflow.basedir, "Snakefile")
if os.path.abspath(workflow.main_snakefile) == MAIN:
    check_requested_targets(workflow.rules)
