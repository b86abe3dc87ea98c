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
    from .dev.bench import add_subcommands

    add_subcommands(bench.add_subparsers(dest="benchmark", required=True))


def _command(sub, name: str, module, help: str) -> None:
    """Subcommand ``name`` run by ``module.run(args)``, its options from
    ``module.add_arguments(parser)``, its description the module's docstring."""
    p = sub.add_parser(name, help=help, description=module.__doc__,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    module.add_arguments(p)
    p.set_defaults(func=module.run)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="mlptheory", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    _bench(sub)
    from .cost import report as cost
    from .dev import faults  # torch-free at import (faults: standard library only)

    _command(sub, "cost", cost, "estimated work, CPU and GPU time of every target before "
                                "running it")
    _command(sub, "faults", faults, "fault-injection campaign on a temporary copy of the "
                                    "workflow (smoke configuration)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    args.func(args)


if __name__ == "__main__":
    main()
