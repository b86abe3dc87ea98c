"""Benchmarks: ``python -m mlptheory.bench <subcommand>``; each prints ratios vs the obvious
baseline in one run.

* ``ntk``: empirical NTK structured vs jacobian vs ntk_vp (:mod:`mlptheory.kernels.bench`).
"""

from __future__ import annotations

import argparse


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m mlptheory.bench", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    from .kernels.bench import add_ntk_arguments, bench_ntk

    ntk = sub.add_parser("ntk", help="empirical NTK: structured vs jacobian vs ntk_vp")
    add_ntk_arguments(ntk)
    ntk.set_defaults(func=bench_ntk)

    args = parser.parse_args(argv)
    args.func(args)


if __name__ == "__main__":
    main()
