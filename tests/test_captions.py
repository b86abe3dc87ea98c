"""Every caption block renders, for the paper and the quick configuration, to valid
reStructuredText (no docutils "System Message"), and prints settings for people (no Python
reprs of lists of dicts), exactly as `snakemake --report` renders it (same Jinja options)."""

import copy
import re
from types import SimpleNamespace

import pytest
from conftest import OVERLAYS, REPO, merged_config, rst_to_html
from jinja2 import Environment

from mlptheory.papers import PAPERS


def merged(overlays):
    return merged_config(REPO, *overlays)


def registered(paper, config):
    import importlib
    import sys

    sys.path.insert(0, str(REPO / "src"))
    plan = importlib.import_module(f"mlptheory.papers.{paper}.plan").plan(copy.deepcopy(config))
    return list(plan.registry.figures) + list(plan.registry.paper_tables)


def render(text, config, **wildcards):
    snakemake = SimpleNamespace(config=config, wildcards=SimpleNamespace(**wildcards))
    rst = Environment(trim_blocks=True, lstrip_blocks=True).from_string(text).render(
        snakemake=snakemake)
    html = rst_to_html(rst)
    return rst, html


@pytest.mark.parametrize("scale", OVERLAYS)
@pytest.mark.parametrize("paper", PAPERS)
def test_caption_blocks_are_valid_rst_for_people(paper, scale):
    config = merged(OVERLAYS[scale])
    text = (REPO / "report" / "captions" / f"{paper}.rst").read_text()
    problems = []
    for name in registered(paper, config):
        if f'figure == "{name}"' not in text:
            continue  # tables of the paper have their own caption files
        rst, html = render(text, config, figure=name)
        if not rst.strip():
            problems.append(f"{name}: empty caption")
        for message in re.findall(r'system-message-title">(.*?)</p>(.*?)</div>', html,
                                  flags=re.S):
            problems.append(f"{name}: invalid reStructuredText: {message}")
        if "system-message" in html and not problems:
            problems.append(f"{name}: invalid reStructuredText (a system message)")
        for repr_sign in ("[{", "{'", "':", "[["):
            for line in rst.splitlines():
                if repr_sign in line:
                    problems.append(f"{name}: Python repr {repr_sign!r}: {line.strip()}")
    assert not problems, f"{paper} ({scale}):\n" + "\n".join(problems)


def test_claims_caption_and_workflow_description_are_valid_rst():
    config = merged(OVERLAYS["quick"])
    for path in ("report/captions/claims.rst", "report/workflow.rst"):
        text = (REPO / path).read_text()
        env = Environment(trim_blocks=True, lstrip_blocks=True)
        rst = env.from_string(text).render(snakemake=SimpleNamespace(config=config), files=[])
        html = rst_to_html(rst)
        assert "system-message" not in html, f"{path}:\n{html}"


def test_table1_caption_shows_the_table(tmp_path, monkeypatch):
    """The Table 1 caption embeds the measured table (csv-table from the run's CSV)."""
    table = tmp_path / "results" / "sorensen2020" / "table1_distances.csv"
    table.parent.mkdir(parents=True)
    table.write_text("matrix,basis,min,max,mean,n_pairs,n_zero\nW1,unsorted,1.5,2.5,2.0,3,0\n")
    monkeypatch.chdir(tmp_path)
    text = (REPO / "report" / "captions" / "sorensen2020_tables.rst").read_text()
    snakemake = SimpleNamespace(config=merged(OVERLAYS["quick"]),
                                wildcards=SimpleNamespace(name="table1_distances"))
    rst = Environment(trim_blocks=True, lstrip_blocks=True).from_string(text).render(
        snakemake=snakemake)
    html = rst_to_html(rst)
    assert "system-message" not in html, html
    assert "<table" in html and "unsorted" in html and "2.5" in html


def test_figure_footer_names_the_settings_and_counts_replicates_not_summary_rows():
    import pandas as pd

    from mlptheory.figures import footer_text

    frame = pd.DataFrame({"dataset": ["mnist"] * 5, "width": [128] * 5, "lr": [0.5] * 5,
                          "member": [-1, -1, 0, 1, 2]})  # -1: the ensemble's own rows
    text = footer_text(frame, "quick", 0, "fig2")
    assert text == ("mlptheory: fig2 | scale=quick | seed 0 | data mnist | width 128 | lr 0.5 | "
                    "3 members")
