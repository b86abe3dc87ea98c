"""run_rule: a user error is one message and exit status 1, a bug keeps its traceback."""

from types import SimpleNamespace

import pytest

from mlptheory.errors import BadInput, DamagedFile, MissingData
from mlptheory.scripting import run_rule


def smk(tmp_path):
    return SimpleNamespace(log=[str(tmp_path / "rule.log")], threads=1, rule="demo",
                           wildcards={})


@pytest.mark.parametrize("error", [
    DamagedFile("results/runs/x.h5 is damaged; rebuild it: snakemake --cores all ..."),
    BadInput("tsuchida2019.lr is -1; expected a number > 0"),
    MissingData("results/data/mnist.h5 does not exist"),
])
def test_user_error_is_its_message_alone(tmp_path, error):
    def main(smk, log):
        raise error

    with pytest.raises(SystemExit) as exit_:
        run_rule(smk(tmp_path), main)
    assert exit_.value.code == 1
    text = (tmp_path / "rule.log").read_text()
    assert str(error) in text and "Traceback" not in text


@pytest.mark.parametrize("bug", [KeyError("best_step"), ValueError("shapes (3,) and (4,)"),
                                 FileNotFoundError("/nonexistent/cache")])
def test_programming_error_keeps_its_traceback(tmp_path, bug):
    def main(smk, log):
        raise bug

    with pytest.raises(type(bug)):
        run_rule(smk(tmp_path), main)
    text = (tmp_path / "rule.log").read_text()
    assert "Traceback" in text and "rule demo failed" in text
