"""Static checks: Python lint, Snakemake lint and formatting."""

import shutil
import subprocess
import sys

import pytest
from conftest import REPO


def run(*cmd):
    return subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=300)


@pytest.mark.skipif(shutil.which("ruff") is None, reason="ruff not installed (dev extra)")
def test_ruff_clean():
    result = run("ruff", "check", "src", "scripts", "tests")
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.skipif(shutil.which("snakefmt") is None, reason="snakefmt not installed (dev extra)")
def test_snakefmt_clean():
    result = run("snakefmt", "--check", "Snakefile", "rules")
    assert result.returncode == 0, result.stdout + result.stderr


def test_snakemake_lint_clean():
    result = run(sys.executable, "-m", "snakemake", "--lint")
    assert result.returncode == 0, result.stdout + result.stderr
