"""`snakemake --report` on the smoke DAG: one self-contained HTML file (no network needed to
open it) holding the workflow description and every figure marked for the report, with its
caption rendered from the run's configuration."""

import base64
import os
import re
import shutil
from html.parser import HTMLParser

import yaml
from conftest import needs_mnist, run_snakemake

SMOKE = ["--configfile", "configs/quick.yaml", "smoke.yaml"]
# One more figure for the report, marked as the paper rules mark theirs (rules/common.smk:
# figures_output), with its own caption file.
PROBE = """
include: "Snakefile"


rule probe_figure:
    output:
        report(
            "results/tsuchida2019/probe_figure.svg",
            caption="report/captions/tsuchida2019/probe_figure.rst",
            category="tsuchida2019",
            labels={"paper": "tsuchida2019", "figure": "probe_figure"},
        ),
    log:
        "results/logs/probe_figure.log",
    shell:
        "cp probe.svg {output} 2> {log}"
"""
SVG = ('<svg xmlns="http://www.w3.org/2000/svg" width="40" height="20">'
       '<text x="1" y="15">probe-figure-7f3a</text></svg>\n')
CAPTION = 'Probe figure caption, seed {{ snakemake.config["seed"] }}, marker c41d.\n'


class ExternalResources(HTMLParser):
    """Resources the browser would fetch from elsewhere: src/href/data of loading tags."""

    LOADING = {"script", "link", "img", "iframe", "embed", "object", "source", "audio", "video"}

    def __init__(self):
        super().__init__()
        self.external = []

    def handle_starttag(self, tag, attrs):
        if tag not in self.LOADING:
            return
        for name, value in attrs:
            if name in ("src", "href", "data") and value and not value.startswith(
                    ("data:", "#", "blob:")):
                self.external.append((tag, name, value))


def write_probe(wd):
    (wd / "probe.smk").write_text(PROBE)
    (wd / "probe.svg").write_text(SVG)
    path = wd / "report" / "captions" / "tsuchida2019" / "probe_figure.rst"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(CAPTION)


@needs_mnist
def test_report_is_self_contained_and_shows_every_figure(smoke_workflow, tmp_path):
    # a copy of the session's finished smoke run (times kept, so nothing is out of date): only
    # the probe figure is built here
    workflow_dir = tmp_path / "wf"
    shutil.copytree(smoke_workflow, workflow_dir, symlinks=True)
    write_probe(workflow_dir)
    targets = ["all", "results/tsuchida2019/probe_figure.svg"]
    built = run_snakemake(workflow_dir, "-s", "probe.smk", "--cores", "2", *targets, *SMOKE)
    assert built.returncode == 0, built.stdout
    assert re.search(r"^probe_figure\s+1$", built.stdout, re.M), built.stdout[-3000:]
    assert re.search(r"^total\s+1$", built.stdout, re.M), built.stdout[-3000:]

    # any attempt to reach the network while building the report fails
    offline = {"HTTP_PROXY": "http://127.0.0.1:9", "HTTPS_PROXY": "http://127.0.0.1:9"}
    env_before = {k: os.environ.get(k) for k in offline}
    os.environ.update(offline)
    try:
        result = run_snakemake(workflow_dir, "-s", "probe.smk", "--report",
                               "results/report.html", *targets, *SMOKE)
    finally:
        for k, v in env_before.items():
            if v is None:
                os.environ.pop(k)
            else:
                os.environ[k] = v
    assert result.returncode == 0, result.stdout

    html = (workflow_dir / "results" / "report.html").read_text()
    assert html.lstrip().lower().startswith("<!doctype html>")
    parser = ExternalResources()
    parser.feed(html)
    assert parser.external == []
    assert not re.search(r"@import|url\(\s*['\"]?(https?:)?//", html)

    assert "reproduces four deep-learning-theory papers" in html  # report/workflow.rst
    # every caption and the description are valid reStructuredText, rendered for people
    assert "System Message" not in html and "system-message" not in html
    # "Does it reproduce?": the claims as a table in the description, Table 1 in its caption
    assert "Does it reproduce?" in html and "F2-init-arccos" in html
    # the claims at a glance (an embedded PNG) and the reasons of the verdicts
    assert re.search(r'alt=\\?"Claims at a glance\\?" style=\\?"max-width:100%\\?" '
                     r'src=\\?"data:image/png;base64,', html)
    assert "reason / diagnosis" in html and "95% interval" in html
    # this run's verdicts beside the recorded references (reference/<scale>/)
    assert "This run beside the recorded references" in html and "reference/laptop" in html
    assert "Table 1 as measured in this run" in html and "sorted_power" in html
    seed = yaml.safe_load((workflow_dir / "config.yaml").read_text())["seed"]
    assert re.search(rf"Probe figure caption, seed {seed}, marker c41d", html)
    assert base64.b64encode(SVG.encode()).decode() in html  # the figure itself, embedded
    # every paper figure the smoke DAG drew is in the report, with its caption
    figures = sorted((workflow_dir / "results").glob("*/*.pdf"))
    assert len(figures) >= 16, figures  # seleznova2021: 13, sorensen2020: 3
    for pdf in figures:
        assert pdf.name in html, f"{pdf} is missing from the report"


