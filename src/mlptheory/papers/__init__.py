"""One package per paper: a torch-free ``plan`` module (the config -> training runs and a
:class:`~mlptheory.registry.Registry` of tables and figures, each table naming its compute
function and its cost term in the paper's ``work`` module), a ``claims`` module (what its
targets test) and one module per experiment with its table computation and drawing code.

This module describes each paper once (:data:`PAPER`); the Snakefile, the claims, the cost model
and the references iterate over it. Importing it loads only the plans and claims (no torch)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import ModuleType

from ..claims import Claim
from ..registry import Plan, target_file
from .lee2019 import claims as lee2019_claims
from .lee2019 import plan as lee2019_plan
from .seleznova2021 import claims as seleznova2021_claims
from .seleznova2021 import plan as seleznova2021_plan
from .sorensen2020 import claims as sorensen2020_claims
from .sorensen2020 import plan as sorensen2020_plan
from .tsuchida2019 import claims as tsuchida2019_claims
from .tsuchida2019 import plan as tsuchida2019_plan


@dataclass(frozen=True)
class Paper:
    """A paper of the workflow: its name (the results folder, the rule prefix), its planning
    module and its claims module."""

    name: str
    plan_module: ModuleType
    claims_module: ModuleType

    def plan(self, config: dict) -> Plan:
        """The training runs and the registry of tables and figures for the whole config."""
        return self.plan_module.plan(config)

    @property
    def claims(self) -> list[Claim]:
        """Its claims, each id once."""
        claims = list(self.claims_module.CLAIMS)
        ids = [c.claim_id for c in claims]
        if len(set(ids)) != len(ids):
            raise ValueError(f"{self.name}: claim ids repeat: {ids}")
        return claims

    def claim_targets(self) -> list[str]:
        """Every target name its claims read (in first-use order)."""
        return list(dict.fromkeys(t for c in self.claims for t in c.targets))


# The papers this workflow reproduces, in the order every table and report lists them.
PAPER: dict[str, Paper] = {p.name: p for p in (
    Paper("tsuchida2019", tsuchida2019_plan, tsuchida2019_claims),
    Paper("seleznova2021", seleznova2021_plan, seleznova2021_claims),
    Paper("sorensen2020", sorensen2020_plan, sorensen2020_claims),
    Paper("lee2019", lee2019_plan, lee2019_claims),
)}
PAPERS: tuple[str, ...] = tuple(PAPER)
# the rules rules/papers.smk makes for each paper, named <paper>_<kind>
RULE_KINDS = ("table", "figure", "paper_table")


def rule_of(rule: str) -> tuple[str, str] | None:
    """``(paper, kind)`` of a paper's rule ``<paper>_<kind>`` (:data:`RULE_KINDS`), else
    None (the training, data, claims and cost rules)."""
    for name in PAPERS:
        kind = rule.removeprefix(f"{name}_")
        if kind != rule and kind in RULE_KINDS:
            return name, kind
    return None


def paper(name: str) -> Paper:
    """The paper called ``name`` (a clear error naming the known ones otherwise)."""
    try:
        return PAPER[name]
    except KeyError:
        raise KeyError(f"unknown paper {name!r}: the papers are {', '.join(PAPERS)}") from None


def paper_claims(name: str) -> list[Claim]:
    """The claims of the paper ``name``."""
    return paper(name).claims


def claim_sources(built: Mapping[str, list[str]]) -> dict[str, dict[str, str]]:
    """paper -> {target name: ``results/<paper>/<name>.csv``} of every claim target among the
    files a configuration builds (``built``: paper -> its target files); a claim whose target is
    left out becomes an inconclusive row that says so (:func:`mlptheory.claims.evaluate`)."""
    sources = {}
    for name, files in built.items():
        files = set(files)
        sources[name] = {t: target_file(name, t, "csv") for t in paper(name).claim_targets()
                         if target_file(name, t, "csv") in files}
    return sources


__all__ = ["PAPER", "PAPERS", "Paper", "claim_sources", "paper", "paper_claims"]
