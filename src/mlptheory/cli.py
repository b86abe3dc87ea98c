"""The ``mlptheory`` command: ``mlptheory bench {ensemble,sweep,ntk,predict}``,
``mlptheory cost`` and ``mlptheory faults``.

Heavy modules (torch, the benchmarks) are imported only by the subcommand that runs.
"""

from __future__ import annotations

import argparse
import logging


def _bench(sub) -> None:
    bench = sub.add_parser("bench", help="benchmarks: ratios against the obvious baselines",
                           description="Benchmarks; each prints its ratio in one run.")
    from .bench import add_subcommands

    add_subcommands(bench.add_subparsers(dest="benchmark", required=True))


def _cost(sub) -> None:
    from . import cost

    p = sub.add_parser("cost", help="estimated work, CPU and GPU time of every target before "
                                    "running it",
                       description=cost.__doc__,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    cost.add_arguments(p)
    p.set_defaults(func=cost.run)


def _faults(sub) -> None:
    from . import faults  # standard library only at import time

    p = sub.add_parser("faults", help="fault-injection campaign on a temporary copy of the "
                                      "workflow (smoke configuration)",
                       description=faults.__doc__,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    faults.add_arguments(p)
    p.set_defaults(func=faults.run)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="mlptheory", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    _bench(sub)
    _cost(sub)
    _faults(sub)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    args.func(args)


if __name__ == "__main__":
    main()