def test_figure_without_caption_stops_naming_the_file(workflow_dir):
    """A registered figure whose caption block is missing stops the workflow at parse time,
    naming the figure and the caption file (every figure in the report states its settings)."""
    captions = workflow_dir / "report" / "captions" / "seleznova2021.rst"
    text = captions.read_text()
    assert 'figure == "fig1_ntk_variance_relu"' in text
    captions.write_text(text.replace('figure == "fig1_ntk_variance_relu"',
                                     'figure == "fig1_ntk_variance_renamed"'))
    result = run_snakemake(workflow_dir, "-n", "--cores", "1",
                           "results/seleznova2021/fig2_ntk_variance_vs_depth.pdf", *SMOKE)
    assert result.returncode != 0
    assert "fig1_ntk_variance_relu" in result.stdout
    assert "have no caption block in" in result.stdout and str(captions) in result.stdout


def test_slurm_profile_parses(workflow_dir):
    """profiles/slurm is a valid option set for this snakemake (dry run, no cluster needed)."""
    result = run_snakemake(workflow_dir, "-n", "--profile", "profiles/slurm", *SMOKE)
    assert result.returncode == 0, result.stdout


def test_workflow_profile_leaves_cluster_resources_alone():
    """profiles/default is read under --profile profiles/slurm too and overrides it key by key:
    it must not set default-resources, or the cluster's partition and account are lost."""
    from conftest import REPO

    default = yaml.safe_load((REPO / "profiles" / "default" / "config.yaml").read_text())
    slurm = yaml.safe_load((REPO / "profiles" / "slurm" / "config.yaml").read_text())
    assert "slurm_partition" in slurm["default-resources"]
    for key in ("default-resources", "set-resources", "executor", "jobs", "retries"):
        assert key not in default, key


def test_report_after_a_partial_build_shows_what_exists_and_the_scale(workflow_dir):
    """One figure built: the README's report command succeeds and shows that figure and the
    scale and configuration it was made at (not "marked for report but does not exist")."""
    target = "results/seleznova2021/fig5_kappa2_vs_depth.pdf"  # needs no data and no training
    built = run_snakemake(workflow_dir, "--cores", "1", target, *SMOKE)
    assert built.returncode == 0, built.stdout
    result = run_snakemake(workflow_dir, "--report", "results/report.html", *SMOKE)
    assert result.returncode == 0, result.stdout
    html = (workflow_dir / "results" / "report.html").read_text()
    assert "fig5_kappa2_vs_depth.pdf" in html and "fig1_ntk_variance_relu.pdf" not in html
    assert re.search(r"<strong>Scale:</strong> <tt class=[^>]*>smoke</tt>", html), \
        "the scale is not on the report's first lines"
    assert "configs/quick.yaml, smoke.yaml" in html
